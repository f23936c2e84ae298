package metrics

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dualpower/dualpower/config"
	"github.com/dualpower/dualpower/providers"
	_ "github.com/dualpower/dualpower/providers/all" // the networks the config names
	"github.com/dualpower/dualpower/store"
)

const testConfig = `
data_dir: ./data
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
    limits: {posts_per_month: 3000}
    budget: {usd_per_month: 10}
links:
  alice-to-x:
    from: alice-mastodon
    to: [alice-x]
`

// secrets are the values the test config's ${VAR}s expand to; none may
// appear in any output.
var secrets = map[string]string{
	"MASTODON_TOKEN":    "mastodon-token-SECRET-1",
	"X_CONSUMER_KEY":    "x-consumer-key-SECRET-2",
	"X_CONSUMER_SECRET": "x-consumer-secret-SECRET-3",
	"X_TOKEN":           "x-token-SECRET-4",
	"X_SECRET":          "x-token-secret-SECRET-5",
}

func loadConfig(t *testing.T) *config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	cfg, err := config.Parse(path, []byte(testConfig), func(k string) (string, bool) {
		v, ok := secrets[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// rateLimited is a provider that tells its rate limit.
type rateLimited struct {
	remaining int
	reset     time.Time
}

func (rateLimited) Network() string { return "twitter" }
func (rateLimited) Account() string { return "alice-x" }
func (rateLimited) Verify(context.Context) (providers.Identity, error) {
	return providers.Identity{}, nil
}
func (rateLimited) Limits(context.Context) (providers.Limits, error) { return providers.Limits{}, nil }
func (p rateLimited) RateLimit() (int, time.Time)                    { return p.remaining, p.reset }

// silent is a provider that does not tell its rate limit.
type silent struct{ rateLimited }

func (silent) RateLimit() {} // not a RateLimiter

func TestLedgerAccountGauges(t *testing.T) {
	cfg := loadConfig(t)
	st, err := store.Open(filepath.Join(t.TempDir(), "ledger.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	// Two posts queued for alice-x; the first is published, at a cost.
	for _, id := range []string{"1", "2", "3"} {
		if _, err := st.Record(store.Event{
			Kind: store.Created, Ref: providers.Ref{Account: "alice-mastodon", ID: id}, Link: "alice-to-x",
			Intents: []store.NewIntent{{Account: "alice-x", Kind: store.Publish}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	in, ok, _, err := st.Claim("alice-x")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if err := st.Complete(in.ID, store.Completion{Parts: []string{"x1"}, Spend: &store.Spend{Posts: 1, MicroUSD: 200_000}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Pause("alice-mastodon", "auth failed: token "+secrets["MASTODON_TOKEN"]+" refused"); err != nil {
		t.Fatal(err)
	}

	reset := time.Date(2026, 11, 25, 16, 0, 0, 500_000_000, time.UTC)
	m := New()
	m.SetAccounts(LedgerAccounts(cfg, st, map[string]providers.Provider{
		"alice-x":        rateLimited{remaining: 17, reset: reset},
		"alice-mastodon": silent{},
	}))
	body := scrape(t, m)
	got := parseText(t, body)
	want := map[string]float64{
		`dualpower_pending_intents{account="alice-x"}`:                           2,
		`dualpower_pending_intents{account="alice-mastodon"}`:                    0,
		`dualpower_rate_limit_remaining{account="alice-x"}`:                      17,
		`dualpower_rate_limit_reset_timestamp_seconds{account="alice-x"}`:        float64(reset.UnixMilli()) / 1e3,
		`dualpower_x_posts_month{account="alice-x"}`:                             1,
		`dualpower_x_posts_month_limit{account="alice-x"}`:                       3000,
		`dualpower_spend_usd_month{account="alice-x"}`:                           0.2,
		`dualpower_budget_usd_month{account="alice-x"}`:                          10,
		`dualpower_account_paused{account="alice-x"}`:                            0,
		`dualpower_account_paused{account="alice-mastodon"}`:                     1,
		`dualpower_x_posts_month{account="alice-mastodon"}`:                      0,
		`dualpower_rate_limit_remaining{account="alice-mastodon"}`:               -1, // unknown: absent
		`dualpower_rate_limit_reset_timestamp_seconds{account="alice-mastodon"}`: -1,
		`dualpower_budget_usd_month{account="alice-mastodon"}`:                   -1,
		`dualpower_metrics_errors_total{source="accounts"}`:                      -1,
		`dualpower_x_posts_month_limit{account="alice-mastodon"}`:                -1,
	}
	for k, v := range want {
		g, ok := got[k]
		switch {
		case v == -1 && ok:
			t.Errorf("%s present (%v), want absent", k, g)
		case v != -1 && !ok:
			t.Errorf("%s missing", k)
		case v != -1 && g != v:
			t.Errorf("%s = %v, want %v", k, g, v)
		}
	}
	for name, s := range secrets {
		if strings.Contains(body, s) {
			t.Errorf("secret %s reached /metrics", name)
		}
	}

	// A rate limit before any answer (-1, zero time) is left out.
	m.SetAccounts(LedgerAccounts(cfg, st, map[string]providers.Provider{"alice-x": rateLimited{remaining: -1}}))
	got = parseText(t, scrape(t, m))
	if _, ok := got[`dualpower_rate_limit_remaining{account="alice-x"}`]; ok {
		t.Error("unknown remaining shown")
	}
	if _, ok := got[`dualpower_rate_limit_reset_timestamp_seconds{account="alice-x"}`]; ok {
		t.Error("unknown reset shown")
	}
	// … unless the ledger remembers a reset still ahead.
	ledgerReset := time.Now().Add(time.Hour).Truncate(time.Second)
	if err := st.SetRateLimit("alice-x", ledgerReset); err != nil {
		t.Fatal(err)
	}
	got = parseText(t, scrape(t, m))
	if v := got[`dualpower_rate_limit_reset_timestamp_seconds{account="alice-x"}`]; v != float64(ledgerReset.Unix()) {
		t.Errorf("reset from the ledger = %v, want %v", v, ledgerReset.Unix())
	}
	// No accounts: no gauges.
	m.SetAccounts(nil)
	if body := scrape(t, m); strings.Contains(body, "dualpower_pending_intents") {
		t.Errorf("gauges without accounts: %s", body)
	}
}

// A failing or panicking source of gauges shows what it could read and
// counts the failure; the page stays valid.
func TestAccountsFuncFailures(t *testing.T) {
	tests := []struct {
		name    string
		fn      AccountsFunc
		pending map[string]float64
	}{
		{
			name: "error with partial samples",
			fn: func() ([]AccountSample, error) {
				return []AccountSample{{Account: "a", Pending: 3, RateLimitRemaining: -1}}, errTest
			},
			pending: map[string]float64{"a": 3},
		},
		{
			name:    "panic",
			fn:      func() ([]AccountSample, error) { panic("broken") },
			pending: map[string]float64{},
		},
		{
			name: "duplicate account",
			fn: func() ([]AccountSample, error) {
				return []AccountSample{{Account: "a", Pending: 1}, {Account: "a", Pending: 2}}, errTest
			},
			pending: map[string]float64{"a": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			m.SetAccounts(tt.fn)
			got := parseText(t, scrape(t, m))
			if got[`dualpower_metrics_errors_total{source="accounts"}`] != 1 {
				t.Errorf("error not counted: %v", got)
			}
			for a, want := range tt.pending {
				if v := got[`dualpower_pending_intents{account="`+a+`"}`]; v != want {
					t.Errorf("pending of %s = %v, want %v", a, v, want)
				}
			}
			if len(tt.pending) == 0 {
				for k := range got {
					if strings.HasPrefix(k, "dualpower_pending_intents") {
						t.Errorf("unexpected %s", k)
					}
				}
			}
		})
	}
}

type testError string

func (e testError) Error() string { return string(e) }

const errTest = testError("test failure")

// LedgerAccounts reports a closed ledger as an error, not a panic.
func TestLedgerAccountsClosedStore(t *testing.T) {
	cfg := loadConfig(t)
	st, err := store.Open(filepath.Join(t.TempDir(), "ledger.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	samples, err := LedgerAccounts(cfg, st, nil)()
	if err == nil {
		t.Fatalf("no error from a closed ledger; samples %v", samples)
	}
	if !strings.HasPrefix(err.Error(), "metrics: accounts: ") {
		t.Errorf("error %q lacks the package prefix", err)
	}
}
