package mastodontest

import (
	"io"
	"net"

	"github.com/dualpower/dualpower/providers/providertest"
)

// reporter is where the server reports a helper that failed (see
// providertest.Reporter).
type reporter = providertest.Reporter

func newLogReporter(w io.Writer) reporter { return providertest.NewLogReporter(w) }

func listenLoopback() (net.Listener, error) { return providertest.ListenLoopback() }
