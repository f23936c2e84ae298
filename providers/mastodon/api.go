package mastodon

import (
	"bytes"
	"encoding/json"
	"time"
)

// Wire types of the Mastodon client API, written by hand from the official
// documentation (shared/specs/mastodon-api). Only the fields the adapter reads
// are declared; nullable fields are pointers. They are shared by Mastodon and
// the servers that copy its API, whose answers differ in which fields they
// leave null.

// status is a Status entity.
type status struct {
	ID                 string       `json:"id"`
	URI                string       `json:"uri"`
	URL                *string      `json:"url"`
	CreatedAt          time.Time    `json:"created_at"`
	EditedAt           *time.Time   `json:"edited_at"`
	Account            account      `json:"account"`
	Content            string       `json:"content"`
	Text               *string      `json:"text"` // only in answers to DELETE and in source
	Visibility         string       `json:"visibility"`
	Sensitive          bool         `json:"sensitive"`
	SpoilerText        string       `json:"spoiler_text"`
	Language           *string      `json:"language"`
	InReplyToID        *string      `json:"in_reply_to_id"`
	InReplyToAccountID *string      `json:"in_reply_to_account_id"`
	Reblog             *status      `json:"reblog"`
	Quote              *quote       `json:"quote"`
	MediaAttachments   []attachment `json:"media_attachments"`
	Mentions           []mention    `json:"mentions"`
	Tags               []tag        `json:"tags"`
	Emojis             []emoji      `json:"emojis"`

	broken bool // only its ID and time could be read (see decodeStatuses)
}

// account is an Account entity (or a CredentialAccount).
type account struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	Acct        string `json:"acct"` // "bob" for local accounts, "bob@other.example" for remote ones
	DisplayName string `json:"display_name"`
	URL         string `json:"url"`
}

// mention is a StatusMention.
type mention struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Acct     string `json:"acct"`
	URL      string `json:"url"`
}

// tag is a StatusTag.
type tag struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// emoji is a CustomEmoji.
type emoji struct {
	Shortcode string `json:"shortcode"`
	URL       string `json:"url"`
}

// attachment is a MediaAttachment. URL is null while the server still
// processes the file.
type attachment struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"` // image, gifv, video, audio, unknown
	URL         *string         `json:"url"`
	PreviewURL  *string         `json:"preview_url"`
	RemoteURL   *string         `json:"remote_url"`
	Description *string         `json:"description"`
	Meta        *attachmentMeta `json:"meta"`
}

type attachmentMeta struct {
	Focus *struct {
		X *float64 `json:"x"`
		Y *float64 `json:"y"`
	} `json:"focus"`
}

// quote is the 4.5+ quote of a status. Mastodon sends a Quote (with the
// quoted status) at the top level and a ShallowQuote (with its ID only) when
// nested; some Akkoma versions send the quoted Status itself. UnmarshalJSON
// accepts all three.
type quote struct {
	State          string  `json:"state"`
	QuotedStatus   *status `json:"quoted_status"`
	QuotedStatusID *string `json:"quoted_status_id"`
}

// UnmarshalJSON reads a Quote, a ShallowQuote, or a bare Status.
func (q *quote) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		*q = quote{} // not an object: a quote we cannot read is no quote
		return nil
	}
	if _, ok := probe["state"]; !ok {
		if _, isStatus := probe["content"]; isStatus {
			var s status
			if err := json.Unmarshal(b, &s); err != nil {
				return err
			}
			*q = quote{State: "accepted", QuotedStatus: &s}
			return nil
		}
	}
	type plain quote // without the method, to avoid recursion
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*q = quote(p)
	return nil
}

// instanceLimits is the part of an instance's configuration that says
// what a status may hold, the same in GET /api/v2/instance and (where a
// server sends it) GET /api/v1/instance.
type instanceLimits struct {
	Statuses struct {
		MaxCharacters            *int `json:"max_characters"`
		MaxMediaAttachments      *int `json:"max_media_attachments"`
		CharactersReservedPerURL *int `json:"characters_reserved_per_url"`
	} `json:"statuses"`
	MediaAttachments struct {
		ImageSizeLimit   *int64 `json:"image_size_limit"`
		VideoSizeLimit   *int64 `json:"video_size_limit"`
		DescriptionLimit *int   `json:"description_limit"`
	} `json:"media_attachments"`
}

// instanceV2 is the part of GET /api/v2/instance the adapter reads.
type instanceV2 struct {
	Domain        string         `json:"domain"`
	Configuration instanceLimits `json:"configuration"`
}

// instanceV1 is the part of GET /api/v1/instance the adapter reads, with the
// max_toot_chars Pleroma and Akkoma send instead of a configuration.
type instanceV1 struct {
	URI           string          `json:"uri"`
	MaxTootChars  *int            `json:"max_toot_chars"`
	Configuration *instanceLimits `json:"configuration"`
}

// apiError is the Error entity every error answer carries.
type apiError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// streamMessage is one WebSocket message of the streaming API. Payload is a
// JSON string: an encoded Status for update and status.update, a bare ID for
// delete.
type streamMessage struct {
	Stream  json.RawMessage `json:"stream"` // a list on Mastodon, a string on some servers
	Event   string          `json:"event"`
	Payload json.RawMessage `json:"payload"`
}
