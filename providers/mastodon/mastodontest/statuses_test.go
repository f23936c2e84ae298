package mastodontest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestCreateValidation(t *testing.T) {
	type want struct {
		status int
		err    string // exact error body text; "" to skip
	}
	tests := []struct {
		name   string
		flavor Flavor
		body   any
		setup  func(s *Server) url.Values // extra form values
		want   want
	}{
		{"form ok", Mastodon, url.Values{"status": {"hi"}, "visibility": {"unlisted"}}, nil, want{200, ""}},
		{"json ok", Mastodon, map[string]any{"status": "hi", "sensitive": true, "spoiler_text": "cw"}, nil, want{200, ""}},
		{"unknown params ignored", Mastodon, url.Values{"status": {"hi"}, "frobnicate": {"yes"}}, nil, want{200, ""}},
		{"empty", Mastodon, url.Values{"status": {"   "}}, nil, want{422, "Validation failed: Text can't be blank"}},
		{"missing status", Mastodon, url.Values{}, nil, want{422, "Validation failed: Text can't be blank"}},
		{"spoiler only becomes the text", Mastodon, url.Values{"spoiler_text": {"only a warning"}}, nil, want{200, ""}},
		{"gts spoiler only", GoToSocial, url.Values{"spoiler_text": {"only a warning"}}, nil, want{200, ""}},
		{"bad visibility", Mastodon, url.Values{"status": {"hi"}, "visibility": {"friends"}}, nil, want{422, "Validation failed: Visibility is not included in the list"}},
		{"reply to unknown", Mastodon, url.Values{"status": {"hi"}, "in_reply_to_id": {"123"}}, nil, want{404, "The post you are trying to reply to does not appear to exist."}},
		{"unknown media", Mastodon, url.Values{"status": {"hi"}, "media_ids[]": {"999"}}, nil, want{422, "Media 999 not found or already attached to another post"}},
		{"too many media", Mastodon, url.Values{"status": {"hi"}, "media_ids[]": {"1", "2", "3", "4", "5"}}, nil, want{422, "Cannot attach more than 4 files"}},
		{"bad json", Mastodon, "{not json", nil, want{400, "Error occurred while parsing request parameters"}},
		{"gts empty", GoToSocial, url.Values{"status": {""}}, nil, want{400, "Bad Request: no status content, content warning, media, or poll provided"}},
		{"gts bad visibility", GoToSocial, url.Values{"status": {"x"}, "visibility": {"friends"}}, nil, want{400, "Bad Request: invalid visibility"}},
		{"gts reply to unknown", GoToSocial, url.Values{"status": {"x"}, "in_reply_to_id": {"01ARZ3NDEKTSV4RRFFQ69G5FAV"}}, nil, want{404, "Not Found: target status not found"}},
		{"media only", Mastodon, nil, func(s *Server) url.Values {
			r := upload(t, s, "/api/v2/media", s.Token(), "image/png", PNG(), nil)
			var m apiMedia
			r.json(t, &m)
			return url.Values{"media_ids[]": {m.ID}}
		}, want{200, ""}},
		{"video and image", Mastodon, nil, func(s *Server) url.Values {
			var ids []string
			for _, up := range []struct {
				ct   string
				data []byte
			}{{"image/png", PNG()}, {"video/mp4", mp4}} {
				r := upload(t, s, "/api/v2/media", s.Token(), up.ct, up.data, nil)
				var m apiMedia
				r.json(t, &m)
				s.FinishProcessing(m.ID)
				ids = append(ids, m.ID)
			}
			return url.Values{"status": {"x"}, "media_ids[]": ids}
		}, want{422, "Cannot attach a video to a post that already contains images"}},
		{"unprocessed video", Mastodon, nil, func(s *Server) url.Values {
			r := upload(t, s, "/api/v2/media", s.Token(), "video/mp4", mp4, nil)
			mustStatus(t, r, 202)
			var m apiMedia
			r.json(t, &m)
			return url.Values{"status": {"x"}, "media_ids[]": {m.ID}}
		}, want{422, "Cannot attach files that have not finished processing. Try again in a moment!"}},
		{"someone else's media", Mastodon, nil, func(s *Server) url.Values {
			bob := s.CreateUser("bob")
			r := upload(t, s, "/api/v2/media", bob.Token, "image/png", PNG(), nil)
			var m apiMedia
			r.json(t, &m)
			return url.Values{"status": {"x"}, "media_ids[]": {m.ID}}
		}, want{422, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t, Options{Flavor: tt.flavor})
			body := tt.body
			if tt.setup != nil {
				body = tt.setup(s)
			}
			r := do(t, s, http.MethodPost, "/api/v1/statuses", s.Token(), body)
			mustStatus(t, r, tt.want.status)
			if tt.want.err != "" {
				if got := r.errorText(t); got != tt.want.err {
					t.Errorf("error %q, want %q", got, tt.want.err)
				}
			}
			wantPosts := 0
			if tt.want.status == 200 {
				wantPosts = 1
			}
			if got := s.Posts(); got != wantPosts {
				t.Errorf("%d posts, want %d", got, wantPosts)
			}
		})
	}
}

