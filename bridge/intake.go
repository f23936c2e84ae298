package bridge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dualpower/dualpower/config"
	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/store"
)

// stream reads a streaming source until ctx ends. The adapter reconnects
// by itself; this loop only restarts it if it returns early with an error
// other than a refused token.
func (a *account) stream(ctx context.Context, e *Engine) {
	if !a.waitSettled(ctx) {
		return
	}
	for attempt := 0; ctx.Err() == nil; attempt++ {
		if paused, resume := a.isPaused(); paused {
			select {
			case <-resume:
			case <-ctx.Done():
				return
			}
		}
		cursor, err := e.cursor(a)
		if err != nil {
			a.log.Error().Err(err).Msg("cannot read the cursor")
			return
		}
		if a.caps.Resumer != nil && cursor != "" {
			if err := e.resume(a); err != nil {
				a.log.Warn().Err(err).Msg("cannot tell the stream what the ledger knows; edits and deletes made while it was stopped may be missed")
			}
		}
		start := time.Now()
		err = a.caps.Streamer.Stream(a.logCtx(ctx), cursor, func(ctx context.Context, ev providers.Event) error {
			return e.handleEvent(ctx, a, ev)
		})
		if ctx.Err() != nil {
			return
		}
		if providers.KindOf(err) == providers.Auth {
			a.pause(e, err)
			continue
		}
		if time.Since(start) > time.Minute {
			attempt = 0
		}
		d := backoff(attempt, 5*time.Minute)
		if reset, ok := a.limited(time.Now()); ok {
			d = max(d, time.Until(reset))
		}
		a.log.Warn().Err(err).Dur("retry_in", d).Msg("stream stopped")
		if !sleep(ctx, d) {
			return
		}
	}
}

// resumeWindow is how far back the posts a restarted stream is told about
// reach; resumeKnown how many of them, at most (the newest).
const (
	resumeWindow = 30 * 24 * time.Hour
	resumeKnown  = 100
)

// resume tells a streaming source that can take it (providers.Resumer)
// what the ledger knows of its account: when the engine last heard from it
// and the newest origins there not deleted, so that the stream's first
// catch-up finds edits and deletes made while no stream listened.
func (e *Engine) resume(a *account) error {
	st, err := e.st.Account(a.name)
	if err != nil || st.LastActivity.IsZero() {
		return err
	}
	posts, err := e.newestOrigins(a, resumeWindow, resumeKnown, nil)
	if err != nil {
		return err
	}
	known := make([]providers.Known, len(posts))
	for i, p := range posts {
		known[i] = providers.Known{ID: p.Ref.ID, Created: p.Created}
	}
	a.caps.Resumer.Resume(st.LastActivity, known)
	return nil
}

// newestOrigins returns the origins on a's account made within window and
// not deleted that keep accepts (nil keeps all), the newest n, oldest
// first. Only origins: what happens to a mirror on its own network is not
// mirrored back.
func (e *Engine) newestOrigins(a *account, window time.Duration, n int, keep func(store.Post) bool) ([]store.Post, error) {
	posts, err := e.st.PostsOn(a.name, e.now().Add(-window))
	if err != nil {
		return nil, err
	}
	posts = slices.DeleteFunc(posts, func(p store.Post) bool {
		return p.Role != store.Origin || keep != nil && !keep(p)
	})
	slices.SortStableFunc(posts, func(x, y store.Post) int { return x.Created.Compare(y.Created) })
	return posts[max(len(posts)-n, 0):], nil
}

// checkWindow is how far back check_deletes looks: posts are deleted soon
// after they are made far more often than later, and on X every post
// looked up is billed.
const checkWindow = 48 * time.Hour

