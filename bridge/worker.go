package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/store"
)

// work runs one target account's queue in order until ctx ends or, after
// stopWhenIdle, until nothing is due. First it reconciles the intents a
// crash left with an unknown outcome.
func (a *account) work(ctx context.Context, e *Engine) {
	a.reconcile(ctx, e)
	// A publish that failed before the stop in a way that left its outcome
	// unknown is unsure until its retry settles it.
	if pending, err := e.st.Pending(a.name); err == nil {
		for _, in := range pending {
			if in.Attempts > 0 && publishes(in.Kind) && !heldBack(in.LastError) {
				a.markUnsure(in.ID)
			}
		}
	}
	a.settle()
	for ctx.Err() == nil {
		if paused, resume := a.isPaused(); paused {
			select {
			case <-resume:
			case <-a.idle:
				return
			case <-ctx.Done():
				return
			}
			continue
		}
		if reset, ok := a.limited(e.now()); ok {
			if !a.waitUntil(ctx, reset) {
				return
			}
			continue
		}
		select {
		case <-a.idle:
			// Stopping: take no new work; what is held is done.
			return
		default:
		}
		in, ok, next, err := e.st.Claim(a.name)
		switch {
		case errors.Is(err, store.ErrInFlight):
			// An intent was claimed and never settled (its outcome could
			// not be recorded): reconcile it before anything behind it.
			a.reconcile(ctx, e)
			if !sleep(ctx, time.Second) {
				return
			}
			continue
		case err != nil:
			a.log.Error().Err(err).Msg("cannot claim work from the ledger")
			if !sleep(ctx, 5*time.Second) {
				return
			}
			continue
		}
		if !ok {
			if !a.waitWork(ctx, next, e.now()) {
				return
			}
			continue
		}
		a.execute(ctx, e, in)
	}
}

// reconcile settles the intents whose outcome is unknown: claimed by a
// run that stopped or crashed before recording what happened. Executing
// them again is safe: publishes look for what an earlier attempt posted
// before posting (see publishOne), deletes of what is gone succeed.
func (a *account) reconcile(ctx context.Context, e *Engine) {
	unknown, err := e.st.Unknown(a.name)
	if err != nil {
		a.log.Error().Err(err).Msg("cannot list unfinished work")
		return
	}
	for _, in := range unknown {
		if ctx.Err() != nil {
			return
		}
		a.log.Info().Uint64("intent", in.ID).Str("kind", in.Kind.String()).Msg("reconciling work left unfinished by a stop or crash")
		// The claim that was cut short was an attempt whose outcome is
		// unknown; count it, so that publishOne looks before it posts.
		in.Attempts = max(in.Attempts, 1) + 1
		a.execute(ctx, e, in)
	}
}

// waitUntil waits until t, or until told to stop.
func (a *account) waitUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-a.idle:
		return false
	case <-ctx.Done():
		return false
	}
}

// waitWork waits for new work, for the head of the queue to become due, or
// for the stop.
func (a *account) waitWork(ctx context.Context, next, now time.Time) bool {
	var due <-chan time.Time
	if !next.IsZero() {
		t := time.NewTimer(max(next.Sub(now), time.Millisecond))
		defer t.Stop()
		due = t.C
	}
	select {
	case <-a.wake:
		return true
	case <-due:
		return true
	case <-a.idle:
		return false
	case <-ctx.Done():
		return false
	}
}

// outcome is what executing an intent came to.
type outcome struct {
	done  *store.Completion
	skip  string // a reason to leave the work out for good, without error
	err   error
	hold  time.Time // held back by a cap or budget until then
	why   string    // why held
	since time.Time // the source post's creation, for latency
}

