package twitter

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/dualpower/dualpower/providers"
)

// Problem types X sends, without their host prefix: X answers with
// https://api.twitter.com/2/problems/… and, more and more, with
// https://api.x.com/2/problems/….
const (
	probClientForbidden   = "client-forbidden"
	probUsageCapped       = "usage-capped"
	probNotFound          = "resource-not-found"
	probInvalidRequest    = "invalid-request"
	probOAuth1Permissions = "oauth1-permissions"
	probUnsupportedAuth   = "unsupported-authentication"
)

// readDeniedMessage is what a user sees when the app's access level cannot
// read timelines.
const readDeniedMessage = "this X app cannot read timelines; the account is write-only"

// editWord finds X saying a refusal is about editing ("edit", "editable",
// "edited"), and not "credit".
var editWord = regexp.MustCompile(`\bedit`)

// readOps are the operations that read posts; a refusal there means the
// account is write-only, not that it is broken.
var readOps = map[string]bool{"poll": true, "fetch": true, "find published": true}

// shortType strips the host prefix from a Problem type.
func shortType(t string) string {
	for _, prefix := range []string{"https://api.twitter.com/2/problems/", "https://api.x.com/2/problems/"} {
		if strings.HasPrefix(t, prefix) {
			return strings.TrimPrefix(t, prefix)
		}
	}
	return t
}

// v1 error codes that still come from the media and OAuth endpoints.
const (
	codeCouldNotAuth   = 32
	codeBadToken       = 89
	codeTimestamp      = 135
	codeDuplicate      = 187
	codeAlreadyRT      = 327
	codeReplyDeleted   = 385
	codeReplyLimited   = 433
	codeSubsetOfAccess = 453
)

// classify maps one outcome of a request onto a *providers.Error: a
// transport error (resp nil, err set), or an answer outside 2xx with its
// body. It is the one place that knows how X says what went wrong.
func (p *Provider) classify(op string, resp *http.Response, body []byte, err error) error {
	e := &providers.Error{Network: Name, Op: op}
	if resp == nil || err != nil {
		e.Kind = providers.Transient
		e.Err = scrubbedError{err: err, msg: p.scrub(scrubURLError(err))}
		if resp != nil {
			e.Status = resp.StatusCode
		}
		return e
	}
	e.Status = resp.StatusCode
	now := p.now()
	probs := parseProblems(body)
	e.Message = p.scrub(truncate(problemMessage(probs, resp.StatusCode), 400))
	has := func(pred func(problem) bool) bool {
		for _, pr := range probs {
			if pred(pr) {
				return true
			}
		}
		return false
	}
	text := strings.ToLower(e.Message)

	switch {
	case has(func(pr problem) bool { return shortType(pr.Type) == probUsageCapped }):
		e.Kind = providers.Quota
		e.Reset = quotaReset(resp.Header, probs, now)
	case resp.StatusCode == http.StatusPaymentRequired:
		// Pay-per-use: the app's prepaid credits are spent. When they come
		// back depends on a top-up, so the reset is unknown.
		e.Kind = providers.Quota
		e.Message = "the X app's API credits are spent: " + e.Message
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Kind = providers.RateLimited
		e.Reset = rateReset(resp.Header, now)
	case resp.StatusCode == http.StatusUnauthorized,
		has(func(pr problem) bool {
			return pr.Code == codeCouldNotAuth || pr.Code == codeBadToken || pr.Code == codeTimestamp
		}):
		e.Kind = providers.Auth
	case has(func(pr problem) bool {
		return shortType(pr.Type) == probClientForbidden || pr.Code == codeSubsetOfAccess ||
			shortType(pr.Type) == probOAuth1Permissions || shortType(pr.Type) == probUnsupportedAuth
	}):
		e.Kind = providers.NotPermitted
		if readOps[op] {
			e.Reason = providers.ReasonReadDenied
			e.Message = readDeniedMessage + ": " + e.Message
		}
	case resp.StatusCode == http.StatusNotFound,
		has(func(pr problem) bool { return shortType(pr.Type) == probNotFound }):
		e.Kind = providers.NotFound
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout:
		e.Kind = providers.Transient
	case resp.StatusCode >= 400:
		e.Kind = providers.Rejected
		e.Reason = providers.ReasonInvalid
		switch {
		case op == "edit" && editWord.MatchString(text) && strings.Contains(text, "deleted or not visible"):
			// "You attempted to edit a Tweet that is deleted or not
			// visible to you."
			e.Kind, e.Reason = providers.NotFound, ""
		case op == "edit" && editWord.MatchString(text):
			// Not eligible, out of the edit window, out of edits, not
			// the latest version.
			e.Reason = providers.ReasonEditDenied
		case has(func(pr problem) bool { return pr.Code == codeDuplicate }) || strings.Contains(text, "duplicate content") ||
			strings.Contains(text, "status is a duplicate"):
			e.Reason = providers.ReasonDuplicate
		case has(func(pr problem) bool { return pr.Code == codeReplyDeleted || pr.Code == codeReplyLimited }) ||
			strings.Contains(text, "deleted or not visible") ||
			(strings.Contains(text, "repl") && (strings.Contains(text, "not allowed") || strings.Contains(text, "restricted") ||
				strings.Contains(text, "not permitted"))):
			e.Reason = providers.ReasonReplyNotAllowed
		}
	default:
		// 1xx and 3xx (redirects are not followed): not an answer we know.
		e.Kind = providers.Transient
	}
	return e
}

