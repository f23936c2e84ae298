package bridge

import (
	"testing"
	"time"
)

// TestBackoffDelay: the one backoff doubles from its base, stops at its
// cap (never overflowing into a zero or negative wait), and stays within
// its jitter.
func TestBackoffDelay(t *testing.T) {
	for n := range 70 {
		want := time.Hour
		if n < 30 {
			want = min(2*time.Second<<n, time.Hour)
		}
		for range 20 {
			d := backoffDelay(2*time.Second, n, time.Hour)
			lo := time.Duration(float64(want) * (1 - retryJitter))
			hi := time.Duration(float64(want) * (1 + retryJitter))
			if d < lo || d > hi {
				t.Fatalf("backoffDelay(2s, %d, 1h) = %v, want within [%v, %v]", n, d, lo, hi)
			}
		}
	}
}

// TestRetryAtHonoursReset: a retry is never before a reset the network
// named, and otherwise follows the backoff.
func TestRetryAtHonoursReset(t *testing.T) {
	now := time.Date(2027, 1, 4, 10, 0, 0, 0, time.UTC)
	e := &Engine{retryBase: time.Second, now: func() time.Time { return now }}
	reset := now.Add(10 * time.Minute)
	if got := e.retryAt(1, reset); !got.Equal(reset) {
		t.Errorf("retryAt(1, reset in 10 min) = %v, want the reset", got)
	}
	if got := e.retryAt(3, time.Time{}); got.Before(now.Add(3200*time.Millisecond)) || got.After(now.Add(4800*time.Millisecond)) {
		t.Errorf("retryAt(3) = %v after now, want 4 s ± 20%%", got.Sub(now))
	}
	if got := e.retryAt(0, time.Time{}); got.After(now.Add(1200 * time.Millisecond)) {
		t.Errorf("retryAt(0) = %v after now, want the first attempt's wait", got.Sub(now))
	}
}
