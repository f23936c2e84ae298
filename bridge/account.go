package bridge

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/dualpower/dualpower/config"
	"github.com/dualpower/dualpower/providers"
)

// account is one configured account at run time: its provider, its
// capabilities, and the goroutines that read it (intake) and write to it
// (its worker).
type account struct {
	name string
	cfg  *config.Account
	p    providers.Provider
	caps providers.Capabilities
	log  zerolog.Logger

	// gate orders an account's events after its own publishes: the worker
	// holds it from the moment it starts a publish until the ledger has
	// recorded the mirror, and intake takes it before recording an event
	// from this account. So a target's stream that reports our new post
	// before the publish call returns waits, and finds it a known mirror
	// instead of taking it for a new origin.
	gate sync.Mutex

	wake chan struct{} // new work is queued for this account
	idle chan struct{} // closed to tell the worker to stop once idle
	// settled is closed once the work a crash left with an unknown outcome
	// on this account is reconciled. Until then nothing is read from the
	// account: a mirror posted just before the crash, not yet recorded,
	// would look like a new origin and be mirrored back.
	settled     chan struct{}
	settledOnce sync.Once

	// unsure holds the publishes on this account that failed in a way
	// that leaves their outcome unknown (a timeout, a 5xx): the network
	// may have made the post. Until each is settled (reconciled on its
	// retry, or failed for good) nothing is read from the account, for the
	// same reason as settled. calm is closed while unsure is empty.
	unsure map[uint64]bool
	calm   chan struct{}

	mu           sync.Mutex
	id           providers.Identity
	limitedUntil time.Time // no request before this (a rate-limit reset)
	paused       bool
	resume       chan struct{} // closed when a paused account resumes
	idleOnce     sync.Once
}

func (e *Engine) newAccount(c *config.Account, p providers.Provider) *account {
	return &account{
		name:    c.Name,
		cfg:     c,
		p:       p,
		caps:    providers.CapabilitiesOf(p),
		log:     e.log.With().Str("account", c.Name).Str("network", c.Network).Logger(),
		wake:    make(chan struct{}, 1),
		idle:    make(chan struct{}),
		resume:  make(chan struct{}),
		settled: make(chan struct{}),
		unsure:  map[uint64]bool{},
		calm:    closedChan(),
	}
}

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// markUnsure records that intent id's outcome is unknown (see unsure).
func (a *account) markUnsure(id uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.unsure) == 0 {
		a.calm = make(chan struct{})
	}
	a.unsure[id] = true
}

// markSure records that intent id is settled.
func (a *account) markSure(id uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.unsure[id] {
		return
	}
	delete(a.unsure, id)
	if len(a.unsure) == 0 {
		close(a.calm)
	}
}

func (a *account) isCalm() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.unsure) == 0
}

// waitCalm blocks intake while a publish on the account has an unknown
// outcome.
func (a *account) waitCalm(ctx context.Context) bool {
	a.mu.Lock()
	calm := a.calm
	a.mu.Unlock()
	select {
	case <-calm:
		return true
	case <-ctx.Done():
		return false
	}
}

// settle marks the account's unknown outcomes reconciled.
func (a *account) settle() { a.settledOnce.Do(func() { close(a.settled) }) }

// waitSettled blocks intake until the account's work is reconciled.
func (a *account) waitSettled(ctx context.Context) bool {
	select {
	case <-a.settled:
		return true
	case <-ctx.Done():
		return false
	}
}

// logCtx attaches the account's logger for the adapter to use.
func (a *account) logCtx(ctx context.Context) context.Context { return a.log.WithContext(ctx) }

func (a *account) identity() providers.Identity {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.id
}

func (a *account) setIdentity(id providers.Identity) {
	a.mu.Lock()
	a.id = id
	a.mu.Unlock()
}

// notify wakes the worker without blocking.
func (a *account) notify() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

func (a *account) stopWhenIdle() { a.idleOnce.Do(func() { close(a.idle) }) }

// limitUntil records a rate-limit reset: nothing is sent to the account
// before it.
func (a *account) limitUntil(t time.Time) {
	a.mu.Lock()
	if t.After(a.limitedUntil) {
		a.limitedUntil = t
	}
	a.mu.Unlock()
}

func (a *account) limited(now time.Time) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.limitedUntil, now.Before(a.limitedUntil)
}

// pause stops work on the account until its credentials are fixed; other
// accounts do not notice.
func (a *account) pause(e *Engine, err error) {
	a.mu.Lock()
	already := a.paused
	a.paused = true
	a.mu.Unlock()
	if already {
		return
	}
	why := err.Error()
	if perr := e.st.Pause(a.name, why); perr != nil {
		a.log.Error().Err(perr).Msg("cannot record the pause in the ledger")
	}
	e.obs.Paused(a.name, why)
	a.log.Error().Err(err).Msg("account paused: its credentials were refused; fix them in the config and reload (SIGHUP)")
}

func (a *account) unpause() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.paused {
		a.paused = false
		close(a.resume)
		a.resume = make(chan struct{})
	}
}

func (a *account) isPaused() (bool, chan struct{}) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.paused, a.resume
}

// sleep waits d or until ctx ends; it reports whether the wait was whole.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