// problemsError classifies the Problems a 2xx answer carried instead of
// data (X answers a lookup of a missing post with 200 and a
// resource-not-found Problem).
func (p *Provider) problemsError(op string, probs []problem) error {
	body, _ := json.Marshal(errorBody{Errors: probs})
	status := http.StatusBadRequest
	for _, pr := range probs {
		if shortType(pr.Type) == probNotFound {
			status = http.StatusNotFound
		}
	}
	e := p.classify(op, &http.Response{StatusCode: status, Header: http.Header{}}, body, nil).(*providers.Error)
	e.Status = 200
	return e
}

// parseProblems reads every Problem or v1 error an error body holds; a body
// that is not JSON gives none.
func parseProblems(body []byte) []problem {
	var b errorBody
	if json.Unmarshal(body, &b) != nil {
		return nil
	}
	var out []problem
	if b.Type != "" || b.Title != "" || b.Detail != "" || b.Code != 0 || b.Message != "" {
		out = append(out, b.problem)
	}
	return append(out, b.Errors...)
}

// problemMessage is X's own explanation: title and detail of each problem,
// or the HTTP status text when there is none.
func problemMessage(probs []problem, status int) string {
	var parts []string
	seen := map[string]bool{}
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			parts = append(parts, s)
		}
	}
	for _, pr := range probs {
		add(pr.Title)
		add(pr.Detail)
		add(pr.Message)
		if pr.Reason != "" {
			add("reason " + pr.Reason)
		}
	}
	if len(parts) == 0 {
		return http.StatusText(status)
	}
	return strings.Join(parts, ": ")
}

// rateReset is when a 429 ends: the 15-minute window's x-rate-limit-reset,
// or, when a 24-hour user or app allowance is spent, its own reset,
// whichever is later, moved onto our clock by the answer's Date;
// Retry-After when X sends neither.
func rateReset(h http.Header, now time.Time) time.Time {
	reset := unixHeader(h, "x-rate-limit-reset")
	for _, w := range []string{"x-user-limit-24hour", "x-app-limit-24hour"} {
		if rem, ok := intHeader(h, w+"-remaining"); ok && rem <= 0 {
			if r := unixHeader(h, w+"-reset"); r.After(reset) {
				reset = r
			}
		}
	}
	if !reset.IsZero() {
		// X's clock, not ours: see providers.ServerReset.
		return providers.ServerReset(h, reset, now)
	}
	if t := providers.ParseRetryAfter(h, now); !t.IsZero() {
		return providers.ClampReset(t, now)
	}
	return time.Time{}
}

