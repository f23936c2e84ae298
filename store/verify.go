package store

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"

	"github.com/dualpower/dualpower/providers"
	"go.etcd.io/bbolt"
)

// Verify checks the ledger's invariants and returns every broken one; an
// empty list means the ledger is sound. It checks:
//   - the schema version and that every bucket exists;
//   - every record decodes and holds valid kinds, roles and states;
//   - every post's key is its Ref; an origin is the origin of its group;
//   - every mirror's group exists and has an origin;
//   - no native ID is recorded as a part of two posts, and every part of a
//     mirror is findable (the record key or a refs entry pointing back);
//   - every refs entry points to a post that has that part;
//   - every group's origin and mirrors exist and belong to it;
//   - every pending or claimed intent is in its account's queue, a failed
//     one is not, every queue entry is an intent of that account, and every
//     intent's origin is recorded;
//   - no cursor written with an event for an account with no events;
//   - sequence numbers are ahead of every ID in use;
//   - bbolt's own page consistency check.
//
// Verify reads in one read transaction; it does not block writers.
func (s *Store) Verify() ([]Problem, error) {
	var ps []Problem
	err := s.read(func(tx *bbolt.Tx) error {
		ps = unsafeVerify(tx)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: verify: %w", err)
	}
	return ps, nil
}

// printableKey shows a key the way its bucket makes it.
func printableKey(bucket string, k []byte) string {
	switch bucket {
	case string(bucketPosts), string(bucketRefs):
		if r, err := parseRefKey(k); err == nil {
			return strconv.Quote(r.Account) + "/" + strconv.Quote(r.ID)
		}
	case string(bucketGroups), string(bucketIntents):
		if n, ok := parseU64(k); ok {
			return strconv.FormatUint(n, 10)
		}
	case string(bucketQueue):
		if a, id, err := parseQueueKey(k); err == nil {
			return strconv.Quote(a) + "/" + strconv.FormatUint(id, 10)
		}
	default:
		return strconv.Quote(string(k))
	}
	return hex.EncodeToString(k)
}

func unsafeVerify(tx *bbolt.Tx) []Problem {
	var ps []Problem
	add := func(bucket string, k []byte, format string, args ...any) {
		ps = append(ps, Problem{Bucket: bucket, Key: printableKey(bucket, k), What: fmt.Sprintf(format, args...)})
	}
	for _, b := range allBuckets {
		if tx.Bucket(b) == nil {
			add(string(b), nil, "bucket missing")
		}
	}
	if len(ps) > 0 {
		return ps
	}
	meta := tx.Bucket(bucketMeta)
	if string(meta.Get(metaApp)) != appName {
		add("meta", metaApp, "not %q", appName)
	}
	if v, ok := parseU64(meta.Get(metaSchema)); !ok || v != schemaVersion {
		add("meta", metaSchema, "schema %d, want %d", v, schemaVersion)
	}

	posts, refs, groups := tx.Bucket(bucketPosts), tx.Bucket(bucketRefs), tx.Bucket(bucketGroups)
	intents, queue := tx.Bucket(bucketIntents), tx.Bucket(bucketQueue)

	loadPost := func(k []byte) (Post, bool) {
		v := posts.Get(k)
		if v == nil {
			return Post{}, false
		}
		p, err := decodePost(v)
		return p, err == nil
	}
	loadGroup := func(id uint64) (groupRec, bool) {
		v := groups.Get(u64(id))
		if v == nil {
			return groupRec{}, false
		}
		g, err := decodeGroup(v)
		return g, err == nil
	}

	// Posts, and who owns each native ID.
	owner := map[string][]byte{}
	_ = posts.ForEach(func(k, v []byte) error {
		p, err := decodePost(v)
		if err != nil {
			add("posts", k, "%v", err)
			return nil
		}
		if !bytes.Equal(refKey(p.Ref), k) {
			add("posts", k, "key does not match ref %s", p.Ref)
		}
		if !p.Role.Valid() || !p.State.Valid() {
			add("posts", k, "role %s, state %s", p.Role, p.State)
		}
		for t, ts := range p.Targets {
			if !ts.State.Valid() {
				add("posts", k, "target %q state %s", t, ts.State)
			}
		}
		g, gok := loadGroup(p.Group)
		switch p.Role {
		case Origin:
			if len(p.Parts) != 1 || p.Parts[0] != p.Ref.ID {
				add("posts", k, "origin parts %q", p.Parts)
			}
			if !gok || g.Origin != p.Ref {
				add("posts", k, "group %d does not name it as origin", p.Group)
			}
		case Mirror:
			if !gok {
				add("posts", k, "group %d missing", p.Group)
			} else if o, ok := loadPost(refKey(g.Origin)); !ok || o.Role != Origin || o.Group != p.Group {
				add("posts", k, "group %d has no origin", p.Group)
			}
			if len(p.Parts) == 0 {
				add("posts", k, "mirror without parts")
			}
			if !slices.Contains(p.Parts, p.Ref.ID) && !slices.Contains(p.OldParts, p.Ref.ID) {
				add("posts", k, "record key not among its parts")
			}
			all := append(append([]string(nil), p.Parts...), p.OldParts...)
			for i, id := range all {
				pk := refKey(providers.Ref{Account: p.Ref.Account, ID: id})
				if slices.Contains(all[:i], id) {
					add("posts", k, "part %q listed twice", id)
					continue
				}
				if prev, dup := owner[string(pk)]; dup {
					add("posts", k, "part %q also recorded by %s", id, printableKey("posts", prev))
				}
				owner[string(pk)] = k
				if !bytes.Equal(pk, k) && !bytes.Equal(refs.Get(pk), k) {
					add("posts", k, "part %q not indexed", id)
				}
			}
		}
		return nil
	})

	_ = refs.ForEach(func(k, v []byte) error {
		r, err := parseRefKey(k)
		if err != nil {
			add("refs", k, "%v", err)
			return nil
		}
		if posts.Get(k) != nil {
			add("refs", k, "also a post record")
		}
		p, ok := loadPost(v)
		if !ok {
			add("refs", k, "points to missing post %s", printableKey("posts", v))
			return nil
		}
		if p.Ref.Account != r.Account || (!slices.Contains(p.Parts, r.ID) && !slices.Contains(p.OldParts, r.ID)) {
			add("refs", k, "post %s does not hold this part", p.Ref)
		}
		return nil
	})

	gseq := groups.Sequence()
	_ = groups.ForEach(func(k, v []byte) error {
		id, ok := parseU64(k)
		if !ok {
			add("groups", k, "bad key")
			return nil
		}
		if id > gseq {
			add("groups", k, "id %d beyond sequence %d", id, gseq)
		}
		g, err := decodeGroup(v)
		if err != nil {
			add("groups", k, "%v", err)
			return nil
		}
		if o, ok := loadPost(refKey(g.Origin)); !ok || o.Role != Origin || o.Group != id {
			add("groups", k, "origin %s missing or not in group", g.Origin)
		}
		for acct, mid := range g.Mirrors {
			m, ok := loadPost(refKey(providers.Ref{Account: acct, ID: mid}))
			if !ok || m.Role != Mirror || m.Group != id {
				add("groups", k, "mirror %q/%q missing or not in group", acct, mid)
			}
		}
		return nil
	})

	iseq := intents.Sequence()
	_ = intents.ForEach(func(k, v []byte) error {
		in, err := decodeIntent(v)
		if err != nil {
			add("intents", k, "%v", err)
			return nil
		}
		if id, ok := parseU64(k); !ok || id != in.ID || id > iseq {
			add("intents", k, "key does not match id %d (sequence %d)", in.ID, iseq)
		}
		if !in.Kind.Valid() || !in.State.Valid() || in.Account == "" {
			add("intents", k, "kind %s, state %s, account %q", in.Kind, in.State, in.Account)
		}
		queued := queue.Get(queueKey(in.Account, in.ID)) != nil
		if queued == (in.State == Failed) {
			add("intents", k, "%s intent queued=%v", in.State, queued)
		}
		if o, ok := loadPost(refKey(in.Origin)); !ok || o.Role != Origin {
			add("intents", k, "origin %s not recorded", in.Origin)
		}
		return nil
	})
	_ = queue.ForEach(func(k, _ []byte) error {
		acct, id, err := parseQueueKey(k)
		if err != nil {
			add("queue", k, "%v", err)
			return nil
		}
		v := intents.Get(u64(id))
		if v == nil {
			add("queue", k, "intent %d missing", id)
			return nil
		}
		if in, err := decodeIntent(v); err == nil && (in.Account != acct || in.State == Failed) {
			add("queue", k, "intent %d is %s on %q", id, in.State, in.Account)
		}
		return nil
	})

	accounts := tx.Bucket(bucketAccounts)
	_ = tx.Bucket(bucketCursors).ForEach(func(k, v []byte) error {
		c, err := decodeCursor(v)
		if err != nil {
			add("cursors", k, "%v", err)
			return nil
		}
		if !c.ByEvent {
			return nil
		}
		var a AccountState
		if av := accounts.Get(k); av != nil {
			a, _ = decodeAccount(av)
		}
		if a.Events == 0 {
			add("cursors", k, "cursor %q written by an event, but no events recorded", c.Cursor)
		}
		return nil
	})
	_ = accounts.ForEach(func(k, v []byte) error {
		if _, err := decodeAccount(v); err != nil {
			add("accounts", k, "%v", err)
		}
		return nil
	})
	_ = tx.Bucket(bucketMarks).ForEach(func(k, v []byte) error {
		if len(v) != 8 {
			add("marks", k, "bad value")
		}
		return nil
	})
	for err := range tx.Check() {
		add("bbolt", nil, "%v", err)
	}
	return ps
}