// checkDeletes asks a source that can tell (providers.Checker) which of its
// origins of the last checkWindow (the newest providers.MaxChecked, not
// deleted, not left out on every target) are gone, and records a delete
// for each, as if the network had announced it.
func (e *Engine) checkDeletes(ctx context.Context, a *account) {
	if paused, _ := a.isPaused(); paused {
		return
	}
	if _, limited := a.limited(e.now()); limited {
		return
	}
	recent, err := e.newestOrigins(a, checkWindow, providers.MaxChecked, func(p store.Post) bool {
		for _, ts := range p.Targets {
			if ts.State != store.PostSkipped {
				return true
			}
		}
		return false
	})
	if err != nil {
		a.log.Error().Err(err).Msg("cannot read the posts to check for deletes")
		return
	}
	if len(recent) == 0 {
		return
	}
	ids := make([]string, len(recent))
	for i, p := range recent {
		ids[i] = p.Ref.ID
	}
	gone, err := a.caps.Checker.Gone(a.logCtx(ctx), ids)
	if err != nil {
		if ctx.Err() == nil {
			a.log.Warn().Err(err).Int("posts", len(ids)).Msg("checking for deletes failed; the next check tries again")
		}
		return
	}
	a.log.Debug().Int("posts", len(ids)).Int("gone", len(gone)).Msg("checked for deletes")
	for _, id := range gone {
		a.log.Info().Str("ref", providers.Ref{Account: a.name, ID: id}.String()).Msg("deleted at the source (found by check_deletes)")
		if err := e.handleEvent(ctx, a, providers.Event{Kind: providers.Deleted, Ref: providers.Ref{Account: a.name, ID: id}}); err != nil {
			if ctx.Err() == nil {
				a.log.Error().Err(err).Msg("cannot record a delete found by check_deletes")
			}
			return
		}
	}
}

// poll reads a polling source once from its cursor.
func (a *account) poll(ctx context.Context, e *Engine) {
	if !a.waitSettled(ctx) {
		return
	}
	if paused, _ := a.isPaused(); paused {
		return
	}
	cursor, err := e.cursor(a)
	if err != nil {
		a.log.Error().Err(err).Msg("cannot read the cursor")
		return
	}
	// The gate keeps this read from overlapping the account's own writes,
	// so a rate limit one of them meets is honoured by the next read.
	a.gate.Lock()
	if reset, ok := a.limited(time.Now()); ok {
		a.gate.Unlock()
		a.log.Debug().Time("until", reset).Msg("poll skipped: rate limited")
		return
	}
	events, next, err := a.caps.Poller.Poll(a.logCtx(ctx), cursor)
	a.gate.Unlock()
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		switch providers.KindOf(err) {
		case providers.Auth:
			a.pause(e, err)
		case providers.RateLimited:
			a.limitUntil(providers.ResetOf(err))
			a.log.Warn().Err(err).Msg("poll rate limited")
		case providers.NotPermitted:
			a.log.Error().Err(err).Msg("this account cannot be read; its links from it do nothing until that changes")
		default:
			a.log.Warn().Err(err).Msg("poll failed; the next scheduled poll tries again")
		}
		return
	}
	for _, ev := range events {
		if err := e.handleEvent(ctx, a, ev); err != nil {
			a.log.Error().Err(err).Msg("cannot record an event; the next poll reads it again")
			return
		}
	}
	if _, made := providers.ParseSinceCursor(next); next != "" && !made && next != cursor && (len(events) == 0 || events[len(events)-1].Cursor != next) {
		if err := e.st.SetCursor(a.name, next); err != nil {
			a.log.Error().Err(err).Msg("cannot advance the cursor")
		}
	}
}

// cursor is where reading an account resumes: the ledger's cursor, or, for
// an account never read before, the earliest start of the links from it,
// so a burst larger than one page made before the first read is not cut.
func (e *Engine) cursor(a *account) (string, error) {
	c, err := e.st.Cursor(a.name)
	if err != nil || c != "" {
		return c, err
	}
	var earliest time.Time
	for _, l := range e.config().Source(a.name) {
		if s := e.linkStart(l); earliest.IsZero() || s.Before(earliest) {
			earliest = s
		}
	}
	if earliest.IsZero() {
		return "", nil
	}
	return providers.SinceCursor(earliest), nil
}

