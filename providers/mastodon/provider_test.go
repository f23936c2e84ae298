package mastodon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/providers/mastodon/mastodontest"
)

const meJSON = `{"id":"1","username":"alice","acct":"alice","display_name":"Alice","url":"https://social.example/@alice"}`

// routes starts a server with the given handlers (plus verify_credentials,
// unless given) and returns a provider for it and a request counter.
func routes(t *testing.T, handlers map[string]http.HandlerFunc) (*Provider, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	mux := http.NewServeMux()
	if _, ok := handlers["GET /api/v1/accounts/verify_credentials"]; !ok {
		handlers["GET /api/v1/accounts/verify_credentials"] = func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, meJSON) }
	}
	for pattern, h := range handlers {
		mux.HandleFunc(pattern, h)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":"Record not found"}`)
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p, err := New(providers.Options{
		Account:    "alice-mastodon",
		Settings:   map[string]string{"server": srv.URL},
		Secrets:    map[string]providers.Secret{"access_token": "s3cr3t-token-value"},
		HTTPClient: srv.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	p.mediaPollMin = 5 * time.Millisecond
	return p, &n
}

// captured is what a handler saw of a request.
type captured struct {
	mu     sync.Mutex
	header http.Header
	form   url.Values
	body   []byte
}

func (c *captured) record(r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.header = r.Header.Clone()
	c.body, _ = io.ReadAll(r.Body)
	c.form, _ = url.ParseQuery(string(c.body))
}

func (c *captured) get() (http.Header, url.Values, []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.header, c.form, c.body
}

func TestPublishRequest(t *testing.T) {
	tests := []struct {
		name  string
		draft providers.Draft
		want  map[string][]string
	}{
		{"defaults to public", providers.Draft{Key: "key-1", Text: "hello"},
			map[string][]string{"status": {"hello"}, "visibility": {"public"}}},
		{"everything", providers.Draft{Key: "key-2", Text: "a reply @bob", Mentions: []string{"bob@social.example"}, ReplyTo: "77",
			MediaIDs: []string{"m1", "m2"}, ContentWarning: "cw", Sensitive: true, Visibility: providers.Unlisted, Language: "de"},
			map[string][]string{"status": {"a reply @bob"}, "visibility": {"unlisted"}, "in_reply_to_id": {"77"}, "media_ids[]": {"m1", "m2"},
				"spoiler_text": {"cw"}, "sensitive": {"true"}, "language": {"de"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c captured
			p, _ := routes(t, map[string]http.HandlerFunc{
				"GET /api/v2/instance": func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.WriteString(w, `{"domain":"social.example","configuration":{}}`)
				},
				"POST /api/v1/statuses": func(w http.ResponseWriter, r *http.Request) {
					c.record(r)
					_, _ = io.WriteString(w, `{"id":"100","url":"https://social.example/@alice/100","created_at":"2026-11-25T12:00:00.000Z","content":"","account":`+meJSON+`}`)
				},
			})
			pub, err := p.Publish(context.Background(), tt.draft)
			if err != nil {
				t.Fatal(err)
			}
			if pub.ID != "100" || pub.URL != "https://social.example/@alice/100" || pub.Created.IsZero() {
				t.Errorf("Published = %+v", pub)
			}
			h, form, _ := c.get()
			if got := h.Get("Idempotency-Key"); got != tt.draft.Key {
				t.Errorf("Idempotency-Key = %q, want %q", got, tt.draft.Key)
			}
			if got := h.Get("User-Agent"); got != "dualpower" {
				t.Errorf("User-Agent = %q, want the default %q", got, "dualpower")
			}
			for k, v := range tt.want {
				if got := form[k]; strings.Join(got, ",") != strings.Join(v, ",") {
					t.Errorf("form %s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestPublishGuards(t *testing.T) {
	tests := []struct {
		name   string
		draft  providers.Draft
		reason providers.Reason
	}{
		{"unlisted mention", providers.Draft{Text: "hi @carol@other.example", Mentions: []string{"bob@other.example"}}, providers.ReasonInvalid},
		{"mention in warning", providers.Draft{Text: "hi", ContentWarning: "about @carol"}, providers.ReasonInvalid},
		{"bad visibility", providers.Draft{Text: "hi", Visibility: "everyone"}, providers.ReasonInvalid},
		{"bad reply id", providers.Draft{Text: "hi", ReplyTo: "../admin"}, providers.ReasonReplyNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var posts atomic.Int32
			p, _ := routes(t, map[string]http.HandlerFunc{
				"POST /": func(w http.ResponseWriter, r *http.Request) { posts.Add(1) },
			})
			_, err := p.Publish(context.Background(), tt.draft)
			if !errors.Is(err, &providers.Error{Kind: providers.Rejected, Reason: tt.reason}) {
				t.Fatalf("Publish = %v, want Rejected (%s)", err, tt.reason)
			}
			if posts.Load() != 0 {
				t.Errorf("%d POST requests sent, want none", posts.Load())
			}
		})
	}
}

func TestPublishReplyToGone(t *testing.T) {
	p, _ := routes(t, map[string]http.HandlerFunc{
		"POST /api/v1/statuses": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":"The post you are trying to reply to does not appear to exist."}`)
		},
	})
	_, err := p.Publish(context.Background(), providers.Draft{Key: "k", Text: "re", ReplyTo: "5"})
	if !errors.Is(err, providers.ErrReplyRefused) {
		t.Fatalf("Publish = %v, want Rejected (reply not allowed)", err)
	}
}

func TestEditRequest(t *testing.T) {
	var c captured
	p, _ := routes(t, map[string]http.HandlerFunc{
		"PUT /api/v1/statuses/{id}": func(w http.ResponseWriter, r *http.Request) {
			c.record(r)
			_, _ = io.WriteString(w, `{"id":"`+r.PathValue("id")+`","url":"https://social.example/@alice/42","created_at":"2026-11-25T12:00:00.000Z","content":"","account":`+meJSON+`}`)
		},
	})
	pub, err := p.Edit(context.Background(), "42", providers.Draft{
		Text: "new text", MediaIDs: []string{"m1", "m2"}, Language: "en",
		Media: []providers.Media{{Alt: "first alt", FocusX: 0.5, FocusY: -0.25}, {Alt: "second alt"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if pub.ID != "42" {
		t.Errorf("ID = %q", pub.ID)
	}
	h, _, body := c.get()
	if ct, _, _ := mime.ParseMediaType(h.Get("Content-Type")); ct != "application/json" {
		t.Errorf("Content-Type = %q", h.Get("Content-Type"))
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if cw, ok := got["spoiler_text"]; !ok || cw != "" {
		t.Errorf("spoiler_text = %v (present %v), want an explicit empty string to clear the warning", cw, ok)
	}
	if got["status"] != "new text" || got["sensitive"] != false {
		t.Errorf("body = %s", body)
	}
	attrs, _ := got["media_attributes"].([]any)
	if len(attrs) != 2 {
		t.Fatalf("media_attributes = %v", got["media_attributes"])
	}
	first := attrs[0].(map[string]any)
	if first["id"] != "m1" || first["description"] != "first alt" || first["focus"] != "0.50,-0.25" {
		t.Errorf("media_attributes[0] = %v", first)
	}
	if second := attrs[1].(map[string]any); second["id"] != "m2" || second["description"] != "second alt" || second["focus"] != nil {
		t.Errorf("media_attributes[1] = %v", second)
	}
}

func TestUploadMedia(t *testing.T) {
	instance := func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"domain":"social.example","configuration":{"statuses":{"max_characters":500,"characters_reserved_per_url":23,"max_media_attachments":4},"media_attachments":{"description_limit":10,"image_size_limit":1000,"video_size_limit":2000}}}`)
	}
	t.Run("202 then 206 then 200", func(t *testing.T) {
		var polls atomic.Int32
		var c captured
		p, _ := routes(t, map[string]http.HandlerFunc{
			"GET /api/v2/instance": instance,
			"POST /api/v2/media": func(w http.ResponseWriter, r *http.Request) {
				c.mu.Lock()
				c.header = r.Header.Clone()
				_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
				mr := multipart.NewReader(r.Body, params["boundary"])
				c.form = url.Values{}
				for {
					part, err := mr.NextPart()
					if err != nil {
						break
					}
					b, _ := io.ReadAll(part)
					c.form.Add(part.FormName(), string(b))
					if part.FormName() == "file" {
						c.form.Add("filename", part.FileName())
						c.form.Add("file-type", part.Header.Get("Content-Type"))
					}
				}
				c.mu.Unlock()
				w.WriteHeader(http.StatusAccepted)
				_, _ = io.WriteString(w, `{"id":"m9","type":"video","url":null,"preview_url":null,"description":"ünïcödé a"}`)
			},
			"GET /api/v1/media/{id}": func(w http.ResponseWriter, r *http.Request) {
				if polls.Add(1) < 3 {
					w.WriteHeader(http.StatusPartialContent)
					_, _ = io.WriteString(w, `{"id":"m9","type":"video","url":null}`)
					return
				}
				_, _ = io.WriteString(w, `{"id":"m9","type":"video","url":"https://files.social.example/m9.mp4"}`)
			},
		})
		id, err := p.UploadMedia(context.Background(), providers.Upload{Type: providers.Video, ContentType: "video/mp4",
			Body: strings.NewReader("0123456789"), Size: 10, Alt: "ünïcödé alt text that is long", FocusX: 0.1, FocusY: 0.2})
		if err != nil {
			t.Fatal(err)
		}
		if id != "m9" {
			t.Errorf("id = %q", id)
		}
		if polls.Load() != 3 {
			t.Errorf("%d media polls, want 3 (206, 206, 200)", polls.Load())
		}
		_, form, _ := c.get()
		if form.Get("file") != "0123456789" || form.Get("file-type") != "video/mp4" || !strings.HasSuffix(form.Get("filename"), ".mp4") {
			t.Errorf("file part = %q (%s, %s)", form.Get("file"), form.Get("file-type"), form.Get("filename"))
		}
		if form.Get("description") != "ünïcödé al" {
			t.Errorf("description = %q, want the alt text cut to 10 characters", form.Get("description"))
		}
		if form.Get("focus") != "0.10,0.20" {
			t.Errorf("focus = %q", form.Get("focus"))
		}
	})
	t.Run("gotosocial 200 at once", func(t *testing.T) {
		var polls atomic.Int32
		p, _ := routes(t, map[string]http.HandlerFunc{
			"POST /api/v2/media": func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				_, _ = io.WriteString(w, `{"id":"01ABC","type":"image","url":"https://gts.example/fileserver/01ABC.png"}`)
			},
			"GET /api/v1/media/{id}": func(w http.ResponseWriter, r *http.Request) { polls.Add(1) },
		})
		id, err := p.UploadMedia(context.Background(), providers.Upload{Type: providers.Image, ContentType: "image/png", Body: strings.NewReader("png")})
		if err != nil || id != "01ABC" {
			t.Fatalf("UploadMedia = %q, %v", id, err)
		}
		if polls.Load() != 0 {
			t.Errorf("%d media polls, want none", polls.Load())
		}
	})
	t.Run("processing never ends", func(t *testing.T) {
		p, _ := routes(t, map[string]http.HandlerFunc{
			"POST /api/v2/media": func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.WriteHeader(http.StatusAccepted)
				_, _ = io.WriteString(w, `{"id":"m1","type":"video","url":null}`)
			},
			"GET /api/v1/media/{id}": func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusPartialContent)
				_, _ = io.WriteString(w, `{"id":"m1","type":"video","url":null}`)
			},
		})
		p.mediaTimeout = 100 * time.Millisecond
		_, err := p.UploadMedia(context.Background(), providers.Upload{ContentType: "video/mp4", Body: strings.NewReader("v"), Size: 1})
		if !errors.Is(err, providers.ErrTransient) {
			t.Fatalf("UploadMedia = %v, want Transient after the processing timeout", err)
		}
	})
	t.Run("size mismatch", func(t *testing.T) {
		p, _ := routes(t, map[string]http.HandlerFunc{
			"POST /api/v2/media": func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				_, _ = io.WriteString(w, `{"id":"m1","type":"image","url":"https://x/y"}`)
			},
		})
		_, err := p.UploadMedia(context.Background(), providers.Upload{ContentType: "image/png", Body: strings.NewReader("short"), Size: 100})
		if err == nil {
			t.Fatal("an upload shorter than its Size succeeded")
		}
	})
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name     string
		handlers map[string]http.HandlerFunc
		want     providers.Limits
	}{
		{"v2 gotosocial", map[string]http.HandlerFunc{
			"GET /api/v2/instance": func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, `{"domain":"gts.example","configuration":{"urls":{"streaming":"wss://gts.example"},"statuses":{"max_characters":5000,"characters_reserved_per_url":25,"max_media_attachments":6},"media_attachments":{"image_size_limit":41943040,"video_size_limit":41943040,"description_limit":5000}}}`)
			}},
			providers.Limits{MaxLength: 5000, URLLength: 25, MaxMedia: 6, MaxImageSize: 40 << 20, MaxGIFSize: 40 << 20, MaxVideoSize: 40 << 20, MaxAltLength: 5000}},
		{"v2 without media limits", map[string]http.HandlerFunc{
			"GET /api/v2/instance": func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, `{"domain":"social.example","configuration":{"statuses":{"max_characters":1000}}}`)
			}},
			providers.Limits{MaxLength: 1000, URLLength: 23, MaxMedia: 4, MaxImageSize: 16 << 20, MaxGIFSize: 16 << 20, MaxVideoSize: 99 << 20, MaxAltLength: 1500}},
		{"akkoma v1 max_toot_chars", map[string]http.HandlerFunc{
			"GET /api/v1/instance": func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, `{"uri":"https://akko.example","max_toot_chars":5000}`)
			}},
			providers.Limits{MaxLength: 5000, URLLength: 23, MaxMedia: 4, MaxImageSize: 16 << 20, MaxGIFSize: 16 << 20, MaxVideoSize: 99 << 20, MaxAltLength: 1500}},
		{"nothing said", map[string]http.HandlerFunc{},
			providers.Limits{MaxLength: 500, URLLength: 23, MaxMedia: 4, MaxImageSize: 16 << 20, MaxGIFSize: 16 << 20, MaxVideoSize: 99 << 20, MaxAltLength: 1500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, n := routes(t, tt.handlers)
			got, err := p.Limits(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got.Length == nil || !got.WarningCounts || !got.CanEdit {
				t.Errorf("Limits = %+v: want Length, WarningCounts, CanEdit", got)
			}
			if l := got.Length("go https://example.com/" + strings.Repeat("x", 80)); l != 3+tt.want.URLLength {
				t.Errorf("Length counts a URL as %d, want %d", l-3, tt.want.URLLength)
			}
			got.Length, got.WarningCounts, got.CanEdit = nil, false, false
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tt.want) {
				t.Errorf("Limits = %+v\nwant     %+v", got, tt.want)
			}
			before := n.Load()
			if _, err := p.Limits(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n.Load() != before {
				t.Errorf("a second Limits within the hour asked the server again")
			}
		})
	}
}

func TestLimitsRefreshAndStale(t *testing.T) {
	var fail atomic.Bool
	p, n := routes(t, map[string]http.HandlerFunc{
		"GET /api/v2/instance": func(w http.ResponseWriter, r *http.Request) {
			if fail.Load() {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			_, _ = io.WriteString(w, `{"configuration":{"statuses":{"max_characters":700}}}`)
		},
	})
	clock := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	p.now = func() time.Time { return clock }
	if l, err := p.Limits(context.Background()); err != nil || l.MaxLength != 700 {
		t.Fatalf("Limits = %d, %v", l.MaxLength, err)
	}
	clock = clock.Add(61 * time.Minute)
	fail.Store(true)
	before := n.Load()
	l, err := p.Limits(context.Background())
	if err != nil || l.MaxLength != 700 {
		t.Errorf("Limits after an hour with the server failing = %d, %v; want the cached 700", l.MaxLength, err)
	}
	if n.Load() == before {
		t.Error("Limits after an hour did not ask the server")
	}
}

func TestPollPagesForward(t *testing.T) {
	for _, flavor := range []mastodontest.Flavor{mastodontest.Mastodon, mastodontest.GoToSocial} {
		t.Run(flavor.String(), func(t *testing.T) { testPollPagesForward(t, flavor) })
	}
}

func testPollPagesForward(t *testing.T, flavor mastodontest.Flavor) {
	p, srv := newFakeProvider(t, mastodontest.Options{Flavor: flavor, RateLimit: -1})
	first := srv.PostAsUser("post 0", "")
	var ids []string
	for i := 1; i <= 90; i++ {
		ids = append(ids, srv.PostAsUser(fmt.Sprintf("post %d", i), ""))
	}
	if _, err := p.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := len(srv.RequestLog())
	evs, next, err := p.Poll(context.Background(), first)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 90 {
		t.Fatalf("Poll returned %d events, want 90", len(evs))
	}
	for i, ev := range evs {
		if ev.Ref.ID != ids[i] || ev.Cursor != ids[i] || ev.Kind != providers.Created || ev.Post == nil || ev.Post.Text != fmt.Sprintf("post %d", i+1) {
			t.Fatalf("event %d = %+v, want post %d (%s) oldest first", i, ev, i+1, ids[i])
		}
	}
	if next != ids[89] {
		t.Errorf("next = %q, want the newest ID %q", next, ids[89])
	}
	log := srv.RequestLog()[before:]
	if len(log) != 3 {
		t.Errorf("%d requests, want 3 pages (40, 40, 10)", len(log))
	}
	for _, r := range log {
		q, _ := url.ParseQuery(r.Query)
		if q.Has("since_id") || !q.Has("min_id") {
			t.Errorf("request %s?%s: want min_id, never since_id", r.Path, r.Query)
		}
	}

	before = len(srv.RequestLog())
	evs, again, err := p.Poll(context.Background(), next)
	if err != nil || len(evs) != 0 || again != next {
		t.Errorf("Poll with nothing new = %d events, %q, %v; want none and the same cursor", len(evs), again, err)
	}
	if n := len(srv.RequestLog()) - before; n != 1 {
		t.Errorf("Poll with nothing new made %d requests, want 1", n)
	}

	evs, _, err = p.Poll(context.Background(), "")
	if err != nil || len(evs) != 40 || evs[39].Ref.ID != ids[89] {
		t.Errorf("Poll from no cursor = %d events, %v; want the newest page of 40, newest last", len(evs), err)
	}
}

func TestPollServerIgnoringMinID(t *testing.T) {
	var requests atomic.Int32
	page := `[` + strings.Join([]string{
		`{"id":"5","created_at":"2026-11-25T12:05:00Z","content":"<p>five</p>","account":` + meJSON + `}`,
		`{"id":"4","created_at":"2026-11-25T12:04:00Z","content":"<p>four</p>","account":` + meJSON + `}`,
		`{"id":"3","created_at":"2026-11-25T12:03:00Z","content":"<p>three</p>","account":` + meJSON + `}`,
	}, ",") + `]`
	p, _ := routes(t, map[string]http.HandlerFunc{
		"GET /api/v1/accounts/1/statuses": func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			_, _ = io.WriteString(w, page) // whatever min_id says
		},
	})
	p.pollPages = 5
	evs, next, err := p.Poll(context.Background(), "3")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Ref.ID != "4" || evs[1].Ref.ID != "5" || next != "5" {
		t.Errorf("Poll = %v, next %q; want 4, 5 and next 5", evs, next)
	}
	if requests.Load() != 1 {
		t.Errorf("%d requests, want 1", requests.Load())
	}
}

func TestVerifyAndFetch(t *testing.T) {
	for _, flavor := range []mastodontest.Flavor{mastodontest.Mastodon, mastodontest.GoToSocial} {
		t.Run(flavor.String(), func(t *testing.T) {
			p, srv := newFakeProvider(t, mastodontest.Options{Flavor: flavor})
			id, err := p.Verify(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if id.ID != srv.AccountID() || id.Handle != "alice@"+srv.Domain() || id.URL == "" {
				t.Errorf("Identity = %+v", id)
			}
			bob := srv.CreateUser("bob")
			parent := srv.PostAsUser("parent", "")
			child := srv.Post(mastodontest.PostOpts{Text: "hey @bob and @carol@other.example, see https://example.com/a/long/path #tag", ReplyTo: parent, SpoilerText: "cw"})
			post, err := p.Fetch(context.Background(), child)
			if err != nil {
				t.Fatal(err)
			}
			want := "hey @bob@" + srv.Domain() + " and @carol@other.example, see https://example.com/a/long/path #tag"
			if post.Text != want {
				t.Errorf("Text = %q\nwant   %q\n(content %s)", post.Text, want, srv.Content(child))
			}
			if post.ReplyTo == nil || post.ReplyTo.ID != parent || !post.ReplyTo.Self {
				t.Errorf("ReplyTo = %+v, want a self-reply to %s", post.ReplyTo, parent)
			}
			if post.ContentWarning != "cw" || len(post.Mentions) != 2 || len(post.Links) != 1 || len(post.Tags) != 1 {
				t.Errorf("post = %+v", post)
			}
			checkEntities(t, post)
			_ = bob
			if _, err := p.Fetch(context.Background(), "nonexistent"); !errors.Is(err, providers.ErrNotFound) {
				t.Errorf("Fetch of an unknown status = %v, want NotFound", err)
			}
		})
	}
}

func TestIdempotencyWithFake(t *testing.T) {
	p, srv := newFakeProvider(t, mastodontest.Options{})
	d := providers.Draft{Key: "same-key", Text: "only once"}
	a, err := p.Publish(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Publish(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || srv.Posts() != 1 {
		t.Errorf("two publishes with one key made %s and %s (%d posts); Mastodon honours Idempotency-Key", a.ID, b.ID, srv.Posts())
	}
	var sawKey bool
	for _, r := range srv.RequestLog() {
		if r.Method == http.MethodPost && r.Path == "/api/v1/statuses" {
			sawKey = r.Header.Get("Idempotency-Key") == "same-key"
			if ua := r.Header.Get("User-Agent"); ua != "dualpower/test" {
				t.Errorf("User-Agent = %q", ua)
			}
		}
	}
	if !sawKey {
		t.Error("the fake saw no Idempotency-Key")
	}
}

func TestPollSkipsUndecodableStatus(t *testing.T) {
	page := `[` + strings.Join([]string{
		`{"id":"7","created_at":"2026-11-25T12:07:00Z","content":"<p>seven</p>","account":` + meJSON + `,"quote":true}`,
		`{"id":"6","created_at":"2026-11-25T12:06:00Z","content":6,"account":` + meJSON + `}`,
		`{"id":"5","created_at":"2026-11-25T12:05:00Z","content":"<p>five</p>","account":` + meJSON + `}`,
	}, ",") + `]`
	p, _ := routes(t, map[string]http.HandlerFunc{
		"GET /api/v1/accounts/1/statuses": func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, page) },
	})
	evs, next, err := p.Poll(context.Background(), "4")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Ref.ID != "5" || evs[1].Ref.ID != "7" || evs[1].Post.Text != "seven" || evs[1].Post.QuoteOf != nil {
		t.Errorf("Poll = %+v; want 5 and 7, the undecodable 6 skipped", evs)
	}
	if next != "7" {
		t.Errorf("next = %q, want 7", next)
	}
}

// TestMediaEditWithFake uploads a video (Mastodon: 202, then 206 while
// processing) and two images, publishes the images behind a content
// warning, then edits the status: the warning is cleared and the alt texts
// change, in order.
func TestMediaEditWithFake(t *testing.T) {
	for _, flavor := range []mastodontest.Flavor{mastodontest.Mastodon, mastodontest.GoToSocial} {
		t.Run(flavor.String(), func(t *testing.T) {
			p, srv := newFakeProvider(t, mastodontest.Options{Flavor: flavor, MediaPolls: 2})
			ctx := context.Background()
			video := []byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom fake video")
			vid, err := p.UploadMedia(ctx, providers.Upload{Type: providers.Video, ContentType: "video/mp4", Body: bytes.NewReader(video), Size: int64(len(video)), Alt: "a video"})
			if err != nil {
				t.Fatal(err)
			}
			if vid == "" {
				t.Fatal("no video ID")
			}
			png := mastodontest.PNG()
			var imgs []string
			for _, alt := range []string{"first image", "second image"} {
				img, err := p.UploadMedia(ctx, providers.Upload{Type: providers.Image, ContentType: "image/png", Body: bytes.NewReader(png), Size: int64(len(png)), Alt: alt, FocusX: 0.5})
				if err != nil {
					t.Fatal(err)
				}
				imgs = append(imgs, img)
			}
			var mediaGets int
			for _, r := range srv.RequestLog() {
				if r.Method == http.MethodGet && strings.HasPrefix(r.Path, "/api/v1/media/") {
					mediaGets++
				}
			}
			if flavor == mastodontest.Mastodon && mediaGets < 2 {
				t.Errorf("%d media status checks for a processing video, want at least 2", mediaGets)
			}
			// Mastodon attaches a video alone, images up to four.
			pub, err := p.Publish(ctx, providers.Draft{Key: "m", Text: "with media", MediaIDs: imgs, ContentWarning: "flashing", Sensitive: true})
			if err != nil {
				t.Fatal(err)
			}
			st, _ := srv.Lookup(pub.ID)
			if st.ContentWarning != "flashing" || strings.Join(st.MediaAlts, "|") != "first image|second image" || st.Visibility != "public" {
				t.Fatalf("published %+v", st)
			}
			_, err = p.Edit(ctx, pub.ID, providers.Draft{Text: "with media, edited", MediaIDs: imgs,
				Media: []providers.Media{{Alt: "first, described"}, {Alt: "second, described"}}})
			if err != nil {
				t.Fatal(err)
			}
			st, _ = srv.Lookup(pub.ID)
			if st.Text != "with media, edited" || st.ContentWarning != "" || st.Sensitive {
				t.Errorf("after the edit: %+v; want the new text and no warning", st)
			}
			if strings.Join(st.MediaAlts, "|") != "first, described|second, described" {
				t.Errorf("alt texts after the edit = %q", st.MediaAlts)
			}
		})
	}
}

func TestEditDenied(t *testing.T) {
	p, _ := routes(t, map[string]http.HandlerFunc{
		"PUT /api/v1/statuses/{id}": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"error":"This action is not allowed"}`)
		},
	})
	_, err := p.Edit(context.Background(), "42", providers.Draft{Text: "x"})
	if !errors.Is(err, &providers.Error{Kind: providers.Rejected, Reason: providers.ReasonEditDenied}) {
		t.Fatalf("Edit of someone else's status = %v, want Rejected (edit denied)", err)
	}
}

// TestPollSince reads every post made since a time, across pages, oldest
// first, and then goes on from a network cursor.
func TestPollSince(t *testing.T) {
	for _, flavor := range []mastodontest.Flavor{mastodontest.Mastodon, mastodontest.GoToSocial} {
		t.Run(flavor.String(), func(t *testing.T) {
			clock := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
			var mu sync.Mutex
			now := func() time.Time { mu.Lock(); defer mu.Unlock(); clock = clock.Add(time.Second); return clock }
			p, srv := newFakeProvider(t, mastodontest.Options{Flavor: flavor, RateLimit: -1, Now: now})
			for i := range 5 {
				srv.PostAsUser(fmt.Sprintf("old %d", i), "")
			}
			since := now()
			var ids []string
			for i := range 50 {
				ids = append(ids, srv.PostAsUser(fmt.Sprintf("new %d", i), ""))
			}
			evs, next, err := p.Poll(context.Background(), providers.SinceCursor(since))
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 50 {
				t.Fatalf("Poll since = %d events, want 50", len(evs))
			}
			for i, ev := range evs {
				if ev.Ref.ID != ids[i] || ev.Cursor != ids[i] {
					t.Fatalf("event %d = %s, want %s (oldest first)", i, ev.Ref.ID, ids[i])
				}
			}
			if next != ids[49] {
				t.Errorf("next = %q, want the newest ID", next)
			}
			later := providers.SinceCursor(now())
			evs, again, err := p.Poll(context.Background(), later)
			if err != nil || len(evs) != 0 || again != later {
				t.Errorf("Poll since a time after every post = %d events, next %q, %v; want none and the since cursor back", len(evs), again, err)
			}
		})
	}
}