// execute does one intent and records its outcome. The account's gate is
// held throughout, so intake does not record this account's events while
// a publish is in flight.
func (a *account) execute(ctx context.Context, e *Engine, in store.Intent) {
	a.gate.Lock()
	defer a.gate.Unlock()

	var pl payload
	if err := json.Unmarshal(in.Payload, &pl); err != nil {
		a.record(ctx, e, in, outcome{err: &providers.Error{Kind: providers.Rejected, Reason: providers.ReasonInvalid, Op: "decode", Message: "the ledger holds an unreadable intent: " + err.Error()}})
		return
	}
	log := a.log.With().Uint64("intent", in.ID).Str("kind", in.Kind.String()).Str("link", pl.Link).Str("origin", in.Origin.String()).Logger()
	ctx = log.WithContext(ctx)
	var out outcome
	switch in.Kind {
	case store.Publish:
		out = e.execPublish(ctx, a, in, pl)
	case store.Announce:
		out = e.execAnnounce(ctx, a, in, pl)
	case store.Edit:
		out = e.execEdit(ctx, a, in, pl)
	case store.Delete:
		out = e.execDelete(ctx, a, in)
	case store.Repost:
		out = e.execRepost(ctx, a, in, pl)
	default:
		out.err = &providers.Error{Kind: providers.Rejected, Reason: providers.ReasonInvalid, Op: "execute", Message: "unknown intent kind " + in.Kind.String()}
	}
	if pl.Post != nil {
		out.since = pl.Post.Created
		if !pl.Post.Edited.IsZero() {
			out.since = pl.Post.Edited
		}
	}
	a.record(ctx, e, in, out)
}

// record writes an intent's outcome to the ledger and decides what happens
// to the account: a refused token pauses it, a rate limit stops it until
// the reset.
func (a *account) record(ctx context.Context, e *Engine, in store.Intent, out outcome) {
	log := a.log.With().Uint64("intent", in.ID).Str("kind", in.Kind.String()).Logger()
	link := in.Link
	var err error
	switch {
	case out.done != nil:
		err = e.st.Complete(in.ID, *out.done)
		if err == nil {
			a.markSure(in.ID)
		}
		if err == nil {
			var lat time.Duration
			if !out.since.IsZero() {
				lat = e.now().Sub(out.since)
			}
			e.obs.Mirrored(link, a.name, in.Kind, lat)
			log.Info().Strs("parts", out.done.Parts).Str("note", out.done.Note).Msg("mirrored")
		}
	case out.skip != "":
		err = e.st.Skip(in.ID, out.skip)
		if err == nil {
			a.markSure(in.ID)
		}
		if err == nil {
			e.obs.Skipped(link, a.name, out.skip)
			log.Info().Str("reason", out.skip).Msg("skipped")
		}
	case !out.hold.IsZero():
		err = e.st.Fail(in.ID, store.Failure{Reason: out.why, RetryAt: out.hold})
		e.obs.Held(link, a.name, out.why, out.hold)
		log.Warn().Str("reason", out.why).Time("until", out.hold).Msg("held back")
	case out.err != nil:
		if ctx.Err() != nil {
			// Shutting down mid-request: the outcome is unknown. Leave the
			// intent claimed; the next start reconciles it.
			log.Info().Msg("stopped mid-request; will be reconciled at the next start")
			return
		}
		err = a.recordError(e, in, out.err)
	}
	if errors.Is(err, store.ErrConflict) {
		// The post the network gave back is already recorded as another
		// post: recording it again would corrupt the ledger, and retrying
		// cannot change that. Settle the intent as failed so the queue
		// moves on.
		log.Error().Err(err).Msg("the network's answer names a post the ledger already holds; failed for good")
		if err = e.st.Fail(in.ID, store.Failure{Permanent: true, Reason: "conflict: " + err.Error()}); err == nil {
			e.obs.Failed(link, a.name, "conflict")
			a.markSure(in.ID)
		}
	}
	if err != nil {
		log.Error().Err(err).Msg("cannot record the outcome in the ledger; it will be reconciled at the next start")
	}
}