// handleEvent judges one source event against every link from its account
// and records it, the work it causes and the cursor in one ledger
// transaction.
func (e *Engine) handleEvent(ctx context.Context, src *account, ev providers.Event) error {
	if ev.Ref.Account == "" {
		ev.Ref.Account = src.name
	}
	// Wait while a publish on this account has an unknown outcome, then
	// for its publish in flight, if any (see account.unsure, account.gate).
	for {
		if !src.waitCalm(ctx) {
			return ctx.Err()
		}
		src.gate.Lock()
		if src.isCalm() {
			break
		}
		// A publish failed unsure while we waited for the gate.
		src.gate.Unlock()
	}
	defer src.gate.Unlock()

	cfg := e.config()
	now := e.now()
	rec := store.Event{Ref: ev.Ref, Cursor: ev.Cursor}
	if ev.Post != nil {
		rec.Created = ev.Post.Created
		rec.TextHash = textHash(ev.Post)
	}
	switch ev.Kind {
	case providers.Created:
		rec.Kind = store.Created
	case providers.Edited:
		rec.Kind = store.Edited
	case providers.Deleted:
		rec.Kind = store.Deleted
	default:
		return fmt.Errorf("bridge: unknown event kind %q", ev.Kind)
	}
	links := cfg.Source(src.name)
	if len(links) > 0 {
		rec.Link = links[0].Name
	}
	var skipped []store.Skip
	for _, l := range links {
		switch ev.Kind {
		case providers.Created:
			if ev.Post == nil {
				continue
			}
			if ev.Post.Created.Before(e.linkStart(l)) {
				continue // made before the link started: not ours to mirror
			}
			intents, skips := e.planCreated(l, ev.Post, now)
			rec.Intents = append(rec.Intents, intents...)
			rec.Skips = append(rec.Skips, skips...)
			skipped = append(skipped, skips...)
		case providers.Edited:
			if l.Rules.Edits != "mirror" || ev.Post == nil {
				continue
			}
			for _, to := range l.To {
				rec.Intents = append(rec.Intents, store.NewIntent{Account: to, Kind: store.Edit,
					Payload: encodePayload(payload{Link: l.Name, Post: ev.Post}), NotBefore: now.Add(l.Rules.Delay)})
			}
		case providers.Deleted:
			if l.Rules.Deletes != "mirror" {
				continue
			}
			for _, to := range l.To {
				rec.Intents = append(rec.Intents, store.NewIntent{Account: to, Kind: store.Delete,
					Payload: encodePayload(payload{Link: l.Name})})
			}
		}
	}
	res, err := e.st.Record(rec)
	if err != nil || res.Known {
		// Nothing was taken on: the brake slots go back.
		e.unbrake(links, rec.Intents, now)
	}
	if err != nil {
		return fmt.Errorf("bridge: recording %s %v: %w", ev.Kind, ev.Ref, err)
	}
	e.obs.Received(src.name, ev.Kind, ev.Ref, res.Known)
	if res.Known {
		src.log.Debug().Str("ref", ev.Ref.String()).Str("kind", string(ev.Kind)).Msg("known post: dropped (echo or second delivery)")
		return nil
	}
	for _, s := range skipped {
		e.obs.Skipped(rec.Link, s.Target, s.Reason)
		src.log.Info().Str("ref", ev.Ref.String()).Str("target", s.Target).Str("reason", s.Reason).Msg("skipped")
	}
	for _, in := range rec.Intents {
		if t := e.account(in.Account); t != nil {
			t.notify()
		}
	}
	return nil
}

// planCreated decides what a new post becomes on each target of a link.
func (e *Engine) planCreated(l *config.Link, p *providers.Post, now time.Time) ([]store.NewIntent, []store.Skip) {
	var intents []store.NewIntent
	var skips []store.Skip
	err := decide(l, p, now)
	for _, to := range l.To {
		if err != nil {
			skips = append(skips, store.Skip{Target: to, Reason: err.Error()})
			continue
		}
		if l.Rules.MaxPerHour > 0 && !e.brake(l, to, now) {
			skips = append(skips, store.Skip{Target: to, Reason: fmt.Sprintf("safety brake: more than %d posts in an hour", l.Rules.MaxPerHour)})
			continue
		}
		kind := store.Publish
		if p.RepostOf != nil && l.Rules.Reposts == "native" {
			kind = store.Repost
		}
		intents = append(intents, store.NewIntent{Account: to, Kind: kind,
			Payload: encodePayload(payload{Link: l.Name, Post: p}), NotBefore: now.Add(l.Rules.Delay)})
	}
	return intents, skips
}

