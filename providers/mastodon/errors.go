package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dualpower/dualpower/providers"
)

// network is the name every *providers.Error of this adapter carries.
const network = "mastodon"

// defaultRateLimitWait is how long a 429 without any reset header holds the
// account.
const defaultRateLimitWait = 5 * time.Minute

// maxErrorBody is how much of an error answer is read.
const maxErrorBody = 64 << 10

// statusError is an answer of 400 or above, caught by the transport before
// go-mastodon (or our own code) sees it. It keeps what classify needs.
type statusError struct {
	Status int
	Header http.Header
	Body   []byte
	// reset is, for a 429, when it ends on our clock, reckoned by the
	// transport when the answer arrived (rateLimitReset).
	reset time.Time
}

func (e *statusError) Error() string { return "HTTP " + http.StatusText(e.Status) }

// newStatusError reads (a bounded part of) resp's body and closes it.
func newStatusError(resp *http.Response) *statusError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
	return &statusError{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// classify maps an HTTP outcome onto the typed errors of the providers
// contract. resp may be nil (go-mastodon calls, failed requests); an answer
// of 400 and above arrives as a *statusError inside err (the transport makes
// it one) or as resp. It returns nil for a successful resp and no err.
//
//   - context ended: ctx.Err() wrapped, returned as is (not an *Error);
//   - 429: RateLimited, Reset from X-RateLimit-Reset (ISO 8601), else
//     Retry-After, else now+5 min;
//   - 401, and 403 for the token (WWW-Authenticate, or a refused login or
//     scope): Auth;
//   - 404, 410: NotFound;
//   - 422, 400, 403 for the request, 413, 415: Rejected (ReasonInvalid, or
//     ReasonReplyNotAllowed when the server says the reply is the problem);
//   - 408, 409, 425, 5xx, network errors and timeouts: Transient.
//
// No secret reaches the result: URLs are scrubbed of access_token and the
// token itself is replaced wherever it appears.
func (p *Provider) classify(ctx context.Context, op string, resp *http.Response, err error) error {
	if ctx != nil && ctx.Err() != nil {
		return fmt.Errorf("mastodon: %s: %w", op, ctx.Err())
	}
	var se *statusError
	switch {
	case err == nil && resp == nil:
		return nil
	case err == nil && resp.StatusCode < 400:
		return nil
	case err == nil:
		se = newStatusError(resp)
	case !errors.As(err, &se):
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			if ctx != nil && ctx.Err() != nil {
				return fmt.Errorf("mastodon: %s: %w", op, ctx.Err())
			}
		}
		return &providers.Error{Kind: providers.Transient, Network: network, Op: op, Err: p.scrub(err)}
	}
	return p.fromStatus(op, se)
}

func (p *Provider) fromStatus(op string, se *statusError) error {
	e := &providers.Error{Network: network, Op: op, Status: se.Status, Message: p.scrubString(errorMessage(se))}
	now := p.now()
	switch s := se.Status; {
	case s == http.StatusTooManyRequests:
		e.Kind = providers.RateLimited
		e.Reset = se.reset
		if e.Reset.IsZero() {
			e.Reset = rateLimitReset(se.Header, now)
		}
	case s == http.StatusUnauthorized:
		e.Kind = providers.Auth
	case s == http.StatusForbidden && tokenRefused(se, e.Message):
		e.Kind = providers.Auth
	case s == http.StatusNotFound || s == http.StatusGone:
		e.Kind = providers.NotFound
	case s == http.StatusRequestTimeout || s == http.StatusConflict || s == http.StatusTooEarly || s >= 500:
		e.Kind = providers.Transient
		e.Reset = providers.ParseRetryAfter(se.Header, now)
	case s >= 400:
		e.Kind = providers.Rejected
		e.Reason = providers.ReasonInvalid
		if mentionsReply(e.Message) {
			e.Reason = providers.ReasonReplyNotAllowed
		}
	default:
		e.Kind = providers.Transient
	}
	return e
}

