package bridge

import (
	"math/rand/v2"
	"time"
)

// The retry policy, in one place: an intent that failed for a passing
// reason is tried again after an exponential backoff with jitter, never
// before a reset the network named, and never later than retryMax.
const (
	defaultRetryBase = 2 * time.Second
	retryMax         = time.Hour
	retryJitter      = 0.2
)

// retryAt is when to try an intent again after its attempts-th failure.
func (e *Engine) retryAt(attempts int, reset time.Time) time.Time {
	at := e.now().Add(backoffDelay(e.retryBase, max(attempts, 1)-1, retryMax))
	if reset.After(at) {
		return reset
	}
	return at
}

// backoff is the wait before restarting a stream (or a poll) that failed
// attempt times in a row: 1 s, 2 s, 4 s … up to max.
func backoff(attempt int, max time.Duration) time.Duration {
	return backoffDelay(time.Second, attempt, max)
}

// backoffDelay is base doubled n times, at most max, spread by ±retryJitter
// so that many accounts failing together do not retry together.
func backoffDelay(base time.Duration, n int, max time.Duration) time.Duration {
	d := max
	if n < 30 {
		d = min(base<<n, max)
	}
	if d <= 0 {
		d = max
	}
	return time.Duration(float64(d) * (1 - retryJitter + 2*retryJitter*rand.Float64()))
}
