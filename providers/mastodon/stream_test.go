package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rs/zerolog"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/providers/mastodon/mastodontest"
)

// recorder is an emit that records events as the engine would see them.
type recorder struct {
	mu      sync.Mutex
	events  []providers.Event
	changed chan struct{} // closed and replaced on every event
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) emit(_ context.Context, ev providers.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	close(r.changed)
	r.changed = make(chan struct{})
	return nil
}

// waitFor blocks until cond holds for the events so far, or fails the test
// after timeout.
func (r *recorder) waitFor(t *testing.T, what string, timeout time.Duration, cond func([]providers.Event) bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ok := cond(r.events)
		ch, n := r.changed, len(r.events)
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s (%d events so far)", what, n)
		}
	}
}

func (r *recorder) snapshot() []providers.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]providers.Event(nil), r.events...)
}

// runStream runs p.Stream until the test ends, and checks it then returns
// context.Canceled promptly.
func runStream(t *testing.T, p *Provider, cursor string, emit func(context.Context, providers.Event) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ctx = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.DebugLevel).WithContext(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Stream(ctx, cursor, emit) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Stream ended with %v, want context.Canceled", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Stream did not return within 10 s of its context ending")
		}
	})
}

// TestStreamBurstWithDrops cuts a live stream three times during a burst of
// 30 posts (after posts 5, 12 and 20) and checks every post is delivered.
//
// What "exactly once" means here: the adapter delivers every post at least
// once, and the engine keeps the first event of each status ID and drops the
// rest (as its ledger does). The test de-duplicates the same way and asserts
// that (1) each of the 30 IDs arrived, (2) nothing else was created, (3) the
// events that carry a Cursor (polled ones) appear in the order of the
// posts, each cursor after the one before — so a consumer that advances
// its cursor only on them never skips a post — and (4) every post that was
// made while the stream was cut arrived through such a cursor-bearing
// polled event, or through the stream after the reconnect: at least once.
// Duplicates are counted and logged, not failed.
func TestStreamBurstWithDrops(t *testing.T) {
	for _, flavor := range []mastodontest.Flavor{mastodontest.Mastodon, mastodontest.GoToSocial} {
		t.Run(flavor.String(), func(t *testing.T) {
			p, srv := newFakeProvider(t, mastodontest.Options{Flavor: flavor, RateLimit: -1})
			connects := make(chan struct{}, 16)
			p.onConnect = func() { connects <- struct{}{} }
			awaitConnect := func(what string) {
				t.Helper()
				select {
				case <-connects:
				case <-time.After(10 * time.Second):
					t.Fatalf("the stream did not connect %s", what)
				}
			}
			_, cursor, err := p.Poll(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			rec := newRecorder()
			runStream(t, p, cursor, rec.emit)
			awaitConnect("at first")

			// Each cut hits a live connection: before cutting again, wait
			// for the reconnect (posts keep coming meanwhile, so some are
			// made while the stream is down).
			var ids []string
			drops := map[int]bool{5: true, 12: true, 20: true}
			cut := 0
			for i := 1; i <= 30; i++ {
				ids = append(ids, srv.PostAsUser(fmt.Sprintf("burst post %d", i), ""))
				if drops[i] {
					if cut > 0 {
						awaitConnect(fmt.Sprintf("again after cut %d", cut))
					}
					srv.DropStreams()
					cut++
				}
			}
			awaitConnect("after the last cut")
			want := map[string]int{}
			for i, id := range ids {
				want[id] = i
			}
			rec.waitFor(t, "all 30 posts", 20*time.Second, func(evs []providers.Event) bool {
				seen := map[string]bool{}
				for _, ev := range evs {
					if ev.Kind == providers.Created {
						seen[ev.Ref.ID] = true
					}
				}
				for _, id := range ids {
					if !seen[id] {
						return false
					}
				}
				return true
			})

			first := map[string]bool{}
			dups, lastPolled := 0, -1
			for _, ev := range rec.snapshot() {
				if ev.Kind != providers.Created {
					continue
				}
				i, ok := want[ev.Ref.ID]
				if !ok {
					t.Errorf("created event for %s, which the burst did not post", ev.Ref.ID)
					continue
				}
				if first[ev.Ref.ID] {
					dups++
				}
				first[ev.Ref.ID] = true
				if ev.Cursor != "" {
					if ev.Cursor != ev.Ref.ID {
						t.Errorf("polled event %s carries cursor %s", ev.Ref.ID, ev.Cursor)
					}
					if i <= lastPolled {
						t.Errorf("polled event for post %d came after polled post %d: a cursor would move back", i+1, lastPolled+1)
					}
					lastPolled = i
				}
			}
			if len(first) != 30 {
				t.Errorf("got %d distinct posts, want 30", len(first))
			}
			t.Logf("30 posts, 3 drops: %d duplicate deliveries dropped by ID", dups)
		})
	}
}

// miniServer is a bare Mastodon API for stream supervision tests: one
// account "1" without statuses, and a streaming endpoint the test writes.
func miniServer(t *testing.T, streaming http.HandlerFunc) (*Provider, *httptest.Server) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/accounts/verify_credentials", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cr3t-token-value" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"The access token is invalid"}`)
			return
		}
		_, _ = io.WriteString(w, `{"id":"1","username":"alice","acct":"alice","url":"https://social.example/@alice"}`)
	})
	mux.HandleFunc("GET /api/v1/accounts/1/statuses", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `[]`)
	})
	mux.HandleFunc("/api/v1/streaming", streaming)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error":"Record not found"}`)
	})
	srv := httptest.NewServer(mux)
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
	p.backoffMin, p.backoffMax = 10*time.Millisecond, 50*time.Millisecond
	return p, srv
}

