package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/dualpower/dualpower/bridge"
	"github.com/dualpower/dualpower/config"
	"github.com/dualpower/dualpower/providers"
	_ "github.com/dualpower/dualpower/providers/all" // every adapter registers itself
	"github.com/dualpower/dualpower/store"
)

// options are the bench's flags.
type options struct {
	Links    int
	Rate     float64
	Duration time.Duration
	Latency  time.Duration
	Idle     time.Duration
	Settle   time.Duration
	Mode     string
	BothWays bool
	XPoll    string
	Media    int
	Seed     int64
	DataDir  string
	NoSync   bool
	JSON     bool
	LogLevel string
	// Profile, when set, is a directory for pprof profiles: heap and
	// goroutines at the end of the idle period, CPU over the whole run.
	Profile string
}

const (
	modeStreaming = "streaming"
	modePolling   = "polling"
	maxLinks      = 10000
)

// parseFlags reads the command line.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("dualpower-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: dualpower-bench [flags]\n\nRuns the bridge against the fake Mastodon and X (in a separate process) and\nreports latency, throughput, requests per mirrored post and resource use.\n\n")
		fs.PrintDefaults()
	}
	fs.IntVar(&o.Links, "links", 100, "account pairs, each with a Mastodon → X link (1 to 10000)")
	fs.Float64Var(&o.Rate, "rate", 5, "posts per second, spread over the links at random")
	fs.DurationVar(&o.Duration, "duration", 30*time.Second, "how long to post")
	fs.DurationVar(&o.Latency, "latency", 50*time.Millisecond, "how long both fakes take to answer each API request")
	fs.DurationVar(&o.Idle, "idle", 10*time.Second, "quiet period measured before posting (idle CPU, reads when nothing is new)")
	fs.DurationVar(&o.Settle, "settle", 2*time.Minute, "how long to wait after the last post for its mirror")
	fs.StringVar(&o.Mode, "mode", modeStreaming, "how Mastodon accounts are read: streaming or polling (every second)")
	fs.BoolVar(&o.BothWays, "both-ways", false, "also link every X account back to its Mastodon account (X is polled)")
	fs.StringVar(&o.XPoll, "x-poll", "@every 1s", "poll spec of the X accounts with --both-ways")
	fs.IntVar(&o.Media, "media", 0, "images attached to each post (0 to 4)")
	fs.Int64Var(&o.Seed, "seed", 1, "seed for the choice of link of each post")
	fs.StringVar(&o.DataDir, "data", "", "directory for the config and ledger; default a temporary one, removed after")
	fs.BoolVar(&o.NoSync, "nosync", false, "open the ledger without fsync (measures the bridge rather than the disk)")
	fs.BoolVar(&o.JSON, "json", false, "print the report as JSON")
	fs.StringVar(&o.LogLevel, "log-level", "warn", "engine log level, to standard error")
	fs.StringVar(&o.Profile, "profile", "", "directory for pprof profiles (cpu.pprof for the run; heap.pprof and goroutine.pprof at the end of the idle period)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	var errs []error
	if o.Links < 1 || o.Links > maxLinks {
		errs = append(errs, fmt.Errorf("--links %d: want 1 to %d", o.Links, maxLinks))
	}
	if o.Rate <= 0 || o.Rate > 1000 {
		errs = append(errs, fmt.Errorf("--rate %g: want more than 0 and at most 1000", o.Rate))
	}
	if o.Duration <= 0 {
		errs = append(errs, fmt.Errorf("--duration %v: want more than 0", o.Duration))
	}
	if o.Latency < 0 || o.Idle < 0 || o.Settle <= 0 {
		errs = append(errs, errors.New("--latency and --idle cannot be negative, --settle must be positive"))
	}
	if o.Media < 0 || o.Media > 4 {
		errs = append(errs, fmt.Errorf("--media %d: want 0 to 4", o.Media))
	}
	if o.Mode != modeStreaming && o.Mode != modePolling {
		errs = append(errs, fmt.Errorf("--mode %q: want streaming or polling", o.Mode))
	}
	if _, err := zerolog.ParseLevel(o.LogLevel); err != nil {
		errs = append(errs, fmt.Errorf("--log-level: %w", err))
	}
	return o, errors.Join(errs...)
}

