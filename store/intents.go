package store

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/dualpower/dualpower/providers"
	"go.etcd.io/bbolt"
)

// Backoff of transient failures: base·2^(attempts-1), capped, ±jitter.
const (
	backoffBase   = 2 * time.Second
	backoffCap    = time.Hour
	backoffJitter = 0.2
)

// Claim returns the next due intent of one target account, strictly in the
// order intents were recorded: if the head of the queue is not yet due,
// nothing behind it is returned, since threads depend on order. Before it
// returns, Claim durably marks the intent claimed (Attempts+1, FirstAttempt
// set on the first claim), so a crash while it runs leaves it claimed:
// outcome unknown (see Unknown).
//
// ok is false when nothing is due; next is then when the head becomes due,
// or zero when the queue is empty. When the head is claimed and not yet
// settled by Complete, Fail, Skip or Release, Claim returns an error
// wrapping ErrInFlight: one worker per account, and after a restart the
// claimed intents are reconciled first.
//
// Claim does not look at the account's pause or rate-limit state; the
// engine does (see Account).
func (s *Store) Claim(account string) (in Intent, ok bool, next time.Time, err error) {
	if err := checkAccount(account); err != nil {
		return Intent{}, false, time.Time{}, fmt.Errorf("store: claim: %w", err)
	}
	now := s.now().UTC()
	err = s.write(func(tx *bbolt.Tx) error {
		in, ok, next = Intent{}, false, time.Time{}
		head, found, err := unsafeHead(tx, account)
		if err != nil || !found {
			return err
		}
		switch {
		case head.State == Claimed:
			return fmt.Errorf("intent %d (%s of %s) claimed at attempt %d: %w", head.ID, head.Kind, head.Origin, head.Attempts, ErrInFlight)
		case head.NextAttempt.After(now):
			next = head.NextAttempt
			return nil
		}
		head.State = Claimed
		head.Attempts++
		if head.FirstAttempt.IsZero() {
			head.FirstAttempt = now
		}
		in, ok = head, true
		return tx.Bucket(bucketIntents).Put(u64(head.ID), encodeIntent(&head))
	})
	if err != nil {
		return Intent{}, false, time.Time{}, fmt.Errorf("store: claim %q: %w", account, err)
	}
	return in, ok, next, nil
}

// unsafeHead returns the first intent in account's queue.
func unsafeHead(tx *bbolt.Tx, account string) (Intent, bool, error) {
	prefix := acctPrefix(account)
	k, _ := tx.Bucket(bucketQueue).Cursor().Seek(prefix)
	if k == nil || !bytes.HasPrefix(k, prefix) {
		return Intent{}, false, nil
	}
	_, id, err := parseQueueKey(k)
	if err != nil {
		return Intent{}, false, fmt.Errorf("%w: %w", err, ErrCorrupt)
	}
	in, err := unsafeIntent(tx, id)
	if err != nil {
		return Intent{}, false, err
	}
	return in, true, nil
}

// unsafeIntent reads one intent; ErrNotFound if there is none.
func unsafeIntent(tx *bbolt.Tx, id uint64) (Intent, error) {
	v := tx.Bucket(bucketIntents).Get(u64(id))
	if v == nil {
		return Intent{}, fmt.Errorf("intent %d: %w", id, ErrNotFound)
	}
	in, err := decodeIntent(v)
	if err != nil {
		return Intent{}, fmt.Errorf("intent %d: %w: %w", id, err, ErrCorrupt)
	}
	return in, nil
}

// unsafeSettle reads intent id for a call that settles it, checking it is in
// one of the allowed states.
func unsafeSettle(tx *bbolt.Tx, id uint64, allowed ...IntentState) (Intent, error) {
	in, err := unsafeIntent(tx, id)
	if err != nil {
		return in, err
	}
	for _, st := range allowed {
		if in.State == st {
			return in, nil
		}
	}
	return in, fmt.Errorf("intent %d is %s: %w", id, in.State, ErrState)
}