func TestCreateFields(t *testing.T) {
	s := New(t, Options{})
	parent := s.PostAsUser("parent", "")
	st := postStatus(t, s, s.Token(), url.Values{
		"status": {"reply"}, "in_reply_to_id": {parent}, "spoiler_text": {"cw"},
		"visibility": {"private"}, "language": {"de"},
	})
	if st.InReplyToID == nil || *st.InReplyToID != parent || *st.InReplyToAccountID != s.AccountID() {
		t.Errorf("in_reply_to %v/%v", st.InReplyToID, st.InReplyToAccountID)
	}
	if !st.Sensitive || st.SpoilerText != "cw" || st.Visibility != "private" || *st.Language != "de" {
		t.Errorf("fields: sensitive=%v spoiler=%q vis=%q lang=%v", st.Sensitive, st.SpoilerText, st.Visibility, *st.Language)
	}
	if st.Application == nil || st.Application.Name != "Web" {
		t.Errorf("application %+v", st.Application)
	}
	got, ok := s.Lookup(st.ID)
	if !ok || got.Text != "reply" || got.ReplyTo != parent || got.ContentWarning != "cw" || !got.Sensitive || got.Visibility != "private" || got.Language != "de" {
		t.Errorf("Lookup = %+v, %v", got, ok)
	}
	// A private status is invisible to others and anonymous readers.
	bob := s.CreateUser("bob")
	mustStatus(t, do(t, s, "GET", "/api/v1/statuses/"+st.ID, bob.Token, nil), 404)
	mustStatus(t, do(t, s, "GET", "/api/v1/statuses/"+st.ID, "", nil), 404)
	mustStatus(t, do(t, s, "GET", "/api/v1/statuses/"+st.ID, s.Token(), nil), 200)

	// Mastodon posts a lone spoiler text as the text, still sensitive.
	cw := postStatus(t, s, s.Token(), url.Values{"spoiler_text": {"just a warning"}})
	if got, _ := s.Lookup(cw.ID); got.Text != "just a warning" || got.ContentWarning != "" || !got.Sensitive {
		t.Errorf("spoiler-only status stored as %+v", got)
	}

	// GoToSocial: unlisted by default, and a content warning alone does not
	// make a status sensitive.
	g := New(t, Options{Flavor: GoToSocial})
	gst := postStatus(t, g, g.Token(), url.Values{"status": {"x"}, "spoiler_text": {"cw"}})
	if gst.Visibility != "unlisted" || gst.Sensitive {
		t.Errorf("gts: visibility %q sensitive %v, want unlisted false", gst.Visibility, gst.Sensitive)
	}
	if len(gst.ID) != 26 {
		t.Errorf("gts id %q is not a ULID", gst.ID)
	}
}

