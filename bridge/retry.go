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
	d := retryMax
	if attempts < 1 {
		attempts = 1
	}
	if attempts <= 30 {
		d = min(e.retryBase<<(attempts-1), retryMax)
	}
	d = time.Duration(float64(d) * (1 - retryJitter + 2*retryJitter*rand.Float64()))
	at := e.now().Add(d)
	if reset.After(at) {
		return reset
	}
	return at
}