// benchConfig is the daemon's configuration for the fakes: one Mastodon
// and one X account per pair, a link from the first to the second, and
// with bothWays one back.
func benchConfig(o options, dir string, h fakesHello) string {
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir: %s\nhttp: {listen: \"\"}\nlog: {level: %s}\naccounts:\n", dir, o.LogLevel)
	xPoll := `""`
	if o.BothWays {
		xPoll = fmt.Sprintf("%q", o.XPoll)
	}
	mRead := "stream: true"
	if o.Mode == modePolling {
		mRead = `stream: false, poll: "@every 1s"`
	}
	for i, u := range h.Users {
		fmt.Fprintf(&b, "  m%05d: {network: mastodon, server: %s, access_token: %s, %s}\n", i, h.MastodonURL, u.MToken, mRead)
		fmt.Fprintf(&b, "  x%05d: {network: twitter, api_base: %s, consumer_key: %s, consumer_secret: %s, access_token: %s, access_token_secret: %s, poll: %s}\n",
			i, h.XURL, h.ConsumerKey, h.ConsumerSecret, u.XToken, u.XSecret, xPoll)
	}
	b.WriteString("links:\n")
	for i := range h.Users {
		fmt.Fprintf(&b, "  l%05d-m2x: {from: m%05d, to: [x%05d]}\n", i, i, i)
		if o.BothWays {
			fmt.Fprintf(&b, "  l%05d-x2m: {from: x%05d, to: [m%05d]}\n", i, i, i)
		}
	}
	return b.String()
}

// recorder is the engine's Observer for the bench: it keeps every publish
// latency and counts the rest, and signals each mirror.
type recorder struct {
	mu        sync.Mutex
	latencies []time.Duration
	mirrored  map[string]int // by intent kind
	received  int
	known     int
	skipped   map[string]int
	failed    map[string]int
	held      int
	paused    int
	last      time.Time
	signal    chan struct{}
}

func newRecorder() *recorder {
	return &recorder{mirrored: map[string]int{}, skipped: map[string]int{}, failed: map[string]int{}, signal: make(chan struct{}, 1)}
}

func (r *recorder) ping() {
	select {
	case r.signal <- struct{}{}:
	default:
	}
}

// Received counts events from sources.
func (r *recorder) Received(_ string, _ providers.EventKind, _ providers.Ref, known bool) {
	r.mu.Lock()
	r.received++
	if known {
		r.known++
	}
	r.mu.Unlock()
}

// Mirrored keeps the latency of each publish.
func (r *recorder) Mirrored(_, _ string, kind store.IntentKind, latency time.Duration) {
	r.mu.Lock()
	r.mirrored[kind.String()]++
	if kind == store.Publish {
		r.latencies = append(r.latencies, latency)
	}
	r.last = time.Now()
	r.mu.Unlock()
	r.ping()
}

// Skipped counts posts left out, by reason.
func (r *recorder) Skipped(_, _, reason string) {
	r.mu.Lock()
	r.skipped[reason]++
	r.mu.Unlock()
	r.ping()
}

// Failed counts intents that failed for good, by reason.
func (r *recorder) Failed(_, _, reason string) {
	r.mu.Lock()
	r.failed[reason]++
	r.mu.Unlock()
	r.ping()
}

// Held counts work held back by a cap or budget.
func (r *recorder) Held(string, string, string, time.Time) {
	r.mu.Lock()
	r.held++
	r.mu.Unlock()
}

// Paused counts accounts whose credentials were refused.
func (r *recorder) Paused(string, string) {
	r.mu.Lock()
	r.paused++
	r.mu.Unlock()
}

