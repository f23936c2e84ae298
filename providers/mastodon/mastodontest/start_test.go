package mastodontest

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
	mustStatus(t, do(t, s, "GET", "/api/v1/accounts/verify_credentials", s.Token(), nil), http.StatusOK)
	id, err := s.Alice().TryPost(PostOpts{Text: "from a program"})
	if err != nil {
		t.Fatal(err)
	}
	var got apiStatus
	r := do(t, s, "GET", "/api/v1/statuses/"+id, s.Token(), nil)
	mustStatus(t, r, http.StatusOK)
	r.json(t, &got)
	if !strings.Contains(got.Content, "from a program") {
		t.Errorf("status %s content %q", id, got.Content)
	}
	url := s.URL()
	s.Close()
	s.Close() // a second Close does nothing
	if resp, err := http.Get(url + "/api/v1/instance"); err == nil {
		resp.Body.Close()
		t.Fatalf("GET after Close answered %d, want a connection error", resp.StatusCode)
	}
}

func TestStartHelpersReportToLog(t *testing.T) {
	log := &syncBuffer{}
	s, err := Start(Options{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	long := strings.Repeat("a", 501)
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
			wantLog: "mastodontest: post as alice: HTTP 422",
		},
		{
			name:    "reply to an unknown status",
			try:     func() error { _, err := s.Alice().TryReply("1", "hi"); return err },
			helper:  func() { s.Reply("1", "hi") },
			wantLog: "mastodontest: post as alice: HTTP 404",
		},
		{
			name:    "edit of an unknown status",
			try:     func() error { return s.Alice().TryEdit("1", PostOpts{Text: "x"}) },
			helper:  func() { s.Edit("1", PostOpts{Text: "x"}) },
			wantLog: "mastodontest: edit as alice: HTTP 404",
		},
		{
			name:    "delete of an unknown status",
			try:     func() error { return s.Alice().TryDelete("1") },
			helper:  func() { s.Delete("1") },
			wantLog: "mastodontest: delete as alice: HTTP 404",
		},
		{
			name:    "boost of an unknown status",
			try:     func() error { _, err := s.Alice().TryBoost("1"); return err },
			helper:  func() { s.Boost("1") },
			wantLog: "mastodontest: boost as alice: HTTP 404",
		},
		{
			name:    "unboost of an unknown status",
			try:     func() error { return s.Alice().TryUnboost("1") },
			helper:  func() { s.Alice().Unboost("1") },
			wantLog: "mastodontest: unboost as alice: HTTP 404",
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
	if id := s.Post(PostOpts{Text: long}); id != "" {
		t.Errorf("refused Post returned %q, want \"\"", id)
	}
}