func TestIdempotencyKey(t *testing.T) {
	clock := newClock()
	s := New(t, Options{Now: clock.Now})
	bob := s.CreateUser("bob")
	post := func(token, key, text string) apiStatus {
		t.Helper()
		r := doRaw(t, s, "POST", "/api/v1/statuses", token, "application/x-www-form-urlencoded",
			strings.NewReader(url.Values{"status": {text}}.Encode()), http.Header{"Idempotency-Key": {key}})
		mustStatus(t, r, 200)
		var st apiStatus
		r.json(t, &st)
		return st
	}
	a := post(s.Token(), "k1", "first")
	b := post(s.Token(), "k1", "second, different text")
	if a.ID != b.ID || b.Content != "<p>first</p>" {
		t.Fatalf("same key: %s %q, want the first status %s back", b.ID, b.Content, a.ID)
	}
	if s.Posts() != 1 {
		t.Fatalf("%d posts after a retried key, want 1", s.Posts())
	}
	if c := post(bob.Token, "k1", "bob's"); c.ID == a.ID {
		t.Error("another account's same key returned alice's status")
	}
	if c := post(s.Token(), "k2", "other key"); c.ID == a.ID {
		t.Error("another key returned the same status")
	}
	clock.Advance(59 * time.Minute)
	if c := post(s.Token(), "k1", "again"); c.ID != a.ID {
		t.Error("key forgotten before an hour")
	}
	clock.Advance(2 * time.Minute)
	if c := post(s.Token(), "k1", "after an hour"); c.ID == a.ID {
		t.Error("key remembered after an hour")
	}
	// A remembered key whose status was deleted: Status.find fails.
	d := post(s.Token(), "k3", "to delete")
	s.Delete(d.ID)
	r := doRaw(t, s, "POST", "/api/v1/statuses", s.Token(), "application/x-www-form-urlencoded",
		strings.NewReader("status=x"), http.Header{"Idempotency-Key": {"k3"}})
	mustStatus(t, r, 404)

	// GoToSocial ignores the header.
	g := New(t, Options{Flavor: GoToSocial})
	var ids []string
	for range 2 {
		r := doRaw(t, g, "POST", "/api/v1/statuses", g.Token(), "application/x-www-form-urlencoded",
			strings.NewReader("status=x"), http.Header{"Idempotency-Key": {"k"}})
		mustStatus(t, r, 200)
		var st apiStatus
		r.json(t, &st)
		ids = append(ids, st.ID)
	}
	if ids[0] == ids[1] || g.Posts() != 2 {
		t.Errorf("gts honoured Idempotency-Key: %v, %d posts", ids, g.Posts())
	}
}

