package mastodontest

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestFailNext(t *testing.T) {
	tests := []struct {
		flavor Flavor
		status int
		body   string // exact body
		ct     string
	}{
		{Mastodon, 401, `{"error":"The access token is invalid"}`, "application/json"},
		{Mastodon, 403, `{"error":"This action is not allowed"}`, "application/json"},
		{Mastodon, 404, `{"error":"Record not found"}`, "application/json"},
		{Mastodon, 422, `{"error":"Validation failed"}`, "application/json"},
		{Mastodon, 500, `{"error":"Internal Server Error","status":500}`, "application/json"},
		{Mastodon, 502, "", "text/html"},
		{Mastodon, 503, `{"error":"There was a temporary problem serving your request, please try again"}`, "application/json"},
		{GoToSocial, 401, `{"error":"Unauthorized: token not supplied"}`, "application/json"},
		{GoToSocial, 404, `{"error":"Not Found"}`, "application/json"},
		{GoToSocial, 503, `{"error":"Service Unavailable"}`, "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.flavor.String()+"/"+strconv.Itoa(tt.status), func(t *testing.T) {
			s := New(t, Options{Flavor: tt.flavor})
			s.FailNext(tt.status, 2)
			for range 2 {
				r := do(t, s, "GET", "/api/v1/accounts/verify_credentials", s.Token(), nil)
				mustStatus(t, r, tt.status)
				if !strings.HasPrefix(r.header.Get("Content-Type"), tt.ct) {
					t.Errorf("content type %q", r.header.Get("Content-Type"))
				}
				if tt.body != "" && string(r.body) != tt.body {
					t.Errorf("body %s, want %s", r.body, tt.body)
				}
				if tt.status == 502 && !strings.Contains(string(r.body), "502 Bad Gateway") {
					t.Errorf("502 body %s", r.body)
				}
			}
			mustStatus(t, do(t, s, "GET", "/api/v1/accounts/verify_credentials", s.Token(), nil), 200)
			if s.Posts() != 0 {
				t.Error("a failed request had an effect")
			}
		})
	}
	t.Run("failed post creates nothing", func(t *testing.T) {
		s := New(t, Options{})
		s.FailNext(503, 1)
		mustStatus(t, do(t, s, "POST", "/api/v1/statuses", s.Token(), url.Values{"status": {"x"}}), 503)
		if s.Posts() != 0 {
			t.Error("a 503 post was created")
		}
	})
}

func TestRateLimitHeaders(t *testing.T) {
	clock := newClock() // 15:00:00
	clock.Advance(90 * time.Second)
	s := New(t, Options{Now: clock.Now, RateLimit: 3})
	for i := range 3 {
		r := do(t, s, "GET", "/api/v1/accounts/verify_credentials", s.Token(), nil)
		mustStatus(t, r, 200)
		if got := r.header.Get("X-RateLimit-Limit"); got != "3" {
			t.Errorf("limit %q", got)
		}
		if got := r.header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(2-i) {
			t.Errorf("remaining %q, want %d", got, 2-i)
		}
		if got := r.header.Get("X-RateLimit-Reset"); got != "2026-11-25T15:05:00.000Z" {
			t.Errorf("reset %q", got)
		}
	}
	r := do(t, s, "GET", "/api/v1/accounts/verify_credentials", s.Token(), nil)
	mustStatus(t, r, 429)
	if e := r.errorText(t); e != "Too many requests" || r.header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("429: %q remaining %q", e, r.header.Get("X-RateLimit-Remaining"))
	}
	// Another token has its own budget (Mastodon counts per token).
	bob := s.CreateUser("bob")
	mustStatus(t, do(t, s, "GET", "/api/v1/accounts/verify_credentials", bob.Token, nil), 200)
	// The window ends at the reset time.
	clock.Advance(4 * time.Minute)
	mustStatus(t, do(t, s, "GET", "/api/v1/accounts/verify_credentials", s.Token(), nil), 200)

	t.Run("gotosocial counts per ip", func(t *testing.T) {
		g := New(t, Options{Flavor: GoToSocial, RateLimit: 1, Now: clock.Now})
		gb := g.CreateUser("bob")
		mustStatus(t, do(t, g, "GET", "/api/v1/accounts/verify_credentials", g.Token(), nil), 200)
		mustStatus(t, do(t, g, "GET", "/api/v1/accounts/verify_credentials", gb.Token, nil), 429)
	})
}

