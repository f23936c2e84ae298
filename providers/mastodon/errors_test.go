package mastodon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
)

// answer is one canned HTTP answer.
type answer struct {
	status int
	header map[string]string
	body   string
}

// serveAnswer starts a server that answers every request with a, and a
// provider for it.
func serveAnswer(t *testing.T, a answer) *Provider {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server's clock agrees with the provider's fixed one unless
		// the answer names its own Date.
		w.Header().Set("Date", classifyNow.Format(http.TimeFormat))
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
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
	p.now = func() time.Time { return classifyNow }
	return p
}

// classifyNow is the provider's clock in the classify tests.
var classifyNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestClassify(t *testing.T) {
	now := classifyNow
	tests := []struct {
		name    string
		a       answer
		kind    providers.Kind
		reason  providers.Reason
		reset   time.Time
		message string
	}{
		{"mastodon bad token", answer{401, nil, `{"error":"The access token is invalid"}`}, providers.Auth, "", time.Time{}, "The access token is invalid"},
		{"gotosocial no token", answer{401, nil, `{"error":"Unauthorized: token not supplied"}`}, providers.Auth, "", time.Time{}, "Unauthorized: token not supplied"},
		{"401 without body", answer{401, nil, ``}, providers.Auth, "", time.Time{}, "Unauthorized"},
		{"403 scope", answer{403, nil, `{"error":"This action is outside the authorized scopes"}`}, providers.Auth, "", time.Time{}, ""},
		{"403 with www-authenticate", answer{403, map[string]string{"WWW-Authenticate": `Bearer realm="Doorkeeper", error="insufficient_scope"`}, `{"error":"nope"}`}, providers.Auth, "", time.Time{}, ""},
		{"403 disabled login", answer{403, nil, `{"error":"Your login is currently disabled"}`}, providers.Auth, "", time.Time{}, ""},
		{"403 on this request", answer{403, nil, `{"error":"This action is not allowed"}`}, providers.Rejected, providers.ReasonInvalid, time.Time{}, "This action is not allowed"},
		{"404", answer{404, nil, `{"error":"Record not found"}`}, providers.NotFound, "", time.Time{}, "Record not found"},
		{"410", answer{410, nil, ``}, providers.NotFound, "", time.Time{}, ""},
		{"422 invalid", answer{422, nil, `{"error":"Validation failed: Text character limit of 500 exceeded"}`}, providers.Rejected, providers.ReasonInvalid, time.Time{}, "Validation failed: Text character limit of 500 exceeded"},
		{"422 reply", answer{422, nil, `{"error":"Validation failed: Thread reply not allowed"}`}, providers.Rejected, providers.ReasonReplyNotAllowed, time.Time{}, ""},
		{"400 gotosocial", answer{400, nil, `{"error":"Bad Request: status with id 01X not replyable"}`}, providers.Rejected, providers.ReasonReplyNotAllowed, time.Time{}, ""},
		{"429 iso reset", answer{429, map[string]string{"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-11-25T12:03:00.123456Z"}, `{"error":"Too many requests"}`},
			providers.RateLimited, "", time.Date(2026, 11, 25, 12, 3, 0, 123456000, time.UTC), "Too many requests"},
		{"429 from a server whose clock is 10 min ahead", answer{429, map[string]string{"Date": "Wed, 25 Nov 2026 12:10:00 GMT", "X-RateLimit-Reset": "2026-11-25T12:13:00Z"}, ``},
			providers.RateLimited, "", now.Add(3 * time.Minute), ""},
		{"429 from a server whose clock is 10 min behind", answer{429, map[string]string{"Date": "Wed, 25 Nov 2026 11:50:00 GMT", "X-RateLimit-Reset": "2026-11-25T11:50:30Z"}, ``},
			providers.RateLimited, "", now.Add(30 * time.Second), ""},
		{"429 whose reset passed before it arrived", answer{429, map[string]string{"X-RateLimit-Reset": "2026-11-25T11:59:59.5Z"}, ``},
			providers.RateLimited, "", now.Add(providers.MinRateLimitWait), ""},
		{"429 naming next year holds a day", answer{429, map[string]string{"X-RateLimit-Reset": "2027-11-25T12:00:00Z"}, ``},
			providers.RateLimited, "", now.Add(providers.MaxRateLimitWait), ""},
		{"429 retry-after", answer{429, map[string]string{"Retry-After": "90"}, `{"error":"Too many requests"}`}, providers.RateLimited, "", now.Add(90 * time.Second), ""},
		{"429 bad reset falls back", answer{429, map[string]string{"X-RateLimit-Reset": "soon", "Retry-After": "30"}, ``}, providers.RateLimited, "", now.Add(30 * time.Second), ""},
		{"429 no headers", answer{429, nil, ``}, providers.RateLimited, "", now.Add(5 * time.Minute), ""},
		{"500", answer{500, nil, `<html>oops</html>`}, providers.Transient, "", time.Time{}, "Internal Server Error"},
		{"502", answer{502, nil, `bad gateway`}, providers.Transient, "", time.Time{}, "bad gateway"},
		{"503 retry-after", answer{503, map[string]string{"Retry-After": "10"}, ``}, providers.Transient, "", now.Add(10 * time.Second), ""},
		{"418 no user agent", answer{418, nil, `{"error":"I'm a teapot: no user-agent sent with request"}`}, providers.Rejected, providers.ReasonInvalid, time.Time{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := serveAnswer(t, tt.a)
			_, err := p.Fetch(context.Background(), "1") // our own request
			if err == nil {
				// Fetch needs the account first; that request got the answer.
				t.Fatal("no error")
			}
			checkError(t, err, tt.kind, tt.reason, tt.reset, tt.a.status, tt.message)
			err = p.Delete(context.Background(), "1") // a go-mastodon request
			if tt.kind == providers.NotFound {
				if err != nil {
					t.Errorf("Delete of a gone status = %v, want nil", err)
				}
				return
			}
			checkError(t, err, tt.kind, tt.reason, tt.reset, tt.a.status, tt.message)
		})
	}
}