var testUpgrader = websocket.Upgrader{}

// TestStreamDetectsHalfOpen: a server that accepts the WebSocket and then
// goes silent (no messages, no pongs) is given up on after the read
// timeout, and the adapter connects again.
func TestStreamDetectsHalfOpen(t *testing.T) {
	upgrades := make(chan struct{}, 8)
	hold := make(chan struct{})
	t.Cleanup(func() { close(hold) })
	p, _ := miniServer(t, func(w http.ResponseWriter, r *http.Request) {
		c, err := testUpgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		upgrades <- struct{}{}
		<-hold // never read, so never answer a ping
	})
	p.pingInterval, p.readTimeout = 20*time.Millisecond, 150*time.Millisecond
	runStream(t, p, "", newRecorder().emit)
	for i := range 2 {
		select {
		case <-upgrades:
		case <-time.After(10 * time.Second):
			t.Fatalf("connection %d did not happen: a silent connection was not given up", i+1)
		}
	}
}

// TestStreamKeepsQuietButAliveConnection: a server that answers pings
// keeps the connection although it sends no events.
func TestStreamKeepsQuietButAliveConnection(t *testing.T) {
	var upgrades atomic.Int32
	served := make(chan struct{})
	p, _ := miniServer(t, func(w http.ResponseWriter, r *http.Request) {
		c, err := testUpgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		upgrades.Add(1)
		// Reading answers pings; stop after a while with a close frame.
		deadline := time.Now().Add(2 * time.Second)
		_ = c.SetReadDeadline(deadline)
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				break
			}
		}
		select {
		case served <- struct{}{}:
		default:
		}
	})
	p.pingInterval, p.readTimeout = 50*time.Millisecond, time.Second
	runStream(t, p, "", newRecorder().emit)
	select {
	case <-served:
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not finish its first connection")
	}
	if n := upgrades.Load(); n != 1 {
		t.Errorf("%d connections during 2 s of a live, quiet stream (read timeout 1 s); want 1", n)
	}
}

// TestStreamTokenFallback: a server that does not read the Authorization
// header on the upgrade gets the token as access_token, and keeps getting
// it that way.
func TestStreamTokenFallback(t *testing.T) {
	var headerTries, queryTries atomic.Int32
	connected := make(chan struct{}, 8)
	p, _ := miniServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("access_token") != "s3cr3t-token-value" {
			headerTries.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"Unauthorized: token not supplied"}`)
			return
		}
		queryTries.Add(1)
		c, err := testUpgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		connected <- struct{}{}
		c.Close() // make the client come back
	})
	runStream(t, p, "", newRecorder().emit)
	for range 3 {
		select {
		case <-connected:
		case <-time.After(10 * time.Second):
			t.Fatal("no connection with the token as a query parameter")
		}
	}
	if n := headerTries.Load(); n != 1 {
		t.Errorf("the header was tried %d times, want once (then the query parameter is kept)", n)
	}
}

// TestStreamAuthRefused: a token the stream refuses either way ends Stream
// with an Auth error that does not carry the token.
func TestStreamAuthRefused(t *testing.T) {
	p, _ := miniServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"Invalid access token"}`)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := p.Stream(ctx, "", newRecorder().emit)
	if !errors.Is(err, providers.ErrAuth) {
		t.Fatalf("Stream = %v, want an Auth error", err)
	}
	if strings.Contains(fmt.Sprintf("%v %+v", err, err), "s3cr3t-token-value") {
		t.Errorf("error carries the token: %v", err)
	}
}

