package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/rs/zerolog"

	"github.com/dualpower/dualpower/bridge"
	"github.com/dualpower/dualpower/config"
	"github.com/dualpower/dualpower/store"
)

func (c *cli) run(args []string) int {
	fs := c.flags("run")
	path := configFlag(fs)
	dryRun := fs.Bool("dry-run", false, "render and log what would be posted; post nothing")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if *dryRun {
		return c.usageError("run --dry-run is not available yet: use `dualpower check` to validate a config")
	}
	cfg, ok := c.loadConfig(*path)
	if !ok {
		return exitUsage
	}
	log := newLogger(cfg, c.stderr)
	st, err := openStore(cfg, false)
	if err != nil {
		return c.fail("%v", err)
	}
	defer st.Close()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	client := httpClient()
	for {
		gen, err := c.generation(ctx, cfg, st, log, client, hup)
		if err != nil {
			log.Error().Err(err).Msg("bridge failed")
			return exitFailure
		}
		if gen == nil {
			return exitOK
		}
		cfg = gen
	}
}

// generation runs the engine on one configuration until the process is
// told to stop (it returns nil) or to reload (it returns the new config,
// already validated; a config that does not validate is logged and the
// current one keeps running).
func (c *cli) generation(ctx context.Context, cfg *config.Config, st *store.Store, log zerolog.Logger, client *http.Client, hup <-chan os.Signal) (*config.Config, error) {
	provs, err := buildProviders(cfg, client)
	if err != nil {
		return nil, err
	}
	eng, err := bridge.New(bridge.Options{Config: cfg, Store: st, Providers: provs, Logger: log, HTTPClient: client})
	if err != nil {
		return nil, err
	}
	genCtx, cancel := context.WithCancel(ctx)
	defer cancel()
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
