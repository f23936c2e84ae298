package httpapi

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dualpower/dualpower/config"
	"github.com/dualpower/dualpower/store"
)

// Status is what `dualpower status` and GET /status show: per link and
// announcement what was mirrored, skipped, failed and is pending, and per
// account its pause, counters, queue and failures. It holds no secret.
type Status struct {
	Generated time.Time       `json:"generated"`
	Links     []LinkStatus    `json:"links"`
	Accounts  []AccountStatus `json:"accounts"`
}

// Link kinds in LinkStatus.Kind.
const (
	KindLink         = "link"
	KindAnnouncement = "announcement"
)

// announcementPrefix starts the ledger's link and pseudo source account of
// an announcement (see bridge/intake.go).
const announcementPrefix = "announcement:"

// LinkStatus is one link, or one announcement, as the ledger knows it.
type LinkStatus struct {
	Name string `json:"name"`
	Kind string `json:"kind"` // KindLink or KindAnnouncement
	// From and To are the link's accounts; an announcement has only To,
	// the account that posts it.
	From string   `json:"from,omitempty"`
	To   []string `json:"to,omitempty"`
	// Configured is false for a link the ledger remembers but the
	// configuration no longer has.
	Configured bool `json:"configured"`
	// Active: inside its active window now (always, without one).
	Active bool `json:"active"`
	// Mirrored counts posts carried to a target (each target counts).
	Mirrored int `json:"mirrored"`
	// Skipped and Failed count posts left out of a target, and posts that
	// failed for good there, by reason as written.
	Skipped map[string]int `json:"skipped,omitempty"`
	Failed  map[string]int `json:"failed,omitempty"`
	// Pending counts the work queued (or in flight) for the link.
	Pending      int       `json:"pending"`
	LastActivity time.Time `json:"last_activity,omitzero"`
}

// SkippedTotal is the number of posts skipped, whatever the reason.
func (l LinkStatus) SkippedTotal() int { return sum(l.Skipped) }

// FailedTotal is the number of posts failed for good, whatever the reason.
func (l LinkStatus) FailedTotal() int { return sum(l.Failed) }

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// AccountStatus is one account as the ledger knows it.
type AccountStatus struct {
	Name    string `json:"name"`
	Network string `json:"network,omitempty"`
	// Configured is false for an account the ledger remembers but the
	// configuration no longer has.
	Configured bool `json:"configured"`
	// Paused: its credentials were refused; it waits for a config fix.
	Paused    bool      `json:"paused"`
	PausedWhy string    `json:"paused_why,omitempty"`
	PausedAt  time.Time `json:"paused_at,omitzero"`
	// RateLimitReset is when the network's rate limit lifts, while that is
	// still ahead.
	RateLimitReset time.Time `json:"rate_limit_reset,omitzero"`
	// What dualpower posted on the account today and this month (UTC) and
	// what that cost, against the configured caps and budget (0: none).
	PostsToday        int     `json:"posts_today"`
	PostsMonth        int     `json:"posts_month"`
	SpendMonthUSD     float64 `json:"spend_month_usd"`
	PostsPerDay       int     `json:"posts_per_day,omitempty"`
	PostsPerMonth     int     `json:"posts_per_month,omitempty"`
	BudgetUSDPerMonth float64 `json:"budget_usd_per_month,omitempty"`
	// Events counts the source events recorded from the account.
	Events       int64     `json:"events"`
	LastActivity time.Time `json:"last_activity,omitzero"`
	// Pending counts the intents queued for the account. When the head of
	// the queue waits (a rate limit, a cap or budget, a retry, a delay),
	// Held says why and HeldUntil until when.
	Pending   int       `json:"pending"`
	Held      string    `json:"held,omitempty"`
	HeldUntil time.Time `json:"held_until,omitzero"`
	// Failed counts the intents that failed for good; LastFailure is the
	// reason of the newest of them (the last recorded).
	Failed      int    `json:"failed"`
	LastFailure string `json:"last_failure,omitempty"`
}

// BuildStatus builds the status from the ledger, for the links, the
// announcements and the accounts of cfg, and for those the ledger still
// remembers that cfg no longer has. It reads the whole ledger (store.Stats),
// so it is meant for a person or a script asking, not for every scrape.
func BuildStatus(cfg *config.Config, st *store.Store) (Status, error) {
	return buildStatus(cfg, st, time.Now())
}

