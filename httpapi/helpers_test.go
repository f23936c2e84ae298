package httpapi

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dualpower/dualpower/config"
	"github.com/dualpower/dualpower/providers"
	_ "github.com/dualpower/dualpower/providers/all" // the networks the config names
	"github.com/dualpower/dualpower/store"
)

const testConfig = `
data_dir: ./data
http: {listen: "127.0.0.1:0"}
accounts:
  alice-mastodon:
    network: mastodon
    server: https://social.example
    access_token: ${MASTODON_TOKEN}
  alice-x:
    network: x
    consumer_key: ${X_CONSUMER_KEY}
    consumer_secret: ${X_CONSUMER_SECRET}
    access_token: ${X_TOKEN}
    access_token_secret: ${X_SECRET}
    limits: {posts_per_day: 100, posts_per_month: 3000}
    budget: {usd_per_month: 10}
links:
  alice-to-x:
    from: alice-mastodon
    to: [alice-x]
  alice-from-x:
    from: alice-x
    to: [alice-mastodon]
    active: {from: 2020-01-01, until: 2020-06-30}
announcements:
  moving:
    account: alice-x
    schedule: "0 10 * * MON"
    text: "We moved: follow us at @alice@social.example"
`

// secrets are what the test config's ${VAR}s expand to. None may reach any
// output.
var secrets = map[string]string{
	"MASTODON_TOKEN":    "mastodon-token-SECRET-1",
	"X_CONSUMER_KEY":    "x-consumer-key-SECRET-2",
	"X_CONSUMER_SECRET": "x-consumer-secret-SECRET-3",
	"X_TOKEN":           "x-token-SECRET-4",
	"X_SECRET":          "x-token-secret-SECRET-5",
}

func loadConfig(t *testing.T, text string) *config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	cfg, err := config.Parse(path, []byte(text), func(k string) (string, bool) {
		v, ok := secrets[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// t0 is the test clock's start: the ledger's day and month counters are
// those of this day.
var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// clock is a test clock that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func openStore(t *testing.T, clk *clock) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "ledger.db"), store.Options{NoSync: true, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// populate fills the ledger the way the engine would have, one minute per
// step from t0:
//
//   - alice-to-x: m1 mirrored to alice-x (spend $0.015); m2, m3 skipped for
//     visibility, m4 for a word; m5 failed as a duplicate; m6 held by the
//     daily cap, m7 queued behind it.
//   - alice-from-x: x100 queued for alice-mastodon, which is paused.
//   - announcement moving: queued on alice-x.
//   - old-link (no longer configured): m8 skipped, m9 queued for
//     old-account (no longer configured).
//   - alice-x is rate limited for 15 minutes after the last step.
func populate(t *testing.T, st *store.Store, clk *clock) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	record := func(ev store.Event) []uint64 {
		t.Helper()
		clk.Add(time.Minute)
		res, err := st.Record(ev)
		must(err)
		return res.IntentIDs
	}
	claim := func(account string, want uint64) {
		t.Helper()
		in, ok, _, err := st.Claim(account)
		must(err)
		if !ok || in.ID != want {
			t.Fatalf("claim %s: got %d (ok %v), want %d", account, in.ID, ok, want)
		}
	}
	m := func(id string) providers.Ref { return providers.Ref{Account: "alice-mastodon", ID: id} }
	publish := []store.NewIntent{{Account: "alice-x", Kind: store.Publish}}

	ids := record(store.Event{Kind: store.Created, Ref: m("m1"), Link: "alice-to-x", Cursor: "m1", Intents: publish})
	claim("alice-x", ids[0])
	must(st.Complete(ids[0], store.Completion{Parts: []string{"x1"}, Spend: &store.Spend{Posts: 1, MicroUSD: 15_000}}))
	record(store.Event{Kind: store.Created, Ref: m("m2"), Link: "alice-to-x", Skips: []store.Skip{{Target: "alice-x", Reason: "visibility private"}}})
	record(store.Event{Kind: store.Created, Ref: m("m3"), Link: "alice-to-x", Skips: []store.Skip{{Target: "alice-x", Reason: "visibility direct"}}})
	record(store.Event{Kind: store.Created, Ref: m("m4"), Link: "alice-to-x", Skips: []store.Skip{{Target: "alice-x", Reason: `excluded word "crypto"`}}})
	ids = record(store.Event{Kind: store.Created, Ref: m("m5"), Link: "alice-to-x", Intents: publish})
	claim("alice-x", ids[0])
	must(st.Fail(ids[0], store.Failure{Permanent: true, Reason: "duplicate: Status is a duplicate."}))
	ids = record(store.Event{Kind: store.Created, Ref: m("m6"), Link: "alice-to-x", Intents: publish})
	claim("alice-x", ids[0])
	must(st.Fail(ids[0], store.Failure{Reason: "held: posts_per_day (100) reached", RetryAt: t0.Add(12 * time.Hour)}))
	record(store.Event{Kind: store.Created, Ref: m("m7"), Link: "alice-to-x", Intents: publish})

	record(store.Event{Kind: store.Created, Ref: providers.Ref{Account: "alice-x", ID: "x100"}, Link: "alice-from-x",
		Intents: []store.NewIntent{{Account: "alice-mastodon", Kind: store.Publish}}})
	clk.Add(time.Minute)
	must(st.Pause("alice-mastodon", "auth failed: The access token is invalid"))

	record(store.Event{Kind: store.Created, Ref: providers.Ref{Account: "announcement:moving", ID: "2026-11-23T10:00:00Z"},
		Link: "announcement:moving", Intents: []store.NewIntent{{Account: "alice-x", Kind: store.Announce}}})

	record(store.Event{Kind: store.Created, Ref: m("m8"), Link: "old-link", Skips: []store.Skip{{Target: "alice-x", Reason: "reply to someone else"}}})
	record(store.Event{Kind: store.Created, Ref: m("m9"), Link: "old-link", Intents: []store.NewIntent{{Account: "old-account", Kind: store.Publish}}})
	must(st.SetRateLimit("alice-x", clk.Now().Add(15*time.Minute)))
}