// unsafeRemove deletes an intent and its queue entry.
func unsafeRemove(tx *bbolt.Tx, in *Intent) error {
	if err := tx.Bucket(bucketQueue).Delete(queueKey(in.Account, in.ID)); err != nil {
		return err
	}
	return tx.Bucket(bucketIntents).Delete(u64(in.ID))
}

// Complete records that a claimed intent succeeded, in one transaction: the
// mirror's parts as a post record of role Mirror in the origin's group (all
// part IDs in order, so the last part is known, and each findable by
// Lookup), the group's mirror on that account, the origin's state on it, the
// optional spend, and the removal of the intent.
//
// Edit records the new part IDs when given (X gives an edit new IDs); the
// old ones stay known, so their echoes are dropped. Delete marks the mirror
// deleted. Repost records the repost's own ID, if any, as a mirror.
//
// A part already recorded as part of another post is a conflict
// (ErrConflict) and nothing is written. Concurrent Completes share one commit.
func (s *Store) Complete(id uint64, c Completion) error {
	for i, p := range c.Parts {
		if p == "" || len(p) > maxKeyPart || slices.Contains(c.Parts[:i], p) {
			return fmt.Errorf("store: complete intent %d: empty, too long or repeated part id: %w", id, ErrInvalid)
		}
	}
	now := s.now().UTC()
	err := s.write(func(tx *bbolt.Tx) error {
		in, err := unsafeSettle(tx, id, Claimed)
		if err != nil {
			return err
		}
		if err := unsafeComplete(tx, &in, &c, now); err != nil {
			return err
		}
		if c.Spend != nil {
			if err := unsafeSpend(tx, in.Account, c.Spend, now); err != nil {
				return err
			}
		}
		return unsafeRemove(tx, &in)
	})
	if err != nil {
		return fmt.Errorf("store: complete intent %d: %w", id, err)
	}
	return nil
}

// unsafeComplete records what a completed intent made, and the origin's
// state on the intent's account.
func unsafeComplete(tx *bbolt.Tx, in *Intent, c *Completion, now time.Time) error {
	origin, okey, found, err := unsafeLookup(tx, in.Origin)
	if err != nil {
		return err
	}
	if !found || origin.Role != Origin {
		return fmt.Errorf("origin %s of intent %d not recorded: %w", in.Origin, in.ID, ErrCorrupt)
	}
	g, err := unsafeGroup(tx, origin.Group)
	if err != nil {
		return err
	}
	target := PostPosted
	switch {
	case in.Kind.publishes():
		err = unsafeCompletePublish(tx, in, c, origin.Group, &g, now)
	case in.Kind == Delete:
		target = PostDeleted
		err = unsafeCompleteChange(tx, in, c, &g, now)
	default:
		err = unsafeCompleteChange(tx, in, c, &g, now)
	}
	if err != nil {
		return err
	}
	setTarget(&origin, in.Account, target, c.Note, now)
	origin.Updated = now
	return tx.Bucket(bucketPosts).Put(okey, encodePost(&origin))
}

// unsafeCompletePublish records a new mirror: a post record keyed by its
// first part, refs entries for the others, and the group's mirror on the
// account. A repost without an ID of its own records nothing.
func unsafeCompletePublish(tx *bbolt.Tx, in *Intent, c *Completion, gid uint64, g *groupRec, now time.Time) error {
	if len(c.Parts) == 0 {
		if in.Kind == Repost {
			return nil
		}
		return fmt.Errorf("%s needs at least one part id: %w", in.Kind, ErrInvalid)
	}
	m := Post{
		Ref:      providers.Ref{Account: in.Account, ID: c.Parts[0]},
		Group:    gid,
		Role:     Mirror,
		Parts:    slices.Clone(c.Parts),
		State:    PostPosted,
		Reason:   c.Note,
		TextHash: c.TextHash,
		Link:     in.Link,
		URL:      c.URL,
		Created:  now,
		Updated:  now,
	}
	mkey := refKey(m.Ref)
	if err := unsafeClaimParts(tx, in.Account, c.Parts, mkey, true); err != nil {
		return err
	}
	if err := tx.Bucket(bucketPosts).Put(mkey, encodePost(&m)); err != nil {
		return err
	}
	if g.Mirrors == nil {
		g.Mirrors = make(map[string]string)
	}
	g.Mirrors[in.Account] = m.Ref.ID
	return tx.Bucket(bucketGroups).Put(u64(gid), encodeGroup(g))
}

