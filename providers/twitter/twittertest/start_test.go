package twittertest

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestStartServesAPIUntilClose(t *testing.T) {
	s, err := Start(Options{Log: &syncBuffer{}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := newClient(t, s, s.Alice())
	c.do("GET", "/2/users/me", nil).want(t, http.StatusOK)
	id := c.post(map[string]any{"text": "from a program"})
	if got, ok := s.Lookup(id); !ok || got.Text != "from a program" {
		t.Fatalf("Lookup(%s) = %+v, %v", id, got, ok)
	}
	url := s.URL()
	s.Close()
	s.Close() // a second Close does nothing
	if resp, err := http.Get(url + "/2/users/me"); err == nil {
		resp.Body.Close()
		t.Fatalf("GET after Close answered %d, want a connection error", resp.StatusCode)
	}
}

func TestStartSeed(t *testing.T) {
	start := func(seed string) *Server {
		t.Helper()
		s, err := Start(Options{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s
	}
	a, b := start("demo"), start("demo")
	if a.ConsumerKey() != b.ConsumerKey() || a.Token() != b.Token() || a.TokenSecret() != b.TokenSecret() {
		t.Errorf("same seed, different credentials: %s/%s and %s/%s", a.ConsumerKey(), a.Token(), b.ConsumerKey(), b.Token())
	}
	c, d := start(""), start("")
	if c.ConsumerKey() == d.ConsumerKey() || c.Token() == d.Token() {
		t.Errorf("two random seeds gave the same credentials %s/%s", c.ConsumerKey(), c.Token())
	}
	if n := New(t, Options{Seed: "demo"}); n.ConsumerKey() != a.ConsumerKey() {
		t.Errorf("New with Seed: consumer key %s, want %s", n.ConsumerKey(), a.ConsumerKey())
	}
}

func TestStartHelpersReportToLog(t *testing.T) {
	log := &syncBuffer{}
	s, err := Start(Options{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	long := strings.Repeat("a", 281)
	tests := []struct {
		name    string
		try     func() error
		helper  func()
		wantLog string
	}{
		{
			name:    "post over the limit",
			try:     func() error { _, err := s.Alice().TryPost(PostOpts{Text: long}); return err },
			helper:  func() { s.Post(PostOpts{Text: long}) },
			wantLog: "twittertest: alice posting",
		},
		{
			name:    "edit of an unknown post",
			try:     func() error { _, err := s.Alice().TryEdit("1", "x"); return err },
			helper:  func() { s.Edit("1", "x") },
			wantLog: "twittertest: alice editing 1",
		},
		{
			name:    "delete of an unknown post",
			try:     func() error { return s.Alice().TryDelete("1") },
			helper:  func() { s.Delete("1") },
			wantLog: "twittertest: alice deleting 1",
		},
		{
			name:    "retweet of an unknown post",
			try:     func() error { _, err := s.Alice().TryRetweet("1"); return err },
			helper:  func() { s.Retweet("1") },
			wantLog: "twittertest: alice retweeting 1",
		},
		{
			name:    "authorize an unknown request token",
			try:     func() error { _, err := s.TryAuthorizeAs(s.Alice(), "nope"); return err },
			helper:  func() { s.Authorize("nope") },
			wantLog: "twittertest: authorize: unknown request token",
		},
		{
			name:    "a username X refuses",
			try:     func() error { _, err := s.TryCreateUser("not a name"); return err },
			helper:  func() { s.CreateUser("not a name") },
			wantLog: `twittertest: X does not allow the username "not a name"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.try(); err == nil {
				t.Fatal("Try… returned no error")
			}
			before := strings.Count(log.String(), "\n")
			tc.helper()
			out := log.String()
			if strings.Count(out, "\n") != before+1 || !strings.Contains(out, tc.wantLog) {
				t.Errorf("log after the helper:\n%s\nwant one more line with %q", out, tc.wantLog)
			}
		})
	}
	if u := s.CreateUser("not a name"); u != nil {
		t.Errorf("CreateUser of a refused name = %v, want nil", u)
	}
	if _, err := s.Alice().TryPost(PostOpts{Text: "still fine"}); err != nil {
		t.Errorf("TryPost after the refusals: %v", err)
	}
}
