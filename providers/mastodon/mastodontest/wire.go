package mastodontest

// Wire types: the JSON shapes of Mastodon 4.x entities, as the REST API
// sends them (every documented field present, null where nothing applies).

type apiEmoji struct {
	Shortcode       string  `json:"shortcode"`
	URL             string  `json:"url"`
	StaticURL       string  `json:"static_url"`
	VisibleInPicker bool    `json:"visible_in_picker"`
	Category        *string `json:"category"`
}

type apiField struct {
	Name       string  `json:"name"`
	Value      string  `json:"value"`
	VerifiedAt *string `json:"verified_at"`
}

type apiSource struct {
	Privacy             string     `json:"privacy"`
	Sensitive           bool       `json:"sensitive"`
	Language            string     `json:"language"`
	Note                string     `json:"note"`
	Fields              []apiField `json:"fields"`
	FollowRequestsCount int        `json:"follow_requests_count"`
	Indexable           bool       `json:"indexable"`
	Discoverable        bool       `json:"discoverable"`
	HideCollections     bool       `json:"hide_collections"`
	AttributionDomains  []string   `json:"attribution_domains"`
}

type apiRole struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Permissions string `json:"permissions"`
	Color       string `json:"color"`
	Highlighted bool   `json:"highlighted"`
}

type apiAccount struct {
	ID              string     `json:"id"`
	Username        string     `json:"username"`
	Acct            string     `json:"acct"`
	DisplayName     string     `json:"display_name"`
	Locked          bool       `json:"locked"`
	Bot             bool       `json:"bot"`
	Discoverable    bool       `json:"discoverable"`
	Indexable       bool       `json:"indexable"`
	Group           bool       `json:"group"`
	CreatedAt       string     `json:"created_at"`
	Note            string     `json:"note"`
	URL             string     `json:"url"`
	URI             string     `json:"uri"`
	Avatar          string     `json:"avatar"`
	AvatarStatic    string     `json:"avatar_static"`
	Header          string     `json:"header"`
	HeaderStatic    string     `json:"header_static"`
	FollowersCount  int        `json:"followers_count"`
	FollowingCount  int        `json:"following_count"`
	StatusesCount   int        `json:"statuses_count"`
	LastStatusAt    *string    `json:"last_status_at"`
	HideCollections *bool      `json:"hide_collections"`
	Noindex         *bool      `json:"noindex,omitempty"`
	Emojis          []apiEmoji `json:"emojis"`
	Roles           []any      `json:"roles"`
	Fields          []apiField `json:"fields"`
	// CredentialAccount only.
	Source *apiSource `json:"source,omitempty"`
	Role   *apiRole   `json:"role,omitempty"`
}

type apiMention struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	URL      string `json:"url"`
	Acct     string `json:"acct"`
}

type apiTag struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

type apiFocus struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

type apiMetaSize struct {
	Width  int     `json:"width,omitempty"`
	Height int     `json:"height,omitempty"`
	Size   string  `json:"size,omitempty"`
	Aspect float64 `json:"aspect,omitempty"`
}

type apiMeta struct {
	Original *apiMetaSize `json:"original,omitempty"`
	Small    *apiMetaSize `json:"small,omitempty"`
	Focus    *apiFocus    `json:"focus,omitempty"`
}

type apiMedia struct {
	ID               string   `json:"id"`
	Type             string   `json:"type"`
	URL              *string  `json:"url"`
	PreviewURL       *string  `json:"preview_url"`
	RemoteURL        *string  `json:"remote_url"`
	PreviewRemoteURL *string  `json:"preview_remote_url"`
	TextURL          *string  `json:"text_url"`
	Meta             *apiMeta `json:"meta"`
	Description      *string  `json:"description"`
	Blurhash         *string  `json:"blurhash"`
}

type apiApplication struct {
	Name    string  `json:"name"`
	Website *string `json:"website"`
}

// apiQuote is a quote with the quoted status (Mastodon 4.5 Quote).
type apiQuote struct {
	State        string     `json:"state"`
	QuotedStatus *apiStatus `json:"quoted_status"`
}