// unsafeCompleteChange applies a completed edit or delete to the group's
// mirror on the intent's account. An edit that gave the mirror new IDs
// keeps the old ones as OldParts, still findable. A delete where nothing
// was mirrored is done.
func unsafeCompleteChange(tx *bbolt.Tx, in *Intent, c *Completion, g *groupRec, now time.Time) error {
	mid, ok := g.Mirrors[in.Account]
	if !ok {
		if in.Kind == Delete {
			return nil
		}
		return fmt.Errorf("edit: %s has no mirror on %q: %w", in.Origin, in.Account, ErrNotFound)
	}
	mref := providers.Ref{Account: in.Account, ID: mid}
	m, mkey, found, err := unsafeLookup(tx, mref)
	if err != nil {
		return err
	}
	if !found || !bytes.Equal(mkey, refKey(mref)) {
		return fmt.Errorf("mirror %s missing: %w", mref, ErrCorrupt)
	}
	m.Updated = now
	switch {
	case in.Kind == Delete:
		m.State = PostDeleted
	case len(c.Parts) > 0 && !slices.Equal(c.Parts, m.Parts):
		if err := unsafeClaimParts(tx, in.Account, c.Parts, mkey, false); err != nil {
			return err
		}
		var old []string
		for _, p := range slices.Concat(m.OldParts, m.Parts) {
			if !slices.Contains(c.Parts, p) && !slices.Contains(old, p) {
				old = append(old, p)
			}
		}
		m.OldParts, m.Parts = old, slices.Clone(c.Parts)
	}
	if in.Kind == Edit {
		if c.TextHash != "" {
			m.TextHash = c.TextHash
		}
		if c.URL != "" {
			m.URL = c.URL
		}
		if c.Note != "" {
			m.Reason = c.Note
		}
	}
	return tx.Bucket(bucketPosts).Put(mkey, encodePost(&m))
}

// unsafeClaimParts makes every part findable as part of the post keyed
// mkey: a part equal to the record key is the record itself; the others get
// refs entries. A part, or the key of a new record, that already belongs to
// another post is a conflict.
func unsafeClaimParts(tx *bbolt.Tx, account string, parts []string, mkey []byte, newRecord bool) error {
	posts, refs := tx.Bucket(bucketPosts), tx.Bucket(bucketRefs)
	if newRecord && (posts.Get(mkey) != nil || refs.Get(mkey) != nil) {
		return fmt.Errorf("%s/%s: %w", account, parts[0], ErrConflict)
	}
	for _, p := range parts {
		k := refKey(providers.Ref{Account: account, ID: p})
		if bytes.Equal(k, mkey) {
			continue
		}
		if posts.Get(k) != nil {
			return fmt.Errorf("%s/%s: %w", account, p, ErrConflict)
		}
		if owner := refs.Get(k); owner != nil {
			if bytes.Equal(owner, mkey) {
				continue
			}
			return fmt.Errorf("%s/%s: %w", account, p, ErrConflict)
		}
		if err := refs.Put(k, mkey); err != nil {
			return err
		}
	}
	return nil
}

// unsafeSpend adds a completion's cost to its account's day and month.
func unsafeSpend(tx *bbolt.Tx, account string, sp *Spend, now time.Time) error {
	return unsafeUpdateAccount(tx, account, func(a *AccountState) {
		rollOver(a, now)
		a.DayPosts += sp.Posts
		a.DaySpend += sp.MicroUSD
		a.MonthPosts += sp.Posts
		a.MonthSpend += sp.MicroUSD
		a.LastActivity = now
	})
}

