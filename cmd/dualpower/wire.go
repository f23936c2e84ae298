package main

import (
	"io"
	"net/http"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/dualpower/dualpower/config"
	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/store"
)

// newLogger builds the one root logger, as the config asks.
func newLogger(cfg *config.Config, w io.Writer) zerolog.Logger {
	level, err := zerolog.ParseLevel(cfg.Log.Level)
	if err != nil || level == zerolog.NoLevel {
		level = zerolog.InfoLevel
	}
	var out io.Writer = w
	if cfg.Log.Format != "json" {
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339, NoColor: true}
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger()
}

// httpClient is what every adapter's requests go through: bounded, so a
// server that never answers cannot hold a worker forever.
func httpClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 8
	t.ResponseHeaderTimeout = time.Minute
	return &http.Client{Transport: t, Timeout: 5 * time.Minute}
}

// buildProviders makes one provider per configured account.
func buildProviders(cfg *config.Config, client *http.Client) (map[string]providers.Provider, error) {
	return cfg.Providers(client, "dualpower/"+version)
}

func ledgerPath(cfg *config.Config) string { return filepath.Join(cfg.DataDir, "ledger.db") }

func openStore(cfg *config.Config, readOnly bool) (*store.Store, error) {
	return store.Open(ledgerPath(cfg), store.Options{ReadOnly: readOnly})
}
