// Package metrics counts what the dualpower engine does and serves it to
// Prometheus at /metrics.
//
// A Metrics is the engine's bridge.Observer: every event received, intent
// mirrored, post skipped, intent failed and work held back is counted, and
// the time from a post's creation to its mirror is observed in a
// histogram. Gauges of each account (queue length, rate limit, posts and
// spend this month, pause) are read at scrape time through an
// AccountsFunc, usually LedgerAccounts.
//
// The families, with their labels:
//
//	dualpower_mirrored_total{link,target,kind}
//	dualpower_skipped_total{link,target,reason}
//	dualpower_failed_total{link,target,reason}
//	dualpower_held_total{link,target,reason}              reason: HeldCategories
//	dualpower_events_total{account,kind,known}
//	dualpower_mirror_latency_seconds{target}              histogram, LatencyBuckets
//	dualpower_pending_intents{account}
//	dualpower_rate_limit_remaining{account}               only while known
//	dualpower_rate_limit_reset_timestamp_seconds{account} only while known
//	dualpower_x_posts_month{account}, dualpower_x_posts_month_limit{account}
//	dualpower_spend_usd_month{account}, dualpower_budget_usd_month{account}
//	dualpower_account_paused{account}
//	dualpower_metrics_errors_total{source}
//
// Caveats:
//
//   - Label cardinality is bounded by the configuration: link, target and
//     account are configured names, kind is a fixed set, and a free-text
//     reason is counted under one of a fixed set of categories (Category),
//     never as written. The reason text is in the log and in `dualpower
//     status`.
//   - Counters live in the process: they start at zero when it starts and
//     survive config reloads only if the same Metrics is kept.
//   - The families live in a prometheus.Registry of the Metrics' own
//     (github.com/prometheus/client_golang), not the global default one,
//     with the standard Go runtime (go_*) and process (process_*)
//     collectors. ServeHTTP is promhttp's handler: it answers in the format
//     the scraper's Accept header asks for, the text format 0.0.4 by
//     default, gzipped when asked. Labels come out sorted by name, as
//     client_golang writes them. A collector that fails does not fail the
//     page: the rest is served and the failure counted, on the next page, in
//     promhttp_metric_handler_errors_total{cause="gathering"}.
//   - Label values must be UTF-8 for client_golang; a configured name that
//     is not has its invalid bytes shown as U+FFFD rather than panicking.
//   - The per-account gauges and dualpower_metrics_errors_total come from
//     one collector that calls the AccountsFunc at each scrape, so a scrape
//     whose gauges failed already shows the failure counted. A panicking
//     AccountsFunc is recovered and counted the same way.
//   - Observer methods never block on I/O: a counter update is
//     client_golang's label lookup (a read lock, a write lock the first time
//     a label combination is seen) and an atomic add.
package metrics
