package login

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/providers/mastodon/mastodontest"
)

func testOptions() Options { return Options{UserAgent: "dualpower/test"} }

func mustBase(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := providers.ParseBaseURL(s)
	if err != nil {
		t.Fatalf("ParseBaseURL(%q): %v", s, err)
	}
	return u
}

// codeOnPage opens the authorize URL as the person's browser would and
// reads the code the out-of-band page shows.
func codeOnPage(t *testing.T, authorizeURL string) string {
	t.Helper()
	resp, err := http.Get(authorizeURL)
	if err != nil {
		t.Fatalf("open the authorize URL: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("authorize URL answered %d: %s", resp.StatusCode, b)
	}
	m := regexp.MustCompile(`class="oauth-code" readonly type="text" value="([^"]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no code on the authorize page: %s", b)
	}
	return string(m[1])
}

// verifyCredentials asks the server whose token this is.
func verifyCredentials(t *testing.T, server, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, server+"/api/v1/accounts/verify_credentials", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("User-Agent", "test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("verify_credentials: %v", err)
	}
	defer resp.Body.Close()
	var v struct {
		Username string `json:"username"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v.Username
}

func TestMastodonFlow(t *testing.T) {
	for _, flavor := range []mastodontest.Flavor{mastodontest.Mastodon, mastodontest.GoToSocial} {
		t.Run(flavor.String(), func(t *testing.T) {
			s := mastodontest.New(t, mastodontest.Options{Flavor: flavor})
			ctx := t.Context()
			app, err := RegisterMastodon(ctx, mustBase(t, s.URL()), nil, testOptions())
			if err != nil {
				t.Fatalf("RegisterMastodon: %v", err)
			}
			if app.ClientID == "" {
				t.Fatal("no client ID")
			}
			au, err := url.Parse(app.AuthorizeURL())
			if err != nil {
				t.Fatalf("authorize URL: %v", err)
			}
			q := au.Query()
			if au.Path != "/oauth/authorize" || q.Get("client_id") != app.ClientID || q.Get("redirect_uri") != OOB ||
				q.Get("response_type") != "code" || q.Get("scope") != "read:accounts read:statuses write:statuses write:media" {
				t.Errorf("authorize URL = %s", au)
			}
			code := codeOnPage(t, app.AuthorizeURL())
			tok, err := app.Exchange(ctx, code+"\n")
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if status, user := verifyCredentials(t, s.URL(), tok.Reveal()); status != http.StatusOK || user != "alice" {
				t.Errorf("verify_credentials with the new token: %d %q, want 200 alice", status, user)
			}
			// The code works once.
			if _, err := app.Exchange(ctx, code); !errors.Is(err, ErrRefused) {
				t.Errorf("second exchange of one code: %v, want ErrRefused", err)
			}
			ours := 0
			for _, r := range s.RequestLog() {
				if r.Path != "/api/v1/apps" && r.Path != "/oauth/token" {
					continue
				}
				ours++
				if ua := r.Header.Get("User-Agent"); ua != "dualpower/test" {
					t.Errorf("%s %s sent User-Agent %q", r.Method, r.Path, ua)
				}
			}
			if ours != 3 {
				t.Errorf("the fake saw %d requests to /api/v1/apps and /oauth/token, want 3", ours)
			}
		})
	}
}

// The narrow scopes are what the adapter needs: statuses can be written
// and media uploaded with the token, and nothing needs more.
func TestMastodonScopesAllowWhatTheAdapterDoes(t *testing.T) {
	s := mastodontest.New(t, mastodontest.Options{})
	ctx := t.Context()
	app, err := RegisterMastodon(ctx, mustBase(t, s.URL()), nil, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := app.Exchange(ctx, s.AuthorizeCode(app.ClientID))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/api/v1/statuses", strings.NewReader("status=hello"))
	req.Header.Set("Authorization", "Bearer "+tok.Reveal())
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("POST /api/v1/statuses with the new token: %d", resp.StatusCode)
	}
}

func TestMastodonExchangeRefusals(t *testing.T) {
	s := mastodontest.New(t, mastodontest.Options{})
	ctx := t.Context()
	app, err := RegisterMastodon(ctx, mustBase(t, s.URL()), nil, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, code string
		want       error
		text       string
	}{
		{"wrong code", "not-a-code", ErrRefused, "invalid_grant"},
		{"empty code", "  \n", ErrRefused, "empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := app.Exchange(ctx, tt.code)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("Exchange: %v, want %v mentioning %q", err, tt.want, tt.text)
			}
			if strings.Contains(err.Error(), app.clientSecret.Reveal()) {
				t.Errorf("error carries the client secret: %v", err)
			}
		})
	}
}

