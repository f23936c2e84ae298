// Package httpapi is the daemon's HTTP surface, for a person, a script, a
// container orchestrator and Prometheus:
//
//	GET /healthz  200 "ok" while the process runs (liveness)
//	GET /readyz   200 "ready" when Options.Ready says so, else 503 and why
//	GET /metrics  the Prometheus metrics (package metrics)
//	GET /status   the Status as JSON: per link mirrored, skipped and failed
//	              by reason, pending and last activity; per account its
//	              pause, counters, spend, queue and failures
//
// It also holds the Status model and BuildStatus, which `dualpower status`
// uses directly on the ledger when no daemon answers.
//
// Caveats:
//
//   - Every endpoint is read-only and unauthenticated: bind it to loopback
//     or a private network (http.listen defaults to 127.0.0.1:8080), and put
//     a proxy with authentication in front if it must be reached from
//     elsewhere. Status shows account and link names, reasons, counts and
//     spend; it never shows a credential: secrets are not in it, and any
//     configured secret value found in a reason is replaced by <redacted>.
//   - /status reads the whole ledger on every request (store.Stats); it is
//     for people and scripts asking now and then, not for scraping every
//     second. Use /metrics for that.
//   - A config reload changes what /status shows but not the address the
//     server listens on: that takes a restart.
package httpapi
