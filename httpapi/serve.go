package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/dualpower/dualpower/config"
	"github.com/dualpower/dualpower/store"
)

// Serve runs the daemon's HTTP server on cfg().HTTP.Listen until ctx ends,
// then shuts it down gracefully (see Server.ListenAndServe). It returns nil
// at once when http.listen is "" (the server is off), and an error at once
// when the address cannot be bound.
//
// cfg returns the configuration in force: /status follows a reload, while
// the address is read once, at the start. metrics serves /metrics (a
// *metrics.Metrics; nil: 404) and ready decides /readyz (see Readiness).
func Serve(ctx context.Context, cfg func() *config.Config, st *store.Store, metrics http.Handler, ready func() error, log zerolog.Logger) error {
	addr := cfg().HTTP.Listen
	if addr == "" {
		log.Info().Msg("http server off: http.listen is empty")
		return nil
	}
	srv := New(Options{
		Logger:  log,
		Metrics: metrics,
		Ready:   ready,
		Status:  func() (Status, error) { return BuildStatus(cfg(), st) },
	})
	return srv.ListenAndServe(ctx, addr)
}

// Readiness is the daemon's readiness check for Options.Ready. It is ready
// when running reports that the engine has started (which it does once
// every account was verified or paused), the ledger answers for every
// configured account, and no account is paused without a reason.
func Readiness(cfg func() *config.Config, st *store.Store, running func() bool) func() error {
	return func() error {
		if running == nil || !running() {
			return errors.New("starting: the bridge is verifying its accounts")
		}
		c := cfg()
		for _, name := range c.AccountNames {
			a, err := st.Account(name)
			if err != nil {
				return fmt.Errorf("the ledger does not answer: %w", err)
			}
			if a.Paused && a.PausedWhy == "" {
				return fmt.Errorf("account %s is paused without a reason", name)
			}
		}
		return nil
	}
}
