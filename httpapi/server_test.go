package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/dualpower/dualpower/config"
	"github.com/dualpower/dualpower/metrics"
)

func get(t *testing.T, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

func TestEndpoints(t *testing.T) {
	m := metrics.New()
	m.Skipped("alice-to-x", "alice-x", "visibility private")
	srv := New(Options{
		Logger:  zerolog.Nop(),
		Metrics: m,
		Ready:   func() error { return nil },
		Status: func() (Status, error) {
			return Status{Generated: t0, Links: []LinkStatus{{Name: "alice-to-x", Kind: KindLink, Mirrored: 4}}, Accounts: []AccountStatus{}}, nil
		},
	})
	h := srv.Handler()
	tests := []struct {
		name, method, path string
		code               int
		contentType        string
		body               string // a substring; "" for an empty body
	}{
		{"healthz", "GET", "/healthz", 200, "text/plain; charset=utf-8", "ok\n"},
		{"healthz head", "HEAD", "/healthz", 200, "text/plain; charset=utf-8", ""},
		{"readyz", "GET", "/readyz", 200, "text/plain; charset=utf-8", "ready\n"},
		{"metrics", "GET", "/metrics", 200, "text/plain; version=0.0.4; charset=utf-8; escaping=underscores",
			`dualpower_skipped_total{link="alice-to-x",reason="visibility",target="alice-x"} 1`},
		{"status", "GET", "/status", 200, "application/json", `"mirrored": 4`},
		{"index", "GET", "/", 200, "text/plain; charset=utf-8", "/healthz /readyz /metrics /status"},
		{"unknown path", "GET", "/admin", 404, "text/plain; charset=utf-8", "404 page not found"},
		{"healthz post", "POST", "/healthz", 405, "text/plain; charset=utf-8", "Method Not Allowed"},
		{"status delete", "DELETE", "/status", 405, "text/plain; charset=utf-8", "Method Not Allowed"},
		{"metrics put", "PUT", "/metrics", 405, "text/plain; charset=utf-8", "Method Not Allowed"},
		{"unclean path", "GET", "/status/../healthz", 307, "", ""},
		{"status head", "HEAD", "/status", 200, "application/json", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := get(t, h, tt.method, tt.path)
			if rec.Code != tt.code {
				t.Fatalf("%s %s: %d, want %d (%s)", tt.method, tt.path, rec.Code, tt.code, rec.Body)
			}
			if tt.contentType != "" && rec.Header().Get("Content-Type") != tt.contentType {
				t.Errorf("Content-Type %q, want %q", rec.Header().Get("Content-Type"), tt.contentType)
			}
			if tt.method == "HEAD" && rec.Body.Len() != 0 {
				t.Errorf("HEAD wrote a body: %q", rec.Body)
			}
			if tt.body != "" && !strings.Contains(rec.Body.String(), tt.body) {
				t.Errorf("body %q lacks %q", rec.Body, tt.body)
			}
			if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("headers: %v", rec.Header())
			}
			if tt.code == 405 && rec.Header().Get("Allow") == "" {
				t.Errorf("405 without Allow")
			}
		})
	}
	// /status is the Status, whole.
	var s Status
	if err := json.Unmarshal(get(t, h, "GET", "/status").Body.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if !s.Generated.Equal(t0) || len(s.Links) != 1 || s.Links[0].Mirrored != 4 {
		t.Errorf("status round trip: %+v", s)
	}
}

func TestReadyzFlips(t *testing.T) {
	var notReady atomic.Pointer[error]
	set := func(err error) { notReady.Store(&err) }
	set(errors.New("starting: the bridge is verifying its accounts"))
	h := New(Options{Ready: func() error { return *notReady.Load() }}).Handler()

	rec := get(t, h, "GET", "/readyz")
	if rec.Code != 503 || rec.Body.String() != "starting: the bridge is verifying its accounts\n" {
		t.Fatalf("not ready: %d %q", rec.Code, rec.Body)
	}
	set(nil)
	if rec := get(t, h, "GET", "/readyz"); rec.Code != 200 {
		t.Fatalf("ready: %d %q", rec.Code, rec.Body)
	}
	set(errors.New("the ledger does not answer: closed"))
	if rec := get(t, h, "GET", "/readyz"); rec.Code != 503 || !strings.Contains(rec.Body.String(), "ledger") {
		t.Fatalf("not ready again: %d %q", rec.Code, rec.Body)
	}
	// Liveness does not depend on readiness.
	if rec := get(t, h, "GET", "/healthz"); rec.Code != 200 {
		t.Fatalf("healthz while not ready: %d", rec.Code)
	}
}

