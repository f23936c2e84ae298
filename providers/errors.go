package providers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Kind is what the engine should do about an error.
type Kind int

const (
	// Transient: a network error, a timeout, a 5xx. Retry with backoff.
	Transient Kind = iota
	// RateLimited: the network asked us to wait until Error.Reset. Send
	// nothing more to this account before then.
	RateLimited
	// Quota: a usage cap or budget is spent until Error.Reset (the end of
	// the billing period, when known). Hold the work; do not retry sooner.
	Quota
	// Auth: the credentials were refused. Pause the account until its
	// configuration changes; retrying cannot help.
	Auth
	// NotFound: the post (or account) does not exist. Deleting it is done.
	NotFound
	// Rejected: the network refused this content for good; Error.Reason
	// says why. Record it; do not retry the same request.
	Rejected
	// NotPermitted: the app or account is not allowed to do this at all
	// (an X access level without timeline reads, editing without an eligible
	// plan). Turn the capability off; retrying cannot help.
	NotPermitted
)

var kindNames = [...]string{"transient", "rate limited", "quota exhausted", "auth failed", "not found", "rejected", "not permitted"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Reason refines a Rejected (or NotPermitted) error.
type Reason string

const (
	ReasonDuplicate       Reason = "duplicate"         // the network already has this exact post
	ReasonReplyNotAllowed Reason = "reply not allowed" // the reply was refused, or its parent is gone
	ReasonInvalid         Reason = "invalid"           // too long, bad media, bad field
	ReasonReadDenied      Reason = "read denied"       // the app may write but not read: the account is write-only
	ReasonEditDenied      Reason = "edit denied"       // this post or account cannot be edited
)

// Error is the one error type adapters return for anything the network
// answered or failed to answer. Match it with errors.As, or its kind with
// errors.Is against the sentinels (errors.Is(err, providers.ErrNotFound)).
//
// Message is the network's own explanation, already scrubbed of secrets; an
// Error never carries a token or a signed URL.
type Error struct {
	Kind    Kind
	Reason  Reason    // set for Rejected and NotPermitted
	Network string    // "mastodon", "twitter"
	Op      string    // what we were doing: "publish", "poll", …
	Status  int       // HTTP status, 0 when there was no answer
	Reset   time.Time // RateLimited, Quota: when to try again; zero when unknown
	Message string
	Err     error // the underlying error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Network != "" {
		b.WriteString(e.Network)
		b.WriteString(": ")
	}
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.String())
	if e.Reason != "" {
		b.WriteString(" (")
		b.WriteString(string(e.Reason))
		b.WriteString(")")
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if !e.Reset.IsZero() {
		b.WriteString(" (until ")
		b.WriteString(e.Reset.UTC().Format(time.RFC3339))
		b.WriteString(")")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNotFound) and friends match any *Error of the
// same kind, and of the same reason when the target names one.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || t.Network != "" || t.Op != "" || t.Message != "" {
		return false
	}
	return t.Kind == e.Kind && (t.Reason == "" || t.Reason == e.Reason)
}

// Sentinels for errors.Is.
var (
	ErrTransient    = &Error{Kind: Transient}
	ErrRateLimited  = &Error{Kind: RateLimited}
	ErrQuota        = &Error{Kind: Quota}
	ErrAuth         = &Error{Kind: Auth}
	ErrNotFound     = &Error{Kind: NotFound}
	ErrRejected     = &Error{Kind: Rejected}
	ErrNotPermitted = &Error{Kind: NotPermitted}
	ErrDuplicate    = &Error{Kind: Rejected, Reason: ReasonDuplicate}
	ErrReplyRefused = &Error{Kind: Rejected, Reason: ReasonReplyNotAllowed}
)

// KindOf returns the Kind of err: that of the *Error it wraps, or Transient
// for any other error (a network error is worth retrying), or -1 for nil.
func KindOf(err error) Kind {
	if err == nil {
		return -1
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Transient
}

// ResetOf returns when err says to try again, or the zero time.
func ResetOf(err error) time.Time {
	var e *Error
	if errors.As(err, &e) {
		return e.Reset
	}
	return time.Time{}
}

// Permanent reports whether retrying the same request cannot succeed.
func Permanent(err error) bool {
	switch KindOf(err) {
	case Auth, NotFound, Rejected, NotPermitted:
		return true
	}
	return false
}

// MinRateLimitWait is the least a rate limit holds: a reset the server's
// clock had already passed when it answered still waits this long, so a
// caller that honours resets never spins. MaxRateLimitWait is the most: no
// network's rate-limit window is longer than a day (X's 24-hour
// allowances are the longest), so a reset further away is a broken answer,
// and must not stop an account for good.
const (
	MinRateLimitWait = time.Second
	MaxRateLimitWait = 24 * time.Hour
)

// ServerReset moves a reset a server named by its own clock onto ours.
// The answer's Date header says what the server's clock read when it
// answered; the wait reset−Date, counted from now (when the answer
// arrived), holds whatever the difference between the two clocks. Date
// has whole seconds, so the wait can only come out longer, never shorter.
// Without a usable Date the reset is taken as it is. Either way the reset
// is at least MinRateLimitWait from now: a slow answer whose window has
// already rolled over must not become a reset in the past, nor one that
// falls back to a long default; and at most MaxRateLimitWait. A Date more
// than a day from now is ignored as broken.
func ServerReset(h http.Header, reset, now time.Time) time.Time {
	if date, err := http.ParseTime(h.Get("Date")); err == nil && date.Sub(now).Abs() <= MaxRateLimitWait {
		reset = now.Add(reset.Sub(date))
	}
	return ClampReset(reset, now)
}

// ClampReset keeps a rate limit's reset between MinRateLimitWait and
// MaxRateLimitWait from now.
func ClampReset(reset, now time.Time) time.Time {
	if floor := now.Add(MinRateLimitWait); reset.Before(floor) {
		return floor
	}
	if ceil := now.Add(MaxRateLimitWait); reset.After(ceil) {
		return ceil
	}
	return reset
}

// ParseRetryAfter reads a Retry-After header, as seconds or an HTTP date,
// relative to now. It returns the zero time when the header is absent or
// malformed.
func ParseRetryAfter(h http.Header, now time.Time) time.Time {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return time.Time{}
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return time.Time{}
		}
		return now.Add(time.Duration(secs) * time.Second)
	}
	if t, err := http.ParseTime(v); err == nil {
		return t
	}
	return time.Time{}
}