// outcomes is how many posts were mirrored, skipped or failed: every
// post that has an outcome.
func (r *recorder) outcomes() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.mirrored[store.Publish.String()]
	for _, v := range r.skipped {
		n += v
	}
	for _, v := range r.failed {
		n += v
	}
	return n
}

func (r *recorder) counts() (received, known int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.received, r.known
}

// bench runs one benchmark and returns its report. progress hears what it
// is doing, for people watching.
func bench(ctx context.Context, o options, progress io.Writer) (*report, error) {
	rep := &report{Options: o, Machine: machine()}
	fmt.Fprintf(progress, "starting the fakes with %d account pairs…\n", o.Links)
	fakes, err := startFakes(o.Links, os.Stderr)
	if err != nil {
		return nil, err
	}
	defer fakes.Close()
	if r, err := fakes.do(fakesCmd{Op: "usage"}); err == nil {
		rep.FakesAtStart = r.Usage
	}

	dir := o.DataDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "dualpower-bench-"); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		defer os.RemoveAll(dir)
	}
	yaml := benchConfig(o, dir, fakes.hello)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	cfg, err := config.Parse(path, []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		return nil, fmt.Errorf("bench: generated config: %w", err)
	}
	ledger := filepath.Join(dir, "ledger.db")
	st, err := store.Open(ledger, store.Options{NoSync: o.NoSync})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer st.Close()
	provs, err := buildProviders(cfg)
	if err != nil {
		return nil, err
	}
	level, _ := zerolog.ParseLevel(o.LogLevel)
	obs := newRecorder()
	eng, err := bridge.New(bridge.Options{
		Config: cfg, Store: st, Providers: provs, Observer: obs,
		Logger: zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, NoColor: true}).Level(level).With().Timestamp().Logger(),
	})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}

	// Start-up runs without the answer latency: the engine verifies each
	// account in turn, which is start-up cost, not the steady state.
	fmt.Fprintf(progress, "starting the engine…\n")
	rep.BeforeEngine = readUsage()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	started := time.Now()
	go func() { done <- eng.Run(runCtx) }()
	select {
	case <-eng.Ready():
	case err := <-done:
		return nil, fmt.Errorf("bench: engine: %w", err)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if o.Mode == modeStreaming {
		r, err := fakes.do(fakesCmd{Op: "streams", Want: o.Links, Timeout: 5 * time.Minute})
		if err != nil {
			return nil, err
		}
		rep.Streams = r.Streams
		if r.Streams < o.Links {
			return nil, fmt.Errorf("bench: only %d of %d streams opened", r.Streams, o.Links)
		}
	}
	rep.Startup = time.Since(started)
	if _, err := fakes.do(fakesCmd{Op: "latency", Latency: o.Latency}); err != nil {
		return nil, err
	}
	// The first connection of each stream is followed by a catch-up poll;
	// the idle period starts once those are done (or, polling, after two
	// rounds), so it measures the steady state.
	if err := quiesce(ctx, fakes, o); err != nil {
		return nil, err
	}
	stopped := func() error {
		stop()
		return <-done
	}

	// Idle: nothing is posted.
	fmt.Fprintf(progress, "idle for %v…\n", o.Idle)
	idleFrom, idleCounts, err := snapshot(fakes)
	if err != nil {
		return nil, err
	}
	recv0, _ := obs.counts()
	select {
	case <-time.After(o.Idle):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	idleTo, idleCounts2, err := snapshot(fakes)
	if err != nil {
		return nil, err
	}
	recv1, _ := obs.counts()
	if err := writeProfiles(o.Profile); err != nil {
		return nil, err
	}
	rep.Idle = idleFigures(idleFrom, idleTo, diffCounts(idleCounts, idleCounts2), recv1-recv0)

	// Load: posts at the rate, each to a link chosen at random.
	fmt.Fprintf(progress, "posting %g a second for %v…\n", o.Rate, o.Duration)
	loadFrom, loadCounts, err := snapshot(fakes)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewSource(o.Seed))
	interval := time.Duration(float64(time.Second) / o.Rate)
	first := time.Now()
	end := first.Add(o.Duration)
	posted := 0
	for next := first; next.Before(end); next = next.Add(interval) {
		select {
		case <-time.After(time.Until(next)):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		link := rng.Intn(o.Links)
		onX := o.BothWays && rng.Intn(2) == 1
		text := fmt.Sprintf("Bench post %d on link %d, run %d", posted+1, link, first.UnixNano())
		if _, err := fakes.do(fakesCmd{Op: "post", OnX: onX, User: link, Text: text, Media: o.Media}); err != nil {
			return nil, err
		}
		posted++
	}
	rep.Posted = posted
	fmt.Fprintf(progress, "posted %d; waiting for the mirrors…\n", posted)
	settle := time.NewTimer(o.Settle)
	defer settle.Stop()
	for obs.outcomes() < posted {
		select {
		case <-obs.signal:
		case <-settle.C:
			rep.TimedOut = true
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if rep.TimedOut {
			break
		}
	}
	loadTo, loadCounts2, err := snapshot(fakes)
	if err != nil {
		return nil, err
	}
	if err := stopped(); err != nil {
		return nil, fmt.Errorf("bench: engine: %w", err)
	}
	obs.mu.Lock()
	lat := sortedCopy(obs.latencies)
	last := obs.last
	rep.Mirrored = obs.mirrored[store.Publish.String()]
	rep.Skipped, rep.Failed, rep.Held, rep.Paused = obs.skipped, obs.failed, obs.held, obs.paused
	obs.mu.Unlock()
	rep.Load = loadFigures(loadFrom, loadTo, diffCounts(loadCounts, loadCounts2), rep.Mirrored)
	rep.Latency = latencyFigures(lat)
	if rep.Mirrored > 0 && last.After(first) {
		rep.Throughput = float64(rep.Mirrored) / last.Sub(first).Seconds()
	}
	rep.Final = readUsage()
	if r, err := fakes.do(fakesCmd{Op: "usage"}); err == nil {
		rep.FakesAtEnd = r.Usage
	}
	if fi, err := os.Stat(ledger); err == nil {
		rep.LedgerBytes = fi.Size()
	}
	return rep, nil
}

// snapshot reads this process's usage and the fakes' request counts.
func snapshot(f *fakesProc) (usage, map[string]int, error) {
	u := readUsage()
	r, err := f.do(fakesCmd{Op: "counts"})
	return u, r.Counts, err
}

// diffCounts is what was counted between two readings, zeros left out.
func diffCounts(before, after map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// buildProviders makes one provider per account through the registry, as
// the daemon does, over one shared HTTP client.
func buildProviders(cfg *config.Config) (map[string]providers.Provider, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	t.ResponseHeaderTimeout = time.Minute
	provs, err := cfg.Providers(&http.Client{Transport: t, Timeout: 5 * time.Minute}, "dualpower-bench")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return provs, nil
}

// quiesce waits, streaming, until the fakes see no request for five
// seconds (the Mastodon adapter polls a second time 3 s after each
// connect), at most two minutes; polling, it waits five seconds, as reads
// never stop.
func quiesce(ctx context.Context, f *fakesProc, o options) error {
	wait := func(d time.Duration) error {
		select {
		case <-time.After(d):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if o.Mode == modePolling || o.BothWays {
		return wait(5 * time.Second)
	}
	_, before, err := snapshot(f)
	if err != nil {
		return err
	}
	silent := 0
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		if err := wait(time.Second); err != nil {
			return err
		}
		_, now, err := snapshot(f)
		if err != nil {
			return err
		}
		if len(diffCounts(before, now)) != 0 {
			before, silent = now, 0
			continue
		}
		if silent++; silent >= 5 {
			return nil
		}
	}
	return nil
}
