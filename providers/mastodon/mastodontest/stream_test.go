package mastodontest

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func wsURL(s *Server, q string) string {
	return "ws" + strings.TrimPrefix(s.URL(), "http") + "/api/v1/streaming?" + q
}

// dial opens a user stream the way the named auth method says.
func dial(t *testing.T, s *Server, how, token string) *websocket.Conn {
	t.Helper()
	hdr := http.Header{"User-Agent": {"mastodontest/1"}}
	q := "stream=user"
	d := *websocket.DefaultDialer
	switch how {
	case "header":
		hdr.Set("Authorization", "Bearer "+token)
	case "query":
		q += "&access_token=" + url.QueryEscape(token)
	case "protocol":
		d.Subprotocols = []string{token}
	}
	c, res, err := d.Dial(wsURL(s, q), hdr)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		t.Fatalf("dial (%s): %v (HTTP %d)", how, err, status)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// next reads one stream message, failing the test after a timeout.
func next(t *testing.T, c *websocket.Conn) streamMessage {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	// The payload must be a JSON string, not an object.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("message %s: %v", b, err)
	}
	if p := raw["payload"]; len(p) == 0 || p[0] != '"' {
		t.Fatalf("payload is not a string: %s", b)
	}
	var m streamMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestStreamingEvents(t *testing.T) {
	for _, f := range []Flavor{Mastodon, GoToSocial} {
		for _, how := range []string{"header", "query", "protocol"} {
			if f == GoToSocial && how == "protocol" {
				continue
			}
			t.Run(f.String()+"/"+how, func(t *testing.T) {
				s := New(t, Options{Flavor: f})
				c := dial(t, s, how, s.Token())
				if !s.WaitStreams(s.Alice(), 1, 5*time.Second) {
					t.Fatal("stream not registered")
				}
				// Another user's activity does not reach alice's stream.
				bob := s.CreateUser("bob")
				bob.PostAsUser("bob's", "")

				a := postStatus(t, s, s.Token(), url.Values{"status": {"one"}})
				b := s.PostAsUser("two", a.ID)
				s.EditAsUser(a.ID, "one, edited")
				s.DeleteAsUser(b)

				want := []struct{ event, id string }{{"update", a.ID}, {"update", b}, {"status.update", a.ID}, {"delete", b}}
				for _, w := range want {
					m := next(t, c)
					if m.Event != w.event || len(m.Stream) != 1 || m.Stream[0] != "user" {
						t.Fatalf("got %s %v, want %s", m.Event, m.Stream, w.event)
					}
					if m.Event == "delete" {
						if m.Payload != w.id {
							t.Errorf("delete payload %q, want bare id %q", m.Payload, w.id)
						}
						continue
					}
					var st apiStatus
					if err := json.Unmarshal([]byte(m.Payload), &st); err != nil {
						t.Fatalf("payload: %v", err)
					}
					if st.ID != w.id {
						t.Errorf("%s payload id %s, want %s", m.Event, st.ID, w.id)
					}
					if m.Event == "status.update" && (st.EditedAt == nil || !strings.Contains(st.Content, "edited")) {
						t.Errorf("status.update payload %+v", st)
					}
				}
			})
		}
	}
}

func TestStreamingRefused(t *testing.T) {
	tests := []struct {
		name   string
		flavor Flavor
		q      string
		hdr    http.Header
		status int
	}{
		{"no token", Mastodon, "stream=user", nil, 401},
		{"bad token", Mastodon, "stream=user&access_token=nope", nil, 401},
		{"unknown stream", Mastodon, "stream=public:bogus", nil, 400},
		{"gts no token", GoToSocial, "stream=user", http.Header{"User-Agent": {"x"}}, 401},
		{"gts no user agent", GoToSocial, "stream=user", http.Header{"User-Agent": {""}}, 418},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t, Options{Flavor: tt.flavor})
			q := tt.q
			if tt.name == "unknown stream" {
				q += "&access_token=" + s.Token()
			}
			hdr := tt.hdr
			if hdr == nil {
				hdr = http.Header{"User-Agent": {"x"}}
			}
			_, res, err := websocket.DefaultDialer.Dial(wsURL(s, q), hdr)
			if err == nil {
				t.Fatal("dial succeeded")
			}
			if res == nil || res.StatusCode != tt.status {
				t.Fatalf("answer %v, want HTTP %d", res, tt.status)
			}
		})
	}
	t.Run("revoked", func(t *testing.T) {
		s := New(t, Options{})
		s.Revoke()
		_, res, err := websocket.DefaultDialer.Dial(wsURL(s, "stream=user&access_token="+s.Token()), nil)
		if err == nil || res.StatusCode != 401 {
			t.Fatalf("revoked token: %v %v", err, res)
		}
	})
}