func TestEditDelete(t *testing.T) {
	clock := newClock()
	s := New(t, Options{Now: clock.Now})
	r := upload(t, s, "/api/v2/media", s.Token(), "image/png", PNG(), map[string]string{"description": "old alt"})
	mustStatus(t, r, 200)
	var m apiMedia
	r.json(t, &m)
	st := postStatus(t, s, s.Token(), url.Values{"status": {"v1"}, "media_ids[]": {m.ID}, "language": {"fr"}})
	clock.Advance(time.Minute)

	// Edit with the media kept and its alt text changed.
	r = do(t, s, "PUT", "/api/v1/statuses/"+st.ID, s.Token(), url.Values{
		"status": {"v2 #edited"}, "media_ids[]": {m.ID},
		"media_attributes[][id]": {m.ID}, "media_attributes[][description]": {"new alt"},
	})
	mustStatus(t, r, 200)
	var ed apiStatus
	r.json(t, &ed)
	if ed.ID != st.ID || ed.EditedAt == nil || *ed.EditedAt != formatTime(clock.Now()) {
		t.Fatalf("edit: id %s edited_at %v", ed.ID, ed.EditedAt)
	}
	if len(ed.MediaAttachments) != 1 || *ed.MediaAttachments[0].Description != "new alt" || *ed.Language != "fr" {
		t.Errorf("edit kept media %+v lang %v", ed.MediaAttachments, *ed.Language)
	}
	got, _ := s.Lookup(st.ID)
	if got.Text != "v2 #edited" || got.EditCount != 1 || len(got.MediaAlts) != 1 || got.MediaAlts[0] != "new alt" {
		t.Errorf("Lookup after edit %+v", got)
	}
	// Edit without media_ids drops the media, as Mastodon does.
	r = do(t, s, "PUT", "/api/v1/statuses/"+st.ID, s.Token(), map[string]any{"status": "v3"})
	mustStatus(t, r, 200)
	r.json(t, &ed)
	if len(ed.MediaAttachments) != 0 {
		t.Errorf("edit without media_ids kept %d attachments", len(ed.MediaAttachments))
	}
	// Nothing changed: no new edit.
	do(t, s, "PUT", "/api/v1/statuses/"+st.ID, s.Token(), map[string]any{"status": "v3"})
	if got, _ := s.Lookup(st.ID); got.EditCount != 2 {
		t.Errorf("EditCount %d, want 2 (an unchanged edit is no edit)", got.EditCount)
	}
	// Invalid edits.
	bob := s.CreateUser("bob")
	mustStatus(t, do(t, s, "PUT", "/api/v1/statuses/"+st.ID, bob.Token, url.Values{"status": {"hijack"}}), 403)
	mustStatus(t, do(t, s, "PUT", "/api/v1/statuses/"+st.ID, s.Token(), url.Values{"status": {""}}), 422)
	mustStatus(t, do(t, s, "PUT", "/api/v1/statuses/404", s.Token(), url.Values{"status": {"x"}}), 404)

	// Delete answers the status with its source text; a second delete 404s.
	mustStatus(t, do(t, s, "DELETE", "/api/v1/statuses/"+st.ID, bob.Token, nil), 404)
	r = do(t, s, "DELETE", "/api/v1/statuses/"+st.ID, s.Token(), nil)
	mustStatus(t, r, 200)
	var del apiStatus
	r.json(t, &del)
	if del.Text == nil || *del.Text != "v3" {
		t.Errorf("delete text %v, want v3", del.Text)
	}
	r = do(t, s, "DELETE", "/api/v1/statuses/"+st.ID, s.Token(), nil)
	mustStatus(t, r, 404)
	if e := r.errorText(t); e != "Record not found" {
		t.Errorf("error %q", e)
	}
	if _, ok := s.Lookup(st.ID); ok || s.Posts() != 0 {
		t.Error("deleted status still held")
	}
	mustStatus(t, do(t, s, "GET", "/api/v1/statuses/"+st.ID, s.Token(), nil), 404)
}

