package mastodontest

import (
	"fmt"

	"github.com/dualpower/dualpower/providers/providertest"
)

// User is a local account of the fake server. ID, Username and Token are
// fixed at creation; the helper methods act as the user would in the
// server's own web app (not through the API, so they pass no knobs and
// count no requests), with the server's validation. A helper that the
// server refuses reports the error (on the test for New, to Options.Log
// for Start) and returns ""; its Try… variant returns the error instead.
type User struct {
	ID       string // account ID
	Username string
	Token    string // access token

	s        *Server
	acct     *account
	statuses []*status // live, ascending by ID
	name     string
}

func (u *User) displayName() string {
	if u.name != "" {
		return u.name
	}
	return u.Username
}

// Acct is the user's handle with the server's domain: "alice@social.example".
func (u *User) Acct() string { return u.Username + "@" + u.s.opt.Domain }

// Revoke invalidates every token of the user's: requests with them answer
// 401 from now on, and the user's open streams are closed (Mastodon's
// streaming server closes a revoked token's connections). A new OAuth
// login makes a new, working token.
func (u *User) Revoke() {
	s := u.s
	s.mu.Lock()
	for _, t := range s.tokens {
		if t.user == u {
			t.revoked = true
		}
	}
	s.mu.Unlock()
	s.hub.dropTokens(u, func(string) bool { return true })
}

// PostOpts is a status as a user composes it in the web UI.
type PostOpts struct {
	Text        string // as typed: @mentions, #tags, URLs, :emoji: are found in it
	Visibility  string // public (default), unlisted, private, direct
	ReplyTo     string // status ID to reply to
	SpoilerText string // content warning
	Sensitive   bool
	Language    string // ISO 639-1; "en" when empty or invalid
	Media       []MediaOpts
	QuoteOf     string // status ID to quote (ignored by GoToSocial, which has no quotes)
}

// MediaOpts is one attachment uploaded with a status. Type is informative:
// the server decides the type from ContentType and the bytes, as the real
// one does.
type MediaOpts struct {
	Type        string
	Data        []byte
	ContentType string
	Description string
}

// fail reports a refused helper on the test (New) or the log (Start).
func (u *User) fail(err error) {
	u.s.rep.Errorf("%v", err)
}

func (u *User) refused(op string, err *apiErr) error {
	return fmt.Errorf("mastodontest: %s as %s: %w", op, u.Username, err)
}

func (u *User) uploadLocked(ms []MediaOpts) ([]string, *apiErr) {
	var ids []string
	for i, mo := range ms {
		m, err := u.s.newMediaLocked(u, mo.ContentType, fmt.Sprintf("upload%d", i), mo.Data, mo.Description, "")
		if err != nil {
			return nil, err
		}
		m.processed = true // the web UI waits for processing
		ids = append(ids, m.id)
	}
	return ids, nil
}

// TryPost publishes a status and returns its ID, or the error the server
// would show (its HTTP status and message).
func (u *User) TryPost(o PostOpts) (string, error) {
	s := u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ids, err := u.uploadLocked(o.Media)
	if err != nil {
		return "", u.refused("post", err)
	}
	vis := o.Visibility
	if vis == "" {
		vis = "public"
	}
	st, err := s.createLocked(u, postInput{
		text: o.Text, spoiler: o.SpoilerText, sensitive: o.Sensitive, sensitiveSet: true,
		visibility: vis, language: o.Language, replyTo: o.ReplyTo, quoteOf: o.QuoteOf,
		mediaIDs: ids, app: s.defApp,
	})
	if err != nil {
		return "", u.refused("post", err)
	}
	return st.id, nil
}

// Post publishes a status and returns its ID; a refusal is reported (on
// the test, or Options.Log) and returns "".
func (u *User) Post(o PostOpts) string {
	id, err := u.TryPost(o)
	if err != nil {
		u.fail(err)
	}
	return id
}

// TryReply posts text as a public reply to status id and returns the
// reply's ID, or the server's error.
func (u *User) TryReply(id, text string) (string, error) {
	return u.TryPost(PostOpts{Text: text, ReplyTo: id})
}

// Reply posts text as a public reply to status id.
func (u *User) Reply(id, text string) string { return u.Post(PostOpts{Text: text, ReplyTo: id}) }

// TryBoost reblogs status id and returns the reblog's ID (the existing one
// if already reblogged), or the server's error.
func (u *User) TryBoost(id string) (string, error) {
	s := u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	rb, err := s.reblogLocked(u, id, "public")
	if err != nil {
		return "", u.refused("boost", err)
	}
	return rb.id, nil
}

// Boost reblogs status id and returns the reblog's ID (the existing one if
// already reblogged); a refusal is reported and returns "".
func (u *User) Boost(id string) string {
	rid, err := u.TryBoost(id)
	if err != nil {
		u.fail(err)
	}
	return rid
}

// TryUnboost undoes the user's reblog of status id, or returns the
// server's error.
func (u *User) TryUnboost(id string) error {
	s := u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.unreblogLocked(u, id); err != nil {
		return u.refused("unboost", err)
	}
	return nil
}

// Unboost undoes the user's reblog of status id; a refusal is reported.
func (u *User) Unboost(id string) {
	if err := u.TryUnboost(id); err != nil {
		u.fail(err)
	}
}

