package demo

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/store"
)

// outcome is one thing the engine reported doing, or not doing, on a
// target account.
type outcome struct {
	what   string // "mirrored", "skipped", "failed", "held" or "paused"
	kind   string // for mirrored: the intent kind (publish, edit, delete)
	target string // the target account (for paused: the account)
	reason string
}

func (o outcome) String() string {
	s := o.what
	if o.kind != "" {
		s += " (" + o.kind + ")"
	}
	s += " on " + o.target
	if o.reason != "" {
		s += ": " + o.reason
	}
	return s
}

// final says whether the outcome settles the work it is about: a hold
// (a rate limit, a cap) only postpones it.
func (o outcome) final() bool { return o.what != "held" }

// observer is the engine's bridge.Observer: it keeps every outcome in
// order and wakes a waiter after each report.
type observer struct {
	mu       sync.Mutex
	outcomes []outcome
	received int // source events recorded as new
	known    int // source events dropped as already known (echoes, re-reads)
	signal   chan struct{}
}

func newObserver() *observer { return &observer{signal: make(chan struct{}, 1)} }

func (o *observer) add(oc outcome) {
	o.mu.Lock()
	o.outcomes = append(o.outcomes, oc)
	o.mu.Unlock()
	o.ping()
}

func (o *observer) ping() {
	select {
	case o.signal <- struct{}{}:
	default:
	}
}

// Received implements bridge.Observer.
func (o *observer) Received(_ string, _ providers.EventKind, _ providers.Ref, known bool) {
	o.mu.Lock()
	if known {
		o.known++
	} else {
		o.received++
	}
	o.mu.Unlock()
	o.ping()
}

// Mirrored implements bridge.Observer.
func (o *observer) Mirrored(_, target string, kind store.IntentKind, _ time.Duration) {
	o.add(outcome{what: "mirrored", kind: kind.String(), target: target})
}

// Skipped implements bridge.Observer.
func (o *observer) Skipped(_, target, reason string) {
	o.add(outcome{what: "skipped", target: target, reason: reason})
}

// Failed implements bridge.Observer.
func (o *observer) Failed(_, target, reason string) {
	o.add(outcome{what: "failed", target: target, reason: reason})
}

// Held implements bridge.Observer.
func (o *observer) Held(_, target, reason string, until time.Time) {
	o.add(outcome{what: "held", target: target, reason: fmt.Sprintf("%s, until %s", reason, until.Format(time.TimeOnly))})
}

// Paused implements bridge.Observer.
func (o *observer) Paused(account, why string) {
	o.add(outcome{what: "paused", target: account, reason: why})
}

// mark is the position of the next outcome, to wait for what comes after.
func (o *observer) mark() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.outcomes)
}

// counts returns how many events were recorded as new and dropped as
// known so far.
func (o *observer) counts() (received, known int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.received, o.known
}

// want is one settled outcome a beat waits for: on target, of kind when
// the engine mirrored (a skip or a failure of any kind also settles it).
type want struct {
	target string
	kind   store.IntentKind
}

// await waits until, after mark, every want has a final outcome on its
// target (taken in order, one each), or an account is paused, or ctx ends
// or limit passes. It returns the outcomes matched, in the order of wants.
func (o *observer) await(ctx context.Context, limit time.Duration, mark int, wants ...want) ([]outcome, error) {
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		got, paused, ok := o.match(mark, wants)
		if paused != nil {
			return got, fmt.Errorf("account %s was paused: %s", paused.target, paused.reason)
		}
		if ok {
			return got, nil
		}
		select {
		case <-o.signal:
		case <-ctx.Done():
			return got, fmt.Errorf("waiting for %s: %w", describe(wants), ctx.Err())
		case <-timer.C:
			return got, fmt.Errorf("waiting for %s: nothing after %s", describe(wants), limit)
		}
	}
}

func (o *observer) match(mark int, wants []want) ([]outcome, *outcome, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	got := make([]outcome, len(wants))
	done := make([]bool, len(wants))
	n := 0
	for i := mark; i < len(o.outcomes); i++ {
		oc := o.outcomes[i]
		if oc.what == "paused" {
			return got, &oc, false
		}
		if !oc.final() {
			continue
		}
		for j, w := range wants {
			if done[j] || w.target != oc.target {
				continue
			}
			if oc.what == "mirrored" && oc.kind != w.kind.String() {
				continue
			}
			got[j], done[j] = oc, true
			n++
			break
		}
	}
	return got, nil, n == len(wants)
}

func describe(wants []want) string {
	var parts []string
	for _, w := range wants {
		parts = append(parts, fmt.Sprintf("a %s on %s", w.kind, w.target))
	}
	return strings.Join(parts, " and ")
}