// closedPort returns an address on loopback where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestMastodonRegisterFailures(t *testing.T) {
	big := strings.Repeat("x", 2<<20)
	for _, tt := range []struct {
		name    string
		handler http.HandlerFunc // nil: nothing listens
		want    error
		text    string
		timeout time.Duration
	}{
		{name: "unreachable", want: ErrUnreachable, text: "cannot reach the server"},
		{name: "not found", handler: func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			want: ErrNotAPI, text: "POST /api/v1/apps answered HTTP 404"},
		{name: "web page", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<!DOCTYPE html><html><body>My blog</body></html>")
		}, want: ErrNotAPI, text: "web page"},
		{name: "redirect", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://www.social.example/api/v1/apps", http.StatusMovedPermanently)
		}, want: ErrNotAPI, text: "redirect to https://www.social.example"},
		{name: "wrong JSON", handler: func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"id": 3}`)
		}, want: ErrNotAPI, text: "no client_id"},
		{name: "broken JSON", handler: func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"client_id": `)
		}, want: ErrNotAPI, text: "not the expected JSON"},
		{name: "huge answer", handler: func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"client_id": "`+big+`"}`)
		}, want: ErrNotAPI, text: "larger than"},
		{name: "scopes refused", handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnprocessableEntity)
			_, _ = io.WriteString(w, `{"error": "Validation failed: Scopes must only contain valid scopes"}`)
		}, want: ErrRefused, text: "HTTP 422: Validation failed"},
		{name: "server error", handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
		}, want: ErrUnavailable, text: "server error HTTP 502"},
		{name: "rate limited", handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTooManyRequests)
		}, want: ErrUnavailable, text: "429"},
		{name: "terminal escapes", handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, "{\"error\": \"\x1b[2Jgone\\u001b[31m\"}")
		}, want: ErrRefused, text: "HTTP 403"},
		{name: "no answer in time", handler: func(w http.ResponseWriter, r *http.Request) {
			// Only with the body read does the server notice the client
			// hang up.
			_, _ = io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
		}, want: ErrUnreachable, text: "no answer in time", timeout: 100 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base := "http://" + closedPort(t)
			if tt.handler != nil {
				ts := httptest.NewServer(tt.handler)
				t.Cleanup(ts.Close)
				base = ts.URL
			}
			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			_, err := RegisterMastodon(ctx, mustBase(t, base), nil, testOptions())
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("RegisterMastodon: %v\nwant %v mentioning %q", err, tt.want, tt.text)
			}
			if strings.ContainsRune(err.Error(), '\x1b') {
				t.Errorf("error carries a terminal escape: %q", err)
			}
			if len(err.Error()) > 600 {
				t.Errorf("error is %d bytes long", len(err.Error()))
			}
		})
	}
}

// Scopes the server does not know are refused by the fake as by Mastodon:
// the message says so, so the person can pick others with --scopes.
func TestMastodonUnknownScope(t *testing.T) {
	s := mastodontest.New(t, mastodontest.Options{})
	_, err := RegisterMastodon(t.Context(), mustBase(t, s.URL()), []string{"read:everything", "bogus"}, testOptions())
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "Scopes") {
		t.Fatalf("RegisterMastodon: %v, want ErrRefused about scopes", err)
	}
}

// A token that is not one (a newline and more YAML in it) is refused, so
// it never reaches the snippet a person pastes into their config.
func TestMastodonHostileToken(t *testing.T) {
	for _, tt := range []struct{ name, token string }{
		{"newline", "abc\ninjected: true"},
		{"space", "abc def"},
		{"escape", "abc\x1b[2J"},
		{"non-ASCII", "abcé"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.HandleFunc("POST /api/v1/apps", func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, `{"client_id": "id", "client_secret": "secret"}`)
			})
			mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
				b, _ := json.Marshal(map[string]string{"access_token": tt.token, "token_type": "Bearer"})
				_, _ = w.Write(b)
			})
			ts := httptest.NewServer(mux)
			t.Cleanup(ts.Close)
			app, err := RegisterMastodon(t.Context(), mustBase(t, ts.URL), nil, testOptions())
			if err != nil {
				t.Fatal(err)
			}
			tok, err := app.Exchange(t.Context(), "code")
			if !errors.Is(err, ErrNotAPI) {
				t.Fatalf("Exchange = %q, %v; want ErrNotAPI", tok.Reveal(), err)
			}
			if strings.Contains(err.Error(), tt.token) {
				t.Errorf("the error repeats the token: %v", err)
			}
		})
	}
}
