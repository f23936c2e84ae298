package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/dualpower/dualpower/bridge"
	"github.com/dualpower/dualpower/config"
	"github.com/dualpower/dualpower/providers"
	_ "github.com/dualpower/dualpower/providers/all" // the adapters, through the registry
	"github.com/dualpower/dualpower/providers/mastodon/mastodontest"
	"github.com/dualpower/dualpower/providers/twitter/twittertest"
	"github.com/dualpower/dualpower/store"
)

// The demo's two accounts, both alice's, and its two links.
const (
	mastodonAccount = "alice-mastodon"
	xAccount        = "alice-x"
)

// Options tune a demo run. The zero value is the demo as `dualpower demo`
// runs it.
type Options struct {
	// Verbose logs the engine at debug level; otherwise only warnings and
	// errors are logged.
	Verbose bool
	// Log receives the engine's log and the fakes' complaints; nil means
	// os.Stderr. Run serialises its writes.
	Log io.Writer
	// DataDir holds the config and the ledger, and is kept afterwards; it
	// must not hold a ledger already. Empty means a temporary directory,
	// removed when Run returns.
	DataDir string
	// WaitLimit bounds how long one beat of the story waits for the
	// engine, besides ctx; 0 means 20 s.
	WaitLimit time.Duration
	// Inspect, when set, is called once the story is over and the engine
	// has stopped, with the fakes and the ledger still open; an error from
	// it fails Run. Tests use it to check the networks and the ledger
	// themselves.
	Inspect func(*Sandbox) error
}

// Sandbox is what the demo ran on, as handed to Options.Inspect.
type Sandbox struct {
	Mastodon *mastodontest.Server
	X        *twittertest.Server
	// Store is the ledger, open; the engine has stopped.
	Store *store.Store
	// Config is the configuration the engine ran with.
	Config *config.Config
	// Origins are the posts alice made in the story, in order, whether
	// or not they were mirrored or are still there.
	Origins []providers.Ref
}

// demo is one run: the fakes, the config, the ledger, the engine while it
// runs, and what the story did so far.
type demo struct {
	opt   Options
	out   *transcript
	log   zerolog.Logger
	limit time.Duration

	m   *mastodontest.Server
	x   *twittertest.Server
	cfg *config.Config
	obs *observer

	st      *store.Store // open while the engine may run
	xp      providers.Provider
	stopEng func() error // stops the running engine; nil when stopped

	origins   []providers.Ref
	restarted *restartState // set once the restart beat has run
	problems  []error
}

// Run plays the demo story and writes its transcript to w. It returns an
// error when the sandbox cannot be set up, the engine does not settle a
// beat in time, ctx ends, or a check of what the networks hold fails; the
// transcript then says how far it got.
func Run(ctx context.Context, w io.Writer, opt Options) (err error) {
	logw := opt.Log
	if logw == nil {
		logw = os.Stderr
	}
	logw = &lockedWriter{w: logw}
	level := zerolog.WarnLevel
	if opt.Verbose {
		level = zerolog.DebugLevel
	}
	d := &demo{
		opt:   opt,
		out:   &transcript{w: w},
		log:   zerolog.New(zerolog.ConsoleWriter{Out: logw, TimeFormat: time.TimeOnly, NoColor: true}).Level(level).With().Timestamp().Logger(),
		limit: opt.WaitLimit,
		obs:   newObserver(),
	}
	if d.limit <= 0 {
		d.limit = 20 * time.Second
	}

	dir := opt.DataDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "dualpower-demo-"); err != nil {
			return fmt.Errorf("demo: data dir: %w", err)
		}
		defer func() {
			if rerr := os.RemoveAll(dir); rerr != nil && err == nil {
				err = fmt.Errorf("demo: removing the data dir: %w", rerr)
			}
		}()
	} else {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("demo: data dir: %w", err)
		}
		// A ledger of an earlier run names posts of fakes that are gone.
		if _, err := os.Stat(filepath.Join(dir, "ledger.db")); err == nil {
			return fmt.Errorf("demo: %s already holds a ledger; give the demo a new directory", dir)
		}
	}

	if d.m, err = mastodontest.Start(mastodontest.Options{Log: logw}); err != nil {
		return fmt.Errorf("demo: starting the fake Mastodon: %w", err)
	}
	defer d.m.Close()
	if d.x, err = twittertest.Start(twittertest.Options{CanEdit: true, Log: logw}); err != nil {
		return fmt.Errorf("demo: starting the fake X: %w", err)
	}
	defer d.x.Close()
	if d.cfg, err = writeConfig(dir, d.m, d.x); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer func() {
		if serr := d.stop(); serr != nil && err == nil {
			err = fmt.Errorf("demo: %w", serr)
		}
	}()

	for _, l := range wrap(fmt.Sprintf("dualpower demo: the whole bridge between a fake Mastodon (%s) and a fake X, both running on this machine, with alice's accounts linked both ways. On the left, what is on Mastodon; on the right, what is on X.", d.m.Domain()), 79) {
		d.out.printf("%s\n", l)
	}
	if err := d.start(ctx); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := d.story(ctx); err != nil {
		d.out.note("✗ the demo stopped: " + err.Error())
		return errors.Join(fmt.Errorf("demo: %w", err), d.out.err)
	}
	if err := d.stop(); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := d.reopen(); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	d.verify()
	if opt.Inspect != nil {
		if err := opt.Inspect(&Sandbox{Mastodon: d.m, X: d.x, Store: d.st, Config: d.cfg, Origins: append([]providers.Ref(nil), d.origins...)}); err != nil {
			d.problem("inspect: %w", err)
		}
	}
	if len(d.problems) > 0 {
		d.out.printf("\nThe demo found %d %s; see above.\n", len(d.problems), plural(len(d.problems), "problem", "problems"))
		return fmt.Errorf("demo: %w", errors.Join(d.problems...))
	}
	d.out.printf("\nThat was the whole bridge, unchanged, on simulated networks. To run it for\nreal: dualpower login, then dualpower run (see the README).\n")
	if d.out.err != nil {
		return fmt.Errorf("demo: writing the transcript: %w", d.out.err)
	}
	return nil
}