func TestBrokenCallbacks(t *testing.T) {
	var logged bytes.Buffer
	log := zerolog.New(&syncWriter{w: &logged})
	tests := []struct {
		name     string
		opt      Options
		path     string
		code     int
		contains string
	}{
		{"status error", Options{Status: func() (Status, error) { return Status{}, errors.New("ledger damaged") }}, "/status", 500, "status unavailable: ledger damaged"},
		{"status panic", Options{Status: func() (Status, error) { panic("boom") }}, "/status", 500, "internal error: boom"},
		{"ready panic", Options{Ready: func() error { panic("boom") }}, "/readyz", 503, "internal error: boom"},
		{"no status", Options{}, "/status", 404, "not found"},
		{"no metrics", Options{}, "/metrics", 404, "not found"},
		{"no ready", Options{}, "/readyz", 200, "ready"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.Logger = log
			rec := get(t, New(tt.opt).Handler(), "GET", tt.path)
			if rec.Code != tt.code || !strings.Contains(rec.Body.String(), tt.contains) {
				t.Errorf("%s: %d %q, want %d with %q", tt.path, rec.Code, rec.Body, tt.code, tt.contains)
			}
		})
	}
	if !strings.Contains(logged.String(), "cannot build the status") {
		t.Errorf("status failure not logged: %s", logged.String())
	}
}

// syncWriter serialises writes to a buffer shared with the server's
// goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

// The whole daemon surface over a real ledger: nothing of the config's
// secrets reaches /status or /metrics, even when a reason carries one.
func TestNoSecretsInOutput(t *testing.T) {
	clk := &clock{now: t0}
	st := openStore(t, clk)
	populate(t, st, clk)
	cfg := loadConfig(t, testConfig)
	tok := secrets["X_TOKEN"]
	if err := st.Pause("alice-x", "auth failed: token "+tok+" was refused"); err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	m.Failed("alice-to-x", "alice-x", "rejected: oauth_token="+tok)
	m.Skipped("alice-to-x", "alice-x", "excluded word "+secrets["X_SECRET"])
	m.SetAccounts(metrics.LedgerAccounts(cfg, st, nil))
	h := New(Options{
		Metrics: m,
		Status:  func() (Status, error) { return buildStatus(cfg, st, clk.Now()) },
	}).Handler()

	for _, path := range []string{"/status", "/metrics"} {
		rec := get(t, h, "GET", path)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		for name, v := range secrets {
			if strings.Contains(rec.Body.String(), v) {
				t.Errorf("%s shows secret %s:\n%s", path, name, rec.Body)
			}
		}
	}
	if body := get(t, h, "GET", "/status").Body.String(); !strings.Contains(body, "auth failed: token <redacted> was refused") {
		t.Errorf("pause reason not shown redacted:\n%s", body)
	}
}

// listen opens a loopback listener on a free port.
func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// A request in flight when the context ends is finished, then Serve
// returns nil.
func TestGracefulShutdown(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	srv := New(Options{
		Logger: zerolog.Nop(),
		Status: func() (Status, error) {
			close(entered)
			<-release
			return Status{Generated: t0}, nil
		},
	})
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()

	type answer struct {
		code int
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/status")
		if err != nil {
			answered <- answer{err: err}
			return
		}
		resp.Body.Close()
		answered <- answer{code: resp.StatusCode}
	}()
	<-entered
	cancel()
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) with a request in flight", err)
	case a := <-answered:
		t.Fatalf("request answered (%+v) before it was released", a)
	default:
	}
	close(release)
	if a := <-answered; a.err != nil || a.code != 200 {
		t.Fatalf("in-flight request: %+v", a)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	// The listener is closed.
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("still accepting after shutdown")
	}
}

// A request that never ends does not hold shutdown past ShutdownTimeout.
func TestShutdownIsBounded(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	var logs syncWriter
	logs.w = new(bytes.Buffer)
	srv := New(Options{
		Logger:          zerolog.New(&logs),
		ShutdownTimeout: 50 * time.Millisecond,
		Status: func() (Status, error) {
			close(entered)
			<-release
			return Status{}, nil
		},
	})
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/status")
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	start := time.Now()
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its shutdown timeout")
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("returned after %v, before the timeout", d)
	}
	if !strings.Contains(logs.String(), "cut off") {
		t.Errorf("cut-off requests not logged: %s", logs.String())
	}
}

func TestListenAndServeBindError(t *testing.T) {
	ln := listen(t)
	defer ln.Close()
	err := New(Options{}).ListenAndServe(context.Background(), ln.Addr().String())
	if err == nil || !strings.HasPrefix(err.Error(), "httpapi: listen on "+ln.Addr().String()) {
		t.Fatalf("err = %v", err)
	}
}