func TestRateLimitNext(t *testing.T) {
	s := New(t, Options{})
	reset := time.Date(2026, 11, 25, 15, 5, 0, 0, time.UTC)
	s.RateLimitNext(reset)
	r := do(t, s, "POST", "/api/v1/statuses", s.Token(), url.Values{"status": {"x"}})
	mustStatus(t, r, 429)
	if r.header.Get("X-RateLimit-Reset") != "2026-11-25T15:05:00.000Z" || r.header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("headers %v", r.header)
	}
	if got, err := time.Parse(time.RFC3339, r.header.Get("X-RateLimit-Reset")); err != nil || !got.Equal(reset) {
		t.Errorf("reset does not parse as RFC 3339: %v %v", got, err)
	}
	if e := r.errorText(t); e != "Too many requests" {
		t.Errorf("body %q", e)
	}
	mustStatus(t, do(t, s, "POST", "/api/v1/statuses", s.Token(), url.Values{"status": {"x"}}), 200)
	if s.Posts() != 1 {
		t.Errorf("%d posts, want only the second", s.Posts())
	}
}

func TestRevoke(t *testing.T) {
	s := New(t, Options{})
	bob := s.CreateUser("bob")
	s.Revoke()
	r := do(t, s, "GET", "/api/v1/accounts/verify_credentials", s.Token(), nil)
	mustStatus(t, r, 401)
	if e := r.errorText(t); e != "The access token was revoked" {
		t.Errorf("error %q", e)
	}
	// Even public endpoints refuse a bad token, as Doorkeeper does.
	mustStatus(t, do(t, s, "GET", "/api/v1/accounts/"+s.AccountID()+"/statuses", s.Token(), nil), 401)
	mustStatus(t, do(t, s, "GET", "/api/v1/accounts/verify_credentials", bob.Token, nil), 200)
	bob.Revoke()
	mustStatus(t, do(t, s, "GET", "/api/v1/accounts/verify_credentials", bob.Token, nil), 401)
	r = do(t, s, "GET", "/api/v1/accounts/verify_credentials", "never-issued", nil)
	if e := r.errorText(t); r.status != 401 || e != "The access token is invalid" {
		t.Errorf("unknown token: %d %q", r.status, e)
	}
	mustStatus(t, do(t, s, "GET", "/api/v1/accounts/verify_credentials", "", nil), 401)
}

func TestLatency(t *testing.T) {
	s := New(t, Options{})
	s.SetLatency(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL()+"/api/v1/accounts/verify_credentials", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token())
	start := time.Now()
	_, err := s.Client().Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the deadline", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("gave up after %v", d)
	}
	s.SetLatency(20 * time.Millisecond)
	start = time.Now()
	mustStatus(t, do(t, s, "GET", "/api/v1/accounts/verify_credentials", s.Token(), nil), 200)
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("answered in %v, before the latency", d)
	}
	// Closing the server (t.Cleanup) must not wait for the hour-long
	// handler: the cancelled request already returned.
}

func TestRequestLog(t *testing.T) {
	s := New(t, Options{})
	doRaw(t, s, "POST", "/api/v1/statuses?access_token="+s.Token(), "", "application/x-www-form-urlencoded",
		strings.NewReader("status=hi"), http.Header{"Idempotency-Key": {"key-1"}, "User-Agent": {"dualpower/1.0"}})
	do(t, s, "GET", "/api/v1/accounts/"+s.AccountID()+"/statuses?limit=5", s.Token(), nil)
	if s.Requests() != 2 {
		t.Fatalf("Requests %d", s.Requests())
	}
	log := s.RequestLog()
	if log[0].Method != "POST" || log[0].Path != "/api/v1/statuses" || log[0].Header.Get("Idempotency-Key") != "key-1" || log[0].Header.Get("User-Agent") != "dualpower/1.0" {
		t.Errorf("log[0] %+v", log[0])
	}
	if log[1].Query != "limit=5" {
		t.Errorf("log[1] query %q", log[1].Query)
	}
	for _, r := range log {
		if strings.Contains(r.Query, s.Token()) || r.Header.Get("Authorization") != "" {
			t.Errorf("token in the log: %+v", r)
		}
	}
	// Files are not API requests.
	var st apiStatus
	id := s.Post(PostOpts{Media: []MediaOpts{{Data: PNG(), ContentType: "image/png"}}})
	do(t, s, "GET", "/api/v1/statuses/"+id, "", nil).json(t, &st)
	n := s.Requests()
	res, err := http.Get(*st.MediaAttachments[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if s.Requests() != n {
		t.Error("a media download counted as an API request")
	}
}

func TestFailRate(t *testing.T) {
	run := func(seed int64) []int {
		s := New(t, Options{RateLimit: -1})
		s.SetFailRate(0.3, seed)
		var got []int
		for range 40 {
			got = append(got, do(t, s, "GET", "/api/v2/instance", "", nil).status)
		}
		return got
	}
	a, b := run(7), run(7)
	fails := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different runs: %v vs %v", a, b)
		}
		if a[i] >= 500 {
			fails++
		} else if a[i] != 200 {
			t.Fatalf("status %d", a[i])
		}
	}
	if fails < 4 || fails > 24 {
		t.Errorf("%d of 40 failed at rate 0.3", fails)
	}
}

