package bridge

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/store"
)

// BackfillOptions says which older posts of a link to mirror.
type BackfillOptions struct {
	Link string
	// Since mirrors the posts made at or after it; Last, when positive,
	// keeps only the newest Last of them (with a zero Since: of the newest
	// page, or of every post the adapter can page back to when Last is
	// larger than a page).
	Since time.Time
	Last  int
}

// BackfillReport is what a backfill did.
type BackfillReport struct {
	Read     int // posts read from the source
	Known    int // already in the ledger: mirrored or judged before
	Queued   int // intents recorded
	Mirrored int
	Skipped  map[string]int // by reason
	Failed   map[string]int // by reason
	Held     map[string]int // by reason: caps, budget, rate limits
}

// Backfill mirrors a link's older posts, oldest first, under the link's
// rules and its targets' caps and budget, and returns when the work it
// queued is done, held or failed. It reads the source once and never moves
// its cursor. Posts the ledger already knows are left alone, so running it
// twice mirrors nothing twice. With Options.DryRun nothing is written.
//
// It needs the ledger to itself: run it while the daemon is stopped.
func (e *Engine) Backfill(ctx context.Context, opt BackfillOptions) (BackfillReport, error) {
	rep := BackfillReport{Skipped: map[string]int{}, Failed: map[string]int{}, Held: map[string]int{}}
	cfg := e.config()
	l, ok := cfg.Links[opt.Link]
	if !ok {
		return rep, fmt.Errorf("bridge: backfill: no link %q", opt.Link)
	}
	src := e.account(l.From)
	if src == nil || src.caps.Poller == nil {
		return rep, fmt.Errorf("bridge: backfill: account %s cannot be read", l.From)
	}
	obs := &backfillObserver{Observer: e.obs, rep: &rep}
	e.obs = obs
	defer func() { e.obs = obs.Observer }()

	e.verifyAll(ctx, e.sortedAccounts())
	e.linkIdentities(cfg)

	cursor := ""
	if !opt.Since.IsZero() || opt.Last > backfillPage {
		cursor = providers.SinceCursor(opt.Since)
	}
	events, _, err := src.caps.Poller.Poll(src.logCtx(ctx), cursor)
	if err != nil {
		return rep, fmt.Errorf("bridge: backfill: reading %s: %w", l.From, err)
	}
	var posts []*providers.Post
	for _, ev := range events {
		if ev.Kind == providers.Created && ev.Post != nil && !ev.Post.Created.Before(opt.Since) {
			posts = append(posts, ev.Post)
		}
	}
	sort.SliceStable(posts, func(i, j int) bool { return posts[i].Created.Before(posts[j].Created) })
	if opt.Last > 0 && len(posts) > opt.Last {
		posts = posts[len(posts)-opt.Last:]
	}
	rep.Read = len(posts)

	now := e.now()
	for _, p := range posts {
		ref := p.Ref
		if ref.Account == "" {
			ref.Account = src.name
		}
		intents, skips := e.planCreated(l, p, now)
		for i := range intents {
			intents[i].NotBefore = time.Time{} // the past needs no settling
		}
		res, err := e.st.Record(store.Event{Kind: store.Created, Ref: ref, Link: l.Name, Created: p.Created,
			TextHash: textHash(p), Intents: intents, Skips: skips})
		if err != nil {
			return rep, fmt.Errorf("bridge: backfill: %w", err)
		}
		if res.Known {
			rep.Known++
			continue
		}
		rep.Queued += len(res.IntentIDs)
		for _, s := range skips {
			rep.Skipped[s.Reason]++
		}
	}

	// Do the work, target by target, until nothing is due.
	for _, to := range l.To {
		a := e.account(to)
		if a == nil {
			continue
		}
		if err := a.drain(ctx, e); err != nil {
			return rep, err
		}
	}
	return rep, ctx.Err()
}

// backfillPage is how many posts a read from an empty cursor is sure to
// return (X's first page); a larger --last reads back in time instead.
const backfillPage = 10

// drain executes the account's due work until none is left due, without
// waiting for held or backing-off work: that is for the daemon.
func (a *account) drain(ctx context.Context, e *Engine) error {
	a.reconcile(ctx, e)
	for ctx.Err() == nil {
		if paused, _ := a.isPaused(); paused {
			return nil
		}
		if reset, ok := a.limited(e.now()); ok {
			if !a.waitUntil(ctx, reset) {
				return ctx.Err()
			}
			continue
		}
		in, ok, _, err := e.st.Claim(a.name)
		switch {
		case errors.Is(err, store.ErrInFlight):
			a.reconcile(ctx, e)
			continue
		case err != nil:
			return fmt.Errorf("bridge: backfill: %w", err)
		case !ok:
			return nil
		}
		a.execute(ctx, e, in)
	}
	return ctx.Err()
}

// backfillObserver counts a backfill's outcomes and passes them on.
type backfillObserver struct {
	Observer
	rep *BackfillReport
}

func (o *backfillObserver) Mirrored(link, target string, kind store.IntentKind, lat time.Duration) {
	o.rep.Mirrored++
	o.Observer.Mirrored(link, target, kind, lat)
}

func (o *backfillObserver) Skipped(link, target, reason string) {
	o.rep.Skipped[reason]++
	o.Observer.Skipped(link, target, reason)
}

func (o *backfillObserver) Failed(link, target, reason string) {
	o.rep.Failed[reason]++
	o.Observer.Failed(link, target, reason)
}

func (o *backfillObserver) Held(link, target, reason string, until time.Time) {
	o.rep.Held[reason]++
	o.Observer.Held(link, target, reason, until)
}