// quotaReset is when a usage cap ends: a spent 24-hour allowance's reset
// header when X sends one, else the end of the period the Problem names
// (UTC midnight for "Daily", the first of next month otherwise: X's caps
// are monthly unless it says so).
func quotaReset(h http.Header, probs []problem, now time.Time) time.Time {
	var reset time.Time
	for _, w := range []string{"x-user-limit-24hour", "x-app-limit-24hour"} {
		if rem, ok := intHeader(h, w+"-remaining"); ok && rem <= 0 {
			if r := unixHeader(h, w+"-reset"); r.After(reset) {
				reset = r
			}
		}
	}
	if !reset.IsZero() {
		return reset
	}
	period := ""
	for _, pr := range probs {
		if pr.Period != "" {
			period = pr.Period
		}
	}
	u := now.UTC()
	if strings.EqualFold(period, "daily") {
		return time.Date(u.Year(), u.Month(), u.Day()+1, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(u.Year(), u.Month()+1, 1, 0, 0, 0, 0, time.UTC)
}

func intHeader(h http.Header, key string) (int, bool) {
	v := strings.TrimSpace(h.Get(key))
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

// unixHeader reads a Unix-seconds header; zero when absent or malformed.
func unixHeader(h http.Header, key string) time.Time {
	v := strings.TrimSpace(h.Get(key))
	secs, err := strconv.ParseInt(v, 10, 64)
	if err != nil || secs <= 0 || secs > 1<<40 {
		return time.Time{}
	}
	return time.Unix(secs, 0)
}

// rateState is what the last answers said about the account's allowance.
type rateState struct {
	remaining int // -1 when unknown
	reset     time.Time
}

// recordRate keeps the tightest allowance the answer's headers state: the
// 15-minute endpoint window (x-rate-limit-*) or the 24-hour user and app
// windows (x-user-limit-24hour-*, x-app-limit-24hour-*).
func (p *Provider) recordRate(h http.Header) {
	best := rateState{remaining: -1}
	for _, w := range []string{"x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour"} {
		rem, ok := intHeader(h, w+"-remaining")
		if !ok || rem < 0 {
			continue
		}
		if best.remaining < 0 || rem < best.remaining {
			best = rateState{remaining: rem, reset: unixHeader(h, w+"-reset")}
		}
	}
	if best.remaining < 0 {
		return
	}
	p.mu.Lock()
	p.rate = best
	p.mu.Unlock()
}

// RateLimit reports the tightest allowance the last answer carrying rate
// headers stated: requests remaining and when that window resets. remaining
// is -1 before any such answer. It is meant for metrics; the engine learns
// of a spent allowance from a RateLimited or Quota error.
func (p *Provider) RateLimit() (remaining int, reset time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rate.remaining, p.rate.reset
}

// secretParam matches OAuth parameters that must never be shown.
var secretParam = regexp.MustCompile(`(?i)(oauth_(?:signature|token|consumer_key|nonce)=)("?)[^&",\s]*`)

// scrub removes every credential this provider holds from s, and any OAuth
// parameter value.
func (p *Provider) scrub(s string) string {
	// One replacer over every secret and its escaped form, so a
	// replacement is never itself rewritten by the next secret.
	var pairs []string
	for _, sec := range p.secrets {
		if sec != "" {
			pairs = append(pairs, sec, "<redacted>")
			if esc := url.QueryEscape(sec); esc != sec {
				pairs = append(pairs, esc, "<redacted>")
			}
		}
	}
	if len(pairs) > 0 {
		s = strings.NewReplacer(pairs...).Replace(s)
	}
	return secretParam.ReplaceAllString(s, "${1}${2}<redacted>")
}

// scrubURLError renders a transport error with its URL's query and user
// info removed.
func scrubURLError(err error) string {
	if err == nil {
		return "no answer"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		u, perr := url.Parse(ue.URL)
		shown := "<URL>"
		if perr == nil {
			u.User = nil
			u.RawQuery = ""
			shown = u.String()
		}
		return ue.Op + " " + shown + ": " + ue.Err.Error()
	}
	return err.Error()
}

// scrubbedError shows a scrubbed message but still unwraps to the original
// error, so errors.Is(err, context.DeadlineExceeded) keeps working.
type scrubbedError struct {
	err error
	msg string
}

func (e scrubbedError) Error() string { return e.msg }
func (e scrubbedError) Unwrap() error { return e.err }
