package providers

import (
	"context"
	"io"
	"strings"
	"time"
)

// Provider is one configured account on one network. Its methods may be
// called from several goroutines at once.
type Provider interface {
	// Network is the registered network name ("mastodon", "twitter").
	Network() string
	// Account is the configured account name every Ref of this provider
	// carries.
	Account() string
	// Verify checks the credentials and says whose they are. A refused token
	// is an *Error of kind Auth.
	Verify(ctx context.Context) (Identity, error)
	// Limits says what this account can take as a target. It may ask the
	// server (and cache the answer); where the server does not say, it
	// returns the network's documented defaults.
	Limits(ctx context.Context) (Limits, error)
}

// Poller is a source that can be read from a cursor. Every source is a
// Poller; a Streamer is one too.
type Poller interface {
	// Poll returns the account's own posts newer than cursor, oldest first,
	// each as a Created event carrying the cursor just after it, and the
	// cursor to poll from next (cursor itself when nothing is new). With an
	// empty cursor it returns the newest page only; with a SinceCursor,
	// every post made since that time. When nothing is new it reads no
	// posts. The next cursor is always one the network made, never a
	// SinceCursor, once any post has been seen.
	Poll(ctx context.Context, cursor string) (events []Event, next string, err error)
}

// Streamer is a source that pushes its events as they happen.
type Streamer interface {
	// Stream delivers the account's events to emit until ctx is done. It
	// reconnects by itself with backoff and jitter. After every connect and
	// reconnect it polls from the newest polled cursor it has seen (starting
	// at cursor) and emits what it finds, so nothing posted while the stream
	// was down is lost; a post may therefore be emitted twice, and the
	// caller drops the second. Polled events carry Cursor, streamed ones do
	// not. emit is called from one goroutine at a time; an error from emit
	// ends Stream with that error.
	//
	// Stream returns ctx.Err() when ctx ends, or an *Error of kind Auth when
	// the token is refused (reconnecting cannot help then).
	Stream(ctx context.Context, cursor string, emit func(context.Context, Event) error) error
}

// Resumer is a Streamer that can be told, before Stream starts, what the
// engine already knows of the account: the posts it holds there that were
// not deleted, and when it last heard from the account. The next Stream's
// first catch-up then also looks for what was edited or deleted while no
// stream listened (the daemon was stopped, or its stream restarted), the
// way it does after an outage of its own. Only a post the network
// confirms gone becomes a Deleted event.
type Resumer interface {
	Resume(since time.Time, known []Known)
}

// Checker is a source that can tell which of its posts are gone: the
// deletes its network does not announce (X lists none; a polled Mastodon
// account sees none).
type Checker interface {
	// Gone returns those of ids (at most MaxChecked) that the network says
	// no longer exist. Only a definite "not found" counts: a post it cannot
	// tell about (protected, an error) is not gone.
	Gone(ctx context.Context, ids []string) ([]string, error)
}

// MaxChecked is how many IDs one Gone call takes at most.
const MaxChecked = 100

// Known is a post the engine holds on a source account: its native ID and
// when it was made.
type Known struct {
	ID      string
	Created time.Time
}

// Publisher is a target that can create posts. Every target is a Publisher.
type Publisher interface {
	// Publish creates one post. d.Key is stable across retries of the same
	// post; adapters send it where their network deduplicates by key
	// (Mastodon's Idempotency-Key), so a retry with the same key returns the
	// post the first attempt made instead of making another.
	Publish(ctx context.Context, d Draft) (Published, error)
}

// Editor is a target that can change a post in place.
type Editor interface {
	// Edit replaces the text, warning and media of post id. On networks
	// where an edit gets a new ID (X), the returned ID is the new one. A
	// network or account that cannot edit this post returns an *Error of kind
	// Rejected or NotPermitted.
	Edit(ctx context.Context, id string, d Draft) (Published, error)
}

// Deleter is a target that can delete posts.
type Deleter interface {
	// Delete removes post id. Deleting a post that does not exist (any
	// more) is success: it returns nil.
	Delete(ctx context.Context, id string) error
}

// Reposter is a target that can repost (boost, retweet) natively.
type Reposter interface {
	// Repost reposts post id on this account. Reposting what is already
	// reposted is success.
	Repost(ctx context.Context, id string) error
	// Unrepost undoes this account's repost of post id. A post not
	// reposted, or gone, is success.
	Unrepost(ctx context.Context, id string) error
}

// MediaUploader is a target that takes media attachments.
type MediaUploader interface {
	// UploadMedia uploads one file with its alt text and returns the ID to
	// put in Draft.MediaIDs. It returns when the network is ready to attach
	// the media (after server-side processing), or with an error.
	UploadMedia(ctx context.Context, u Upload) (string, error)
}

// Fetcher can read one post back.
type Fetcher interface {
	// Fetch returns post id, or an *Error of kind NotFound.
	Fetch(ctx context.Context, id string) (*Post, error)
}

// Reconciler finds out, after a crash, whether a publish whose outcome is
// unknown reached the network.
type Reconciler interface {
	// FindPublished looks at the account's own newest posts for one made at
	// or after since whose text is d.Text (and which replies to d.ReplyTo
	// when set). It reports the post when it finds one.
	FindPublished(ctx context.Context, d Draft, since time.Time) (Published, bool, error)
}

