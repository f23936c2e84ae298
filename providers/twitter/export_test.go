package twitter

import "time"

// SetAfter replaces the provider's wait for media processing, so external
// tests do not sleep.
func SetAfter(p *Provider, after func(time.Duration) <-chan time.Time) { p.after = after }