// brake counts a post against a link's max_per_hour on one target and
// reports whether it may go.
func (e *Engine) brake(l *config.Link, to string, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.brakes == nil {
		e.brakes = map[string][]time.Time{}
	}
	key := brakeKey(l.Name, to)
	recent := e.brakes[key][:0]
	for _, t := range e.brakes[key] {
		if now.Sub(t) < time.Hour {
			recent = append(recent, t)
		}
	}
	if len(recent) >= l.Rules.MaxPerHour {
		e.brakes[key] = recent
		return false
	}
	e.brakes[key] = append(recent, now)
	return true
}

func brakeKey(link, to string) string { return link + "\x00" + to }

// unbrake gives back the brake slots an event took at now when it was not
// recorded after all (a post already known, or a ledger error): a second
// delivery of a post must not count against the brake.
func (e *Engine) unbrake(links []*config.Link, intents []store.NewIntent, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, l := range links {
		if l.Rules.MaxPerHour <= 0 {
			continue
		}
		for _, in := range intents {
			if in.Kind != store.Publish && in.Kind != store.Repost {
				continue
			}
			key := brakeKey(l.Name, in.Account)
			ts := e.brakes[key]
			for i := len(ts) - 1; i >= 0; i-- {
				if ts[i].Equal(now) {
					e.brakes[key] = append(ts[:i], ts[i+1:]...)
					break
				}
			}
		}
	}
}

// seedBrakes fills the max_per_hour brakes from the ledger: what each
// braked link took on in the last hour still counts after a restart or a
// reload, so that a daemon restarted again and again cannot post more than
// its brake allows. A target's last change stands for when it was taken
// on: never earlier, so the brake errs on the side of holding.
func (e *Engine) seedBrakes(cfg *config.Config) error {
	now := e.now()
	since := now.Add(-time.Hour)
	seeded := map[string][]time.Time{}
	for _, ln := range cfg.LinkNames {
		l := cfg.Links[ln]
		if l.Rules.MaxPerHour <= 0 {
			continue
		}
		posts, err := e.st.RecentOrigins(l.From, since)
		if err != nil {
			return fmt.Errorf("bridge: %w", err)
		}
		for _, p := range posts {
			for _, to := range l.To {
				ts, ok := p.Targets[to]
				if !ok || ts.State == store.PostSkipped || ts.Updated.Before(since) {
					continue
				}
				at := ts.Updated
				if at.After(now) {
					at = now
				}
				seeded[brakeKey(ln, to)] = append(seeded[brakeKey(ln, to)], at)
			}
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.brakes = seeded
	return nil
}

// announce queues one firing of a scheduled announcement, once: the firing
// is recorded as a synthetic origin, so a restart cannot post it twice.
func (e *Engine) announce(ctx context.Context, an *config.Announcement) {
	now := e.now()
	if !an.Active.Contains(now) {
		return
	}
	a := e.account(an.Account)
	if a == nil {
		return
	}
	firing := now.UTC().Truncate(time.Minute).Format(time.RFC3339)
	res, err := e.st.Record(store.Event{
		Kind:    store.Created,
		Ref:     providers.Ref{Account: "announcement:" + an.Name, ID: firing},
		Link:    "announcement:" + an.Name,
		Created: now,
		Intents: []store.NewIntent{{Account: an.Account, Kind: store.Announce, Payload: encodePayload(payload{Text: an.Text})}},
	})
	if err != nil {
		if !errors.Is(ctx.Err(), context.Canceled) {
			a.log.Error().Err(err).Str("announcement", an.Name).Msg("cannot queue the announcement")
		}
		return
	}
	e.obs.Received("announcement:"+an.Name, providers.Created, providers.Ref{Account: "announcement:" + an.Name, ID: firing}, res.Known)
	if !res.Known {
		a.log.Info().Str("announcement", an.Name).Str("firing", firing).Msg("announcement queued")
		a.notify()
	}
}
