package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dualpower/dualpower/httpapi"
	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/store"
)

// statusTestConfig is a config for the status tests; LISTEN is replaced by
// the http.listen value. Its credentials are written in the file: no
// environment is needed.
const statusTestConfig = `
data_dir: ./data
http: {listen: "LISTEN"}
accounts:
  alice-mastodon:
    network: mastodon
    server: https://social.example
    access_token: mastodon-token-SECRET-1
  alice-x:
    network: x
    consumer_key: x-consumer-key-SECRET-2
    consumer_secret: x-consumer-secret-SECRET-3
    access_token: x-token-SECRET-4
    access_token_secret: x-token-secret-SECRET-5
    limits: {posts_per_day: 100, posts_per_month: 3000}
    budget: {usd_per_month: 10}
links:
  alice-to-x:
    from: alice-mastodon
    to: [alice-x]
`

var statusSecrets = []string{"mastodon-token-SECRET-1", "x-consumer-key-SECRET-2", "x-consumer-secret-SECRET-3", "x-token-SECRET-4", "x-token-secret-SECRET-5"}

// writeStatusConfig writes the config with http.listen set to listen and
// returns its path; the ledger goes to data/ledger.db beside it.
func writeStatusConfig(t *testing.T, listen string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(statusTestConfig, "LISTEN", listen, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// populateStatusLedger records, the way the engine would: m1 mirrored to
// alice-x at a cost, m2 and m3 skipped for visibility, m4 failed for good
// as a duplicate, m5 queued; alice-mastodon paused. Times are minutes
// before now, so "ago" reads the same whenever the test runs.
func populateStatusLedger(t *testing.T, cfgPath string) {
	t.Helper()
	start := time.Now().Add(-10 * time.Minute)
	step := 0
	clock := func() time.Time { return start.Add(time.Duration(step) * time.Minute) }
	st, err := store.Open(filepath.Join(filepath.Dir(cfgPath), "data", "ledger.db"), store.Options{NoSync: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	record := func(id string, ev store.Event) []uint64 {
		t.Helper()
		step++
		ev.Kind, ev.Ref, ev.Link = store.Created, providers.Ref{Account: "alice-mastodon", ID: id}, "alice-to-x"
		res, err := st.Record(ev)
		must(err)
		return res.IntentIDs
	}
	claim := func(id uint64) {
		t.Helper()
		in, ok, _, err := st.Claim("alice-x")
		must(err)
		if !ok || in.ID != id {
			t.Fatalf("claimed %d (%v), want %d", in.ID, ok, id)
		}
	}
	publish := []store.NewIntent{{Account: "alice-x", Kind: store.Publish}}

	ids := record("m1", store.Event{Intents: publish})
	claim(ids[0])
	must(st.Complete(ids[0], store.Completion{Parts: []string{"x1"}, Spend: &store.Spend{Posts: 1, MicroUSD: 200_000}}))
	record("m2", store.Event{Skips: []store.Skip{{Target: "alice-x", Reason: "visibility private"}}})
	record("m3", store.Event{Skips: []store.Skip{{Target: "alice-x", Reason: "visibility direct"}}})
	ids = record("m4", store.Event{Intents: publish})
	claim(ids[0])
	must(st.Fail(ids[0], store.Failure{Permanent: true, Reason: "duplicate: Status is a duplicate."}))
	record("m5", store.Event{Intents: publish})
	step++
	must(st.Pause("alice-mastodon", "auth failed: The access token is invalid"))
}

func runStatus(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(append([]string{"status"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestStatusFromLedger(t *testing.T) {
	for _, tt := range []struct{ name, listen string }{
		{"server off", ""},
		{"no daemon answers", loginClosedAddr(t)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeStatusConfig(t, tt.listen)
			populateStatusLedger(t, path)
			code, out, errOut := runStatus(t, "-c", path)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			want := []string{
				`(?m)^dualpower status at \d{4}-\d\d-\d\d \d\d:\d\d UTC, from the ledger .*ledger\.db`,
				`(?m)^link alice-to-x: alice-mastodon -> alice-x$`,
				`(?m)^  mirrored 1, skipped 2 \(visibility 2\), failed 1 \(duplicate 1\), pending 1$`,
				`(?m)^  last activity 5m ago$`,
				`(?m)^account alice-mastodon \(mastodon\)$`,
				`(?m)^  PAUSED 4m ago: auth failed: The access token is invalid; fix its credentials, then reload \(SIGHUP\)$`,
				`(?m)^account alice-x \(twitter\)$`,
				`(?m)^  posts today 1 of 100, this month 1 of 3000, spend this month \$0\.20 of \$10\.00$`,
				`(?m)^  pending 1, failed 1\n  last failure: duplicate: Status is a duplicate\.$`,
			}
			for _, re := range want {
				if !regexp.MustCompile(re).MatchString(out) {
					t.Errorf("output lacks %s:\n%s", re, out)
				}
			}
			if tt.listen != "" && !strings.Contains(out, "(no daemon answered at "+tt.listen+")") {
				t.Errorf("output does not say no daemon answered:\n%s", out)
			}
			for _, s := range statusSecrets {
				if strings.Contains(out, s) {
					t.Errorf("secret in the output:\n%s", out)
				}
			}
		})
	}
}

func TestStatusJSONFromLedger(t *testing.T) {
	path := writeStatusConfig(t, "")
	populateStatusLedger(t, path)
	code, out, errOut := runStatus(t, "-c", path, "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var s httpapi.Status
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(s.Links) != 1 || len(s.Accounts) != 2 {
		t.Fatalf("status: %+v", s)
	}
	l := s.Links[0]
	if l.Mirrored != 1 || l.Skipped["visibility private"] != 1 || l.Skipped["visibility direct"] != 1 ||
		l.Failed["duplicate: Status is a duplicate."] != 1 || l.Pending != 1 {
		t.Errorf("link: %+v", l)
	}
	if a := s.Accounts[1]; a.Name != "alice-x" || a.SpendMonthUSD != 0.2 || a.PostsToday != 1 || a.Failed != 1 || a.Pending != 1 {
		t.Errorf("alice-x: %+v", a)
	}
	if a := s.Accounts[0]; !a.Paused || a.PausedWhy != "auth failed: The access token is invalid" {
		t.Errorf("alice-mastodon: %+v", a)
	}
	if d := time.Since(s.Generated); d < 0 || d > time.Minute {
		t.Errorf("generated %v", s.Generated)
	}
}

// daemonStatus is what the fake daemon serves: fixed, so the human output
// is the same on every run.
func daemonStatus() httpapi.Status {
	now := time.Date(2026, 11, 25, 15, 30, 0, 0, time.UTC)
	return httpapi.Status{
		Generated: now,
		Links: []httpapi.LinkStatus{
			{Name: "alice-to-x", Kind: httpapi.KindLink, From: "alice-mastodon", To: []string{"alice-x"}, Configured: true, Active: true,
				Mirrored: 42, Pending: 2, LastActivity: now.Add(-3 * time.Minute),
				Skipped: map[string]int{"visibility private": 3, "visibility direct": 1, "reply to someone else": 2, "too long for twitter (300 > 280)": 1,
					"too long for twitter (412 > 280)": 1, `excluded word "x"`: 1, "outside the link's active window": 1},
				Failed: map[string]int{"duplicate: Status is a duplicate.": 1}},
			{Name: "alice-from-x", Kind: httpapi.KindLink, From: "alice-x", To: []string{"alice-mastodon"}, Configured: true, Active: false},
			{Name: "moving", Kind: httpapi.KindAnnouncement, To: []string{"alice-x"}, Configured: true, Active: true,
				Mirrored: 3, LastActivity: now.Add(-50 * time.Hour)},
			{Name: "old-link", Kind: httpapi.KindLink, Mirrored: 7, LastActivity: now.Add(-40 * 24 * time.Hour)},
		},
		Accounts: []httpapi.AccountStatus{
			{Name: "alice-mastodon", Network: "mastodon", Configured: true, Paused: true, PausedWhy: "auth failed: The access token is invalid",
				PausedAt: now.Add(-2 * time.Hour), PostsToday: 4, PostsMonth: 30, Events: 51, LastActivity: now.Add(-90 * time.Second), Pending: 1},
			{Name: "alice-x", Network: "twitter", Configured: true, RateLimitReset: now.Add(15 * time.Minute),
				PostsToday: 12, PostsMonth: 57, SpendMonthUSD: 2.345, PostsPerDay: 100, PostsPerMonth: 3000, BudgetUSDPerMonth: 10,
				Events: 20, LastActivity: now.Add(-30 * time.Second), Pending: 3,
				Held: "held: posts_per_day (100) reached", HeldUntil: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC),
				Failed: 1, LastFailure: "duplicate: Status is a duplicate."},
		},
	}
}

// daemonStatusText is how daemonStatus reads for people. It is kept here
// rather than in testdata, which belongs to the whole command.
const daemonStatusText = `dualpower status at 2026-11-25 15:30 UTC, from the running daemon at ADDR

link alice-to-x: alice-mastodon -> alice-x
  mirrored 42, skipped 10 (visibility 4, reply 2, too long 2, +2 more), failed 1 (duplicate 1), pending 2
  last activity 3m ago

link alice-from-x: alice-x -> alice-mastodon (inactive: outside its active window)
  mirrored 0, skipped 0, failed 0, pending 0
  last activity never

announcement moving on alice-x
  posted 3, failed 0, pending 0
  last activity 2d ago

link old-link (no longer configured)
  mirrored 7, skipped 0, failed 0, pending 0
  last activity 40d ago

account alice-mastodon (mastodon)
  PAUSED 2h ago: auth failed: The access token is invalid; fix its credentials, then reload (SIGHUP)
  posts today 4, this month 30
  pending 1, failed 0
  last activity 1m ago

account alice-x (twitter)
  posts today 12 of 100, this month 57 of 3000, spend this month $2.345 of $10.00
  rate limited until 15:45 UTC (in 15m)
  pending 3, failed 1
  waiting until 2026-11-26 00:00 UTC: posts_per_day (100) reached
  last failure: duplicate: Status is a duplicate.
  last activity 30s ago
`

// fakeDaemon serves handler on a loopback port and returns its address.
func fakeDaemon(t *testing.T, handler http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestStatusFromDaemon(t *testing.T) {
	asked := 0
	addr := fakeDaemon(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/status" || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		asked++
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(daemonStatus())
	}))
	path := writeStatusConfig(t, addr)
	// The daemon holds the ledger: only the HTTP path can work.
	st, err := store.Open(filepath.Join(filepath.Dir(path), "data", "ledger.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	code, out, errOut := runStatus(t, "-c", path)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if out = strings.Replace(out, addr, "ADDR", 1); out != daemonStatusText {
		t.Errorf("human output differs:\n--- got\n%s\n--- want\n%s", out, daemonStatusText)
	}

	code, out, errOut = runStatus(t, "-c", path, "--json")
	if code != exitOK {
		t.Fatalf("--json: exit %d: %s", code, errOut)
	}
	var s httpapi.Status
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(daemonStatus())
	got, _ := json.Marshal(s)
	if !bytes.Equal(got, want) {
		t.Errorf("--json is not the daemon's status:\n%s\nwant\n%s", got, want)
	}
	if asked != 2 {
		t.Errorf("daemon asked %d times, want 2", asked)
	}
}

func TestStatusFailures(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(t *testing.T) []string // returns the arguments
		code   int
		stderr string
	}{
		{
			name: "daemon holds the ledger, no http",
			setup: func(t *testing.T) []string {
				path := writeStatusConfig(t, "")
				holdLedger(t, path)
				return []string{"-c", path}
			},
			code:   exitFailure,
			stderr: "dualpower: status: " + heldLedger + "\n",
		},
		{
			name: "daemon holds the ledger, nothing at its address",
			setup: func(t *testing.T) []string {
				path := writeStatusConfig(t, loginClosedAddr(t))
				holdLedger(t, path)
				return []string{"-c", path}
			},
			code:   exitFailure,
			stderr: "the daemon holds the ledger, and its status did not come from http://127.0.0.1:",
		},
		{
			name: "daemon cannot build its status",
			setup: func(t *testing.T) []string {
				addr := fakeDaemon(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					http.Error(w, "status unavailable: httpapi: status: store: stats: ledger damaged", http.StatusInternalServerError)
				}))
				return []string{"-c", writeStatusConfig(t, addr)}
			},
			code:   exitFailure,
			stderr: "answered: status unavailable: httpapi: status: store: stats: ledger damaged",
		},
		{
			name:   "no ledger yet",
			setup:  func(t *testing.T) []string { return []string{"-c", writeStatusConfig(t, "")} },
			code:   exitFailure,
			stderr: "no ledger at ",
		},
		{
			name:   "missing config",
			setup:  func(t *testing.T) []string { return []string{"-c", filepath.Join(t.TempDir(), "nope.yaml")} },
			code:   exitUsage,
			stderr: "cannot read the config file",
		},
		{
			name: "bad config",
			setup: func(t *testing.T) []string {
				path := writeStatusConfig(t, "")
				if err := os.WriteFile(path, []byte("accounts: {}\nlinks: {a: {from: nobody, to: [x]}}\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				return []string{"-c", path}
			},
			code:   exitUsage,
			stderr: "unknown account",
		},
		{
			name:   "unknown flag",
			setup:  func(t *testing.T) []string { return []string{"--yaml"} },
			code:   exitUsage,
			stderr: "flag provided but not defined",
		},
		{
			name:   "stray argument",
			setup:  func(t *testing.T) []string { return []string{"-c", writeStatusConfig(t, ""), "alice-to-x"} },
			code:   exitUsage,
			stderr: `status takes no arguments, got "alice-to-x"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runStatus(t, tt.setup(t)...)
			if code != tt.code || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want %d with %q (stdout %q)", code, errOut, tt.code, tt.stderr, out)
			}
		})
	}
}

// holdLedger opens the config's ledger read-write for the rest of the
// test, as a running daemon does.
func holdLedger(t *testing.T, cfgPath string) {
	t.Helper()
	st, err := store.Open(filepath.Join(filepath.Dir(cfgPath), "data", "ledger.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
}

// A daemon address that answers something else (another program on the
// port) is not taken for the daemon: the ledger is read instead.
func TestStatusNotADaemon(t *testing.T) {
	addr := fakeDaemon(t, http.NotFoundHandler())
	path := writeStatusConfig(t, addr)
	populateStatusLedger(t, path)
	code, out, errOut := runStatus(t, "-c", path)
	if code != exitOK || !strings.Contains(out, "from the ledger") || !strings.Contains(out, "mirrored 1,") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
}

// Credentials whose ${VAR} is unset in this shell do not stop status: it
// needs none. Other unset variables still do.
func TestStatusWithoutCredentialsInEnv(t *testing.T) {
	path := writeStatusConfig(t, "")
	populateStatusLedger(t, path)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	noCreds := strings.Replace(string(data), "x-token-SECRET-4", "${DUALPOWER_TEST_UNSET_TOKEN}", 1)
	if err := os.WriteFile(path, []byte(noCreds), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runStatus(t, "-c", path)
	if code != exitOK || !strings.Contains(out, "link alice-to-x") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	noServer := strings.Replace(noCreds, "https://social.example", "${DUALPOWER_TEST_UNSET_SERVER}", 1)
	if err := os.WriteFile(path, []byte(noServer), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runStatus(t, "-c", path)
	if code != exitUsage || !strings.Contains(errOut, "DUALPOWER_TEST_UNSET_SERVER is not set") || !strings.Contains(errOut, "DUALPOWER_TEST_UNSET_TOKEN is not set") {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
}

func TestDaemonAddr(t *testing.T) {
	tests := []struct{ name, listen, want string }{
		{"loopback", "127.0.0.1:8080", "127.0.0.1:8080"},
		{"every ipv4 interface", "0.0.0.0:8080", "127.0.0.1:8080"},
		{"every interface", ":8080", "127.0.0.1:8080"},
		{"every ipv6 interface", "[::]:8080", "127.0.0.1:8080"},
		{"ipv6 loopback", "[::1]:9090", "[::1]:9090"},
		{"named host", "localhost:8080", "localhost:8080"},
		{"lan address", "192.168.1.5:8080", "192.168.1.5:8080"},
		{"off", "", ""},
		{"random port", "127.0.0.1:0", ""},
		{"garbage", "nonsense", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := daemonAddr(tt.listen); got != tt.want {
				t.Errorf("daemonAddr(%q) = %q, want %q", tt.listen, got, tt.want)
			}
		})
	}
}

func TestHumanTimes(t *testing.T) {
	now := time.Date(2026, 11, 25, 15, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"never", ago(now, time.Time{}), "never"},
		{"just now", ago(now, now), "just now"},
		{"future is just now", ago(now, now.Add(time.Minute)), "just now"},
		{"seconds", ago(now, now.Add(-45*time.Second)), "45s ago"},
		{"minutes", ago(now, now.Add(-3*time.Minute-59*time.Second)), "3m ago"},
		{"hours", ago(now, now.Add(-47*time.Hour)), "47h ago"},
		{"days", ago(now, now.Add(-50*time.Hour)), "2d ago"},
		{"until", until(now, now.Add(15*time.Minute)), "in 15m"},
		{"until past", until(now, now.Add(-time.Minute)), "now"},
		{"clock today", clock(now, now.Add(time.Hour)), "16:30 UTC"},
		{"clock other day", clock(now, now.Add(9*time.Hour)), "2026-11-26 00:30 UTC"},
		{"usd cents", usd(2.5), "$2.50"},
		{"usd tenth of a cent", usd(0.015), "$0.015"},
		{"usd zero", usd(0), "$0.00"},
		{"limit", ofLimit(3, 100), "3 of 100"},
		{"no limit", ofLimit(3, 0), "3"},
		{"plain text", plain("line one\nline two\x1b[31mred\tand \u0085next", 100), "line one line two [31mred and  next"},
		{"plain cut", plain("ünïcödé text", 4), "ünïc…"},
		{"plain bad utf8", plain("a\xffb", 10), "a b"},
		{"no reasons", topReasons(nil), ""},
		{"reasons", topReasons(map[string]int{"visibility private": 2, "visibility direct": 1, "reply to someone else": 3}), " (reply 3, visibility 3)"},
		{"more reasons", topReasons(map[string]int{"a": 1, "visibility x": 1, "reply x": 1, "quote x": 1, "too long for x": 5}), " (too long 5, other 1, quote 1, +2 more)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

// Whatever answers at the daemon's address, status never panics: a broken
// answer sends it to the ledger, and text from the answer cannot drive the
// terminal.
func TestStatusHostileDaemon(t *testing.T) {
	escapes := daemonStatus()
	escapes.Links[0].Name = "evil\x1b]0;pwned\x07\nlink"
	escapes.Accounts[0].PausedWhy = "auth failed\x1b[2J\r\nrm -rf"
	for _, tt := range []struct {
		name     string
		handler  http.HandlerFunc
		fallback bool   // the ledger is read instead
		want     string // in stdout
	}{
		{"not json", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>hello</html>")) }, true, "mirrored 1,"},
		{"json of something else", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"status":"ok"}`)) }, true, "mirrored 1,"},
		{"wrong types", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"generated":"x","links":7}`)) }, true, "mirrored 1,"},
		{"cut short", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			_, _ = w.Write([]byte(`{"generated":`))
		}, true, "mirrored 1,"},
		{"never answers", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, true, "mirrored 1,"},
		{"escape sequences", func(w http.ResponseWriter, r *http.Request) { _ = json.NewEncoder(w).Encode(escapes) }, false, "link evil ]0;pwned  link: alice-mastodon"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeStatusConfig(t, fakeDaemon(t, tt.handler))
			populateStatusLedger(t, path)
			code, out, errOut := runStatus(t, "-c", path)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if got := strings.Contains(out, "from the ledger"); got != tt.fallback {
				t.Errorf("read the ledger: %v, want %v:\n%s", got, tt.fallback, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
			if strings.ContainsAny(out, "\x1b\x07\r") {
				t.Errorf("control characters reached the terminal: %q", out)
			}
		})
	}
}
