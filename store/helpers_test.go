package store

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
)

// clock is a settable clock for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2027, 1, 4, 10, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openTest opens a fresh ledger in a temporary directory with a fake clock
// and no jitter, and closes it when the test ends.
func openTest(t testing.TB) (*Store, *clock) {
	t.Helper()
	c := newClock()
	s, err := Open(filepath.Join(t.TempDir(), "data", "ledger.db"), Options{Now: c.Now, Rand: func() float64 { return 0.5 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, c
}

func ref(account, id string) providers.Ref { return providers.Ref{Account: account, ID: id} }

// created is an event creating ref with one publish intent per target.
func created(r providers.Ref, cursor string, targets ...string) Event {
	ev := Event{Kind: Created, Ref: r, Link: "l", Cursor: cursor, TextHash: "h0"}
	for _, t := range targets {
		ev.Intents = append(ev.Intents, NewIntent{Account: t, Kind: Publish, Payload: []byte("p:" + r.ID)})
	}
	return ev
}

func mustRecord(t testing.TB, s *Store, ev Event) Result {
	t.Helper()
	res, err := s.Record(ev)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func mustClaim(t testing.TB, s *Store, account string) Intent {
	t.Helper()
	in, ok, next, err := s.Claim(account)
	if err != nil || !ok {
		t.Fatalf("claim %q: ok=%v next=%v err=%v", account, ok, next, err)
	}
	return in
}

func mustVerify(t testing.TB, s *Store) {
	t.Helper()
	ps, err := s.Verify()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		t.Errorf("verify: %s", p)
	}
}
