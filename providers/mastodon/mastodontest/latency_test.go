package mastodontest

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A client that gives up on a delayed POST frees the handler: Close does
// not wait out the delay.
func TestLatencyGivesWayToAClientThatLeft(t *testing.T) {
	s, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.SetLatency(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/api/v1/statuses",
		strings.NewReader(url.Values{"status": {"slow"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+s.Token())
	if resp, err := s.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("a request an hour slow answered")
	}
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(20 * time.Second):
		t.Fatal("Close waited on a handler whose client had left")
	}
}