// writeConfig writes the demo's config to dir and parses it as
// `dualpower run` would.
func writeConfig(dir string, m *mastodontest.Server, x *twittertest.Server) (*config.Config, error) {
	yaml := fmt.Sprintf(`# dualpower demo: alice on a fake Mastodon and a fake X, linked both ways.
data_dir: %q
log: {level: warn}
http: {listen: ""}
accounts:
  %s:
    network: mastodon
    server: %q
    access_token: %q
  %s:
    network: twitter
    api_base: %q
    consumer_key: %q
    consumer_secret: %q
    access_token: %q
    access_token_secret: %q
    can_edit: "true"
    poll: "@every 1s"
links:
  mastodon-to-x:
    from: %s
    to: [%s]
  x-to-mastodon:
    from: %s
    to: [%s]
`, dir, mastodonAccount, m.URL(), m.Token(),
		xAccount, x.URL(), x.ConsumerKey(), x.ConsumerSecret(), x.Token(), x.TokenSecret(),
		mastodonAccount, xAccount, xAccount, mastodonAccount)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		return nil, fmt.Errorf("writing the config: %w", err)
	}
	cfg, err := config.Parse(path, []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		return nil, fmt.Errorf("the demo's config: %w", err)
	}
	return cfg, nil
}

// providers builds the real adapters for the config's accounts.
func (d *demo) providers() (map[string]providers.Provider, error) {
	return d.cfg.Providers(nil, "dualpower/demo")
}

// reopen opens the ledger, as a new process would.
func (d *demo) reopen() error {
	st, err := store.Open(filepath.Join(d.cfg.DataDir, "ledger.db"), store.Options{})
	if err != nil {
		return fmt.Errorf("opening the ledger: %w", err)
	}
	d.st = st
	return nil
}

// start opens the ledger and runs the engine until stop, as `dualpower
// run` does; it returns once the engine is ready.
func (d *demo) start(ctx context.Context) error {
	if err := d.reopen(); err != nil {
		return err
	}
	provs, err := d.providers()
	if err != nil {
		return errors.Join(err, d.closeStore())
	}
	d.xp = provs[xAccount]
	eng, err := bridge.New(bridge.Options{
		Config: d.cfg, Store: d.st, Providers: provs, Logger: d.log, Observer: d.obs,
		RetryBase: 100 * time.Millisecond, ShutdownGrace: 3 * time.Second,
	})
	if err != nil {
		return errors.Join(err, d.closeStore())
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- eng.Run(runCtx) }()
	d.stopEng = func() error {
		cancel()
		return <-done
	}
	select {
	case <-eng.Ready():
		return nil
	case err := <-done:
		d.stopEng = nil
		cancel()
		return errors.Join(fmt.Errorf("the engine stopped at once: %w", err), d.closeStore())
	case <-ctx.Done():
		return fmt.Errorf("starting the engine: %w", ctx.Err())
	}
}

// stop stops the engine, if it runs, and closes the ledger, if open.
func (d *demo) stop() error {
	var err error
	if d.stopEng != nil {
		if e := d.stopEng(); e != nil {
			err = fmt.Errorf("engine: %w", e)
		}
		d.stopEng = nil
	}
	return errors.Join(err, d.closeStore())
}

// lockedWriter serialises the writes of the engine's goroutines and the
// fakes' handlers to one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (d *demo) closeStore() error {
	if d.st == nil {
		return nil
	}
	err := d.st.Close()
	d.st = nil
	if err != nil {
		return fmt.Errorf("closing the ledger: %w", err)
	}
	return nil
}