func (a *account) recordError(e *Engine, in store.Intent, err error) error {
	log := a.log.With().Uint64("intent", in.ID).Str("kind", in.Kind.String()).Logger()
	switch providers.KindOf(err) {
	case providers.Auth:
		a.pause(e, err)
		return e.st.Release(in.ID)
	case providers.RateLimited:
		reset := providers.ResetOf(err)
		if reset.IsZero() {
			reset = e.now().Add(time.Minute)
		}
		a.limitUntil(reset)
		if serr := e.st.SetRateLimit(a.name, reset); serr != nil {
			log.Error().Err(serr).Msg("cannot record the rate limit")
		}
		log.Warn().Time("reset", reset).Msg("rate limited: nothing is sent to this account before the reset")
		return e.st.Fail(in.ID, store.Failure{Reason: reasonRateLimited, RetryAt: reset.Add(time.Millisecond)})
	case providers.Quota:
		reset := providers.ResetOf(err)
		if reset.IsZero() {
			reset = e.now().Add(24 * time.Hour)
		}
		a.limitUntil(reset)
		log.Warn().Err(err).Time("until", reset).Msg("the network's usage cap is reached; work is held")
		e.obs.Held(in.Link, a.name, reasonUsageCap, reset)
		return e.st.Fail(in.ID, store.Failure{Reason: reasonUsageCap, RetryAt: reset})
	case providers.Transient:
		if publishes(in.Kind) {
			// A timeout or a 5xx may come after the network made the
			// post: hold this account's intake until the retry knows.
			a.markUnsure(in.ID)
		}
		at := e.retryAt(in.Attempts, time.Time{})
		log.Warn().Err(err).Int("attempt", in.Attempts).Time("retry_at", at).Msg("failed; will retry")
		return e.st.Fail(in.ID, store.Failure{Reason: err.Error(), RetryAt: at})
	default:
		e.obs.Failed(in.Link, a.name, reason(err))
		log.Error().Err(err).Msg("failed for good")
		a.markSure(in.ID)
		return e.st.Fail(in.ID, store.Failure{Permanent: true, Reason: reason(err)})
	}
}

// reason is the short form of an error recorded for status.
func reason(err error) string {
	var pe *providers.Error
	if errors.As(err, &pe) {
		r := pe.Kind.String()
		if pe.Reason != "" {
			r = string(pe.Reason)
		}
		if pe.Message != "" {
			r += ": " + cutRunes(pe.Message, 200)
		}
		return r
	}
	return cutRunes(err.Error(), 200)
}

// mirrorParts returns the parts of the mirror of origin on account to.
func (e *Engine) mirrorParts(origin providers.Ref, to string) ([]string, bool, error) {
	m, ok, err := e.st.MirrorOn(origin, to)
	if err != nil || !ok || m.State == store.PostDeleted || len(m.Parts) == 0 {
		return nil, false, err
	}
	return m.Parts, true, nil
}

// execPublish mirrors a new post onto the account, as one post or a
// thread of parts.
func (e *Engine) execPublish(ctx context.Context, a *account, in store.Intent, pl payload) outcome {
	cfg := e.config()
	l, ok := cfg.Links[pl.Link]
	if !ok || pl.Post == nil {
		return outcome{skip: "link " + pl.Link + " is no longer configured"}
	}
	if rec, ok, err := e.st.Lookup(in.Origin); err != nil {
		return outcome{err: err}
	} else if ok && rec.State == store.PostDeleted {
		return outcome{skip: "deleted at the source before it was mirrored"}
	}
	post := pl.Post
	replyTo := ""
	if post.ReplyTo != nil {
		parent := providers.Ref{Account: in.Origin.Account, ID: post.ReplyTo.ID}
		parts, ok, err := e.mirrorParts(parent, a.name)
		if err != nil {
			return outcome{err: err}
		}
		if !ok {
			return outcome{skip: "reply to a post that was not mirrored"}
		}
		replyTo = parts[len(parts)-1]
	}
	limits, err := a.p.Limits(ctx)
	if err != nil {
		return outcome{err: err}
	}
	r, err := Render(post, l.Rules, e.ids, a.target(limits))
	if err != nil {
		var se *skipError
		if errors.As(err, &se) {
			return outcome{skip: se.reason}
		}
		return outcome{err: err}
	}
	spend, hold, why := e.checkBudget(a, r.Parts)
	if !hold.IsZero() {
		return outcome{hold: hold, why: why}
	}
	mediaIDs, err := e.uploadMedia(ctx, a, r, limits)
	if err != nil {
		return outcome{err: err}
	}
	ids, note, err := e.publishParts(ctx, a, in, r, replyTo, mediaIDs)
	if err != nil {
		return outcome{err: err}
	}
	return outcome{done: &store.Completion{Parts: ids, TextHash: textHash(post), Spend: spend, Note: note}}
}

