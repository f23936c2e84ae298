package bridge

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/dualpower/dualpower/config"
	"github.com/dualpower/dualpower/providers"
	_ "github.com/dualpower/dualpower/providers/all" // the adapters, through the registry
	"github.com/dualpower/dualpower/providers/mastodon/mastodontest"
	"github.com/dualpower/dualpower/providers/twitter/twittertest"
	"github.com/dualpower/dualpower/store"
)

// world is a whole bridge over the two fakes: alice on a fake Mastodon and
// on a fake X, a config, a ledger and a running engine.
type world struct {
	t      *testing.T
	m      *mastodontest.Server
	x      *twittertest.Server
	dir    string
	links  string // the links: section of the config
	extra  string // more top-level config
	accts  string // more accounts
	cfg    *config.Config
	st     *store.Store
	obs    *observer
	eng    *Engine
	cancel context.CancelFunc
	done   chan error
	logs   *syncBuffer
	now    func() time.Time // the engine's clock; nil is time.Now
	dryRun bool
}

type worldOpt struct {
	// setup runs once the fakes exist, before the config is parsed.
	setup  func(w *world)
	links  string
	extra  string
	mopt   mastodontest.Options
	xopt   twittertest.Options
	xExtra string // more keys for the X account
	// accounts are more entries under accounts:, indented by two spaces.
	accounts string
}

// Two links both ways, the default rules.
const bothWays = `
  m2x:
    from: alice-mastodon
    to: [alice-x]
  x2m:
    from: alice-x
    to: [alice-mastodon]
`

