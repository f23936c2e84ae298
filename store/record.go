package store

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/dualpower/dualpower/providers"
	"go.etcd.io/bbolt"
)

// maxKeyPart bounds account names and native IDs, well inside bbolt's
// 32 KiB key limit.
const maxKeyPart = 4096

func checkRef(r providers.Ref) error {
	if r.Account == "" || r.ID == "" {
		return fmt.Errorf("ref %q: empty account or id: %w", r, ErrInvalid)
	}
	if len(r.Account) > maxKeyPart || len(r.ID) > maxKeyPart {
		return fmt.Errorf("ref too long: %w", ErrInvalid)
	}
	return nil
}

func checkAccount(a string) error {
	if a == "" || len(a) > maxKeyPart {
		return fmt.Errorf("account name empty or too long: %w", ErrInvalid)
	}
	return nil
}

// Record writes one source event, the intents it causes, the skips it
// causes and the cursor advance, in one transaction: after a crash either
// all of it is in the ledger or none of it is.
//
// Created: if ev.Ref is already known, as an origin or as any part of a
// mirror, only the cursor is written and Result.Known is true: this is what
// stops echo loops and double delivery. Otherwise the post is recorded as the
// origin of a new group, its intents are appended to their accounts' queues
// and each skip is recorded as that target's state.
//
// Edited: a known mirror is an echo of our own edit: Known. A known origin
// gets the intents appended and its TextHash updated, unless ev.TextHash is
// the hash already recorded (a second delivery) or the origin is deleted:
// then Known and only the cursor is written.
//
// Deleted: a known mirror: Known. A known origin is marked deleted and gets
// the intents appended; one already deleted: Known.
//
// Edited or deleted of an unknown ref: Known is false and only the cursor is
// written.
//
// Skips of an edit or delete are only recorded for targets the origin had
// no state on yet: they must not hide that the post itself was mirrored.
func (s *Store) Record(ev Event) (Result, error) {
	if err := checkEvent(&ev); err != nil {
		return Result{}, fmt.Errorf("store: record %s: %w", ev.Ref, err)
	}
	// Keys are made outside the transaction so that a retried batch
	// function uses the same ones.
	keys := make([]string, len(ev.Intents))
	for i, in := range ev.Intents {
		keys[i] = in.Key
		if keys[i] == "" {
			keys[i] = newKey()
		}
	}
	now := s.now().UTC()
	var res Result
	err := s.write(func(tx *bbolt.Tx) error {
		res = Result{}
		var err error
		res, err = s.unsafeRecord(tx, &ev, keys, now)
		return err
	})
	if err != nil {
		return Result{}, fmt.Errorf("store: record %s: %w", ev.Ref, err)
	}
	return res, nil
}

func checkEvent(ev *Event) error {
	if !ev.Kind.Valid() {
		return fmt.Errorf("event kind %d: %w", ev.Kind, ErrInvalid)
	}
	if err := checkRef(ev.Ref); err != nil {
		return err
	}
	for _, in := range ev.Intents {
		if err := checkAccount(in.Account); err != nil {
			return fmt.Errorf("intent: %w", err)
		}
		if !in.Kind.Valid() {
			return fmt.Errorf("intent kind %d: %w", in.Kind, ErrInvalid)
		}
	}
	for _, sk := range ev.Skips {
		if err := checkAccount(sk.Target); err != nil {
			return fmt.Errorf("skip: %w", err)
		}
	}
	return nil
}

// newKey makes an idempotency key: 128 random bits in hex.
func newKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

func (s *Store) unsafeRecord(tx *bbolt.Tx, ev *Event, keys []string, now time.Time) (Result, error) {
	var res Result
	if err := unsafeCountEvent(tx, ev.Ref.Account, now); err != nil {
		return res, err
	}
	if ev.Cursor != "" {
		c := cursorRec{Cursor: ev.Cursor, ByEvent: true, Set: now}
		if err := tx.Bucket(bucketCursors).Put(acctKey(ev.Ref.Account), encodeCursor(&c)); err != nil {
			return res, err
		}
	}
	post, pkey, found, err := unsafeLookup(tx, ev.Ref)
	if err != nil {
		return res, err
	}
	if found && post.Role == Mirror {
		res.Known = true
		return res, nil
	}
	switch ev.Kind {
	case Created:
		if found {
			res.Known = true
			return res, nil
		}
		return unsafeNewOrigin(tx, ev, keys, now)
	case Edited:
		if !found {
			return res, nil
		}
		if post.State == PostDeleted || (ev.TextHash != "" && ev.TextHash == post.TextHash) {
			res.Known = true
			return res, nil
		}
		if ev.TextHash != "" {
			post.TextHash = ev.TextHash
		}
	case Deleted:
		if !found {
			return res, nil
		}
		if post.State == PostDeleted {
			res.Known = true
			return res, nil
		}
		post.State = PostDeleted
	}
	post.Updated = now
	for _, sk := range ev.Skips {
		if _, ok := post.Targets[sk.Target]; !ok {
			setTarget(&post, sk.Target, PostSkipped, sk.Reason, now)
		}
	}
	ids, err := unsafeAppendIntents(tx, ev, post.Ref, keys, now)
	if err != nil {
		return res, err
	}
	res.IntentIDs = ids
	return res, tx.Bucket(bucketPosts).Put(pkey, encodePost(&post))
}

