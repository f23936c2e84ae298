package httpapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestBuildStatus(t *testing.T) {
	clk := &clock{now: t0}
	st := openStore(t, clk)
	populate(t, st, clk)
	cfg := loadConfig(t, testConfig)

	s, err := buildStatus(cfg, st, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "status.golden.json", append(b, '\n'))

	// The figures a reader relies on, spelt out as well as in the golden.
	link := s.Links[0]
	if link.Name != "alice-to-x" || link.Mirrored != 1 || link.SkippedTotal() != 3 || link.FailedTotal() != 1 || link.Pending != 2 || !link.Active {
		t.Errorf("alice-to-x: %+v", link)
	}
	if l := s.Links[1]; l.Name != "alice-from-x" || l.Active || l.Pending != 1 {
		t.Errorf("alice-from-x: %+v", l)
	}
	if l := s.Links[2]; l.Name != "moving" || l.Kind != KindAnnouncement || l.Pending != 1 || l.To[0] != "alice-x" {
		t.Errorf("announcement: %+v", l)
	}
	if l := s.Links[3]; l.Name != "old-link" || l.Configured || l.Skipped["reply to someone else"] != 1 {
		t.Errorf("old link: %+v", l)
	}
	if len(s.Links) != 4 {
		t.Errorf("%d links, want 4", len(s.Links))
	}
	x := s.Accounts[1]
	if x.Name != "alice-x" || x.PostsToday != 1 || x.PostsMonth != 1 || x.SpendMonthUSD != 0.015 ||
		x.Pending != 3 || x.Failed != 1 || x.LastFailure != "duplicate: Status is a duplicate." ||
		x.Held != "held: posts_per_day (100) reached" || !x.HeldUntil.Equal(t0.Add(12*time.Hour)) ||
		x.RateLimitReset.IsZero() || x.BudgetUSDPerMonth != 10 || x.PostsPerDay != 100 {
		t.Errorf("alice-x: %+v", x)
	}
	if m := s.Accounts[0]; m.Name != "alice-mastodon" || !m.Paused || m.PausedWhy == "" || m.Pending != 1 || m.Events != 9 {
		t.Errorf("alice-mastodon: %+v", m)
	}
	if o := s.Accounts[2]; o.Name != "old-account" || o.Configured || o.Pending != 1 {
		t.Errorf("old account: %+v", o)
	}
	for _, a := range s.Accounts {
		if strings.HasPrefix(a.Name, "announcement:") {
			t.Errorf("announcement pseudo account listed: %+v", a)
		}
	}
	if len(s.Accounts) != 3 {
		t.Errorf("%d accounts, want 3", len(s.Accounts))
	}

	// Once the rate limit is past, it is not shown; the day's counters roll
	// over at midnight UTC.
	clk.Add(16 * time.Hour)
	s, err = buildStatus(cfg, st, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if x := s.Accounts[1]; !x.RateLimitReset.IsZero() || x.PostsToday != 0 || x.PostsMonth != 1 || x.Held != "" {
		t.Errorf("alice-x the next day: %+v", x)
	}
}

func TestBuildStatusEmptyLedger(t *testing.T) {
	clk := &clock{now: t0}
	st := openStore(t, clk)
	s, err := buildStatus(loadConfig(t, testConfig), st, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Links) != 3 || len(s.Accounts) != 2 {
		t.Fatalf("status of an empty ledger: %+v", s)
	}
	for _, l := range s.Links {
		if l.Mirrored != 0 || l.Pending != 0 || l.Skipped != nil || !l.LastActivity.IsZero() || !l.Configured {
			t.Errorf("link %s: %+v", l.Name, l)
		}
	}
	b, _ := json.Marshal(s)
	if strings.Contains(string(b), "null") {
		t.Errorf("empty status has nulls: %s", b)
	}
}

// A secret in a reason (an adapter that forgot to scrub) is redacted; no
// secret appears anywhere in the status.
func TestBuildStatusRedactsSecrets(t *testing.T) {
	clk := &clock{now: t0}
	st := openStore(t, clk)
	cfg := loadConfig(t, testConfig)
	tok := secrets["MASTODON_TOKEN"]
	if err := st.Pause("alice-mastodon", "auth failed: GET https://social.example/api?access_token="+tok); err != nil {
		t.Fatal(err)
	}
	res, err := st.Record(store.Event{Kind: store.Created, Ref: providers.Ref{Account: "alice-mastodon", ID: "1"}, Link: "alice-to-x",
		Intents: []store.NewIntent{{Account: "alice-x", Kind: store.Publish}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := st.Claim("alice-x"); err != nil {
		t.Fatal(err)
	}
	if err := st.Fail(res.IntentIDs[0], store.Failure{Permanent: true, Reason: "rejected: oauth_consumer_key=" + secrets["X_CONSUMER_KEY"]}); err != nil {
		t.Fatal(err)
	}
	s, err := buildStatus(cfg, st, t0)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s)
	for name, v := range secrets {
		if bytes.Contains(b, []byte(v)) {
			t.Errorf("secret %s in the status: %s", name, b)
		}
	}
	if got := s.Accounts[0].PausedWhy; got != "auth failed: GET https://social.example/api?access_token=<redacted>" {
		t.Errorf("paused why = %q", got)
	}
	if s.Links[0].Failed["rejected: oauth_consumer_key=<redacted>"] != 1 {
		t.Errorf("failed reasons = %v", s.Links[0].Failed)
	}
}

func TestBuildStatusClosedLedger(t *testing.T) {
	clk := &clock{now: t0}
	st := openStore(t, clk)
	st.Close()
	_, err := buildStatus(loadConfig(t, testConfig), st, t0)
	if err == nil || !strings.HasPrefix(err.Error(), "httpapi: status: ") {
		t.Fatalf("err = %v", err)
	}
}
