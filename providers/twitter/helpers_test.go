package twitter

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
)

// Credentials of the unit tests; none may reach an error string.
const (
	testConsumerKey    = "ck-unit-7d1f0c"
	testConsumerSecret = "cs-unit-secret-9a8b7c6d5e"
	testToken          = "42-tok-unit-b1c2d3"
	testTokenSecret    = "ts-unit-secret-f0e1d2c3b4"
	testUserID         = "42"
	testUsername       = "alice_x"
)

var testSecrets = []string{testConsumerKey, testConsumerSecret, testToken, testTokenSecret}

// recorded is one request a test server saw.
type recorded struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// server is an httptest server whose handler a test sets, recording every
// request.
type server struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []recorded
	handler http.HandlerFunc
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{handler: h}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body})
		h := s.handler
		s.mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		if !strings.HasPrefix(r.Header.Get("Authorization"), "OAuth ") {
			writeJSON(w, 401, `{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}`)
			return
		}
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// setHandler replaces the handler for the requests that follow.
func (s *server) setHandler(h http.HandlerFunc) {
	s.mu.Lock()
	s.handler = h
	s.mu.Unlock()
}

func (s *server) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// newTestProvider makes a provider for the server; settings add to
// api_base.
func newTestProvider(t *testing.T, s *server, settings map[string]string) *Provider {
	t.Helper()
	set := map[string]string{"api_base": s.URL}
	for k, v := range settings {
		set[k] = v
	}
	p, err := New(providers.Options{
		Account:  "alice-x",
		Settings: set,
		Secrets: map[string]providers.Secret{
			"consumer_key": testConsumerKey, "consumer_secret": testConsumerSecret,
			"access_token": testToken, "access_token_secret": testTokenSecret,
		},
		HTTPClient: s.Client(),
		UserAgent:  "dualpower-test",
	})
	if err != nil {
		t.Fatal(err)
	}
	p.after = func(time.Duration) <-chan time.Time {
		t.Error("an unexpected wait")
		c := make(chan time.Time, 1)
		c <- time.Now()
		return c
	}
	return p
}

// knowMe primes the provider with the account, as Verify would.
func knowMe(p *Provider) {
	p.mu.Lock()
	p.me = &user{ID: testUserID, Username: testUsername, Name: "Alice"}
	p.mu.Unlock()
}

// noSecret fails when err's text carries a credential.
func noSecret(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range testSecrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error carries a secret: %v", err)
		}
	}
}

func asError(t *testing.T, err error) *providers.Error {
	t.Helper()
	pe, ok := err.(*providers.Error)
	if !ok {
		t.Fatalf("err = %#v (%v), want a *providers.Error", err, err)
	}
	return pe
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

const meBody = `{"data":{"id":"42","name":"Alice","username":"alice_x"}}`
