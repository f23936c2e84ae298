package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Options are what a Server serves.
type Options struct {
	// Logger gets the server's own errors (a failed status, a listener
	// that died); requests are not logged.
	Logger zerolog.Logger
	// Metrics serves /metrics, e.g. a *metrics.Metrics; nil answers 404.
	Metrics http.Handler
	// Ready decides /readyz: nil error is 200, an error is 503 with its
	// text. A nil Ready is always ready.
	Ready func() error
	// Status builds what /status shows; nil answers 404.
	Status func() (Status, error)
	// ShutdownTimeout bounds how long the server waits for requests in
	// flight when its context ends; default 5 s. Then it closes them.
	ShutdownTimeout time.Duration
}

// Server is the daemon's HTTP surface: /healthz, /readyz, /metrics and
// /status, read-only. Make it with New.
type Server struct {
	opt     Options
	handler http.Handler
	// building admits one status build at a time: each reads the whole
	// ledger, and a burst of requests must not make the daemon do that
	// many times over in parallel.
	building chan struct{}
}

// New makes a server; it listens only when ListenAndServe or Serve is
// called.
func New(opt Options) *Server {
	if opt.ShutdownTimeout <= 0 {
		opt.ShutdownTimeout = 5 * time.Second
	}
	s := &Server{opt: opt, building: make(chan struct{}, 1)}
	mux := http.NewServeMux()
	// "GET" patterns answer HEAD too; other methods get 405 with Allow.
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /status", s.status)
	if opt.Metrics != nil {
		mux.Handle("GET /metrics", opt.Metrics)
	}
	s.handler = headers(mux)
	return s
}

// Handler returns the server's routes, for tests or another server.
func (s *Server) Handler() http.Handler { return s.handler }

// ListenAndServe listens on addr (host:port) and serves until ctx ends,
// then shuts down gracefully: requests in flight get ShutdownTimeout to
// finish, and are closed after. It returns at once with an error when addr
// cannot be bound, nil after a shutdown, or the error that stopped the
// server.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("httpapi: listen on %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends, as ListenAndServe does, and closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	lg := s.opt.Logger.With().Str("addr", ln.Addr().String()).Logger()
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          log.New(logWriter{lg}, "", 0),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	lg.Info().Msg("http server listening")

	select {
	case err := <-done:
		return fmt.Errorf("httpapi: serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.opt.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		lg.Warn().Err(err).Dur("timeout", s.opt.ShutdownTimeout).Msg("http requests still running at shutdown were cut off")
		_ = srv.Close()
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("httpapi: serve on %s: %w", ln.Addr(), err)
	}
	lg.Info().Msg("http server stopped")
	return nil
}

// headers sets what every answer carries: nothing here may be cached or
// sniffed into something else.
func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	text(w, r, http.StatusOK, "dualpower: /healthz /readyz /metrics /status")
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	text(w, r, http.StatusOK, "ok")
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.opt.Ready != nil {
		if err := call(s.opt.Ready); err != nil {
			text(w, r, http.StatusServiceUnavailable, err.Error())
			return
		}
	}
	text(w, r, http.StatusOK, "ready")
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	if s.opt.Status == nil {
		http.NotFound(w, r)
		return
	}
	select {
	case s.building <- struct{}{}:
	case <-r.Context().Done():
		return // the client left
	}
	var st Status
	err := call(func() (err error) {
		st, err = s.opt.Status()
		return err
	})
	<-s.building
	if err != nil {
		s.opt.Logger.Error().Err(err).Msg("cannot build the status")
		text(w, r, http.StatusInternalServerError, "status unavailable: "+err.Error())
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "<redacted>" reads as written; this is not HTML
	enc.SetIndent("", "  ")
	if err := enc.Encode(st); err != nil {
		s.opt.Logger.Error().Err(err).Msg("cannot encode the status")
		text(w, r, http.StatusInternalServerError, "status unavailable: cannot encode it")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// call runs fn, turning a panic into an error so that one broken check
// answers 500 or 503 instead of dropping the connection.
func call(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("httpapi: internal error: %v", r)
		}
	}()
	return fn()
}

// text writes a one-line plain-text answer (no body to a HEAD).
func text(w http.ResponseWriter, r *http.Request, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, strings.TrimRight(msg, "\n")+"\n")
	}
}

// logWriter sends net/http's own error lines (TLS handshakes, panics in a
// handler, accept errors) to the logger.
type logWriter struct{ log zerolog.Logger }

func (l logWriter) Write(p []byte) (int, error) {
	l.log.Warn().Msg(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
