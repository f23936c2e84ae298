package metrics

import (
	"bytes"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/dualpower/dualpower/bridge"
	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/store"
)

// LatencyBuckets are the upper bounds, in seconds, of
// dualpower_mirror_latency_seconds: from a tenth of a second (a stream and
// a quick target) to an hour (a polled X account, a delay rule).
var LatencyBuckets = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600}

// Metrics records what the engine does and serves it, with the accounts'
// gauges, in the Prometheus text format. It is a bridge.Observer and an
// http.Handler for /metrics. Make one per process with New and keep it
// across config reloads, so that counters do not restart; give it the
// current accounts with SetAccounts. It is safe for concurrent use.
type Metrics struct {
	mirrored *counterVec
	skipped  *counterVec
	failed   *counterVec
	held     *counterVec
	events   *counterVec
	latency  *histogramVec
	accounts atomic.Pointer[AccountsFunc]
	scrapeEr *counterVec
}

var _ bridge.Observer = (*Metrics)(nil)

// New makes an empty set of metrics with no accounts.
func New() *Metrics {
	return &Metrics{
		mirrored: newCounterVec("dualpower_mirrored_total",
			"Intents carried out on a target account, by link, target and kind (publish, edit, delete, repost, announce).",
			"link", "target", "kind"),
		skipped: newCounterVec("dualpower_skipped_total",
			"Posts left out of a target account, by link, target and reason category.",
			"link", "target", "reason"),
		failed: newCounterVec("dualpower_failed_total",
			"Intents that failed for good on a target account, by link, target and reason category.",
			"link", "target", "reason"),
		held: newCounterVec("dualpower_held_total",
			"Work held back on a target account until a later time, by link, target and what held it (posts_per_day, posts_per_month, budget, usage_cap, other).",
			"link", "target", "reason"),
		events: newCounterVec("dualpower_events_total",
			"Source events recorded, by account, kind and whether they were already known (an echo or a second delivery).",
			"account", "kind", "known"),
		latency: newHistogramVec("dualpower_mirror_latency_seconds",
			"Time from a post's creation (or edit) on its source to its mirror being published, by target account.",
			LatencyBuckets, "target"),
		scrapeEr: newCounterVec("dualpower_metrics_errors_total",
			"Scrapes whose account gauges could not be read, by what failed.",
			"source"),
	}
}

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
	m.events.inc(account, k, kn)
}

// Mirrored counts an intent carried out and, when latency is known
// (positive), observes it. Part of bridge.Observer.
func (m *Metrics) Mirrored(link, target string, kind store.IntentKind, latency time.Duration) {
	k := "other"
	if kind.Valid() {
		k = kind.String()
	}
	m.mirrored.inc(link, target, k)
	if latency > 0 {
		m.latency.observe(latency.Seconds(), target)
	}
}

// Skipped counts a post left out, under its reason's Category. Part of
// bridge.Observer.
func (m *Metrics) Skipped(link, target, reason string) {
	m.skipped.inc(link, target, Category(reason))
}

// Failed counts an intent failed for good, under its reason's Category.
// Part of bridge.Observer.
func (m *Metrics) Failed(link, target, reason string) {
	m.failed.inc(link, target, Category(reason))
}

// Held counts work held back by a cap, a budget or the network's usage cap,
// under its HeldCategory. until is not recorded: the status shows it. Part
// of bridge.Observer.
func (m *Metrics) Held(link, target, reason string, until time.Time) {
	m.held.inc(link, target, HeldCategory(reason))
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

// ServeHTTP writes every metric in the Prometheus text exposition format
// (version 0.0.4).
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var buf bytes.Buffer
	if err := writeText(&buf, m.gather()); err != nil {
		http.Error(w, "cannot write metrics", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(buf.Bytes())
}

// gather collects every family once.
func (m *Metrics) gather() []family {
	var fams []family
	for _, c := range []collector{m.mirrored, m.skipped, m.failed, m.held, m.events, m.latency} {
		fams = append(fams, c.collect()...)
	}
	if fn := m.accounts.Load(); fn != nil {
		fams = append(fams, m.accountFamilies(*fn)...)
	}
	return append(fams, m.scrapeEr.collect()...)
}