func TestServeOff(t *testing.T) {
	cfg := loadConfig(t, strings.Replace(testConfig, `http: {listen: "127.0.0.1:0"}`, `http: {listen: ""}`, 1))
	if cfg.HTTP.Listen != "" {
		t.Fatalf("listen = %q", cfg.HTTP.Listen)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := Serve(ctx, func() *config.Config { return cfg }, nil, nil, nil, zerolog.Nop()); err != nil {
		t.Fatalf("Serve with the server off: %v", err)
	}
}

// logSignal closes ready when a log line contains want.
type logSignal struct {
	want  string
	once  sync.Once
	ready chan struct{}
	line  atomic.Value
}

func (l *logSignal) Write(p []byte) (int, error) {
	if strings.Contains(string(p), l.want) {
		l.line.Store(string(p))
		l.once.Do(func() { close(l.ready) })
	}
	return len(p), nil
}

// Serve, as run calls it: the status follows the config in force and the
// ledger; readiness follows the engine.
func TestServeDaemon(t *testing.T) {
	clk := &clock{now: t0}
	st := openStore(t, clk)
	populate(t, st, clk)
	var current atomic.Pointer[config.Config]
	current.Store(loadConfig(t, testConfig)) // listens on 127.0.0.1:0
	var running atomic.Bool

	sig := &logSignal{want: "http server listening", ready: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- Serve(ctx, current.Load, st, metrics.New(), Readiness(current.Load, st, running.Load), zerolog.New(sig))
	}()
	select {
	case <-sig.ready:
	case err := <-served:
		t.Fatalf("Serve: %v", err)
	}
	var logged struct{ Addr string }
	if err := json.Unmarshal([]byte(sig.line.Load().(string)), &logged); err != nil || logged.Addr == "" {
		t.Fatalf("no address in %q: %v", sig.line.Load(), err)
	}
	base := "http://" + logged.Addr

	fetch := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := fetch("/readyz"); code != 503 || !strings.Contains(body, "starting") {
		t.Errorf("readyz before the engine runs: %d %q", code, body)
	}
	running.Store(true)
	if code, body := fetch("/readyz"); code != 200 {
		t.Errorf("readyz once running: %d %q", code, body)
	}
	if err := st.Pause("alice-x", ""); err != nil {
		t.Fatal(err)
	}
	if code, body := fetch("/readyz"); code != 503 || !strings.Contains(body, "alice-x is paused without a reason") {
		t.Errorf("readyz with a reasonless pause: %d %q", code, body)
	}
	code, body := fetch("/status")
	var s Status
	if err := json.Unmarshal([]byte(body), &s); code != 200 || err != nil || len(s.Links) != 4 {
		t.Fatalf("status: %d %v %s", code, err, body)
	}
	// A reload that drops a link shows at the next request.
	next := loadConfig(t, strings.Replace(testConfig, "  alice-from-x:\n    from: alice-x\n    to: [alice-mastodon]\n    active: {from: 2020-01-01, until: 2020-06-30}\n", "", 1))
	current.Store(next)
	_, body = fetch("/status")
	s = Status{}
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	for _, l := range s.Links {
		if l.Name == "alice-from-x" && l.Configured {
			t.Errorf("reload not followed: %+v", l)
		}
	}
	if code, _ := fetch("/healthz"); code != 200 {
		t.Errorf("healthz: %d", code)
	}
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// Readiness reports a closed ledger.
func TestReadinessClosedLedger(t *testing.T) {
	clk := &clock{now: t0}
	st := openStore(t, clk)
	cfg := loadConfig(t, testConfig)
	ready := Readiness(func() *config.Config { return cfg }, st, func() bool { return true })
	if err := ready(); err != nil {
		t.Fatalf("ready with an open ledger: %v", err)
	}
	st.Close()
	if err := ready(); err == nil || !strings.Contains(err.Error(), "ledger does not answer") {
		t.Fatalf("closed ledger: %v", err)
	}
	if err := Readiness(func() *config.Config { return cfg }, st, nil)(); err == nil {
		t.Fatal("ready without an engine")
	}
}

// Status builds, which read the whole ledger, run one at a time however
// many requests come at once; every request is answered.
func TestStatusBuildsOneAtATime(t *testing.T) {
	var inside, most atomic.Int32
	srv := New(Options{Status: func() (Status, error) {
		n := inside.Add(1)
		defer inside.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		runtime.Gosched()
		return Status{Generated: t0}, nil
	}})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	const requests = 16
	codes := make(chan int, requests)
	var wg sync.WaitGroup
	for range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(ts.URL + "/status")
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != 200 {
			t.Errorf("a request got %d", c)
		}
	}
	if m := most.Load(); m != 1 {
		t.Errorf("%d status builds ran at once, want 1", m)
	}
}
