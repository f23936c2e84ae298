package providertest

import (
	"fmt"
	"io"
	"net"
	"os"
	"sync"
)

// Reporter is where a fake reports a helper that failed: the test for a
// fake made with New (testing.TB satisfies it), a log writer for one made
// with Start outside a test.
type Reporter interface {
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// NewLogReporter writes each report as one line to w (os.Stderr when nil).
// Fatalf cannot stop its caller as a test's does: it writes the line and
// returns, and the helper returns its zero value.
func NewLogReporter(w io.Writer) Reporter {
	if w == nil {
		w = os.Stderr
	}
	return &logReporter{w: w}
}

type logReporter struct {
	mu sync.Mutex
	w  io.Writer
}

func (r *logReporter) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = fmt.Fprintf(r.w, format+"\n", args...)
}

func (r *logReporter) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

// ListenLoopback listens on a free port of 127.0.0.1, or of [::1] where
// IPv4 loopback is missing, as httptest does: a fake never listens beyond
// this machine.
func ListenLoopback() (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err == nil {
		return ln, nil
	}
	ln, err6 := net.Listen("tcp6", "[::1]:0")
	if err6 == nil {
		return ln, nil
	}
	return nil, fmt.Errorf("listen on loopback: %w", err)
}
