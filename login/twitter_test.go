package login

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dghubble/oauth1"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/providers/twitter/twittertest"
)

// usersMe asks X whose tokens these are, signed independently of login.
func usersMe(t *testing.T, s *twittertest.Server, tok *TwitterTokens) (int, string) {
	t.Helper()
	hc := oauth1.NewConfig(s.ConsumerKey(), s.ConsumerSecret()).Client(context.Background(),
		oauth1.NewToken(tok.AccessToken.Reveal(), tok.AccessTokenSecret.Reveal()))
	resp, err := hc.Get(s.URL() + "/2/users/me")
	if err != nil {
		t.Fatalf("GET /2/users/me: %v", err)
	}
	defer resp.Body.Close()
	var v struct {
		Data struct {
			Username string `json:"username"`
		} `json:"data"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v.Data.Username
}

func TestTwitterFlow(t *testing.T) {
	s := twittertest.New(t, twittertest.Options{})
	ctx := t.Context()
	req, err := StartTwitter(ctx, mustBase(t, s.URL()), providers.Secret(s.ConsumerKey()), providers.Secret(s.ConsumerSecret()), testOptions())
	if err != nil {
		t.Fatalf("StartTwitter: %v", err)
	}
	au, err := url.Parse(req.AuthorizeURL())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := au.Scheme+"://"+au.Host+au.Path, s.URL()+"/oauth/authorize"; got != want || au.Query().Get("oauth_token") != req.Token {
		t.Fatalf("authorize URL = %s, want %s?oauth_token=%s", au, want, req.Token)
	}
	pin := s.Authorize(req.Token)
	tok, err := req.Exchange(ctx, " "+pin+"\n")
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if tok.ScreenName != "alice" || tok.UserID != s.UserID() {
		t.Errorf("tokens are for %q (%s), want alice (%s)", tok.ScreenName, tok.UserID, s.UserID())
	}
	if status, user := usersMe(t, s, tok); status != http.StatusOK || user != "alice" {
		t.Errorf("GET /2/users/me with the new tokens: %d %q, want 200 alice", status, user)
	}
	// The callback goes with the request token, the verifier with the
	// exchange, both in the signed header.
	want := map[string]string{"/oauth/request_token": "oauth_callback", "/oauth/access_token": "oauth_verifier"}
	for _, r := range s.RequestLog() {
		if p, ok := want[r.Path]; ok {
			if !slices.Contains(r.OAuthParams, p) || slices.Contains(r.OAuthParams, "oauth_token") == (p == "oauth_callback") {
				t.Errorf("%s %s signed %v", r.Method, r.Path, r.OAuthParams)
			}
			delete(want, r.Path)
		}
	}
	if len(want) > 0 {
		t.Errorf("the fake never saw %v", want)
	}
	// A request token buys one access token.
	if _, err := req.Exchange(ctx, pin); !errors.Is(err, ErrRefused) {
		t.Errorf("second exchange: %v, want ErrRefused", err)
	}
}

func TestTwitterRefusals(t *testing.T) {
	s := twittertest.New(t, twittertest.Options{})
	ctx := t.Context()
	base := mustBase(t, s.URL())

	t.Run("wrong consumer secret", func(t *testing.T) {
		_, err := StartTwitter(ctx, base, providers.Secret(s.ConsumerKey()), "not-the-secret", testOptions())
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "Could not authenticate you") {
			t.Fatalf("StartTwitter: %v, want ErrRefused quoting X", err)
		}
		if strings.Contains(err.Error(), "not-the-secret") {
			t.Errorf("error carries the consumer secret: %v", err)
		}
	})
	t.Run("wrong PIN", func(t *testing.T) {
		req, err := StartTwitter(ctx, base, providers.Secret(s.ConsumerKey()), providers.Secret(s.ConsumerSecret()), testOptions())
		if err != nil {
			t.Fatal(err)
		}
		pin := s.Authorize(req.Token)
		wrong := "0000000"
		if pin == wrong {
			wrong = "1111111"
		}
		_, err = req.Exchange(ctx, wrong)
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "oauth_verifier") {
			t.Fatalf("Exchange: %v, want ErrRefused about the verifier", err)
		}
		for _, secret := range []string{s.ConsumerSecret(), req.secret.Reveal()} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error carries a secret: %v", err)
			}
		}
	})
	t.Run("empty PIN", func(t *testing.T) {
		req, err := StartTwitter(ctx, base, providers.Secret(s.ConsumerKey()), providers.Secret(s.ConsumerSecret()), testOptions())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := req.Exchange(ctx, "\n"); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "empty") {
			t.Fatalf("Exchange: %v, want ErrRefused: empty", err)
		}
	})
	t.Run("not approved yet", func(t *testing.T) {
		req, err := StartTwitter(ctx, base, providers.Secret(s.ConsumerKey()), providers.Secret(s.ConsumerSecret()), testOptions())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := req.Exchange(ctx, "1234567"); !errors.Is(err, ErrRefused) {
			t.Fatalf("Exchange: %v, want ErrRefused", err)
		}
	})
	t.Run("no consumer key", func(t *testing.T) {
		if _, err := StartTwitter(ctx, base, "", "x", testOptions()); err == nil {
			t.Fatal("StartTwitter without a consumer key succeeded")
		}
	})
}

func TestTwitterStartFailures(t *testing.T) {
	for _, tt := range []struct {
		name    string
		handler http.HandlerFunc // nil: nothing listens
		want    error
		text    string
	}{
		{name: "unreachable", want: ErrUnreachable, text: "cannot reach the server"},
		{name: "not found", handler: func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			want: ErrNotAPI, text: "POST /oauth/request_token answered HTTP 404"},
		{name: "web page", handler: func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "<html><body>hello</body></html>")
		}, want: ErrNotAPI, text: "web page"},
		{name: "callback not confirmed", handler: func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "oauth_token=a&oauth_token_secret=b")
		}, want: ErrNotAPI, text: "without the expected tokens"},
		{name: "huge answer", handler: func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "oauth_token="+strings.Repeat("a", 2<<20))
		}, want: ErrNotAPI, text: "larger than"},
		{name: "redirect", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://api.twitter.com/oauth/request_token", http.StatusFound)
		}, want: ErrNotAPI, text: "redirect to https://api.twitter.com"},
		{name: "server error with a message", handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"title": "Service Unavailable", "detail": "Over capacity"}`)
		}, want: ErrUnavailable, text: "HTTP 503: Service Unavailable: Over capacity"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base := "http://" + closedPort(t)
			if tt.handler != nil {
				ts := httptest.NewServer(tt.handler)
				t.Cleanup(ts.Close)
				base = ts.URL
			}
			_, err := StartTwitter(t.Context(), mustBase(t, base), "key", "secret-value", testOptions())
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("StartTwitter: %v\nwant %v mentioning %q", err, tt.want, tt.text)
			}
			if strings.Contains(err.Error(), "secret-value") {
				t.Errorf("error carries the consumer secret: %v", err)
			}
		})
	}
}