// apiShallowQuote is a quote inside a quoted status: its ID only.
type apiShallowQuote struct {
	State          string  `json:"state"`
	QuotedStatusID *string `json:"quoted_status_id"`
}

type apiStatus struct {
	ID                 string          `json:"id"`
	CreatedAt          string          `json:"created_at"`
	InReplyToID        *string         `json:"in_reply_to_id"`
	InReplyToAccountID *string         `json:"in_reply_to_account_id"`
	Sensitive          bool            `json:"sensitive"`
	SpoilerText        string          `json:"spoiler_text"`
	Visibility         string          `json:"visibility"`
	Language           *string         `json:"language"`
	URI                string          `json:"uri"`
	URL                *string         `json:"url"`
	RepliesCount       int             `json:"replies_count"`
	ReblogsCount       int             `json:"reblogs_count"`
	FavouritesCount    int             `json:"favourites_count"`
	QuotesCount        int             `json:"quotes_count"`
	EditedAt           *string         `json:"edited_at"`
	Favourited         *bool           `json:"favourited,omitempty"`
	Reblogged          *bool           `json:"reblogged,omitempty"`
	Muted              *bool           `json:"muted,omitempty"`
	Bookmarked         *bool           `json:"bookmarked,omitempty"`
	Pinned             *bool           `json:"pinned,omitempty"`
	Content            string          `json:"content"`
	Text               *string         `json:"text,omitempty"` // DELETE answers only
	Filtered           []any           `json:"filtered,omitempty"`
	Reblog             *apiStatus      `json:"reblog"`
	Application        *apiApplication `json:"application,omitempty"`
	Account            apiAccount      `json:"account"`
	MediaAttachments   []apiMedia      `json:"media_attachments"`
	Mentions           []apiMention    `json:"mentions"`
	Tags               []apiTag        `json:"tags"`
	Emojis             []apiEmoji      `json:"emojis"`
	Quote              any             `json:"quote"` // nil, *apiQuote or *apiShallowQuote
	Card               *struct{}       `json:"card"`
	Poll               *struct{}       `json:"poll"`
}

type apiError struct {
	Error            string  `json:"error"`
	ErrorDescription *string `json:"error_description,omitempty"`
}

type apiCredentialApp struct {
	ID                    string   `json:"id"`
	Name                  string   `json:"name"`
	Website               *string  `json:"website"`
	Scopes                []string `json:"scopes"`
	RedirectURI           string   `json:"redirect_uri"`
	RedirectURIs          []string `json:"redirect_uris"`
	VapidKey              string   `json:"vapid_key"`
	ClientID              string   `json:"client_id"`
	ClientSecret          string   `json:"client_secret"`
	ClientSecretExpiresAt int64    `json:"client_secret_expires_at"`
}

type apiToken struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	Scope       string `json:"scope"`
	CreatedAt   int64  `json:"created_at"`
}

// streamMessage is one WebSocket frame of the streaming API. Payload is a
// string: the entity's JSON for update and status.update, the bare ID for
// delete.
type streamMessage struct {
	Stream  []string `json:"stream"`
	Event   string   `json:"event"`
	Payload string   `json:"payload"`
}

type apiStatusSource struct {
	ID          string `json:"id"`
	Text        string `json:"text"`
	SpoilerText string `json:"spoiler_text"`
}

type apiStatusEdit struct {
	Content          string     `json:"content"`
	SpoilerText      string     `json:"spoiler_text"`
	Sensitive        bool       `json:"sensitive"`
	CreatedAt        string     `json:"created_at"`
	Account          apiAccount `json:"account"`
	MediaAttachments []apiMedia `json:"media_attachments"`
	Emojis           []apiEmoji `json:"emojis"`
}

type apiApp struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Website      *string  `json:"website"`
	Scopes       []string `json:"scopes"`
	RedirectURI  string   `json:"redirect_uri"`
	RedirectURIs []string `json:"redirect_uris"`
	VapidKey     string   `json:"vapid_key"`
}