func TestReblog(t *testing.T) {
	s := New(t, Options{})
	bob := s.CreateUser("bob")
	orig := bob.PostAsUser("boost me", "")
	r := do(t, s, "POST", "/api/v1/statuses/"+orig+"/reblog", s.Token(), nil)
	mustStatus(t, r, 200)
	var rb apiStatus
	r.json(t, &rb)
	if rb.Reblog == nil || rb.Reblog.ID != orig || rb.ID == orig || rb.Account.ID != s.AccountID() || !*rb.Reblog.Reblogged {
		t.Fatalf("reblog %+v", rb)
	}
	r = do(t, s, "POST", "/api/v1/statuses/"+orig+"/reblog", s.Token(), nil)
	var again apiStatus
	r.json(t, &again)
	if again.ID != rb.ID {
		t.Errorf("second reblog made %s, want the existing %s", again.ID, rb.ID)
	}
	if got, _ := s.Lookup(rb.ID); got.RepostOf != orig {
		t.Errorf("Lookup reblog RepostOf %q", got.RepostOf)
	}
	if s.Posts() != 1 {
		t.Errorf("alice has %d statuses, want the reblog", s.Posts())
	}
	r = do(t, s, "POST", "/api/v1/statuses/"+orig+"/unreblog", s.Token(), nil)
	mustStatus(t, r, 200)
	var un apiStatus
	r.json(t, &un)
	if un.ID != orig || *un.Reblogged || un.ReblogsCount != 0 || s.Posts() != 0 {
		t.Errorf("unreblog: %+v, %d posts", un, s.Posts())
	}
	// Direct statuses cannot be reblogged; unknown ones are not found.
	dm := bob.Post(PostOpts{Text: "@alice psst", Visibility: "direct"})
	mustStatus(t, do(t, s, "POST", "/api/v1/statuses/"+dm+"/reblog", s.Token(), nil), 403)
	mustStatus(t, do(t, s, "POST", "/api/v1/statuses/1/reblog", s.Token(), nil), 404)
	// Deleting the original deletes its reblogs.
	id := s.Boost(orig)
	bob.Delete(orig)
	if _, ok := s.Lookup(id); ok {
		t.Error("reblog of a deleted status survives")
	}
}

func TestQuote(t *testing.T) {
	s := New(t, Options{})
	type quote struct {
		State          string          `json:"state"`
		QuotedStatus   json.RawMessage `json:"quoted_status"`
		QuotedStatusID *string         `json:"quoted_status_id"`
	}
	type withQuote struct {
		ID          string `json:"id"`
		QuotesCount int    `json:"quotes_count"`
		Quote       *quote `json:"quote"`
	}
	get := func(id string) withQuote {
		var st withQuote
		do(t, s, "GET", "/api/v1/statuses/"+id, s.Token(), nil).json(t, &st)
		return st
	}
	q := s.PostAsUser("quoted", "")
	mid := s.Post(PostOpts{Text: "look", QuoteOf: q})
	top := postStatus(t, s, s.Token(), url.Values{"status": {"look at this look"}, "quoted_status_id": {mid}})

	st := get(top.ID)
	if st.Quote == nil || st.Quote.State != "accepted" {
		t.Fatalf("quote %+v", st.Quote)
	}
	var inner withQuote
	if err := json.Unmarshal(st.Quote.QuotedStatus, &inner); err != nil || inner.ID != mid {
		t.Fatalf("quoted status %s: %v", st.Quote.QuotedStatus, err)
	}
	// One level down the quote is shallow: the ID only.
	if inner.Quote == nil || inner.Quote.QuotedStatusID == nil || *inner.Quote.QuotedStatusID != q || inner.Quote.QuotedStatus != nil {
		t.Errorf("nested quote %+v, want a shallow quote of %s", inner.Quote, q)
	}
	if got := get(q).QuotesCount; got != 1 {
		t.Errorf("quotes_count %d, want 1", got)
	}
	s.Delete(q)
	st = get(mid)
	if st.Quote == nil || st.Quote.State != "deleted" || string(st.Quote.QuotedStatus) != "null" {
		t.Errorf("quote of a deleted status %+v", st.Quote)
	}
	mustStatus(t, do(t, s, "POST", "/api/v1/statuses", s.Token(), url.Values{"status": {"x"}, "quoted_status_id": {"1"}}), 404)

	// GoToSocial 0.19 has no quote posts: the parameter is ignored.
	g := New(t, Options{Flavor: GoToSocial})
	gq := g.PostAsUser("quoted", "")
	gst := postStatus(t, g, g.Token(), url.Values{"status": {"x"}, "quoted_status_id": {gq}})
	if gst.Quote != nil {
		t.Errorf("gts quote %+v", gst.Quote)
	}
}

