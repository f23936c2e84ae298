package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dualpower/dualpower/config"
	"github.com/dualpower/dualpower/httpapi"
	"github.com/dualpower/dualpower/metrics"
	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/store"
)

// statusTimeout bounds the question to a running daemon.
const statusTimeout = 2 * time.Second

// heldLedger is what status says when the daemon holds the ledger and does
// not serve its status over HTTP.
const heldLedger = "the daemon holds the ledger; enable http.listen to see status while it runs"

func (c *cli) status(args []string) int {
	fs := c.flags("status")
	path := configFlag(fs)
	asJSON := fs.Bool("json", false, "print the status as JSON, for scripts")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError("status takes no arguments, got %q", fs.Arg(0))
	}
	cfg, ok := c.statusConfig(*path)
	if !ok {
		return exitUsage
	}

	s, source, err := c.readStatus(cfg)
	if err != nil {
		return c.fail("status: %v", err)
	}
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(s); err != nil {
			return c.fail("status: %v", err)
		}
		return exitOK
	}
	if err := printStatus(c.stdout, s, source); err != nil {
		return c.fail("status: %v", err)
	}
	return exitOK
}

// statusConfig loads the config as loadConfig does, with one allowance:
// status needs no credentials, so a credential whose ${VAR} is not set in
// this shell (it is in the daemon's environment) is not a problem here.
func (c *cli) statusConfig(path string) (*config.Config, bool) {
	cfg, err := config.Load(path)
	if err == nil {
		return cfg, true
	}
	if probs := config.Problems(err); len(probs) > 0 && allUnsetSecrets(probs) {
		if data, rerr := os.ReadFile(path); rerr == nil {
			cfg, err2 := config.Parse(path, data, func(k string) (string, bool) {
				if v, ok := os.LookupEnv(k); ok {
					return v, ok
				}
				return "unset-for-status", true // only credentials use it, checked above
			})
			if err2 == nil {
				return cfg, true
			}
		}
	}
	return c.loadConfig(path)
}

// allUnsetSecrets reports whether every problem is an unset environment
// variable in an account's secret key.
func allUnsetSecrets(probs []*config.Problem) bool {
	secret := map[string]bool{}
	for _, n := range providers.Networks() {
		if info, err := providers.Find(n); err == nil {
			for _, k := range info.Secrets {
				secret[k] = true
			}
		}
	}
	for _, p := range probs {
		parts := strings.Split(p.Key, ".")
		if len(parts) != 3 || parts[0] != "accounts" || !secret[parts[2]] ||
			!strings.Contains(p.Msg, "environment variable") || !strings.Contains(p.Msg, "is not set") {
			return false
		}
	}
	return true
}

// readStatus asks the running daemon, else reads the ledger. source says
// which, for people.
func (c *cli) readStatus(cfg *config.Config) (s httpapi.Status, source string, err error) {
	addr := daemonAddr(cfg.HTTP.Listen)
	var asked error
	if addr != "" {
		s, asked = askDaemon(addr)
		if asked == nil {
			return s, "from the running daemon at " + addr, nil
		}
		var de *daemonError
		if errors.As(asked, &de) {
			return s, "", asked
		}
	}
	st, err := openStore(cfg, true)
	switch {
	case errors.Is(err, store.ErrLocked):
		if addr == "" {
			return s, "", errors.New(heldLedger)
		}
		return s, "", fmt.Errorf("the daemon holds the ledger, and its status did not come from http://%s/status: %v", addr, asked)
	case errors.Is(err, os.ErrNotExist):
		return s, "", fmt.Errorf("no ledger at %s yet: the bridge has not run with this config", ledgerPath(cfg))
	case err != nil:
		return s, "", err
	}
	defer st.Close()
	s, err = httpapi.BuildStatus(cfg, st)
	if err != nil {
		return s, "", err
	}
	source = "from the ledger " + st.Path()
	if addr != "" {
		source += " (no daemon answered at " + addr + ")"
	}
	return s, source, nil
}