func buildStatus(cfg *config.Config, st *store.Store, now time.Time) (Status, error) {
	now = now.UTC()
	stats, err := st.Stats()
	if err != nil {
		return Status{}, fmt.Errorf("httpapi: status: %w", err)
	}
	out := Status{Generated: now, Links: []LinkStatus{}, Accounts: []AccountStatus{}}

	seen := map[string]bool{}
	addLink := func(ls LinkStatus) {
		s, ok := stats.ByLink[ls.Name]
		if ls.Kind == KindAnnouncement {
			s, ok = stats.ByLink[announcementPrefix+ls.Name]
		}
		if ok {
			ls.Mirrored, ls.Pending, ls.LastActivity = s.Mirrored, s.Pending, s.LastActivity
			ls.Skipped, ls.Failed = nonEmpty(s.Skipped), nonEmpty(s.Failed)
		}
		out.Links = append(out.Links, ls)
	}
	for _, name := range cfg.LinkNames {
		l := cfg.Links[name]
		seen[name] = true
		addLink(LinkStatus{Name: name, Kind: KindLink, From: l.From, To: slices.Clone(l.To), Configured: true, Active: l.Active.Contains(now)})
	}
	for _, name := range cfg.AnnouncementNames {
		an := cfg.Announcements[name]
		seen[announcementPrefix+name] = true
		addLink(LinkStatus{Name: name, Kind: KindAnnouncement, To: []string{an.Account}, Configured: true, Active: an.Active.Contains(now)})
	}
	var gone []string
	for name := range stats.ByLink {
		// "" holds posts recorded without a link: echoes, edits of
		// unknown posts. They are no link's work.
		if name != "" && !seen[name] {
			gone = append(gone, name)
		}
	}
	slices.Sort(gone)
	for _, name := range gone {
		ls := LinkStatus{Name: name, Kind: KindLink}
		if an, ok := strings.CutPrefix(name, announcementPrefix); ok {
			ls.Name, ls.Kind = an, KindAnnouncement
		}
		addLink(ls)
	}

	names := slices.Clone(cfg.AccountNames)
	known, err := st.Accounts()
	if err != nil {
		return Status{}, fmt.Errorf("httpapi: status: %w", err)
	}
	for _, name := range known {
		if _, ok := cfg.Accounts[name]; !ok && !strings.HasPrefix(name, announcementPrefix) {
			names = append(names, name)
		}
	}
	var errs []error
	for _, name := range names {
		as, err := accountStatus(cfg.Accounts[name], name, st, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out.Accounts = append(out.Accounts, as)
	}
	if err := errors.Join(errs...); err != nil {
		return Status{}, fmt.Errorf("httpapi: status: %w", err)
	}
	redact(&out, secretsOf(cfg))
	return out, nil
}

// accountStatus reads one account; a is nil for an account that is only in
// the ledger.
func accountStatus(a *config.Account, name string, st *store.Store, now time.Time) (AccountStatus, error) {
	as := AccountStatus{Name: name}
	if a != nil {
		as.Network, as.Configured = a.Network, true
		as.PostsPerDay, as.PostsPerMonth = a.Limits.PostsPerDay, a.Limits.PostsPerMonth
		as.BudgetUSDPerMonth = a.Budget.USDPerMonth
	}
	state, err := st.Account(name)
	if err != nil {
		return as, err
	}
	as.Paused, as.PausedWhy = state.Paused, state.PausedWhy
	if state.Paused {
		as.PausedAt = state.PausedAt
	}
	if state.RateLimitReset.After(now) {
		as.RateLimitReset = state.RateLimitReset
	}
	as.PostsToday, as.PostsMonth = state.DayPosts, state.MonthPosts
	as.SpendMonthUSD = float64(state.MonthSpend) / 1e6
	as.Events, as.LastActivity = state.Events, state.LastActivity

	queue, err := st.Pending(name)
	if err != nil {
		return as, err
	}
	as.Pending = len(queue)
	if len(queue) > 0 {
		head := queue[0]
		if head.State == store.Pending && head.NextAttempt.After(now) {
			as.HeldUntil = head.NextAttempt
			as.Held = head.LastError
			if as.Held == "" {
				as.Held = "waiting for the link's delay"
			}
		}
	}
	failed, err := st.Failed(name)
	if err != nil {
		return as, err
	}
	as.Failed = len(failed)
	if len(failed) > 0 {
		// Failed lists oldest first: the last is the newest work.
		as.LastFailure = failed[len(failed)-1].LastError
	}
	return as, nil
}

func nonEmpty(m map[string]int) map[string]int {
	if len(m) == 0 {
		return nil
	}
	return m
}

// minSecret is the shortest secret value redacted from free text: a
// shorter one would cut ordinary words out of reasons, and no network
// issues credentials that short.
const minSecret = 6

// secretsOf lists the credential values of cfg's accounts.
func secretsOf(cfg *config.Config) []string {
	var out []string
	for _, a := range cfg.Accounts {
		for _, s := range a.Secrets {
			if v := s.Reveal(); len(v) >= minSecret {
				out = append(out, v)
			}
		}
	}
	return out
}

// redact removes every secret from the free text of a status: reasons come
// from networks and adapters, which scrub credentials, and this makes sure
// of it. Names come from the configuration and are not secret.
func redact(s *Status, secrets []string) {
	if len(secrets) == 0 {
		return
	}
	clean := func(t string) string {
		for _, sec := range secrets {
			t = strings.ReplaceAll(t, sec, "<redacted>")
		}
		return t
	}
	cleanMap := func(m map[string]int) map[string]int {
		if m == nil {
			return nil
		}
		out := make(map[string]int, len(m))
		for k, v := range m {
			out[clean(k)] += v
		}
		return out
	}
	for i := range s.Links {
		l := &s.Links[i]
		l.Skipped, l.Failed = cleanMap(l.Skipped), cleanMap(l.Failed)
	}
	for i := range s.Accounts {
		a := &s.Accounts[i]
		a.PausedWhy, a.Held, a.LastFailure = clean(a.PausedWhy), clean(a.Held), clean(a.LastFailure)
	}
}