// publishParts publishes the parts of a rendered post as a chain of
// replies. On a retry it first looks for parts an earlier attempt already
// published, so that no part is ever posted twice.
func (e *Engine) publishParts(ctx context.Context, a *account, in store.Intent, r *Rendered, replyTo string, mediaIDs []string) ([]string, string, error) {
	var ids []string
	var note string
	prev := replyTo
	for i, text := range r.Parts {
		d := providers.Draft{
			Key:            fmt.Sprintf("%s-%d", in.Key, i),
			Text:           text,
			ReplyTo:        prev,
			ContentWarning: r.ContentWarning,
			Sensitive:      r.Sensitive,
			Visibility:     r.Visibility,
			Language:       r.Language,
			Mentions:       r.Mentions,
		}
		if i == 0 {
			d.MediaIDs = mediaIDs
		}
		id, n, err := e.publishOne(ctx, a, in, d)
		if err != nil {
			return nil, "", err
		}
		if n != "" {
			note = n
		}
		ids = append(ids, id)
		prev = id
	}
	return ids, note, nil
}

// publishOne publishes one part, reconciling first when an earlier attempt
// may have published it.
func (e *Engine) publishOne(ctx context.Context, a *account, in store.Intent, d providers.Draft) (string, string, error) {
	since := in.FirstAttempt.Add(-time.Minute)
	if in.Attempts > 1 && a.caps.Reconciler != nil {
		if p, ok, err := a.caps.Reconciler.FindPublished(ctx, d, since); err != nil {
			return "", "", err
		} else if ok {
			return p.ID, "", nil
		}
	}
	p, err := a.caps.Publisher.Publish(ctx, d)
	switch {
	case err == nil:
		return p.ID, "", nil
	case errors.Is(err, providers.ErrDuplicate) && a.caps.Reconciler != nil:
		// The network has this exact post already: an earlier attempt
		// made it. Find it rather than post again.
		p, ok, ferr := a.caps.Reconciler.FindPublished(ctx, d, since)
		switch {
		case ferr != nil:
			// The look failed (a 5xx, a timeout): not knowing is not
			// "failed for good". Retry, and look again first.
			return "", "", ferr
		case ok:
			return p.ID, "", nil
		}
		return "", "", err
	case errors.Is(err, providers.ErrReplyRefused) && d.ReplyTo != "":
		d.ReplyTo = ""
		d.Key += "-standalone"
		p, err := a.caps.Publisher.Publish(ctx, d)
		if err != nil {
			return "", "", err
		}
		return p.ID, "standalone: the network refused the reply", nil
	}
	return "", "", err
}

// execAnnounce posts a scheduled announcement.
func (e *Engine) execAnnounce(ctx context.Context, a *account, in store.Intent, pl payload) outcome {
	spend, hold, why := e.checkBudget(a, []string{pl.Text})
	if !hold.IsZero() {
		return outcome{hold: hold, why: why}
	}
	id, _, err := e.publishOne(ctx, a, in, providers.Draft{Key: in.Key, Text: pl.Text, Visibility: providers.Public})
	if err != nil {
		return outcome{err: err}
	}
	return outcome{done: &store.Completion{Parts: []string{id}, Spend: spend}}
}