func TestStreamingSubscribe(t *testing.T) {
	s := New(t, Options{})
	hdr := http.Header{"Authorization": {"Bearer " + s.Token()}}
	c, _, err := websocket.DefaultDialer.Dial(wsURL(s, ""), hdr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.WriteJSON(map[string]string{"type": "subscribe", "stream": "user"}); err != nil {
		t.Fatal(err)
	}
	if !s.WaitStreams(s.Alice(), 1, 5*time.Second) {
		t.Fatal("subscribe did not register")
	}
	id := s.PostAsUser("hello", "")
	if m := next(t, c); m.Event != "update" || !strings.Contains(m.Payload, id) {
		t.Errorf("got %+v", m)
	}
}

func TestDropStreams(t *testing.T) {
	s := New(t, Options{})
	c := dial(t, s, "header", s.Token())
	if !s.WaitStreams(s.Alice(), 1, 5*time.Second) {
		t.Fatal("not connected")
	}
	s.DropStreams()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := c.ReadMessage()
	if err == nil {
		t.Fatal("read after DropStreams succeeded")
	}
	if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
		t.Fatalf("connection not closed, read timed out: %v", err)
	}
	// Reconnecting works, and events flow again.
	c2 := dial(t, s, "header", s.Token())
	if !s.WaitStreams(s.Alice(), 1, 5*time.Second) {
		t.Fatal("not reconnected")
	}
	id := s.PostAsUser("after reconnect", "")
	if m := next(t, c2); !strings.Contains(m.Payload, id) {
		t.Errorf("got %+v", m)
	}
}

func TestHoldStreams(t *testing.T) {
	s := New(t, Options{})
	c := dial(t, s, "header", s.Token())
	if !s.WaitStreams(s.Alice(), 1, 5*time.Second) {
		t.Fatal("not connected")
	}
	s.HoldStreams()
	a := s.PostAsUser("a", "")
	b := s.PostAsUser("b", "")
	// Nothing went out: the events wait in the hub, no connection's buffer
	// has them.
	s.hub.mu.Lock()
	queued, buffered := len(s.hub.queue), 0
	for sc := range s.hub.subs[s.Alice()] {
		buffered += len(sc.ch)
	}
	s.hub.mu.Unlock()
	if queued != 2 || buffered != 0 {
		t.Fatalf("while held: %d queued, %d buffered; want 2 and 0", queued, buffered)
	}
	s.ReleaseStreams()
	for _, id := range []string{a, b} {
		if m := next(t, c); !strings.Contains(m.Payload, `"id":"`+id+`"`) {
			t.Fatalf("released out of order: %s", m.Payload)
		}
	}
}

func TestSSE(t *testing.T) {
	t.Run("mastodon", func(t *testing.T) {
		s := New(t, Options{})
		req, _ := http.NewRequest("GET", s.URL()+"/api/v1/streaming/user", nil)
		req.Header.Set("Authorization", "Bearer "+s.Token())
		res, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("SSE answer %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		if !s.WaitStreams(s.Alice(), 1, 5*time.Second) {
			t.Fatal("SSE stream not registered")
		}
		id := s.PostAsUser("sse", "")
		rd := bufio.NewReader(res.Body)
		var event, data string
		for event == "" || data == "" {
			line, err := rd.ReadString('\n')
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			line = strings.TrimSuffix(line, "\n")
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				event = v
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok {
				data = v
			}
		}
		if event != "update" || !strings.Contains(data, `"id":"`+id+`"`) {
			t.Errorf("event %q data %q", event, data)
		}
		// Dropping ends the response: the read returns instead of hanging.
		s.DropStreams()
		_, _ = io.ReadAll(rd)
	})
	t.Run("gotosocial has none", func(t *testing.T) {
		s := New(t, Options{Flavor: GoToSocial})
		r := do(t, s, "GET", "/api/v1/streaming/user", s.Token(), nil)
		mustStatus(t, r, 404)
	})
}

func TestStreamingHealth(t *testing.T) {
	s := New(t, Options{})
	r := do(t, s, "GET", "/api/v1/streaming/health", "", nil)
	mustStatus(t, r, 200)
	if string(r.body) != "OK" {
		t.Errorf("health body %q", r.body)
	}
	g := New(t, Options{Flavor: GoToSocial})
	mustStatus(t, do(t, g, "GET", "/api/v1/streaming/health", "", nil), 404)
}

