package bridge

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/dualpower/dualpower/store"
)

// billed lists the networks that charge per post, whose spend is counted
// against budget.usd_per_month.
var billed = map[string]bool{"twitter": true}

// checkBudget prices parts about to be posted on account a and checks them
// against its caps and budget. It returns the spend to record with the
// completion, or the time until which the work is held and why.
func (e *Engine) checkBudget(a *account, parts []string) (*store.Spend, time.Time, string) {
	c := a.cfg
	spend := &store.Spend{Posts: len(parts)}
	if billed[c.Network] {
		for _, p := range parts {
			price := c.Budget.PostUSD
			if strings.Contains(p, "http://") || strings.Contains(p, "https://") {
				price = c.Budget.URLPostUSD
			}
			spend.MicroUSD += int64(math.Round(price * 1e6))
		}
	}
	if c.Limits.PostsPerDay == 0 && c.Limits.PostsPerMonth == 0 && c.Budget.USDPerMonth == 0 {
		return spend, time.Time{}, ""
	}
	st, err := e.st.Account(a.name)
	if err != nil {
		// Without the counters nothing can be promised: hold briefly.
		return nil, e.now().Add(time.Minute), "cannot read the spend counters: " + err.Error()
	}
	now := e.now().UTC()
	nextDay := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
	nextMonth := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	day, month := now.Format("2006-01-02"), now.Format("2006-01")
	dayPosts, monthPosts, monthSpend := st.DayPosts, st.MonthPosts, st.MonthSpend
	if st.Day != day {
		dayPosts = 0
	}
	if st.Month != month {
		monthPosts, monthSpend = 0, 0
	}
	switch {
	case c.Limits.PostsPerDay > 0 && dayPosts+spend.Posts > c.Limits.PostsPerDay:
		return nil, nextDay, fmt.Sprintf(heldPrefix+"posts_per_day (%d) reached", c.Limits.PostsPerDay)
	case c.Limits.PostsPerMonth > 0 && monthPosts+spend.Posts > c.Limits.PostsPerMonth:
		return nil, nextMonth, fmt.Sprintf(heldPrefix+"posts_per_month (%d) reached", c.Limits.PostsPerMonth)
	case c.Budget.USDPerMonth > 0 && float64(monthSpend+spend.MicroUSD) > c.Budget.USDPerMonth*1e6:
		return nil, nextMonth, fmt.Sprintf(heldPrefix+"budget of $%.2f a month would be exceeded ($%.3f spent)", c.Budget.USDPerMonth, float64(monthSpend)/1e6)
	}
	return spend, time.Time{}, ""
}