// unsafeNewOrigin records ev's post as the origin of a new group.
func unsafeNewOrigin(tx *bbolt.Tx, ev *Event, keys []string, now time.Time) (Result, error) {
	var res Result
	groups := tx.Bucket(bucketGroups)
	gid, err := groups.NextSequence()
	if err != nil {
		return res, err
	}
	g := groupRec{Origin: ev.Ref, Link: ev.Link}
	if err := groups.Put(u64(gid), encodeGroup(&g)); err != nil {
		return res, err
	}
	p := Post{
		Ref:      ev.Ref,
		Group:    gid,
		Role:     Origin,
		Parts:    []string{ev.Ref.ID},
		TextHash: ev.TextHash,
		Link:     ev.Link,
		Created:  ev.Created.UTC(),
		Updated:  now,
	}
	if ev.Created.IsZero() {
		p.Created = time.Time{}
	}
	for _, sk := range ev.Skips {
		setTarget(&p, sk.Target, PostSkipped, sk.Reason, now)
	}
	for _, in := range ev.Intents {
		if in.Kind.publishes() {
			setTarget(&p, in.Account, PostPending, "", now)
		}
	}
	summarise(&p)
	ids, err := unsafeAppendIntents(tx, ev, ev.Ref, keys, now)
	if err != nil {
		return res, err
	}
	res.IntentIDs = ids
	return res, tx.Bucket(bucketPosts).Put(refKey(ev.Ref), encodePost(&p))
}

// unsafeAppendIntents appends ev's intents to their accounts' queues.
func unsafeAppendIntents(tx *bbolt.Tx, ev *Event, origin providers.Ref, keys []string, now time.Time) ([]uint64, error) {
	if len(ev.Intents) == 0 {
		return nil, nil
	}
	intents, queue := tx.Bucket(bucketIntents), tx.Bucket(bucketQueue)
	ids := make([]uint64, 0, len(ev.Intents))
	for i, n := range ev.Intents {
		id, err := intents.NextSequence()
		if err != nil {
			return nil, err
		}
		in := Intent{
			ID:          id,
			Key:         keys[i],
			Account:     n.Account,
			Kind:        n.Kind,
			Origin:      origin,
			Link:        ev.Link,
			Payload:     n.Payload,
			State:       Pending,
			NextAttempt: n.NotBefore,
			Created:     now,
		}
		if err := intents.Put(u64(id), encodeIntent(&in)); err != nil {
			return nil, err
		}
		if err := queue.Put(queueKey(n.Account, id), nil); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// setTarget sets an origin's state on one target and refreshes its summary.
func setTarget(p *Post, account string, st PostState, reason string, now time.Time) {
	if p.Targets == nil {
		p.Targets = make(map[string]TargetState)
	}
	p.Targets[account] = TargetState{State: st, Reason: reason, Updated: now}
	summarise(p)
}

// summarise derives an origin's own state from its targets: deleted once
// deleted at its source; else pending while any target is pending, failed
// if any failed, skipped if every target was skipped, else posted.
func summarise(p *Post) {
	if p.Role != Origin || p.State == PostDeleted {
		return
	}
	var pending, failed, posted bool
	for _, t := range p.Targets {
		switch t.State {
		case PostPending:
			pending = true
		case PostFailed:
			failed = true
		case PostPosted, PostDeleted:
			posted = true
		}
	}
	switch {
	case pending:
		p.State = PostPending
	case failed:
		p.State = PostFailed
	case !posted && len(p.Targets) > 0:
		p.State = PostSkipped
	default:
		p.State = PostPosted
	}
	if p.State != PostSkipped && p.State != PostFailed {
		p.Reason = ""
		return
	}
	// The reason of the first target (in name order) in that state.
	for _, k := range sortedKeys(p.Targets) {
		if t := p.Targets[k]; t.State == p.State {
			p.Reason = t.Reason
			return
		}
	}
}

// unsafeLookup finds the record holding ref: the post keyed by it, or the
// post a refs entry points to. It returns the record's key.
func unsafeLookup(tx *bbolt.Tx, ref providers.Ref) (Post, []byte, bool, error) {
	k := refKey(ref)
	v := tx.Bucket(bucketPosts).Get(k)
	if v == nil {
		pk := tx.Bucket(bucketRefs).Get(k)
		if pk == nil {
			return Post{}, nil, false, nil
		}
		k = append([]byte(nil), pk...)
		if v = tx.Bucket(bucketPosts).Get(k); v == nil {
			return Post{}, nil, false, fmt.Errorf("ref %s points to a missing post: %w", ref, ErrCorrupt)
		}
	}
	p, err := decodePost(v)
	if err != nil {
		return Post{}, nil, false, fmt.Errorf("%s: %w: %w", ref, err, ErrCorrupt)
	}
	return p, k, true, nil
}

// unsafeCountEvent counts a recorded event on its source account.
func unsafeCountEvent(tx *bbolt.Tx, account string, now time.Time) error {
	return unsafeUpdateAccount(tx, account, func(a *AccountState) {
		a.Events++
		a.LastActivity = now
	})
}

// unsafeUpdateAccount reads, changes and writes one account's state.
func unsafeUpdateAccount(tx *bbolt.Tx, account string, fn func(*AccountState)) error {
	b := tx.Bucket(bucketAccounts)
	var a AccountState
	if v := b.Get(acctKey(account)); v != nil {
		var err error
		if a, err = decodeAccount(v); err != nil {
			return fmt.Errorf("account %q: %w: %w", account, err, ErrCorrupt)
		}
	}
	fn(&a)
	return b.Put(acctKey(account), encodeAccount(&a))
}