func TestGoToSocialUserAgent(t *testing.T) {
	s := New(t, Options{Flavor: GoToSocial})
	r := doRaw(t, s, "GET", "/api/v2/instance", "", "", nil, http.Header{"User-Agent": {""}})
	mustStatus(t, r, 418)
	m := New(t, Options{})
	mustStatus(t, doRaw(t, m, "GET", "/api/v2/instance", "", "", nil, http.Header{"User-Agent": {""}}), 200)
}

func TestInstance(t *testing.T) {
	for _, f := range []Flavor{Mastodon, GoToSocial} {
		t.Run(f.String(), func(t *testing.T) {
			s := New(t, Options{Flavor: f})
			var inst struct {
				Configuration struct {
					URLs     struct{ Streaming string } `json:"urls"`
					Statuses struct {
						MaxCharacters            int `json:"max_characters"`
						CharactersReservedPerURL int `json:"characters_reserved_per_url"`
						MaxMediaAttachments      int `json:"max_media_attachments"`
					} `json:"statuses"`
					Media struct {
						DescriptionLimit int   `json:"description_limit"`
						ImageSizeLimit   int64 `json:"image_size_limit"`
					} `json:"media_attachments"`
				} `json:"configuration"`
			}
			r := do(t, s, "GET", "/api/v2/instance", "", nil)
			mustStatus(t, r, 200)
			r.json(t, &inst)
			c := inst.Configuration
			wantMax, wantURL, wantScheme := 500, 23, "ws://"
			if f == GoToSocial {
				wantMax, wantURL, wantScheme = 5000, 25, "wss://"
			}
			if c.Statuses.MaxCharacters != wantMax || c.Statuses.CharactersReservedPerURL != wantURL || c.Media.DescriptionLimit != 1500 || !strings.HasPrefix(c.URLs.Streaming, wantScheme) {
				t.Errorf("configuration %+v", c)
			}
			mustStatus(t, do(t, s, "GET", "/api/v1/instance", "", nil), 200)
		})
	}
}

func TestUnknownRoute(t *testing.T) {
	s := New(t, Options{})
	r := do(t, s, "GET", "/api/v1/nothing/here", s.Token(), nil)
	mustStatus(t, r, 404)
	if e := r.errorText(t); e != "Record not found" {
		t.Errorf("error %q", e)
	}
	mustStatus(t, do(t, s, "GET", "/api/v1/accounts/000", "", nil), 404)
}

func TestStrictRateLimits(t *testing.T) {
	clock := newClock() // 15:00
	s := New(t, Options{Now: clock.Now, StrictRateLimits: true})
	var ids []string
	for range 31 {
		ids = append(ids, s.PostAsUser("to delete", ""))
	}
	for i, id := range ids {
		r := do(t, s, "DELETE", "/api/v1/statuses/"+id, s.Token(), nil)
		if i < 30 {
			mustStatus(t, r, 200)
			if got := r.header.Get("X-RateLimit-Limit"); got != "30" || r.header.Get("X-RateLimit-Remaining") != strconv.Itoa(29-i) {
				t.Fatalf("delete %d: limit %s remaining %s, want the delete budget", i, got, r.header.Get("X-RateLimit-Remaining"))
			}
			continue
		}
		mustStatus(t, r, 429)
		if r.header.Get("X-RateLimit-Reset") != "2026-11-25T15:30:00.000Z" {
			t.Errorf("reset %s, want the end of the 30-minute window", r.header.Get("X-RateLimit-Reset"))
		}
	}
	// Other requests still have their budget, and say so.
	r := do(t, s, "GET", "/api/v1/accounts/verify_credentials", s.Token(), nil)
	mustStatus(t, r, 200)
	if r.header.Get("X-RateLimit-Limit") != "300" {
		t.Errorf("general limit %s", r.header.Get("X-RateLimit-Limit"))
	}
	for i := range 31 {
		r := upload(t, s, "/api/v2/media", s.Token(), "image/png", PNG(), nil)
		if want := 200; i == 30 {
			mustStatus(t, r, 429)
		} else {
			mustStatus(t, r, want)
		}
	}
	clock.Advance(30 * time.Minute)
	mustStatus(t, do(t, s, "DELETE", "/api/v1/statuses/"+ids[30], s.Token(), nil), 200)

	// Without the option, only the general budget applies.
	plain := New(t, Options{})
	for range 31 {
		mustStatus(t, upload(t, plain, "/api/v2/media", plain.Token(), "image/png", PNG(), nil), 200)
	}
}