// execEdit applies an edit of the origin to its mirror in place.
func (e *Engine) execEdit(ctx context.Context, a *account, in store.Intent, pl payload) outcome {
	cfg := e.config()
	l, ok := cfg.Links[pl.Link]
	if !ok || pl.Post == nil {
		return outcome{skip: "link " + pl.Link + " is no longer configured"}
	}
	parts, ok, err := e.mirrorParts(in.Origin, a.name)
	if err != nil {
		return outcome{err: err}
	}
	if !ok {
		return outcome{skip: "edit of a post that has no mirror here"}
	}
	limits, err := a.p.Limits(ctx)
	if err != nil {
		return outcome{err: err}
	}
	if a.caps.Editor == nil || !limits.CanEdit {
		return outcome{skip: "edit not mirrored: " + a.cfg.Network + " cannot edit this account's posts"}
	}
	r, err := Render(pl.Post, l.Rules, e.ids, a.target(limits))
	if err != nil {
		var se *skipError
		if errors.As(err, &se) {
			return outcome{skip: "edit not mirrored: " + se.reason}
		}
		return outcome{err: err}
	}
	// The edit may change how many parts the text needs: the parts both
	// versions have are edited in place, then parts the new text adds are
	// posted as replies to the last, or parts it no longer needs deleted
	// (last first). Every step is safe to repeat after a crash: an edit
	// to the same text, a publish that looks for itself first, a delete
	// of what is gone.
	kept := min(len(parts), len(r.Parts))
	added := r.Parts[kept:]
	if len(parts) > kept && a.caps.Deleter == nil {
		return outcome{skip: fmt.Sprintf("edit not mirrored: it shortens the thread from %d to %d parts, and %s cannot delete", len(parts), len(r.Parts), a.cfg.Network)}
	}
	charged := added
	if billed[a.cfg.Network] {
		charged = r.Parts // an edit is a new post to X, and billed as one
	}
	var spend *store.Spend
	if len(charged) > 0 {
		var hold time.Time
		var why string
		if spend, hold, why = e.checkBudget(a, charged); !hold.IsZero() {
			return outcome{hold: hold, why: why}
		}
	}
	newIDs := make([]string, 0, len(r.Parts))
	for i, text := range r.Parts[:kept] {
		p, err := a.caps.Editor.Edit(ctx, parts[i], providers.Draft{
			Key: fmt.Sprintf("%s-%d", in.Key, i), Text: text, ContentWarning: r.ContentWarning,
			Sensitive: r.Sensitive, Visibility: r.Visibility, Language: r.Language, Mentions: r.Mentions,
		})
		if err != nil {
			if providers.KindOf(err) == providers.NotPermitted || errors.Is(err, &providers.Error{Kind: providers.Rejected, Reason: providers.ReasonEditDenied}) {
				return outcome{skip: "edit not mirrored: " + reason(err)}
			}
			return outcome{err: err}
		}
		newIDs = append(newIDs, p.ID)
	}
	if len(added) > 0 {
		more := &Rendered{Parts: added, ContentWarning: r.ContentWarning, Sensitive: r.Sensitive,
			Visibility: r.Visibility, Language: r.Language, Mentions: r.Mentions}
		extra := in
		extra.Key = fmt.Sprintf("%s-add%d", in.Key, kept)
		ids, _, err := e.publishParts(ctx, a, extra, more, newIDs[len(newIDs)-1], nil)
		if err != nil {
			return outcome{err: err}
		}
		newIDs = append(newIDs, ids...)
	}
	for i := len(parts) - 1; i >= kept; i-- {
		if err := a.caps.Deleter.Delete(ctx, parts[i]); err != nil {
			return outcome{err: err}
		}
	}
	c := &store.Completion{TextHash: textHash(pl.Post), Spend: spend}
	if !slices.Equal(newIDs, parts) {
		c.Parts = newIDs
	}
	return outcome{done: c}
}

// execDelete deletes every part of the origin's mirror on the account.
func (e *Engine) execDelete(ctx context.Context, a *account, in store.Intent) outcome {
	parts, ok, err := e.mirrorParts(in.Origin, a.name)
	if err != nil {
		return outcome{err: err}
	}
	if !ok {
		return outcome{done: &store.Completion{}}
	}
	if a.caps.Deleter == nil {
		return outcome{skip: "delete not mirrored: " + a.cfg.Network + " adapter cannot delete"}
	}
	// Last part first, so a reader never sees a thread with a hole at its
	// head. A native repost is undone rather than deleted.
	for i := len(parts) - 1; i >= 0; i-- {
		var err error
		if id, ok := strings.CutPrefix(parts[i], repostPrefix); ok {
			if a.caps.Reposter == nil {
				return outcome{skip: "undoing a repost not mirrored: " + a.cfg.Network + " adapter cannot repost"}
			}
			err = a.caps.Reposter.Unrepost(ctx, id)
		} else {
			err = a.caps.Deleter.Delete(ctx, parts[i])
		}
		if err != nil {
			return outcome{err: err}
		}
	}
	return outcome{done: &store.Completion{}}
}

