package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/rs/zerolog"

	"github.com/dualpower/dualpower/bridge"
	"github.com/dualpower/dualpower/config"
	"github.com/dualpower/dualpower/httpapi"
	"github.com/dualpower/dualpower/metrics"
	"github.com/dualpower/dualpower/store"
)

func (c *cli) run(args []string) int {
	fs := c.flags("run")
	path := configFlag(fs)
	dryRun := fs.Bool("dry-run", false, "render and log what would be posted; post nothing")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	// Signals first: a SIGHUP or SIGTERM while the config loads and the
	// ledger opens must not kill the process by default action.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	cfg, ok := c.loadConfig(*path)
	if !ok {
		return exitUsage
	}
	bridge.TuneGC()
	log, st, cleanup, err := openLedger(cfg, newLogger(cfg, c.stderr), *dryRun)
	defer cleanup()
	if err != nil {
		return c.fail("%v", err)
	}
	defer st.Close()
	c.dryRun = *dryRun

	live := &live{metrics: metrics.New()}
	live.config.Store(cfg)
	httpDone := make(chan struct{})
	go func() {
		defer close(httpDone)
		base := httpapi.Readiness(live.config.Load, st, live.running.Load)
		ready := func() error {
			if err := base(); err != nil {
				return err
			}
			if eng := live.engine.Load(); eng != nil {
				if names := eng.Unready(); len(names) > 0 {
					return fmt.Errorf("not verified yet (their servers have not answered): %s", strings.Join(names, ", "))
				}
			}
			return nil
		}
		if err := httpapi.Serve(ctx, live.config.Load, st, live.metrics, ready, log); err != nil {
			log.Error().Err(err).Msg("no http server: /healthz, /readyz, /metrics and /status are off; the bridge runs on")
		}
	}()
	// The server stops before the ledger closes (defers run last first).
	defer func() { stop(); <-httpDone }()

	client := httpClient()
	for {
		gen, err := c.generation(ctx, live, cfg, st, log, client, hup)
		if err != nil {
			log.Error().Err(err).Msg("bridge failed")
			return exitFailure
		}
		if gen == nil {
			return exitOK
		}
		log = c.reloaded(log, cfg, gen)
		cfg = gen
	}
}

// reloaded logs what a reload changed and returns the logger the new config
// asks for. The ledger and the HTTP server are opened once, at the start: a
// new data_dir or http.listen waits for a restart, and the log says so.
func (c *cli) reloaded(log zerolog.Logger, old, next *config.Config) zerolog.Logger {
	if next.Log != old.Log {
		log = newLogger(next, c.stderr)
		if c.dryRun {
			log = dryRunLogger(log)
		}
	}
	ch := next.Diff(old)
	log.Info().Str("changes", ch.String()).Msg("config reloaded")
	for _, s := range ch.Settings {
		if s == "data_dir" || s == "http.listen" {
			log.Warn().Str("setting", s).Msg("this setting takes effect at the next restart; the old value stays in force until then")
		}
	}
	return log
}

// generation runs the engine on one configuration until the process is
// told to stop (it returns nil) or to reload (it returns the new config,
// already validated; a config that does not validate is logged and the
// current one keeps running).
func (c *cli) generation(ctx context.Context, live *live, cfg *config.Config, st *store.Store, log zerolog.Logger, client *http.Client, hup <-chan os.Signal) (*config.Config, error) {
	provs, err := buildProviders(cfg, client)
	if err != nil {
		return nil, err
	}
	live.config.Store(cfg)
	live.metrics.SetAccounts(metrics.LedgerAccounts(cfg, st, provs))
	eng, err := bridge.New(bridge.Options{Config: cfg, Store: st, Providers: provs, Logger: log, HTTPClient: client, Observer: live.metrics, DryRun: c.dryRun})
	if err != nil {
		return nil, err
	}
	genCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer live.running.Store(false)
	go func() {
		select {
		case <-eng.Ready():
			live.engine.Store(eng)
			live.running.Store(true)
		case <-genCtx.Done():
		}
	}()
	done := make(chan error, 1)
	go func() { done <- eng.Run(genCtx) }()
	for {
		select {
		case err := <-done:
			if ctx.Err() != nil {
				return nil, err
			}
			if err == nil {
				err = errors.New("the engine stopped by itself")
			}
			return nil, err
		case <-hup:
			next, err := config.Load(cfg.Path)
			if err == nil {
				// An adapter may refuse settings the file check lets
				// through (can_edit: maybe): find out before stopping
				// the running generation, not after. New does no I/O.
				_, err = buildProviders(next, client)
			}
			if err != nil {
				log.Error().Err(err).Msg("reload refused: the new config has problems; the running one stays")
				continue
			}
			log.Info().Msg("reloading the config")
			cancel()
			if err := <-done; err != nil {
				return nil, err
			}
			return next, nil
		}
	}
}

// live is what outlives one config generation: the metrics (counters do not
// restart on a reload) and what the HTTP server reads.
type live struct {
	metrics *metrics.Metrics
	config  atomic.Pointer[config.Config] // the config in force
	running atomic.Bool                   // the engine has started its work
	engine  atomic.Pointer[bridge.Engine] // the engine of the generation running
}

// openLedger opens the ledger run and backfill work on: the real one, or
// for a dry run a throwaway copy, with log raised to show what the dry run
// would do. cleanup removes the copy; it is never nil.
func openLedger(cfg *config.Config, log zerolog.Logger, dryRun bool) (zerolog.Logger, *store.Store, func(), error) {
	if !dryRun {
		st, err := openStore(cfg, false)
		return log, st, func() {}, err
	}
	log = dryRunLogger(log)
	st, cleanup, err := dryRunStore(cfg, log)
	return log, st, cleanup, err
}

// dryRunStore is a throwaway ledger for run --dry-run: a copy of the real
// one when no daemon holds it, so the dry run starts where the bridge
// stands, else an empty one (reading then starts at each link's start).
// The real ledger is never written.
func dryRunStore(cfg *config.Config, log zerolog.Logger) (*store.Store, func(), error) {
	dir, err := os.MkdirTemp("", "dualpower-dry-run-")
	if err != nil {
		return nil, func() {}, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	tmp := filepath.Join(dir, "ledger.db")
	if real, err := store.Open(ledgerPath(cfg), store.Options{ReadOnly: true}); err == nil {
		err = real.Export(io.Discard) // the file is readable and whole
		real.Close()
		if err == nil {
			err = copyFile(ledgerPath(cfg), tmp)
		}
		if err != nil {
			cleanup()
			return nil, func() {}, fmt.Errorf("dry run: copying the ledger: %w", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		log.Warn().Err(err).Msg("dry run: cannot copy the ledger; starting from an empty one")
	}
	log.Warn().Msg("dry run: nothing will be written to any network or to the real ledger")
	st, err := store.Open(tmp, store.Options{})
	if err != nil {
		cleanup()
		return nil, func() {}, err
	}
	return st, cleanup, nil
}

// dryRunLogger shows at least what a dry run would do (logged at info).
func dryRunLogger(log zerolog.Logger) zerolog.Logger {
	if log.GetLevel() > zerolog.InfoLevel {
		return log.Level(zerolog.InfoLevel)
	}
	return log
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