func newWorld(t *testing.T, o worldOpt) *world {
	t.Helper()
	if o.links == "" {
		o.links = bothWays
	}
	w := &world{
		t:     t,
		m:     mastodontest.New(t, o.mopt),
		x:     twittertest.New(t, o.xopt),
		dir:   t.TempDir(),
		links: o.links,
		extra: o.extra + "\n",
		accts: o.accounts,
		obs:   newObserver(),
		logs:  &syncBuffer{},
	}
	if o.setup != nil {
		o.setup(w)
	}
	w.cfg = w.parse(o.xExtra)
	st, err := store.Open(filepath.Join(w.dir, "ledger.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.st = st
	t.Cleanup(func() {
		w.stop()
		w.st.Close()
		if t.Failed() || os.Getenv("DUALPOWER_TEST_LOGS") != "" {
			t.Logf("engine log:\n%s", w.logs.String())
		}
	})
	return w
}

func (w *world) parse(xExtra string) *config.Config {
	w.t.Helper()
	yaml := fmt.Sprintf(`data_dir: %s
http: {listen: ""}
log: {level: debug}
accounts:
  alice-mastodon:
    network: mastodon
    server: %s
    access_token: %s
  alice-x:
    network: twitter
    api_base: %s
    consumer_key: %s
    consumer_secret: %s
    access_token: %s
    access_token_secret: %s
    poll: "@every 1s"
%s
%s
links:
%s
%s`, w.dir, w.m.URL(), w.m.Token(), w.x.URL(), w.x.ConsumerKey(), w.x.ConsumerSecret(), w.x.Token(), w.x.TokenSecret(),
		indent(xExtra, "    "), w.accts, w.links, w.extra)
	path := filepath.Join(w.dir, "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		w.t.Fatal(err)
	}
	cfg, err := config.Parse(path, []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		w.t.Fatalf("test config:\n%s\n%v", yaml, err)
	}
	return cfg
}

func indent(s, pre string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		lines[i] = pre + strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "\n")
}

// providers builds the adapters for the world's accounts.
func (w *world) providers() map[string]providers.Provider {
	w.t.Helper()
	out, err := w.cfg.Providers(nil, "dualpower/test")
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

// start runs the engine until stop.
func (w *world) start() {
	w.t.Helper()
	eng, err := New(Options{
		Config: w.cfg, Store: w.st, Providers: w.providers(),
		Logger:   zerolog.New(w.logs).Level(zerolog.DebugLevel).With().Timestamp().Logger(),
		Observer: w.obs, ShutdownGrace: 5 * time.Second, Now: w.now,
		RetryBase: 50 * time.Millisecond, DryRun: w.dryRun,
	})
	if err != nil {
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.eng, w.cancel, w.done = eng, cancel, make(chan error, 1)
	go func() { w.done <- eng.Run(ctx) }()
	select {
	case <-eng.Ready():
	case err := <-w.done:
		w.t.Fatalf("engine stopped at once: %v", err)
	}
}

func (w *world) stop() {
	if w.cancel == nil {
		return
	}
	w.cancel()
	if err := <-w.done; err != nil {
		w.t.Errorf("engine: %v", err)
	}
	w.cancel = nil
}

// waitFor blocks until cond holds, re-checking whenever the engine reports
// anything, or fails the test after a generous bound.
func (w *world) waitFor(what string, cond func() bool) {
	w.t.Helper()
	timeout := time.NewTimer(45 * time.Second)
	defer timeout.Stop()
	for !cond() {
		select {
		case <-w.obs.signal:
		case <-timeout.C:
			w.t.Fatalf("timed out waiting for %s\nobserved: %s", what, w.obs.summary())
		}
	}
}

// observer records what the engine reports and signals every report.
type observer struct {
	mu       sync.Mutex
	received []received
	mirrored []outcomeRec
	skipped  []outcomeRec
	failed   []outcomeRec
	held     []outcomeRec
	signal   chan struct{}
}

type received struct {
	account string
	kind    providers.EventKind
	ref     providers.Ref
	known   bool
}

type outcomeRec struct {
	link, target, what string
}

func newObserver() *observer { return &observer{signal: make(chan struct{}, 1)} }

func (o *observer) ping() {
	select {
	case o.signal <- struct{}{}:
	default:
	}
}

func (o *observer) Received(account string, kind providers.EventKind, ref providers.Ref, known bool) {
	o.mu.Lock()
	o.received = append(o.received, received{account, kind, ref, known})
	o.mu.Unlock()
	o.ping()
}

func (o *observer) Mirrored(link, target string, kind store.IntentKind, _ time.Duration) {
	o.mu.Lock()
	o.mirrored = append(o.mirrored, outcomeRec{link, target, kind.String()})
	o.mu.Unlock()
	o.ping()
}

func (o *observer) Skipped(link, target, reason string) {
	o.mu.Lock()
	o.skipped = append(o.skipped, outcomeRec{link, target, reason})
	o.mu.Unlock()
	o.ping()
}

func (o *observer) Held(link, target, reason string, until time.Time) {
	o.mu.Lock()
	o.held = append(o.held, outcomeRec{link, target, reason})
	o.mu.Unlock()
	o.ping()
}

func (o *observer) Paused(account, why string) { o.ping() }

func (o *observer) Failed(link, target, reason string) {
	o.mu.Lock()
	o.failed = append(o.failed, outcomeRec{link, target, reason})
	o.mu.Unlock()
	o.ping()
}

// saw reports whether account received ref (known or not).
func (o *observer) saw(account, id string, known bool) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, r := range o.received {
		if r.account == account && r.ref.ID == id && r.known == known {
			return true
		}
	}
	return false
}

func (o *observer) count(kind string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, m := range o.mirrored {
		if m.what == kind {
			n++
		}
	}
	return n
}

func (o *observer) skippedWith(substr string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, s := range o.skipped {
		if strings.Contains(s.what, substr) {
			return true
		}
	}
	return false
}

func (o *observer) summary() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return fmt.Sprintf("%d received, mirrored %v, skipped %v, failed %v", len(o.received), o.mirrored, o.skipped, o.failed)
}

// syncBuffer is a log sink safe for the engine's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