// daemonAddr is where to reach the daemon's HTTP server from this machine:
// an address bound on every interface is asked on loopback. "" when the
// server is off or its port is chosen at random.
func daemonAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil || port == "" || port == "0" {
		return ""
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// daemonError is a daemon that answered but could not give its status.
type daemonError struct{ msg string }

func (e *daemonError) Error() string { return e.msg }

// askDaemon gets the status from the daemon at addr. A *daemonError means
// the daemon answered with a failure of its own; any other error, that no
// dualpower daemon answered.
func askDaemon(addr string) (httpapi.Status, error) {
	var s httpapi.Status
	client := &http.Client{
		Timeout:   statusTimeout,
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
	}
	ctx, cancel := context.WithTimeout(context.Background(), statusTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/status", nil)
	if err != nil {
		return s, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return s, fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		first, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
		if strings.HasPrefix(first, "status unavailable") {
			return s, &daemonError{fmt.Sprintf("the daemon at %s answered: %s", addr, plain(first, 300))}
		}
		return s, fmt.Errorf("HTTP %d: not a dualpower daemon?", resp.StatusCode)
	}
	if err := json.Unmarshal(body, &s); err != nil {
		return s, fmt.Errorf("the answer is not a dualpower status: %w", err)
	}
	if s.Generated.IsZero() {
		return s, errors.New("the answer is not a dualpower status")
	}
	return s, nil
}

// plain makes text from a network or another process safe and short for
// a terminal: control characters (newlines, escape sequences) become
// spaces, and it is cut to n characters.
func plain(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// printStatus writes the status for people: one block per link and per
// account, short and plain.
func printStatus(w io.Writer, s httpapi.Status, source string) error {
	now := s.Generated
	var b strings.Builder
	fmt.Fprintf(&b, "dualpower status at %s, %s\n", now.UTC().Format("2006-01-02 15:04 MST"), source)
	for _, l := range s.Links {
		b.WriteByte('\n')
		switch l.Kind {
		case httpapi.KindAnnouncement:
			fmt.Fprintf(&b, "announcement %s on %s", plain(l.Name, 100), plain(strings.Join(l.To, ", "), 300))
		default:
			fmt.Fprintf(&b, "link %s", plain(l.Name, 100))
			if l.From != "" {
				fmt.Fprintf(&b, ": %s -> %s", plain(l.From, 100), plain(strings.Join(l.To, ", "), 300))
			}
		}
		switch {
		case !l.Configured:
			b.WriteString(" (no longer configured)")
		case !l.Active:
			b.WriteString(" (inactive: outside its active window)")
		}
		b.WriteByte('\n')
		if l.Kind == httpapi.KindAnnouncement {
			fmt.Fprintf(&b, "  posted %d, failed %d%s, pending %d\n", l.Mirrored, l.FailedTotal(), topReasons(l.Failed), l.Pending)
		} else {
			fmt.Fprintf(&b, "  mirrored %d, skipped %d%s, failed %d%s, pending %d\n",
				l.Mirrored, l.SkippedTotal(), topReasons(l.Skipped), l.FailedTotal(), topReasons(l.Failed), l.Pending)
		}
		fmt.Fprintf(&b, "  last activity %s\n", ago(now, l.LastActivity))
	}
	for _, a := range s.Accounts {
		b.WriteByte('\n')
		fmt.Fprintf(&b, "account %s", plain(a.Name, 100))
		if a.Network != "" {
			fmt.Fprintf(&b, " (%s)", plain(a.Network, 40))
		}
		if !a.Configured {
			b.WriteString(" (no longer configured)")
		}
		b.WriteByte('\n')
		if a.Paused {
			fmt.Fprintf(&b, "  PAUSED %s: %s; fix its credentials, then reload (SIGHUP)\n", ago(now, a.PausedAt), plain(a.PausedWhy, 200))
		}
		fmt.Fprintf(&b, "  posts today %s, this month %s", ofLimit(a.PostsToday, a.PostsPerDay), ofLimit(a.PostsMonth, a.PostsPerMonth))
		if a.SpendMonthUSD > 0 || a.BudgetUSDPerMonth > 0 {
			fmt.Fprintf(&b, ", spend this month %s", usd(a.SpendMonthUSD))
			if a.BudgetUSDPerMonth > 0 {
				fmt.Fprintf(&b, " of %s", usd(a.BudgetUSDPerMonth))
			}
		}
		b.WriteByte('\n')
		if !a.RateLimitReset.IsZero() {
			fmt.Fprintf(&b, "  rate limited until %s (%s)\n", clock(now, a.RateLimitReset), until(now, a.RateLimitReset))
		}
		fmt.Fprintf(&b, "  pending %d, failed %d\n", a.Pending, a.Failed)
		if a.Held != "" {
			fmt.Fprintf(&b, "  waiting until %s: %s\n", clock(now, a.HeldUntil), plain(strings.TrimPrefix(a.Held, "held: "), 200))
		}
		if a.LastFailure != "" {
			fmt.Fprintf(&b, "  last failure: %s\n", plain(a.LastFailure, 160))
		}
		fmt.Fprintf(&b, "  last activity %s\n", ago(now, a.LastActivity))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// topReasons groups reasons by category, most first: " (visibility 4,
// reply 2, too long 1, +2 more)"; "" when there are none.
func topReasons(reasons map[string]int) string {
	if len(reasons) == 0 {
		return ""
	}
	byCat := map[string]int{}
	for r, n := range reasons {
		byCat[metrics.Category(r)] += n
	}
	type kv struct {
		cat string
		n   int
	}
	var list []kv
	for c, n := range byCat {
		list = append(list, kv{c, n})
	}
	slices.SortFunc(list, func(a, b kv) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.cat, b.cat))
	})
	const top = 3
	var parts []string
	for i, e := range list {
		if i == top {
			parts = append(parts, fmt.Sprintf("+%d more", len(list)-top))
			break
		}
		parts = append(parts, strings.ReplaceAll(e.cat, "_", " ")+" "+strconv.Itoa(e.n))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// ofLimit writes a count against its limit: "3 of 100", or "3" without.
func ofLimit(n, limit int) string {
	if limit > 0 {
		return fmt.Sprintf("%d of %d", n, limit)
	}
	return strconv.Itoa(n)
}

// usd writes dollars with cents, or tenths of a cent when a price needs
// them ($0.015 a post).
func usd(v float64) string {
	if c := v * 100; c != float64(int64(c)) {
		return "$" + strconv.FormatFloat(v, 'f', 3, 64)
	}
	return "$" + strconv.FormatFloat(v, 'f', 2, 64)
}

// ago says how long before now t was: "3m ago"; "never" for the zero time.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	if d < time.Second {
		return "just now"
	}
	return span(d) + " ago"
}

// until says how long after now t is: "in 15m".
func until(now, t time.Time) string {
	d := t.Sub(now)
	if d < time.Second {
		return "now"
	}
	return "in " + span(d)
}

// span writes a duration in its largest whole unit: 45s, 3m, 5h, 2d.
func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

// clock writes a time of day in UTC, with the date when it is not today's.
func clock(now, t time.Time) string {
	t, now = t.UTC(), now.UTC()
	if t.Format(time.DateOnly) == now.Format(time.DateOnly) {
		return t.Format("15:04 MST")
	}
	return t.Format("2006-01-02 15:04 MST")
}