func TestFakeInterface(t *testing.T) {
	for _, f := range []Flavor{Mastodon, GoToSocial} {
		t.Run(f.String(), func(t *testing.T) {
			s := New(t, Options{Flavor: f})
			a := s.PostAsUser("one", "")
			b := s.PostAsUser("two", a)
			if s.Posts() != 2 {
				t.Fatalf("Posts %d", s.Posts())
			}
			if got := s.EditAsUser(b, "two, edited"); got != b {
				t.Errorf("EditAsUser returned %q, want the same ID", got)
			}
			st, ok := s.Lookup(b)
			if !ok || st.Text != "two, edited" || st.ReplyTo != a || st.EditCount != 1 {
				t.Errorf("Lookup %+v", st)
			}
			s.DeleteAsUser(a)
			if _, ok := s.Lookup(a); ok || s.Posts() != 1 {
				t.Error("DeleteAsUser left the post")
			}
			if s.Requests() != 0 {
				t.Errorf("helpers counted %d API requests", s.Requests())
			}
			if cmpID(a, b) >= 0 {
				t.Errorf("IDs do not sort by creation: %s, %s", a, b)
			}
		})
	}
}

func TestSourceHistoryLookup(t *testing.T) {
	clock := newClock()
	s := New(t, Options{Now: clock.Now})
	bob := s.CreateUser("bob")
	id := s.Post(PostOpts{Text: "first #v1", SpoilerText: "cw"})

	var src apiStatusSource
	r := do(t, s, "GET", "/api/v1/statuses/"+id+"/source", s.Token(), nil)
	mustStatus(t, r, 200)
	r.json(t, &src)
	if src.ID != id || src.Text != "first #v1" || src.SpoilerText != "cw" {
		t.Errorf("source %+v", src)
	}
	mustStatus(t, do(t, s, "GET", "/api/v1/statuses/"+id+"/source", bob.Token, nil), 403)

	var hist []apiStatusEdit
	do(t, s, "GET", "/api/v1/statuses/"+id+"/history", "", nil).json(t, &hist)
	if len(hist) != 1 {
		t.Fatalf("history of an unedited status: %d versions, want 1", len(hist))
	}
	clock.Advance(time.Minute)
	s.Edit(id, PostOpts{Text: "second"})
	clock.Advance(time.Minute)
	s.Edit(id, PostOpts{Text: "third"})
	do(t, s, "GET", "/api/v1/statuses/"+id+"/history", "", nil).json(t, &hist)
	if len(hist) != 3 || !strings.Contains(hist[0].Content, "first") || hist[2].Content != "<p>third</p>" || hist[0].SpoilerText != "cw" || hist[1].SpoilerText != "" {
		t.Fatalf("history %+v", hist)
	}
	if hist[0].CreatedAt >= hist[1].CreatedAt || hist[1].CreatedAt >= hist[2].CreatedAt {
		t.Errorf("history not in time order: %s %s %s", hist[0].CreatedAt, hist[1].CreatedAt, hist[2].CreatedAt)
	}

	s.PostAsUser("hi @carol@other.example", "")
	for _, tt := range []struct {
		acct string
		want string
	}{{"bob", bob.ID}, {"bob@social.example", bob.ID}, {"@alice", s.AccountID()}, {"carol@other.example", ""}, {"nobody", ""}} {
		r := do(t, s, "GET", "/api/v1/accounts/lookup?acct="+tt.acct, "", nil)
		if tt.acct == "nobody" {
			mustStatus(t, r, 404)
			continue
		}
		mustStatus(t, r, 200)
		var a apiAccount
		r.json(t, &a)
		if tt.want != "" && a.ID != tt.want || tt.want == "" && a.Acct != "carol@other.example" {
			t.Errorf("lookup %s: %+v", tt.acct, a)
		}
	}

	r = do(t, s, "GET", "/api/v1/apps/verify_credentials", s.Token(), nil)
	mustStatus(t, r, 200)
	var app apiApp
	r.json(t, &app)
	if app.Name != "Web" {
		t.Errorf("app %+v", app)
	}
	mustStatus(t, do(t, s, "GET", "/api/v1/apps/verify_credentials", "", nil), 401)
}
