package httpapi_test

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/dualpower/dualpower/httpapi"
	"github.com/dualpower/dualpower/metrics"
)

// A server over a readiness check and a status; in the daemon, Serve wires
// the same from the config and the ledger.
func ExampleNew() {
	m := metrics.New()
	m.Skipped("alice-to-x", "alice-x", `excluded word "crypto"`)
	ready := errors.New("starting: the bridge is verifying its accounts")
	srv := httpapi.New(httpapi.Options{
		Metrics: m,
		Ready:   func() error { return ready },
		Status: func() (httpapi.Status, error) {
			return httpapi.Status{
				Generated: time.Date(2026, 11, 25, 15, 30, 0, 0, time.UTC),
				Links:     []httpapi.LinkStatus{{Name: "alice-to-x", Kind: httpapi.KindLink, Configured: true, Active: true, Mirrored: 42}},
				Accounts:  []httpapi.AccountStatus{},
			}, nil
		},
	})
	get := func(path string) {
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		body := rec.Body.String()
		if path == "/metrics" {
			// Only dualpower's own lines: the Go runtime and process
			// metrics beside them change from run to run.
			var own []string
			for _, l := range strings.SplitAfter(body, "\n") {
				if strings.Contains(l, " dualpower_") || strings.HasPrefix(l, "dualpower_") {
					own = append(own, l)
				}
			}
			body = strings.Join(own, "")
		}
		fmt.Printf("%s %d %s", path, rec.Code, body)
	}
	get("/healthz")
	get("/readyz")
	ready = nil
	get("/readyz")
	get("/metrics")
	get("/status")
	// Output:
	// /healthz 200 ok
	// /readyz 503 starting: the bridge is verifying its accounts
	// /readyz 200 ready
	// /metrics 200 # HELP dualpower_skipped_total Posts left out of a target account, by link, target and reason category.
	// # TYPE dualpower_skipped_total counter
	// dualpower_skipped_total{link="alice-to-x",reason="word",target="alice-x"} 1
	// /status 200 {
	//   "generated": "2026-11-25T15:30:00Z",
	//   "links": [
	//     {
	//       "name": "alice-to-x",
	//       "kind": "link",
	//       "configured": true,
	//       "active": true,
	//       "mirrored": 42,
	//       "pending": 0
	//     }
	//   ],
	//   "accounts": []
	// }
}