// TestStreamEmitError: an error from emit ends Stream with that error.
func TestStreamEmitError(t *testing.T) {
	p, _ := miniServer(t, func(w http.ResponseWriter, r *http.Request) {
		c, err := testUpgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		payload, _ := json.Marshal(`{"id":"9","created_at":"2026-11-20T10:00:00Z","content":"<p>hi</p>","account":{"id":"1","acct":"alice"}}`)
		_ = c.WriteMessage(websocket.TextMessage, []byte(`{"stream":["user"],"event":"update","payload":`+string(payload)+`}`))
		_, _, _ = c.ReadMessage()
	})
	boom := errors.New("ledger full")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got providers.Event
	err := p.Stream(ctx, "", func(_ context.Context, ev providers.Event) error { got = ev; return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Stream = %v, want the emit error", err)
	}
	if got.Kind != providers.Created || got.Ref.ID != "9" || got.Post == nil || got.Post.Text != "hi" || got.Cursor != "" {
		t.Errorf("emitted %+v, want a cursor-less Created event for status 9", got)
	}
}

func TestStreamEvent(t *testing.T) {
	p := testProvider(t)
	me := account{ID: "1", Acct: "alice"}
	status := func(id, account string) string {
		b, _ := json.Marshal(fmt.Sprintf(`{"id":%q,"content":"<p>x</p>","account":{"id":%q,"acct":"a"}}`, id, account))
		return string(b)
	}
	tests := []struct {
		name   string
		msg    string
		ok     bool
		kind   providers.EventKind
		wantID string
	}{
		{"own update", `{"stream":["user"],"event":"update","payload":` + status("5", "1") + `}`, true, providers.Created, "5"},
		{"others update ignored", `{"stream":["user"],"event":"update","payload":` + status("6", "2") + `}`, false, "", ""},
		{"own edit", `{"stream":["user"],"event":"status.update","payload":` + status("5", "1") + `}`, true, providers.Edited, "5"},
		{"delete bare id", `{"stream":["user"],"event":"delete","payload":"5"}`, true, providers.Deleted, "5"},
		{"stream as string", `{"stream":"user","event":"delete","payload":"7"}`, true, providers.Deleted, "7"},
		{"payload as object", `{"event":"update","payload":{"id":"8","content":"","account":{"id":"1"}}}`, true, providers.Created, "8"},
		{"notification ignored", `{"stream":["user"],"event":"notification","payload":"{}"}`, false, "", ""},
		{"garbage", `not json`, false, "", ""},
		{"broken payload", `{"event":"update","payload":"{"}`, false, "", ""},
		{"delete of nothing", `{"event":"delete","payload":""}`, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, ok := p.streamEvent([]byte(tt.msg), me, "social.example")
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tt.ok, ev)
			}
			if ok && (ev.Kind != tt.kind || ev.Ref.ID != tt.wantID || ev.Ref.Account != "alice-mastodon" || ev.Cursor != "") {
				t.Errorf("event = %+v, want %s %s", ev, tt.kind, tt.wantID)
			}
			if ok && (ev.Kind == providers.Deleted) != (ev.Post == nil) {
				t.Errorf("event %s has post %v", ev.Kind, ev.Post)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	b := backoff{min: time.Second, max: time.Minute}
	prevMax := time.Duration(0)
	for i := range 10 {
		d := b.next()
		ceiling := min(time.Second<<i, time.Minute)
		if d < ceiling/2 || d > ceiling {
			t.Fatalf("wait %d = %s, want in [%s, %s]", i, d, ceiling/2, ceiling)
		}
		prevMax = ceiling
	}
	if prevMax != time.Minute {
		t.Errorf("backoff did not reach its cap")
	}
	b.reset()
	if d := b.next(); d < 500*time.Millisecond || d > time.Second {
		t.Errorf("after reset, wait = %s, want in [500ms, 1s]", d)
	}
}

// TestStreamWaitsForRateLimitReset: a 429 on connecting makes the stream
// wait for the reset the server names, not just its (short) backoff.
func TestStreamWaitsForRateLimitReset(t *testing.T) {
	dials := make(chan time.Time, 8)
	const wait = 400 * time.Millisecond
	p, _ := miniServer(t, func(w http.ResponseWriter, r *http.Request) {
		dials <- time.Now()
		w.Header().Set("X-RateLimit-Reset", time.Now().Add(wait).UTC().Format(time.RFC3339Nano))
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"error":"Too many requests"}`)
	})
	runStream(t, p, "", newRecorder().emit)
	var at [2]time.Time
	for i := range at {
		select {
		case at[i] = <-dials:
		case <-time.After(10 * time.Second):
			t.Fatalf("dial %d did not happen", i+1)
		}
	}
	if gap := at[1].Sub(at[0]); gap < wait-50*time.Millisecond {
		t.Errorf("redialled %s after a 429 whose reset was %s away (backoff is 10-50 ms)", gap, wait)
	}
}

// TestStreamRecoversEditsMadeWhileDown: an edit made while the stream is
// cut reaches emit after the reconnect, found by the catch-up.
func TestStreamRecoversEditsMadeWhileDown(t *testing.T) {
	for _, flavor := range []mastodontest.Flavor{mastodontest.Mastodon, mastodontest.GoToSocial} {
		t.Run(flavor.String(), func(t *testing.T) {
			p, srv := newFakeProvider(t, mastodontest.Options{Flavor: flavor, RateLimit: -1})
			connects := make(chan struct{}, 16)
			p.onConnect = func() { connects <- struct{}{} }
			id := srv.PostAsUser("before the cut", "")
			_, cursor, err := p.Poll(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			rec := newRecorder()
			runStream(t, p, cursor, rec.emit)
			select {
			case <-connects:
			case <-time.After(10 * time.Second):
				t.Fatal("no connection")
			}
			srv.HoldStreams() // the edit below never reaches this connection
			srv.DropStreams()
			srv.EditAsUser(id, "edited while the stream was down")
			srv.ReleaseStreams()
			rec.waitFor(t, "the edit made while the stream was down", 10*time.Second, func(evs []providers.Event) bool {
				for _, ev := range evs {
					if ev.Kind == providers.Edited && ev.Ref.ID == id && ev.Post != nil && ev.Post.Text == "edited while the stream was down" {
						return true
					}
				}
				return false
			})
		})
	}
}

// TestStreamEndsOnRevokedToken: a token revoked while streaming ends
// Stream with an Auth error at the next reconnect, without the token in it.
func TestStreamEndsOnRevokedToken(t *testing.T) {
	for _, flavor := range []mastodontest.Flavor{mastodontest.Mastodon, mastodontest.GoToSocial} {
		t.Run(flavor.String(), func(t *testing.T) {
			p, srv := newFakeProvider(t, mastodontest.Options{Flavor: flavor})
			connects := make(chan struct{}, 4)
			p.onConnect = func() { connects <- struct{}{} }
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- p.Stream(ctx, "", newRecorder().emit) }()
			select {
			case <-connects:
			case <-time.After(10 * time.Second):
				t.Fatal("no connection")
			}
			srv.Revoke()
			srv.DropStreams()
			var err error
			select {
			case err = <-done:
			case <-time.After(15 * time.Second):
				t.Fatal("Stream went on with a revoked token")
			}
			if !errors.Is(err, providers.ErrAuth) {
				t.Fatalf("Stream = %v, want an Auth error", err)
			}
			if strings.Contains(fmt.Sprintf("%v %+v", err, err), srv.Token()) {
				t.Errorf("error carries the token: %v", err)
			}
		})
	}
}

// TestStreamDial429HoldsEveryRequest: a 429 refusing the WebSocket upgrade
// holds the account's other requests until its reset too.
func TestStreamDial429HoldsEveryRequest(t *testing.T) {
	p, _ := miniServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Reset", time.Now().Add(time.Minute).UTC().Format(time.RFC3339Nano))
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"error":"Too many requests"}`)
	})
	// Stream logs "reconnecting" once it has handled the refused upgrade.
	reconnecting := make(chan struct{}, 8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctx = zerolog.New(signalWriter{t: t, substr: "reconnecting", c: reconnecting}).Level(zerolog.DebugLevel).WithContext(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Stream(ctx, "", newRecorder().emit) }()
	defer func() { cancel(); <-done }()
	select {
	case <-reconnecting:
	case <-time.After(10 * time.Second):
		t.Fatal("the refused upgrade was not handled")
	}
	// The server would answer 404 for this status: a held request never
	// gets that far.
	_, err := p.Fetch(context.Background(), "5")
	if !errors.Is(err, providers.ErrRateLimited) || time.Until(providers.ResetOf(err)) < 30*time.Second {
		t.Errorf("Fetch after a refused upgrade = %v, want rate limited for about a minute", err)
	}
}

// signalWriter passes log lines to the test log and signals c for each one
// that contains substr.
type signalWriter struct {
	t      *testing.T
	substr string
	c      chan struct{}
}

func (w signalWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	if strings.Contains(string(b), w.substr) {
		select {
		case w.c <- struct{}{}:
		default:
		}
	}
	return len(b), nil
}
