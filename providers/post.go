package providers

import (
	"time"
)

// Ref names one post on one configured account: the account's name in the
// configuration and the post's native ID on its network. Native IDs are
// opaque strings (numeric snowflakes on Mastodon and X, ULIDs on GoToSocial);
// never parse or order them.
type Ref struct {
	Account string `json:"account"`
	ID      string `json:"id"`
}

// IsZero reports whether r names no post.
func (r Ref) IsZero() bool { return r.Account == "" && r.ID == "" }

func (r Ref) String() string { return r.Account + "/" + r.ID }

// Visibility is who may see a post, in Mastodon's terms. X posts are public.
type Visibility string

const (
	Public   Visibility = "public"
	Unlisted Visibility = "unlisted"
	Private  Visibility = "private" // followers only
	Direct   Visibility = "direct"
)

// Valid reports whether v is one of the four known visibilities.
func (v Visibility) Valid() bool {
	switch v {
	case Public, Unlisted, Private, Direct:
		return true
	}
	return false
}

// MediaType is the kind of a media attachment.
type MediaType string

const (
	Image MediaType = "image"
	GIF   MediaType = "gif" // an animated GIF or a looping silent video ("gifv")
	Video MediaType = "video"
	Audio MediaType = "audio"
)

// Post is the network-neutral form of one post.
//
// Text is plain text: paragraphs separated by a blank line, line breaks as
// "\n", links written out as their full URL, mentions as the handle the
// source network shows ("@bob@other.example" from Mastodon, "@bob" from X),
// custom emoji as ":code:". The entities point into Text with byte offsets,
// so a renderer can rewrite them without searching the text again.
type Post struct {
	Ref Ref `json:"ref"`

	Text     string    `json:"text"`
	Mentions []Mention `json:"mentions,omitempty"`
	Links    []Link    `json:"links,omitempty"`
	Tags     []Tag     `json:"tags,omitempty"`
	Media    []Media   `json:"media,omitempty"`

	// ContentWarning is the spoiler text; a non-empty one is a content
	// warning whatever Sensitive says.
	ContentWarning string     `json:"content_warning,omitempty"`
	Sensitive      bool       `json:"sensitive,omitempty"`
	Visibility     Visibility `json:"visibility,omitempty"`
	Language       string     `json:"language,omitempty"` // ISO 639-1, when known

	ReplyTo  *PostLink `json:"reply_to,omitempty"`
	RepostOf *PostLink `json:"repost_of,omitempty"`
	QuoteOf  *PostLink `json:"quote_of,omitempty"`

	Created time.Time `json:"created"`
	Edited  time.Time `json:"edited,omitzero"` // zero when never edited
	URL     string    `json:"url,omitempty"`   // permalink on its network
}

// PostLink points from a post to another post on the same network: the one it
// replies to, reposts or quotes.
type PostLink struct {
	ID string `json:"id"` // native ID on the same network
	// Self is true when the other post belongs to the same account (a
	// self-reply, a repost of one's own post). Then Ref{post.Ref.Account, ID}
	// names it in the ledger.
	Self bool `json:"self,omitempty"`
	// Author is the other post's author as the network names them:
	// "user@host" on the fediverse, "user" on X. Empty when unknown.
	Author string `json:"author,omitempty"`
	URL    string `json:"url,omitempty"` // its permalink, when known
	// Post is the other post itself, when the network sent it along (a
	// repost always carries the reposted post; a quote often does).
	Post *Post `json:"post,omitempty"`
}

// Mention is an account named in a post's text.
type Mention struct {
	Start int `json:"start"` // byte offsets of the mention in Post.Text,
	End   int `json:"end"`   // including its leading '@'
	// Handle is the account in its network's canonical form, without '@':
	// "bob@other.example" on the fediverse (local accounts get their
	// server's domain), "bob" on X.
	Handle string `json:"handle"`
	URL    string `json:"url,omitempty"` // profile URL
}

// Link is a URL in a post's text. Text[Start:End] is the URL as written in
// Text, which is always the full URL, never a shortened display form.
type Link struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	URL   string `json:"url"`
}

// Tag is a hashtag in a post's text; Text[Start:End] is "#" + Name.
type Tag struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Name  string `json:"name"` // without '#', as written
}

// Media is one attachment of a post.
type Media struct {
	Type        MediaType `json:"type"`
	URL         string    `json:"url"`                    // where to download the original
	PreviewURL  string    `json:"preview_url,omitempty"`  // a still image, when the network has one
	ContentType string    `json:"content_type,omitempty"` // when the network says
	Size        int64     `json:"size,omitempty"`         // bytes, when the network says
	Alt         string    `json:"alt,omitempty"`          // alt text (description)
	Sensitive   bool      `json:"sensitive,omitempty"`
	// Focus is Mastodon's focal point, each in [-1, 1]; zero when unset.
	FocusX float64 `json:"focus_x,omitempty"`
	FocusY float64 `json:"focus_y,omitempty"`
}

// EventKind is what happened to a post on its source account.
type EventKind string

const (
	Created EventKind = "created"
	Edited  EventKind = "edited"
	Deleted EventKind = "deleted"
)

// Event is one change on a source account.
//
// Ref is the identity the ledger keys the post on: for an edit on a network
// whose edits get a new ID (X), Ref is the post's first ID and Post.Ref the
// newest one. Post is nil for Deleted.
//
// Cursor is the source's position just after this event, set only on events
// that came from a poll; streamed events leave it empty, because a stream may
// deliver a newer post before an older one it missed, and a cursor moved past
// the missed one would lose it.
type Event struct {
	Kind   EventKind `json:"kind"`
	Ref    Ref       `json:"ref"`
	Post   *Post     `json:"post,omitempty"`
	Cursor string    `json:"cursor,omitempty"`
}

// Identity is who an account is on its network, as Verify finds it.
type Identity struct {
	ID     string `json:"id"`     // native account ID
	Handle string `json:"handle"` // "alice@social.example" or "alice"
	Name   string `json:"name,omitempty"`
	URL    string `json:"url,omitempty"` // profile URL
}
