package twitter

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
)

func TestPublishRequest(t *testing.T) {
	tests := []struct {
		name  string
		draft providers.Draft
		want  string // the JSON body X must receive
	}{
		{
			name:  "text only",
			draft: providers.Draft{Text: "hello & <goodbye>", ContentWarning: "ignored", Sensitive: true, Language: "en", Visibility: providers.Public, Key: "k1"},
			want:  `{"text":"hello \u0026 \u003cgoodbye\u003e"}`,
		},
		{
			name:  "reply with media",
			draft: providers.Draft{Text: "2/2", ReplyTo: "1850", MediaIDs: []string{"710", "711"}},
			want:  `{"text":"2/2","reply":{"in_reply_to_tweet_id":"1850"},"media":{"media_ids":["710","711"]}}`,
		},
		{
			name:  "media only",
			draft: providers.Draft{MediaIDs: []string{"710"}},
			want:  `{"media":{"media_ids":["710"]}}`,
		},
		{
			name:  "mentions on purpose, any case",
			draft: providers.Draft{Text: "thanks @Bob_X and @carol", Mentions: []string{"bob_x", "@Carol"}},
			want:  `{"text":"thanks @Bob_X and @carol"}`,
		},
		{
			name:  "a fediverse handle is not an X mention",
			draft: providers.Draft{Text: "follow @alice@social.example and mail a@b.example"},
			want:  `{"text":"follow @alice@social.example and mail a@b.example"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 201, `{"data":{"id":"1861","text":"whatever"}}`)
			})
			p := newTestProvider(t, s, nil)
			got, err := p.Publish(context.Background(), tt.draft)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != "1861" || got.URL != "https://x.com/i/status/1861" {
				t.Errorf("Publish = %+v", got)
			}
			reqs := s.requests()
			if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].Path != "/2/tweets" {
				t.Fatalf("requests %+v", reqs)
			}
			if string(reqs[0].Body) != tt.want {
				t.Errorf("body %s, want %s", reqs[0].Body, tt.want)
			}
			if ct := reqs[0].Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

// TestPublishSensitive: X's create request has no sensitive flag; each
// medium gets the sensitive-media warning first.
func TestPublishSensitive(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/2/media/metadata" {
			writeJSON(w, 200, `{"data":{"id":"1"}}`)
			return
		}
		writeJSON(w, 201, `{"data":{"id":"1862","text":"x"}}`)
	})
	p := newTestProvider(t, s, nil)
	if _, err := p.Publish(context.Background(), providers.Draft{Text: "cw: flash", Sensitive: true, MediaIDs: []string{"710", "711"}}); err != nil {
		t.Fatal(err)
	}
	reqs := s.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want two metadata and the post", len(reqs))
	}
	for i, id := range []string{"710", "711"} {
		want := `{"id":"` + id + `","metadata":{"sensitive_media_warning":{"adult_content":false,"graphic_violence":false,"other":true}}}`
		if reqs[i].Path != "/2/media/metadata" || string(reqs[i].Body) != want {
			t.Errorf("request %d: %s %s, want %s", i, reqs[i].Path, reqs[i].Body, want)
		}
	}
	if reqs[2].Path != "/2/tweets" || string(reqs[2].Body) != `{"text":"cw: flash","media":{"media_ids":["710","711"]}}` {
		t.Errorf("post: %s %s", reqs[2].Path, reqs[2].Body)
	}

	// A failing warning stops the post: better unsent than unmarked.
	s.setHandler(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, `{"errors":[{"parameters":{"id":["9"]},"message":"The media ID is invalid."}],"title":"Invalid Request","type":"https://api.x.com/2/problems/invalid-request"}`)
	})
	before := len(s.requests())
	if _, err := p.Publish(context.Background(), providers.Draft{Text: "x", Sensitive: true, MediaIDs: []string{"9"}}); !errors.Is(err, providers.ErrRejected) {
		t.Errorf("err = %v, want Rejected", err)
	}
	if got := len(s.requests()) - before; got != 1 {
		t.Errorf("%d requests, want only the refused metadata", got)
	}
}

func TestPublishGuard(t *testing.T) {
	tests := []struct {
		name  string
		draft providers.Draft
		says  string
	}{
		{"an unmeant mention", providers.Draft{Text: "hi @bob and @carol", Mentions: []string{"bob"}}, "@carol"},
		{"a mention after a newline", providers.Draft{Text: "hi\n@mallory"}, "@mallory"},
		{"a full-width at sign", providers.Draft{Text: "hi ＠mallory"}, "@mallory"},
		{"nothing to post", providers.Draft{Text: "  "}, "text or media"},
		{"too many media", providers.Draft{Text: "x", MediaIDs: []string{"1", "2", "3", "4", "5"}}, "at most 4"},
		{"a media ID that is not one", providers.Draft{Text: "x", MediaIDs: []string{"1/../2"}}, "media ID"},
		{"a parent that is not an ID", providers.Draft{Text: "x", ReplyTo: "abc"}, "post ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) { t.Error("a request was sent") })
			p := newTestProvider(t, s, nil)
			_, err := p.Publish(context.Background(), tt.draft)
			e := asError(t, err)
			if e.Kind != providers.Rejected || e.Reason != providers.ReasonInvalid || !strings.Contains(e.Message, tt.says) {
				t.Errorf("err = %v, want Rejected/invalid saying %q", err, tt.says)
			}
		})
	}
}

func TestPublishErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   *providers.Error
	}{
		{"duplicate", 403, `{"detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","title":"Forbidden","status":403}`, providers.ErrDuplicate},
		{"reply refused", 403, `{"detail":"Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to.","type":"about:blank","title":"Forbidden","status":403}`, providers.ErrReplyRefused},
		{"201 without data", 201, `{"errors":[{"title":"Invalid Request","type":"https://api.twitter.com/2/problems/invalid-request","detail":"bad"}]}`, providers.ErrRejected},
		{"201 empty", 201, `{}`, providers.ErrTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, tt.status, tt.body) })
			p := newTestProvider(t, s, nil)
			_, err := p.Publish(context.Background(), providers.Draft{Text: "x"})
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			noSecret(t, err)
		})
	}
}

func TestEdit(t *testing.T) {
	t.Run("refused without can_edit, nothing sent", func(t *testing.T) {
		s := newServer(t, func(w http.ResponseWriter, r *http.Request) { t.Error("a request was sent") })
		p := newTestProvider(t, s, nil)
		_, err := p.Edit(context.Background(), "100", providers.Draft{Text: "new"})
		if !errors.Is(err, &providers.Error{Kind: providers.NotPermitted, Reason: providers.ReasonEditDenied}) {
			t.Errorf("err = %v, want NotPermitted/edit denied", err)
		}
		if l, _ := p.Limits(context.Background()); l.CanEdit {
			t.Error("Limits.CanEdit without can_edit")
		}
	})
	t.Run("edit_options with can_edit", func(t *testing.T) {
		s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/2/media/metadata":
				writeJSON(w, 200, `{"data":{"id":"710"}}`)
			default:
				writeJSON(w, 201, `{"data":{"id":"101","text":"new"}}`)
			}
		})
		p := newTestProvider(t, s, map[string]string{"can_edit": "true"})
		knowMe(p)
		got, err := p.Edit(context.Background(), "100", providers.Draft{Text: "new", ReplyTo: "99", MediaIDs: []string{"710"},
			Media: []providers.Media{{Alt: "new alt"}}})
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != "101" || got.URL != "https://x.com/alice_x/status/101" {
			t.Errorf("Edit = %+v", got)
		}
		reqs := s.requests()
		if len(reqs) != 2 {
			t.Fatalf("%d requests, want metadata then the edit", len(reqs))
		}
		if want := `{"id":"710","metadata":{"alt_text":{"text":"new alt"}}}`; string(reqs[0].Body) != want {
			t.Errorf("metadata body %s, want %s", reqs[0].Body, want)
		}
		if want := `{"text":"new","media":{"media_ids":["710"]},"edit_options":{"previous_post_id":"100"}}`; string(reqs[1].Body) != want {
			t.Errorf("edit body %s, want %s", reqs[1].Body, want)
		}
		if l, _ := p.Limits(context.Background()); !l.CanEdit {
			t.Error("Limits.CanEdit false with can_edit")
		}
	})
	t.Run("X refuses the edit", func(t *testing.T) {
		s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 403, `{"title":"Forbidden","detail":"Tweet is not editable.","type":"about:blank","status":403}`)
		})
		p := newTestProvider(t, s, map[string]string{"can_edit": "true"})
		_, err := p.Edit(context.Background(), "100", providers.Draft{Text: "new"})
		if !errors.Is(err, &providers.Error{Kind: providers.Rejected, Reason: providers.ReasonEditDenied}) {
			t.Errorf("err = %v, want Rejected/edit denied", err)
		}
	})
}

func TestDelete(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   error
	}{
		{"deleted", 200, `{"data":{"deleted":true}}`, nil},
		{"already gone, 404", 404, `{"title":"Not Found Error","type":"https://api.twitter.com/2/problems/resource-not-found","detail":"Could not find tweet with id: [5]."}`, nil},
		{"already gone, 200 with a problem", 200, `{"errors":[{"title":"Not Found Error","type":"https://api.x.com/2/problems/resource-not-found"}]}`, nil},
		{"not ours", 403, `{"title":"Forbidden","detail":"You are not allowed to delete this Tweet.","type":"about:blank","status":403}`, providers.ErrRejected},
		{"not deleted, no reason", 200, `{"data":{"deleted":false}}`, providers.ErrTransient},
		{"server error", 503, ``, providers.ErrTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodDelete || r.URL.Path != "/2/tweets/5" {
					t.Errorf("%s %s", r.Method, r.URL.Path)
				}
				writeJSON(w, tt.status, tt.body)
			})
			p := newTestProvider(t, s, nil)
			err := p.Delete(context.Background(), "5")
			if (tt.want == nil && err != nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("Delete = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRepost(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   error
	}{
		{"reposted", 200, `{"data":{"id":"9","retweeted":true}}`, nil},
		{"already reposted", 403, `{"title":"Forbidden","detail":"You have already retweeted this Tweet.","type":"about:blank","status":403}`, nil},
		{"gone", 404, `{"title":"Not Found Error","type":"https://api.twitter.com/2/problems/resource-not-found"}`, providers.ErrNotFound},
		{"not allowed", 403, `{"title":"Forbidden","detail":"You cannot retweet a Tweet that is protected.","type":"about:blank","status":403}`, providers.ErrRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/2/users/42/retweets" || r.Method != http.MethodPost {
					t.Errorf("%s %s", r.Method, r.URL.Path)
				}
				writeJSON(w, tt.status, tt.body)
			})
			p := newTestProvider(t, s, nil)
			knowMe(p)
			err := p.Repost(context.Background(), "9")
			if (tt.want == nil && err != nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("Repost = %v, want %v", err, tt.want)
			}
			if reqs := s.requests(); len(reqs) != 1 || string(reqs[0].Body) != `{"tweet_id":"9"}` {
				t.Errorf("requests %+v", reqs)
			}
		})
	}
}

func TestFindPublished(t *testing.T) {
	// The account's newest posts, as X returns them: t.co links, a
	// reply, an escaped ampersand, a retweet with the same text.
	const timeline = `{"data":[
 {"id":"305","text":"RT @bob: same words https://t.co/aaaaaaaaaa","referenced_tweets":[{"type":"retweeted","id":"200"}],"author_id":"42","created_at":"2026-11-25T10:05:00.000Z",
  "entities":{"urls":[{"start":20,"end":43,"url":"https://t.co/aaaaaaaaaa","expanded_url":"https://example.com/a"}]}},
 {"id":"304","text":"Q &amp; A tonight:   details at https://t.co/bbbbbbbbbb","author_id":"42","created_at":"2026-11-25T10:04:00.000Z",
  "in_reply_to_user_id":"42","referenced_tweets":[{"type":"replied_to","id":"300"}],
  "entities":{"urls":[{"start":32,"end":55,"url":"https://t.co/bbbbbbbbbb","expanded_url":"http://example.com/q/"}]}},
 {"id":"303","text":"Q &amp; A tonight: details at https://t.co/cccccccccc","author_id":"42","created_at":"2026-11-25T10:03:00.000Z",
  "entities":{"urls":[{"start":30,"end":53,"url":"https://t.co/cccccccccc","expanded_url":"https://example.com/q"}]}},
 {"id":"302","text":"with a picture https://t.co/dddddddddd","author_id":"42","created_at":"2026-11-25T10:02:00.000Z","attachments":{"media_keys":["3_1"]},
  "entities":{"urls":[{"start":15,"end":38,"url":"https://t.co/dddddddddd","expanded_url":"https://x.com/alice_x/status/302/photo/1","media_key":"3_1"}]}}
],"meta":{"result_count":4}}`
	since := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		draft  providers.Draft
		wantID string
	}{
		{"the reply, by expanded URL and squeezed spaces", providers.Draft{Text: "Q & A tonight: details at https://example.com/q", ReplyTo: "300"}, "304"},
		{"the standalone post", providers.Draft{Text: "Q & A tonight:\ndetails at https://example.com/q"}, "303"},
		{"a reply to another parent", providers.Draft{Text: "Q & A tonight: details at https://example.com/q", ReplyTo: "299"}, ""},
		{"a retweet is never ours", providers.Draft{Text: "RT @bob: same words https://example.com/a"}, ""},
		{"with its picture", providers.Draft{Text: "with a picture", MediaIDs: []string{"1"}}, "302"},
		{"without the picture it is another post", providers.Draft{Text: "with a picture"}, ""},
		{"text never sent", providers.Draft{Text: "something else"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, timeline) })
			p := newTestProvider(t, s, nil)
			knowMe(p)
			got, ok, err := p.FindPublished(context.Background(), tt.draft, since)
			if err != nil {
				t.Fatal(err)
			}
			if ok != (tt.wantID != "") || got.ID != tt.wantID {
				t.Errorf("FindPublished = %+v, %v; want %q", got, ok, tt.wantID)
			}
			reqs := s.requests()
			if len(reqs) != 1 || reqs[0].Path != "/2/users/42/tweets" {
				t.Fatalf("requests %+v, want one timeline read", reqs)
			}
			if got := reqs[0].Query.Get("start_time"); got != "2026-11-25T09:58:00Z" {
				t.Errorf("start_time = %q, want since less the skew", got)
			}
		})
	}
	t.Run("reads denied", func(t *testing.T) {
		s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 403, `{"title":"Client Forbidden","reason":"client-not-enrolled","type":"https://api.x.com/2/problems/client-forbidden"}`)
		})
		p := newTestProvider(t, s, nil)
		knowMe(p)
		_, ok, err := p.FindPublished(context.Background(), providers.Draft{Text: "x"}, since)
		if ok || !errors.Is(err, &providers.Error{Kind: providers.NotPermitted, Reason: providers.ReasonReadDenied}) {
			t.Errorf("FindPublished = %v, %v; want NotPermitted/read denied", ok, err)
		}
	})
}

func TestComparable(t *testing.T) {
	tests := []struct{ draft, onX string }{
		{"see https://example.org/ü now", "see https://example.org/%C3%BC now"},
		{"see example.org", "see http://example.org"},
		{"see https://Example.ORG/A/", "see https://example.org/A"},
		{"a\n\nb  c", "a b c"},
		{"caf\u00e9", "cafe\u0301"},
		{"https://example.org/?q=1&r=2", "https://example.org/?q=1&r=2"},
	}
	for _, tt := range tests {
		if a, b := comparable(tt.draft), comparable(tt.onX); a != b {
			t.Errorf("comparable(%q) = %q, comparable(%q) = %q; want equal", tt.draft, a, tt.onX, b)
		}
	}
	for _, pair := range [][2]string{{"https://example.org/A", "https://example.org/a"}, {"a b", "ab"}, {"x.org/1", "x.org/2"}} {
		if comparable(pair[0]) == comparable(pair[1]) {
			t.Errorf("%q and %q compare equal", pair[0], pair[1])
		}
	}
}

func TestNew(t *testing.T) {
	full := map[string]providers.Secret{"consumer_key": "a", "consumer_secret": "b", "access_token": "c", "access_token_secret": "d"}
	tests := []struct {
		name     string
		settings map[string]string
		secrets  map[string]providers.Secret
		wantErr  string
	}{
		{"defaults", nil, full, ""},
		{"missing secrets", nil, map[string]providers.Secret{"consumer_key": "a"}, "consumer_secret, access_token, access_token_secret"},
		{"bad api_base", map[string]string{"api_base": "ftp://x"}, full, "not an http(s) URL"},
		{"api_base with credentials", map[string]string{"api_base": "https://u:pw@api.example"}, full, "must not carry"},
		{"bad can_edit", map[string]string{"can_edit": "sometimes"}, full, "can_edit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(providers.Options{Account: "a", Settings: tt.settings, Secrets: tt.secrets})
			if tt.wantErr == "" {
				if err != nil || p.base.String() != DefaultAPIBase || p.canEdit {
					t.Errorf("New = %+v, %v", p, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want it to say %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "pw") {
				t.Errorf("err shows the password: %v", err)
			}
		})
	}
}

func TestRegistered(t *testing.T) {
	for _, name := range []string{"twitter", "x", "X"} {
		info, err := providers.Find(name)
		if err != nil || info.Name != "twitter" {
			t.Fatalf("Find(%q) = %v, %v", name, info, err)
		}
	}
	info, _ := providers.Find("x")
	pr, err := info.New(providers.Options{Account: "a", Secrets: map[string]providers.Secret{
		"consumer_key": "a", "consumer_secret": "b", "access_token": "c", "access_token_secret": "d"}})
	if err != nil {
		t.Fatal(err)
	}
	c := providers.CapabilitiesOf(pr)
	if c.Poller == nil || c.Streamer != nil || c.Publisher == nil || c.Editor == nil || c.Deleter == nil ||
		c.Reposter == nil || c.Uploader == nil || c.Fetcher == nil || c.Reconciler == nil {
		t.Errorf("capabilities %+v", c)
	}
	if pr.Network() != "twitter" || pr.Account() != "a" {
		t.Errorf("Network %q Account %q", pr.Network(), pr.Account())
	}
}