// Mentioner is a target whose network notifies the people a text names
// with "@name" (X). The engine asks it which names in a rendered text would
// be taken as mentions, so that it can keep any it did not mean from
// pinging a stranger before the adapter's own last guard has to refuse the
// post.
type Mentioner interface {
	// MentionSpans returns the mentions the network would find in text:
	// byte spans (with the '@') and the handle each names.
	MentionSpans(text string) []Mention
}

// Draft is a post rendered for one target, ready to publish.
type Draft struct {
	Key            string     // idempotency key, stable across retries
	Text           string     // already measured against the target's Limits
	ReplyTo        string     // native ID on the target to reply to; "" for none
	MediaIDs       []string   // from MediaUploader.UploadMedia
	ContentWarning string     // spoiler text; "" for none
	Sensitive      bool       // media marked sensitive
	Visibility     Visibility // "" lets the adapter choose public
	Language       string     // ISO 639-1; "" when unknown
	// Mentions lists the handles (in the target's own form, without '@')
	// that Text mentions on purpose. An adapter whose network notifies the
	// people a post mentions refuses, with a Rejected/ReasonInvalid error,
	// a Text that would mention anyone else: the last guard against pinging
	// the wrong person.
	Mentions []string
	// Media carries new alt texts for MediaIDs on Edit (same order), where
	// the network can change them in place.
	Media []Media
}

// Published is what a target says about a post it created or edited.
type Published struct {
	ID      string    `json:"id"`
	URL     string    `json:"url,omitempty"`
	Created time.Time `json:"created,omitzero"`
}

// Upload is one media file to attach.
type Upload struct {
	Type        MediaType
	ContentType string    // e.g. "image/png"
	Filename    string    // a name for the multipart form
	Size        int64     // bytes in Body
	Body        io.Reader // read once; a retry is a new call with a new Body
	Alt         string    // already cut to Limits.MaxAltLength
	FocusX      float64
	FocusY      float64
}

// LengthFunc measures text the way a network does: Mastodon counts
// characters with every URL as a fixed length, X weighs code points and
// counts URLs as 23.
type LengthFunc func(text string) int

// Limits describe what a target takes.
type Limits struct {
	MaxLength    int        // most a post's text may measure by Length
	Length       LengthFunc // the target's measure; never nil in a Limits an adapter returns
	URLLength    int        // what one URL counts for
	MaxMedia     int        // attachments per post
	MaxImageSize int64      // bytes
	MaxGIFSize   int64
	MaxVideoSize int64
	MaxAltLength int // alt text, in characters
	// WarningCounts says the content warning counts toward MaxLength
	// (Mastodon measures spoiler text and text together).
	WarningCounts bool
	// CanEdit says whether Edit can be expected to work for this account.
	CanEdit bool
}

// Capabilities is what a provider can do, found once by type assertion (see
// Fill). A nil field is a capability the provider lacks.
type Capabilities struct {
	Poller     Poller
	Streamer   Streamer
	Publisher  Publisher
	Editor     Editor
	Deleter    Deleter
	Reposter   Reposter
	Uploader   MediaUploader
	Fetcher    Fetcher
	Reconciler Reconciler
	Mentioner  Mentioner
	Resumer    Resumer
	Checker    Checker
}

// CapabilitiesOf finds p's optional capabilities.
func CapabilitiesOf(p Provider) Capabilities {
	var c Capabilities
	c.Poller, _ = p.(Poller)
	c.Streamer, _ = p.(Streamer)
	c.Publisher, _ = p.(Publisher)
	c.Editor, _ = p.(Editor)
	c.Deleter, _ = p.(Deleter)
	c.Reposter, _ = p.(Reposter)
	c.Uploader, _ = p.(MediaUploader)
	c.Fetcher, _ = p.(Fetcher)
	c.Reconciler, _ = p.(Reconciler)
	c.Mentioner, _ = p.(Mentioner)
	c.Resumer, _ = p.(Resumer)
	c.Checker, _ = p.(Checker)
	return c
}

// CanSource reports whether the provider can be the "from" of a link.
func (c Capabilities) CanSource() bool { return c.Poller != nil }

// CanTarget reports whether the provider can be in the "to" of a link.
func (c Capabilities) CanTarget() bool { return c.Publisher != nil }

// sincePrefix marks a cursor made from a time rather than by a network.
const sincePrefix = "since:"

// SinceCursor makes a cursor that asks Poll for every post made at or after
// t, oldest first: where reading begins for a link that starts at a date,
// and for an account that had no posts when it was first read (an empty
// cursor would return only the newest page, and a burst of posts larger
// than a page would lose its oldest). Adapters page back as far as t (X:
// start_time; Mastodon: max_id pages until created_at is older than t),
// within a bound they document.
func SinceCursor(t time.Time) string {
	return sincePrefix + t.UTC().Format(time.RFC3339Nano)
}

// ParseSinceCursor tells whether cursor was made by SinceCursor, and from
// which time.
func ParseSinceCursor(cursor string) (time.Time, bool) {
	s, ok := strings.CutPrefix(cursor, sincePrefix)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}