func checkError(t *testing.T, err error, kind providers.Kind, reason providers.Reason, reset time.Time, status int, message string) {
	t.Helper()
	var pe *providers.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *providers.Error", err, err)
	}
	if pe.Kind != kind || pe.Reason != reason || pe.Status != status || pe.Network != "mastodon" || pe.Op == "" {
		t.Errorf("error = %+v, want kind %s reason %q status %d", pe, kind, reason, status)
	}
	if !pe.Reset.Equal(reset) {
		t.Errorf("Reset = %s, want %s", pe.Reset, reset)
	}
	if message != "" && pe.Message != message {
		t.Errorf("Message = %q, want %q", pe.Message, message)
	}
	if strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, err), "s3cr3t-token-value") {
		t.Errorf("error carries the token: %v", err)
	}
}

// TestRateLimitDoesNotWait: go-mastodon retries a 429 by itself, sleeping
// up to an hour; a 429 whose reset is an hour away must come back as
// RateLimited at once, both from go-mastodon calls and from our own, after
// exactly one request each.
func TestRateLimitDoesNotWait(t *testing.T) {
	var requests atomic.Int32
	reset := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("X-RateLimit-Limit", "300")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", reset.Format("2006-01-02T15:04:05.000Z"))
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"error":"Too many requests"}`)
	}))
	defer srv.Close()
	var p *Provider
	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"verify (go-mastodon)", func(ctx context.Context) error { _, err := p.Verify(ctx); return err }},
		{"publish (go-mastodon)", func(ctx context.Context) error {
			_, err := p.Publish(ctx, providers.Draft{Key: "k", Text: "hi"})
			return err
		}},
		{"repost (go-mastodon)", func(ctx context.Context) error { return p.Repost(ctx, "1") }},
		{"limits (own)", func(ctx context.Context) error { _, err := p.Limits(ctx); return err }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			var err error
			p, err = New(providers.Options{Account: "a", Settings: map[string]string{"server": srv.URL},
				Secrets: map[string]providers.Secret{"access_token": "s3cr3t-token-value"}, HTTPClient: srv.Client()})
			if err != nil {
				t.Fatal(err)
			}
			requests.Store(0)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			start := time.Now()
			err = c.call(ctx)
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %s: something waited on the 429", d)
			}
			if !errors.Is(err, providers.ErrRateLimited) {
				t.Fatalf("err = %v, want RateLimited", err)
			}
			// The reset is moved onto our clock by the answer's Date,
			// which has whole seconds: never earlier, at most a second later.
			got := providers.ResetOf(err)
			if got.Before(reset) || got.Sub(reset) > time.Second+100*time.Millisecond {
				t.Errorf("Reset = %s, want %s or up to a second later", got, reset)
			}
			if n := requests.Load(); n != 1 {
				t.Errorf("%d requests, want 1 (no retry)", n)
			}
			// Until the reset nothing more is sent, by any call.
			if err := c.call(ctx); !errors.Is(err, providers.ErrRateLimited) || !providers.ResetOf(err).Equal(got) {
				t.Errorf("second call: err = %v, want RateLimited until %s", err, got)
			}
			if n := requests.Load(); n != 1 {
				t.Errorf("%d requests after the 429, want none more", n-1)
			}
		})
	}
	if rem, rs := p.RateLimit(); rem != 0 || !rs.Equal(reset) {
		t.Errorf("RateLimit() = %d, %s; want 0, %s", rem, rs, reset)
	}
}

func TestCancelledContextReturnsPromptly(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	p, err := New(providers.Options{Account: "a", Settings: map[string]string{"server": srv.URL},
		Secrets: map[string]providers.Secret{"access_token": "s3cr3t-token-value"}, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = p.Verify(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want it to wrap context.DeadlineExceeded", err)
	}
	if !strings.HasPrefix(err.Error(), "mastodon: verify: ") {
		t.Errorf("err = %q, want the prefix \"mastodon: verify: \"", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s after the deadline", d)
	}
}

func TestScrub(t *testing.T) {
	p := testProvider(t)
	in := errors.New(`Get "wss://social.example/api/v1/streaming?access_token=s3cr3t-token-value&stream=user": dial tcp: refused; also s3cr3t-token-value`)
	got := p.scrub(in).Error()
	if strings.Contains(got, "s3cr3t-token-value") {
		t.Errorf("scrubbed error still has the token: %q", got)
	}
	if !strings.Contains(got, "access_token=REDACTED") || !strings.Contains(got, "stream=user") {
		t.Errorf("scrubbed error lost its shape: %q", got)
	}
	if !errors.Is(p.scrub(in), in) {
		t.Error("scrub broke the error chain")
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		server  string
		token   providers.Secret
		wantErr bool
		want    string
	}{
		{"https url", "https://social.example/", "t", false, "https://social.example"},
		{"bare host", "social.example", "t", false, "https://social.example"},
		{"http with port and path", "http://127.0.0.1:8080/masto/", "t", false, "http://127.0.0.1:8080/masto"},
		{"no server", "", "t", true, ""},
		{"bad scheme", "ftp://social.example", "t", true, ""},
		{"credentials in url", "https://user:pw@social.example", "t", true, ""},
		{"no token", "https://social.example", "", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(providers.Options{Account: "a", Settings: map[string]string{"server": tt.server},
				Secrets: map[string]providers.Secret{"access_token": tt.token}})
			if (err != nil) != tt.wantErr {
				t.Fatalf("New: err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if strings.Contains(err.Error(), "pw@") {
					t.Errorf("error shows the URL's password: %v", err)
				}
				return
			}
			if got := p.server.String(); got != tt.want {
				t.Errorf("server = %q, want %q", got, tt.want)
			}
		})
	}
	info, err := providers.Find("mastodon")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := info.New(providers.Options{Account: "a", Settings: map[string]string{"server": "social.example"},
		Secrets: map[string]providers.Secret{"access_token": "t"}}); err != nil {
		t.Errorf("registered New: %v", err)
	}
}

// TestRedirectDoesNotTurnPublishIntoRead: a server that answers a POST
// with 301 (http → https, say) must not make the publish a GET.
func TestRedirectDoesNotTurnPublishIntoRead(t *testing.T) {
	var gets atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			gets.Add(1)
			_, _ = io.WriteString(w, `[]`)
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusMovedPermanently)
	}))
	defer srv.Close()
	p, err := New(providers.Options{Account: "a", Settings: map[string]string{"server": srv.URL},
		Secrets: map[string]providers.Secret{"access_token": "s3cr3t-token-value"}, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Publish(context.Background(), providers.Draft{Key: "k", Text: "hi"})
	if err == nil || !strings.Contains(err.Error(), "redirects writes") {
		t.Errorf("Publish through a redirect = %v, want the redirect named", err)
	}
	if gets.Load() != 0 {
		t.Errorf("the POST was followed as %d GET(s)", gets.Load())
	}
}