// rateLimitReset reads Mastodon's X-RateLimit-Reset (ISO 8601, by the
// server's clock, which providers.ServerReset moves onto ours), else
// Retry-After, else gives now+5 min. It is kept between
// providers.MinRateLimitWait and MaxRateLimitWait away: a 429 that arrived
// after its own reset (a slow answer) holds a second, not the five minutes
// of a 429 that names no time, and one naming next year holds a day.
func rateLimitReset(h http.Header, now time.Time) time.Time {
	if t, ok := parseISOTime(h.Get("X-RateLimit-Reset")); ok {
		return providers.ServerReset(h, t, now)
	}
	if t := providers.ParseRetryAfter(h, now); !t.IsZero() {
		return providers.ClampReset(t, now)
	}
	return now.Add(defaultRateLimitWait)
}

func parseISOTime(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// tokenRefused tells a 403 about the token or the login (Doorkeeper's
// insufficient scope, a disabled or unconfirmed login, a suspended account)
// from a 403 about this one request.
func tokenRefused(se *statusError, msg string) bool {
	if se.Header.Get("WWW-Authenticate") != "" {
		return true
	}
	m := strings.ToLower(msg)
	for _, s := range []string{"authorized scopes", "scope", "login", "token", "suspended", "account is disabled", "not approved", "unconfirmed", "e-mail", "email"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// mentionsReply tells an error about the reply (Mastodon: "Validation
// failed: … reply …", "The post you are trying to reply to does not appear
// to exist"; GoToSocial: "… not replyable …").
func mentionsReply(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "reply") || strings.Contains(m, "replyable") || strings.Contains(m, "in_reply_to")
}

// errorMessage is the server's explanation: the Error entity's error (and
// error_description), else a short plain-text body, else the status text.
func errorMessage(se *statusError) string {
	var ae apiError
	if json.Unmarshal(se.Body, &ae) == nil && ae.Error != "" {
		msg := ae.Error
		if ae.ErrorDescription != "" && ae.ErrorDescription != ae.Error {
			msg += ": " + ae.ErrorDescription
		}
		return clip(msg)
	}
	body := strings.TrimSpace(string(se.Body))
	if body != "" && !strings.ContainsAny(body, "<{") && utf8.ValidString(body) {
		return clip(body)
	}
	return http.StatusText(se.Status)
}

// clip keeps a message to one short line of valid UTF-8.
func clip(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Join(strings.Fields(s), " ")
	const max = 300
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

var tokenParam = regexp.MustCompile(`(?i)(access_token|token|code|client_secret)=[^&\s"']*`)

// scrubString removes tokens from s: access_token query parameters and the
// provider's own token wherever it appears.
func (p *Provider) scrubString(s string) string {
	s = tokenParam.ReplaceAllString(s, "$1=REDACTED")
	if t := p.token.Reveal(); len(t) >= 4 {
		s = strings.ReplaceAll(s, t, "REDACTED")
	}
	return s
}

// scrub wraps err so that its message is scrubbed; errors.Is and errors.As
// still see the original chain.
func (p *Provider) scrub(err error) error {
	if err == nil {
		return nil
	}
	return &scrubbed{msg: p.scrubString(err.Error()), err: err}
}

// scrubbed is an error whose message has been scrubbed of secrets.
type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// wrapOp adds a lowercase prefix naming what failed to errors that are not
// already *providers.Error (which name their operation themselves).
func wrapOp(op string, err error) error {
	var pe *providers.Error
	if err == nil || errors.As(err, &pe) {
		return err
	}
	var sc *scrubbed
	if errors.As(err, &sc) && strings.HasPrefix(sc.msg, "mastodon: ") {
		return err
	}
	return &scrubbed{msg: "mastodon: " + op + ": " + err.Error(), err: err}
}