// TestStreamSubscribedAtHandshake: a post made the moment the dial returns
// reaches the stream (the subscription exists before the handshake ends).
func TestStreamSubscribedAtHandshake(t *testing.T) {
	s := New(t, Options{})
	for i := range 20 {
		c := dial(t, s, "header", s.Token())
		id := s.PostAsUser("right away", "")
		if m := next(t, c); !strings.Contains(m.Payload, `"id":"`+id+`"`) {
			t.Fatalf("round %d: got %s", i, m.Payload)
		}
		c.Close()
	}
}

// TestConcurrentPosting: many clients posting, editing and deleting at
// once; the stream sees every update, in the order the IDs were given.
func TestConcurrentPosting(t *testing.T) {
	s := New(t, Options{RateLimit: -1})
	c := dial(t, s, "header", s.Token())
	const workers, each = 6, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if w%2 == 0 {
					s.PostAsUser("helper post", "")
					continue
				}
				r := do(t, s, "POST", "/api/v1/statuses", s.Token(), url.Values{"status": {"api post"}})
				if r.status != 200 {
					t.Errorf("post %d: %d", i, r.status)
				}
			}
		}()
	}
	wg.Wait()
	if s.Posts() != workers*each {
		t.Fatalf("%d posts, want %d", s.Posts(), workers*each)
	}
	prev := ""
	for range workers * each {
		m := next(t, c)
		var st apiStatus
		if err := json.Unmarshal([]byte(m.Payload), &st); err != nil || m.Event != "update" {
			t.Fatalf("%s %v", m.Event, err)
		}
		if prev != "" && cmpID(prev, st.ID) >= 0 {
			t.Fatalf("stream out of order: %s after %s", st.ID, prev)
		}
		prev = st.ID
	}
}

func TestQuietStreams(t *testing.T) {
	s := New(t, Options{})
	hdr := http.Header{"Authorization": {"Bearer " + s.Token()}}
	c, _, err := websocket.DefaultDialer.Dial(wsURL(s, "stream=public:local"), hdr)
	if err != nil {
		t.Fatalf("public:local refused: %v", err)
	}
	defer c.Close()
	if n := s.Streams(); n != 0 {
		t.Errorf("a public stream joined the user streams: %d", n)
	}
}

func TestRevokeClosesStreams(t *testing.T) {
	s := New(t, Options{})
	bob := s.CreateUser("bob")
	c := dial(t, s, "header", s.Token())
	cb := dial(t, s, "header", bob.Token)
	if !s.WaitStreams(nil, 2, 5*time.Second) {
		t.Fatal("not connected")
	}
	s.Revoke()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := c.ReadMessage(); err == nil {
		t.Fatal("stream of a revoked token still open")
	} else if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
		t.Fatal("stream of a revoked token not closed")
	}
	if !s.WaitStreams(bob, 1, time.Second) {
		t.Error("bob's stream closed too")
	}
	bob.PostAsUser("still here", "")
	if m := next(t, cb); m.Event != "update" {
		t.Errorf("bob's stream: %+v", m)
	}
	_, res, err := websocket.DefaultDialer.Dial(wsURL(s, "stream=user"), http.Header{"Authorization": {"Bearer " + s.Token()}})
	if err == nil || res.StatusCode != 401 {
		t.Errorf("reconnect with a revoked token: %v", err)
	}
}

// TestHeldEventsSkipLaterStreams: an event held while a stream was down
// does not reach the stream opened after it.
func TestHeldEventsSkipLaterStreams(t *testing.T) {
	s := New(t, Options{})
	old := dial(t, s, "header", s.Token())
	if !s.WaitStreams(s.Alice(), 1, 5*time.Second) {
		t.Fatal("not connected")
	}
	s.HoldStreams()
	s.DropStreams()
	s.PostAsUser("while down", "")
	fresh := dial(t, s, "header", s.Token())
	if !s.WaitStreams(s.Alice(), 1, 5*time.Second) {
		t.Fatal("not reconnected")
	}
	s.ReleaseStreams()
	after := s.PostAsUser("after the release", "")
	if m := next(t, fresh); !strings.Contains(m.Payload, `"id":"`+after+`"`) {
		t.Errorf("the new stream got %s first, want only what came after it", m.Payload)
	}
	_ = old
}