// TryEdit replaces status id's text, content warning, sensitivity,
// language and media as the web UI's edit form does: o.Media, when set,
// replaces the attachments; when empty the existing ones are kept. It
// returns the server's error, if any.
func (u *User) TryEdit(id string, o PostOpts) error {
	s := u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.statuses[id]
	var ids []string
	if st != nil && len(o.Media) == 0 {
		for _, m := range st.media {
			ids = append(ids, m.id)
		}
	} else {
		var err *apiErr
		if ids, err = u.uploadLocked(o.Media); err != nil {
			return u.refused("edit", err)
		}
	}
	if _, err := s.editLocked(u, id, postInput{
		text: o.Text, spoiler: o.SpoilerText, sensitive: o.Sensitive, sensitiveSet: true,
		language: o.Language, mediaIDs: ids,
	}); err != nil {
		return u.refused("edit", err)
	}
	return nil
}

// Edit is TryEdit with a refusal reported rather than returned.
func (u *User) Edit(id string, o PostOpts) {
	if err := u.TryEdit(id, o); err != nil {
		u.fail(err)
	}
}

// TryDelete deletes status id, or returns the server's error.
func (u *User) TryDelete(id string) error {
	s := u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.deleteLocked(u, id); err != nil {
		return u.refused("delete", err)
	}
	return nil
}

// Delete deletes status id; a refusal is reported.
func (u *User) Delete(id string) {
	if err := u.TryDelete(id); err != nil {
		u.fail(err)
	}
}

// PostAsUser publishes text (a reply when replyTo is set) and returns the
// status ID.
func (u *User) PostAsUser(text, replyTo string) string {
	return u.Post(PostOpts{Text: text, ReplyTo: replyTo})
}

// EditAsUser changes status id's text, keeping everything else, and
// returns id (Mastodon keeps a status's ID across edits).
func (u *User) EditAsUser(id, text string) string {
	s := u.s
	s.mu.Lock()
	st := s.statuses[id]
	var o PostOpts
	if st != nil {
		o = PostOpts{SpoilerText: st.spoiler, Sensitive: st.sensitive, Language: st.language}
	}
	s.mu.Unlock()
	o.Text = text
	u.Edit(id, o)
	return id
}

// DeleteAsUser deletes status id.
func (u *User) DeleteAsUser(id string) { u.Delete(id) }

// Lookup returns what the server holds for status id; ok is false for an
// unknown or deleted status.
func (u *User) Lookup(id string) (providertest.Stored, bool) { return u.s.lookup(id) }

// Posts counts the user's live statuses (reblogs included).
func (u *User) Posts() int {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	return len(u.statuses)
}

// Statuses returns the IDs of the user's live statuses, oldest first.
func (u *User) Statuses() []string {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	out := make([]string, len(u.statuses))
	for i, st := range u.statuses {
		out[i] = st.id
	}
	return out
}

func (s *Server) lookup(id string) (providertest.Stored, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.statuses[id]
	if st == nil || st.deleted {
		return providertest.Stored{}, false
	}
	out := providertest.Stored{
		ID:             st.id,
		Text:           st.text,
		ContentWarning: st.spoiler,
		Sensitive:      st.sensitive,
		Visibility:     st.visibility,
		Language:       st.language,
		EditCount:      st.editCount,
	}
	if st.replyTo != nil {
		out.ReplyTo = st.replyTo.id
	}
	if st.reblogOf != nil {
		out.RepostOf = st.reblogOf.id
	}
	for _, m := range st.media {
		out.MediaAlts = append(out.MediaAlts, m.description)
		t := m.typ
		if t == "gifv" {
			t = "gif"
		}
		out.MediaTypes = append(out.MediaTypes, t)
	}
	return out, true
}

// Content returns the HTML content the server rendered for status id, ""
// when unknown.
func (s *Server) Content(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.statuses[id]; st != nil {
		return st.r.content
	}
	return ""
}

// ---- alice, and providertest.Fake ----

// Post publishes a status as alice.
func (s *Server) Post(o PostOpts) string { return s.alice.Post(o) }

// Reply posts a reply as alice.
func (s *Server) Reply(id, text string) string { return s.alice.Reply(id, text) }

// Boost reblogs status id as alice.
func (s *Server) Boost(id string) string { return s.alice.Boost(id) }

// Edit edits alice's status id.
func (s *Server) Edit(id string, o PostOpts) { s.alice.Edit(id, o) }

// Delete deletes alice's status id.
func (s *Server) Delete(id string) { s.alice.Delete(id) }

// PostAsUser publishes as alice (providertest.Fake).
func (s *Server) PostAsUser(text, replyTo string) string { return s.alice.PostAsUser(text, replyTo) }

// EditAsUser edits as alice (providertest.Fake).
func (s *Server) EditAsUser(id, text string) string { return s.alice.EditAsUser(id, text) }

// DeleteAsUser deletes as alice (providertest.Fake).
func (s *Server) DeleteAsUser(id string) { s.alice.DeleteAsUser(id) }

// Lookup returns what the server holds for status id (providertest.Fake).
func (s *Server) Lookup(id string) (providertest.Stored, bool) { return s.lookup(id) }

// Posts counts alice's live statuses (providertest.Fake).
func (s *Server) Posts() int { return s.alice.Posts() }

var _ providertest.Fake = (*Server)(nil)
