package mastodontest

import (
	"fmt"
	"io"
	"net"
	"os"
	"sync"
)

// reporter is where the server reports a helper that failed: the test for
// New (testing.TB satisfies it), a log writer for Start.
type reporter interface {
	Errorf(format string, args ...any)
}

// logReporter writes each report as one line to w, for a server started
// outside a test.
type logReporter struct {
	mu sync.Mutex
	w  io.Writer
}

func newLogReporter(w io.Writer) *logReporter {
	if w == nil {
		w = os.Stderr
	}
	return &logReporter{w: w}
}

func (r *logReporter) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = fmt.Fprintf(r.w, format+"\n", args...)
}

// listenLoopback listens on a free port of 127.0.0.1, or of [::1] where
// IPv4 loopback is missing, as httptest does.
func listenLoopback() (net.Listener, error) {
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