// rollOver starts a new day or month counter when the UTC date moved on.
func rollOver(a *AccountState, now time.Time) {
	day, month := now.UTC().Format("2006-01-02"), now.UTC().Format("2006-01")
	if a.Day != day {
		a.Day, a.DayPosts, a.DaySpend = day, 0, 0
	}
	if a.Month != month {
		a.Month, a.MonthPosts, a.MonthSpend = month, 0, 0
	}
}

// Skip drops a pending or claimed intent for good without an error (e.g.
// the parent of a reply was never mirrored). For a publishing intent the
// origin records the target as skipped with reason; an edit or delete that
// is skipped leaves the target's state alone.
func (s *Store) Skip(id uint64, reason string) error {
	now := s.now().UTC()
	err := s.write(func(tx *bbolt.Tx) error {
		in, err := unsafeSettle(tx, id, Pending, Claimed)
		if err != nil {
			return err
		}
		if in.Kind.publishes() {
			if err := unsafeSetOriginTarget(tx, &in, PostSkipped, reason, now); err != nil {
				return err
			}
		}
		return unsafeRemove(tx, &in)
	})
	if err != nil {
		return fmt.Errorf("store: skip intent %d: %w", id, err)
	}
	return nil
}

// unsafeSetOriginTarget records the state of in's origin on in's account.
func unsafeSetOriginTarget(tx *bbolt.Tx, in *Intent, st PostState, reason string, now time.Time) error {
	origin, okey, found, err := unsafeLookup(tx, in.Origin)
	if err != nil {
		return err
	}
	if !found || origin.Role != Origin {
		return fmt.Errorf("origin %s of intent %d not recorded: %w", in.Origin, in.ID, ErrCorrupt)
	}
	setTarget(&origin, in.Account, st, reason, now)
	origin.Updated = now
	return tx.Bucket(bucketPosts).Put(okey, encodePost(&origin))
}

// Fail records that a claimed intent failed. Transient: it goes back to
// pending at the head of its queue, due at f.RetryAt, or when that is zero
// at now + backoff,
// where backoff is 2s·2^(attempts-1) capped at an hour, ±20% jitter.
// Permanent: it becomes Failed with f.Reason, leaves its account's queue
// (so it no longer blocks it), and the origin records the target as failed
// with that reason.
func (s *Store) Fail(id uint64, f Failure) error {
	now := s.now().UTC()
	err := s.write(func(tx *bbolt.Tx) error {
		in, err := unsafeSettle(tx, id, Claimed)
		if err != nil {
			return err
		}
		in.LastError = f.Reason
		if f.Permanent {
			in.State = Failed
			if err := tx.Bucket(bucketQueue).Delete(queueKey(in.Account, in.ID)); err != nil {
				return err
			}
			if err := unsafeSetOriginTarget(tx, &in, PostFailed, f.Reason, now); err != nil {
				return err
			}
		} else {
			in.State = Pending
			// The caller's retry policy decides when; the store's own
			// backoff only serves callers that give no time.
			in.NextAttempt = now.Add(s.backoff(in.Attempts))
			if !f.RetryAt.IsZero() {
				in.NextAttempt = f.RetryAt.UTC()
			}
		}
		return tx.Bucket(bucketIntents).Put(u64(in.ID), encodeIntent(&in))
	})
	if err != nil {
		return fmt.Errorf("store: fail intent %d: %w", id, err)
	}
	return nil
}

// backoff is the wait after the attempts-th failed attempt. It is called
// inside a write transaction, so s.rand is never called concurrently.
func (s *Store) backoff(attempts int) time.Duration {
	d := backoffCap
	if attempts < 1 {
		attempts = 1
	}
	if attempts <= 32 {
		d = min(backoffBase<<(attempts-1), backoffCap)
	}
	r := s.rand()
	if r < 0 || r >= 1 || math.IsNaN(r) {
		r = 0.5
	}
	return time.Duration(float64(d) * (1 - backoffJitter + 2*backoffJitter*r))
}

