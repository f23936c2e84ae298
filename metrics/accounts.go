package metrics

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dualpower/dualpower/config"
	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/store"
)

// AccountSample is what the per-account gauges show for one account at a
// scrape.
type AccountSample struct {
	Account string
	// Pending is the number of intents queued for the account (pending or
	// in flight).
	Pending int
	// RateLimitRemaining is the requests left in the network's current
	// rate-limit window; -1 when unknown (no answer carried the headers
	// yet, or the adapter does not tell).
	RateLimitRemaining int
	// RateLimitReset is when that window resets; zero when unknown.
	RateLimitReset time.Time
	// MonthPosts and MonthSpendUSD are what dualpower posted on the account
	// this UTC month and what it cost, from the ledger.
	MonthPosts    int
	MonthSpendUSD float64
	// PostsPerMonth and BudgetUSDPerMonth are the configured caps; 0 is none.
	PostsPerMonth     int
	BudgetUSDPerMonth float64
	// Paused: the account's credentials were refused and it waits for a
	// config fix.
	Paused bool
}

// AccountsFunc returns the current samples of every account. It is called
// once per scrape. On an error it returns what it could read; the error is
// counted in dualpower_metrics_errors_total and not shown otherwise.
type AccountsFunc func() ([]AccountSample, error)

// RateLimiter is what an adapter exposes of its network's rate limit: the
// requests remaining and when the window resets, as the last answer said
// (-1 and the zero time before any). The Mastodon and X adapters have it.
type RateLimiter interface {
	RateLimit() (remaining int, reset time.Time)
}

// LedgerAccounts reads the samples of cfg's accounts from the ledger (queue
// length, month counters, pause) and from provs, the running adapters by
// account name, for the rate limit of those that are RateLimiters; while an
// adapter knows no reset time, a rate-limit reset the ledger recorded and
// that is still ahead is shown. provs may be nil. Each call costs two short
// reads per account.
func LedgerAccounts(cfg *config.Config, st *store.Store, provs map[string]providers.Provider) AccountsFunc {
	return func() ([]AccountSample, error) {
		var errs []error
		out := make([]AccountSample, 0, len(cfg.AccountNames))
		for _, name := range cfg.AccountNames {
			a := cfg.Accounts[name]
			s := AccountSample{Account: name, RateLimitRemaining: -1}
			if a != nil {
				s.PostsPerMonth = a.Limits.PostsPerMonth
				s.BudgetUSDPerMonth = a.Budget.USDPerMonth
			}
			if rl, ok := provs[name].(RateLimiter); ok {
				s.RateLimitRemaining, s.RateLimitReset = rl.RateLimit()
			}
			state, err := st.Account(name)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if s.RateLimitReset.IsZero() && state.RateLimitReset.After(time.Now()) {
				// The adapter has not seen the headers (since a restart),
				// but the ledger remembers a limit the network set.
				s.RateLimitReset = state.RateLimitReset
			}
			s.MonthPosts = state.MonthPosts
			s.MonthSpendUSD = float64(state.MonthSpend) / 1e6
			s.Paused = state.Paused
			q, err := st.Pending(name)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			s.Pending = len(q)
			out = append(out, s)
		}
		if err := errors.Join(errs...); err != nil {
			return out, fmt.Errorf("metrics: accounts: %w", err)
		}
		return out, nil
	}
}

// The per-account gauges, read at scrape time by accountCollector.
var (
	pendingDesc = gaugeDesc("dualpower_pending_intents",
		"Intents queued for the account (pending or in flight).")
	remainingDesc = gaugeDesc("dualpower_rate_limit_remaining",
		"Requests left in the network's rate-limit window, as its last answer said; absent while unknown.")
	resetDesc = gaugeDesc("dualpower_rate_limit_reset_timestamp_seconds",
		"When the network's rate-limit window resets, in Unix seconds; absent while unknown.")
	postsDesc = gaugeDesc("dualpower_x_posts_month",
		"Posts dualpower made on the account this UTC month (what X caps and bills).")
	postsCapDesc = gaugeDesc("dualpower_x_posts_month_limit",
		"The account's configured posts_per_month; absent when there is none.")
	spendDesc = gaugeDesc("dualpower_spend_usd_month",
		"What posting to the account cost this UTC month, in US dollars.")
	budgetDesc = gaugeDesc("dualpower_budget_usd_month",
		"The account's configured budget.usd_per_month; absent when there is none.")
	pausedDesc = gaugeDesc("dualpower_account_paused",
		"1 while the account is paused (its credentials were refused), else 0.")
)

func gaugeDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, []string{"account"}, nil)
}

// accountCollector is the prometheus.Collector of the per-account gauges:
// at each scrape it calls the Metrics' current AccountsFunc, if any. It
// also collects dualpower_metrics_errors_total, after reading the gauges,
// so that a scrape whose gauges failed shows that failure counted (the
// registry runs collectors in parallel, in no set order).
type accountCollector struct{ m *Metrics }

// Describe sends the descriptors of every per-account gauge and of the
// error counter.
func (c accountCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{pendingDesc, remainingDesc, resetDesc, postsDesc, postsCapDesc, spendDesc, budgetDesc, pausedDesc} {
		ch <- d
	}
	c.m.scrapeEr.Describe(ch)
}

// Collect reads the samples and sends one gauge per family and account,
// then the error counter. A failing or panicking AccountsFunc is counted
// in dualpower_metrics_errors_total{source="accounts"}; what it returned
// is still shown.
func (c accountCollector) Collect(ch chan<- prometheus.Metric) {
	defer c.m.scrapeEr.Collect(ch)
	fn := c.m.accounts.Load()
	if fn == nil {
		return
	}
	samples, err := safeCall(*fn)
	if err != nil {
		c.m.scrapeEr.WithLabelValues("accounts").Inc()
	}
	seen := make(map[string]bool, len(samples))
	for _, s := range samples {
		account := label(s.Account)
		if seen[account] {
			continue // one series per account, or the gather fails
		}
		seen[account] = true
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, account)
		}
		gauge(pendingDesc, float64(s.Pending))
		if s.RateLimitRemaining >= 0 {
			gauge(remainingDesc, float64(s.RateLimitRemaining))
		}
		if !s.RateLimitReset.IsZero() {
			gauge(resetDesc, float64(s.RateLimitReset.UnixMilli())/1e3)
		}
		gauge(postsDesc, float64(s.MonthPosts))
		if s.PostsPerMonth > 0 {
			gauge(postsCapDesc, float64(s.PostsPerMonth))
		}
		gauge(spendDesc, s.MonthSpendUSD)
		if s.BudgetUSDPerMonth > 0 {
			gauge(budgetDesc, s.BudgetUSDPerMonth)
		}
		p := 0.0
		if s.Paused {
			p = 1
		}
		gauge(pausedDesc, p)
	}
}

// safeCall calls fn, turning a panic into an error: a broken source of
// gauges must not take the whole /metrics page down.
func safeCall(fn AccountsFunc) (samples []AccountSample, err error) {
	defer func() {
		if r := recover(); r != nil {
			samples, err = nil, fmt.Errorf("metrics: accounts: panic: %v", r)
		}
	}()
	return fn()
}
