package metrics

import (
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dualpower/dualpower/bridge"
	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/store"
)

// LatencyBuckets are the upper bounds, in seconds, of
// dualpower_mirror_latency_seconds: from a tenth of a second (a stream and
// a quick target) to an hour (a polled X account, a delay rule).
var LatencyBuckets = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600}

// Metrics records what the engine does and serves it, with the accounts'
// gauges and the Go runtime and process metrics, in the Prometheus
// exposition format. It is a bridge.Observer and an http.Handler for
// /metrics. Make one per process with New and keep it across config
// reloads, so that counters do not restart; give it the current accounts
// with SetAccounts. It is safe for concurrent use.
type Metrics struct {
	reg      *prometheus.Registry
	handler  http.Handler
	mirrored *prometheus.CounterVec
	skipped  *prometheus.CounterVec
	failed   *prometheus.CounterVec
	held     *prometheus.CounterVec
	events   *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	scrapeEr *prometheus.CounterVec
	accounts atomic.Pointer[AccountsFunc]
}

var _ bridge.Observer = (*Metrics)(nil)

// New makes an empty set of metrics with no accounts, on a registry of its
// own that also holds the standard Go runtime and process collectors.
func New() *Metrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		mirrored: counter("dualpower_mirrored_total",
			"Intents carried out on a target account, by link, target and kind (publish, edit, delete, repost, announce).",
			"link", "target", "kind"),
		skipped: counter("dualpower_skipped_total",
			"Posts left out of a target account, by link, target and reason category.",
			"link", "target", "reason"),
		failed: counter("dualpower_failed_total",
			"Intents that failed for good on a target account, by link, target and reason category.",
			"link", "target", "reason"),
		held: counter("dualpower_held_total",
			"Work held back on a target account until a later time, by link, target and what held it (posts_per_day, posts_per_month, budget, usage_cap, other).",
			"link", "target", "reason"),
		events: counter("dualpower_events_total",
			"Source events recorded, by account, kind and whether they were already known (an echo or a second delivery).",
			"account", "kind", "known"),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "dualpower_mirror_latency_seconds",
			Help:    "Time from a post's creation (or edit) on its source to its mirror being published, by target account.",
			Buckets: LatencyBuckets,
		}, []string{"target"}),
		scrapeEr: counter("dualpower_metrics_errors_total",
			"Scrapes whose account gauges could not be read, by what failed.",
			"source"),
	}
	// Every name and label here is fixed and distinct: a registration
	// failure is a programming error, hence MustRegister.
	m.reg.MustRegister(
		m.mirrored, m.skipped, m.failed, m.held, m.events, m.latency,
		accountCollector{m}, // and m.scrapeEr, after the gauges it counts
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	// A collector that fails (a process metric the system does not give,
	// say) must not take the page down: serve what was gathered and count
	// the failure in promhttp_metric_handler_errors_total.
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.reg,
	})
	return m
}

// Registry is the registry the metrics are gathered from, for a caller
// that wants to add collectors of its own or gather without HTTP.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// label makes a label value valid UTF-8, which client_golang requires (it
// panics on anything else); invalid bytes become U+FFFD. Valid strings,
// the usual case, are returned as they are without allocating.
func label(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// Received counts a source event. Part of bridge.Observer.
func (m *Metrics) Received(account string, kind providers.EventKind, _ providers.Ref, known bool) {
	k := string(kind)
	switch kind {
	case providers.Created, providers.Edited, providers.Deleted:
	default:
		k = "other"
	}
	kn := "false"
	if known {
		kn = "true"
	}
	m.events.WithLabelValues(label(account), k, kn).Inc()
}

// Mirrored counts an intent carried out and, when latency is known
// (positive), observes it. Part of bridge.Observer.
func (m *Metrics) Mirrored(link, target string, kind store.IntentKind, latency time.Duration) {
	k := "other"
	if kind.Valid() {
		k = kind.String()
	}
	m.mirrored.WithLabelValues(label(link), label(target), k).Inc()
	if latency > 0 {
		m.latency.WithLabelValues(label(target)).Observe(latency.Seconds())
	}
}

// Skipped counts a post left out, under its reason's Category. Part of
// bridge.Observer.
func (m *Metrics) Skipped(link, target, reason string) {
	m.skipped.WithLabelValues(label(link), label(target), Category(reason)).Inc()
}

// Failed counts an intent failed for good, under its reason's Category.
// Part of bridge.Observer.
func (m *Metrics) Failed(link, target, reason string) {
	m.failed.WithLabelValues(label(link), label(target), Category(reason)).Inc()
}

// Held counts work held back by a cap, a budget or the network's usage cap,
// under its HeldCategory. until is not recorded: the status shows it. Part
// of bridge.Observer.
func (m *Metrics) Held(link, target, reason string, until time.Time) {
	m.held.WithLabelValues(label(link), label(target), HeldCategory(reason)).Inc()
}

// Paused is part of bridge.Observer. A pause is recorded in the ledger and
// read at scrape time as dualpower_account_paused, so nothing is kept here.
func (m *Metrics) Paused(account, why string) {}

// SetAccounts sets what the per-account gauges are read from at each
// scrape (see LedgerAccounts); nil removes them. Call it again after a
// reload with the new configuration's accounts.
func (m *Metrics) SetAccounts(fn AccountsFunc) {
	if fn == nil {
		m.accounts.Store(nil)
		return
	}
	m.accounts.Store(&fn)
}

// ServeHTTP serves every metric through promhttp, in the format the
// scraper's Accept header asks for (the text format 0.0.4 when it asks for
// none). Only GET and HEAD are allowed; HEAD gathers but writes no body.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		w = headWriter{w}
	}
	m.handler.ServeHTTP(w, r)
}

// headWriter drops the body of an answer to HEAD, which net/http's server
// would drop anyway but a ResponseRecorder or another wrapper might not.
type headWriter struct{ http.ResponseWriter }

func (h headWriter) Write(p []byte) (int, error) { return len(p), nil }