// fakeOAuth answers request_token with a token and access_token with
// whatever body says.
func fakeOAuth(t *testing.T, access http.HandlerFunc) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/request_token", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "oauth_token=rt&oauth_token_secret=rts&oauth_callback_confirmed=true")
	})
	mux.HandleFunc("POST /oauth/access_token", access)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts.URL
}

func TestTwitterHostileTokens(t *testing.T) {
	for _, tt := range []struct{ name, body string }{
		{"newline in the token", "oauth_token=a%0Ainjected%3A+true&oauth_token_secret=b"},
		{"space in the secret", "oauth_token=a&oauth_token_secret=b+c"},
		{"control character", "oauth_token=a%1B&oauth_token_secret=b"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base := fakeOAuth(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, tt.body) })
			req, err := StartTwitter(t.Context(), mustBase(t, base), "k", "s", testOptions())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := req.Exchange(t.Context(), "1234567"); !errors.Is(err, ErrNotAPI) {
				t.Fatalf("Exchange: %v, want ErrNotAPI", err)
			}
		})
	}
}

// oauth1's helpers make requests without a context; the flow's context
// still bounds them.
func TestTwitterContextBoundsTheHelpers(t *testing.T) {
	base := fakeOAuth(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so the server notices the hang-up
		<-r.Context().Done()
	})
	req, err := StartTwitter(t.Context(), mustBase(t, base), "k", "s", testOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := req.Exchange(ctx, "1234567"); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "no answer in time") {
		t.Fatalf("Exchange: %v, want ErrUnreachable: no answer in time", err)
	}
}