// execRepost reposts natively the target's mirror of the reposted post.
func (e *Engine) execRepost(ctx context.Context, a *account, in store.Intent, pl payload) outcome {
	if pl.Post == nil || pl.Post.RepostOf == nil {
		return outcome{skip: "repost without its reposted post"}
	}
	if a.caps.Reposter == nil {
		return outcome{skip: "repost not mirrored: " + a.cfg.Network + " adapter cannot repost"}
	}
	ref, ok := e.resolve(in.Origin.Account, pl.Post.RepostOf)
	if !ok {
		return outcome{skip: "repost of a post that has no mirror here"}
	}
	if rec, ok, err := e.st.Lookup(ref); err != nil {
		return outcome{err: err}
	} else if ok && rec.Role == store.Mirror {
		return outcome{skip: "repost of a mirror: nothing to repost"}
	}
	parts, ok, err := e.mirrorParts(ref, a.name)
	if err != nil {
		return outcome{err: err}
	}
	if !ok {
		return outcome{skip: "repost of a post that has no mirror here"}
	}
	if err := a.caps.Reposter.Repost(ctx, parts[0]); err != nil {
		return outcome{err: err}
	}
	// The repost is recorded as a mirror whose one part names what was
	// reposted, so that undoing the origin undoes it. When another origin
	// already reposted the same post here, that one owns the record.
	part := repostPrefix + parts[0]
	if _, taken, err := e.st.Lookup(providers.Ref{Account: a.name, ID: part}); err != nil {
		return outcome{err: err}
	} else if taken {
		return outcome{done: &store.Completion{}}
	}
	return outcome{done: &store.Completion{Parts: []string{part}}}
}

// repostPrefix marks the part of a native repost's mirror: "repost:" and
// the ID of the post reposted on the target (a repost has no ID of its own
// on every network: X gives none).
const repostPrefix = "repost:"

// resolve finds the ledger Ref of a post another post points at: one of
// the source account's own, or one of another configured account on the
// same network, known by its handle.
func (e *Engine) resolve(src string, l *providers.PostLink) (providers.Ref, bool) {
	if l.Self {
		return providers.Ref{Account: src, ID: l.ID}, true
	}
	srcAcct := e.account(src)
	if srcAcct == nil || l.Author == "" {
		return providers.Ref{}, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for name, a := range e.accounts {
		if a.cfg.Network == srcAcct.cfg.Network && strings.EqualFold(a.identity().Handle, l.Author) {
			return providers.Ref{Account: name, ID: l.ID}, true
		}
	}
	return providers.Ref{}, false
}

// target describes the account for Render.
func (a *account) target(l providers.Limits) target {
	t := target{Network: a.cfg.Network, Limits: l}
	if a.caps.Mentioner != nil {
		t.Mentions = a.caps.Mentioner.MentionSpans
	}
	return t
}

// publishes reports whether an intent of kind k creates a post on its
// target, one whose echo could be taken for a new origin.
func publishes(k store.IntentKind) bool {
	return k == store.Publish || k == store.Announce || k == store.Repost
}

// heldBack tells, from an intent's last error, work that was held back by a
// cap, a budget or a rate limit (nothing was sent) from work whose attempt
// failed in flight.
func heldBack(lastError string) bool {
	return strings.HasPrefix(lastError, heldPrefix) || lastError == reasonRateLimited || lastError == reasonUsageCap
}

// The reasons recorded for work held back before anything was sent; heldBack
// reads them back, so they are written from these constants only.
const (
	heldPrefix        = "held: " // the engine's own limits and budget
	reasonRateLimited = "rate limited"
	reasonUsageCap    = "usage cap reached"
)