// Release puts a claimed intent back to pending, due now, without counting
// a failure: for when reconciliation found it was not posted.
func (s *Store) Release(id uint64) error {
	err := s.write(func(tx *bbolt.Tx) error {
		in, err := unsafeSettle(tx, id, Claimed)
		if err != nil {
			return err
		}
		in.State = Pending
		in.NextAttempt = time.Time{}
		return tx.Bucket(bucketIntents).Put(u64(in.ID), encodeIntent(&in))
	})
	if err != nil {
		return fmt.Errorf("store: release intent %d: %w", id, err)
	}
	return nil
}

// Intent returns one intent by ID: pending, claimed or failed. Completed and
// skipped intents are gone.
func (s *Store) Intent(id uint64) (Intent, bool, error) {
	var in Intent
	var found bool
	err := s.read(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketIntents).Get(u64(id))
		if v == nil {
			return nil
		}
		var err error
		in, err = decodeIntent(v)
		if err != nil {
			return fmt.Errorf("%w: %w", err, ErrCorrupt)
		}
		found = true
		return nil
	})
	if err != nil {
		return Intent{}, false, fmt.Errorf("store: intent %d: %w", id, err)
	}
	return in, found, nil
}

// Unknown lists account's intents left claimed, in queue order: a crash or
// kill came while they ran, so whether they were posted is unknown. The
// engine reconciles each (Complete, Release, Fail or Skip).
func (s *Store) Unknown(account string) ([]Intent, error) {
	ins, err := s.queue(account)
	if err != nil {
		return nil, fmt.Errorf("store: unknown %q: %w", account, err)
	}
	out := ins[:0]
	for _, in := range ins {
		if in.State == Claimed {
			out = append(out, in)
		}
	}
	return out, nil
}

// Pending lists account's queue in order: pending and claimed intents.
func (s *Store) Pending(account string) ([]Intent, error) {
	ins, err := s.queue(account)
	if err != nil {
		return nil, fmt.Errorf("store: pending %q: %w", account, err)
	}
	return ins, nil
}

// Failed lists account's intents that failed for good, oldest first.
func (s *Store) Failed(account string) ([]Intent, error) {
	var out []Intent
	err := s.read(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketIntents).ForEach(func(k, v []byte) error {
			in, err := decodeIntent(v)
			if err != nil {
				return fmt.Errorf("intent %x: %w: %w", k, err, ErrCorrupt)
			}
			if in.State == Failed && in.Account == account {
				out = append(out, in)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: failed %q: %w", account, err)
	}
	return out, nil
}

func (s *Store) queue(account string) ([]Intent, error) {
	var out []Intent
	err := s.read(func(tx *bbolt.Tx) error {
		prefix := acctPrefix(account)
		c := tx.Bucket(bucketQueue).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			_, id, err := parseQueueKey(k)
			if err != nil {
				return fmt.Errorf("%w: %w", err, ErrCorrupt)
			}
			in, err := unsafeIntent(tx, id)
			if err != nil {
				return err
			}
			out = append(out, in)
		}
		return nil
	})
	return out, err
}

// Accounts lists, in order, every account that has queued intents, a
// cursor or account state.
func (s *Store) Accounts() ([]string, error) {
	seen := map[string]bool{}
	err := s.read(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketQueue).Cursor()
		for k, _ := c.First(); k != nil; {
			a, _, err := parseQueueKey(k)
			if err != nil {
				return fmt.Errorf("%w: %w", err, ErrCorrupt)
			}
			seen[a] = true
			// Jump past this account's entries.
			k, _ = c.Seek(append(acctPrefix(a), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
		}
		for _, b := range [][]byte{bucketCursors, bucketAccounts} {
			if err := tx.Bucket(b).ForEach(func(k, _ []byte) error {
				seen[string(k)] = true
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: accounts: %w", err)
	}
	return sortedKeys(seen), nil
}
