package store

import (
	"bytes"
	"fmt"
	"time"

	"github.com/dualpower/dualpower/providers"
	"go.etcd.io/bbolt"
)

// Lookup returns the record holding ref: an origin, or a mirror of which
// ref is any part, current or replaced by an edit.
func (s *Store) Lookup(ref providers.Ref) (Post, bool, error) {
	if err := checkRef(ref); err != nil {
		return Post{}, false, fmt.Errorf("store: lookup: %w", err)
	}
	var p Post
	var found bool
	err := s.read(func(tx *bbolt.Tx) (err error) {
		p, _, found, err = unsafeLookup(tx, ref)
		return err
	})
	if err != nil {
		return Post{}, false, fmt.Errorf("store: lookup %s: %w", ref, err)
	}
	return p, found, nil
}

// unsafeGroup reads the group of post p and its origin record.
func unsafeGroup(tx *bbolt.Tx, gid uint64) (groupRec, error) {
	v := tx.Bucket(bucketGroups).Get(u64(gid))
	if v == nil {
		return groupRec{}, fmt.Errorf("group %d missing: %w", gid, ErrCorrupt)
	}
	g, err := decodeGroup(v)
	if err != nil {
		return groupRec{}, fmt.Errorf("group %d: %w: %w", gid, err, ErrCorrupt)
	}
	return g, nil
}

// unsafeMirrors returns the group of ref's record and its current mirrors,
// by account.
func unsafeMirrors(tx *bbolt.Tx, ref providers.Ref) (groupRec, map[string]Post, bool, error) {
	p, _, found, err := unsafeLookup(tx, ref)
	if err != nil || !found {
		return groupRec{}, nil, false, err
	}
	g, err := unsafeGroup(tx, p.Group)
	if err != nil {
		return groupRec{}, nil, false, err
	}
	ms := make(map[string]Post, len(g.Mirrors))
	for acct, id := range g.Mirrors {
		m, _, ok, err := unsafeLookup(tx, providers.Ref{Account: acct, ID: id})
		if err != nil {
			return groupRec{}, nil, false, err
		}
		if !ok {
			return groupRec{}, nil, false, fmt.Errorf("mirror %s/%s of group %d missing: %w", acct, id, p.Group, ErrCorrupt)
		}
		ms[acct] = m
	}
	return g, ms, true, nil
}

// Mirrors returns the current mirror of origin on every target account, in
// account order, deleted ones included (their State says so). ref may also
// be any mirror of the group. No mirrors, or an unknown ref: nil.
func (s *Store) Mirrors(origin providers.Ref) ([]Post, error) {
	if err := checkRef(origin); err != nil {
		return nil, fmt.Errorf("store: mirrors: %w", err)
	}
	var out []Post
	err := s.read(func(tx *bbolt.Tx) error {
		_, ms, _, err := unsafeMirrors(tx, origin)
		for _, k := range sortedKeys(ms) {
			out = append(out, ms[k])
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: mirrors of %s: %w", origin, err)
	}
	return out, nil
}

// MirrorOn returns origin's current mirror on account.
func (s *Store) MirrorOn(origin providers.Ref, account string) (Post, bool, error) {
	if err := checkRef(origin); err != nil {
		return Post{}, false, fmt.Errorf("store: mirror on: %w", err)
	}
	var m Post
	var found bool
	err := s.read(func(tx *bbolt.Tx) error {
		_, ms, _, err := unsafeMirrors(tx, origin)
		m, found = ms[account]
		return err
	})
	if err != nil {
		return Post{}, false, fmt.Errorf("store: mirror of %s on %q: %w", origin, account, err)
	}
	return m, found, nil
}

// Counterpart returns the post that stands for ref's group on account: the
// origin itself when it lives there, else the group's mirror there. This is
// what a reply on one network must point to on another, whichever side the
// parent was first posted on.
func (s *Store) Counterpart(ref providers.Ref, account string) (Post, bool, error) {
	if err := checkRef(ref); err != nil {
		return Post{}, false, fmt.Errorf("store: counterpart: %w", err)
	}
	var out Post
	var found bool
	err := s.read(func(tx *bbolt.Tx) error {
		g, ms, ok, err := unsafeMirrors(tx, ref)
		if err != nil || !ok {
			return err
		}
		if g.Origin.Account == account {
			out, _, found, err = unsafeLookup(tx, g.Origin)
			return err
		}
		out, found = ms[account]
		return nil
	})
	if err != nil {
		return Post{}, false, fmt.Errorf("store: counterpart of %s on %q: %w", ref, account, err)
	}
	return out, found, nil
}

// OriginOf returns the origin of any known ref: itself if it is an origin.
func (s *Store) OriginOf(ref providers.Ref) (providers.Ref, bool, error) {
	if err := checkRef(ref); err != nil {
		return providers.Ref{}, false, fmt.Errorf("store: origin of: %w", err)
	}
	var out providers.Ref
	var found bool
	err := s.read(func(tx *bbolt.Tx) error {
		p, _, ok, err := unsafeLookup(tx, ref)
		if err != nil || !ok {
			return err
		}
		if p.Role == Origin {
			out, found = p.Ref, true
			return nil
		}
		g, err := unsafeGroup(tx, p.Group)
		if err != nil {
			return err
		}
		out, found = g.Origin, true
		return nil
	})
	if err != nil {
		return providers.Ref{}, false, fmt.Errorf("store: origin of %s: %w", ref, err)
	}
	return out, found, nil
}

// LastPart returns the last current native ID of the post holding ref:
// where a reply to it must go when it was split into a thread. For an
// origin that is its own ID.
func (s *Store) LastPart(ref providers.Ref) (string, bool, error) {
	p, ok, err := s.Lookup(ref)
	if err != nil || !ok || len(p.Parts) == 0 {
		return "", false, err
	}
	return p.Parts[len(p.Parts)-1], true, nil
}

// RecentOrigins returns, in key order, the origins recorded on account of
// which some target's state changed at or after since: what the engine
// has taken on lately, for brakes that must outlast a restart. It reads
// every record of the account, so it is for start-up, not for each event.
func (s *Store) RecentOrigins(account string, since time.Time) ([]Post, error) {
	out, err := s.postsOf(account, func(p *Post) bool {
		if p.Role != Origin {
			return false
		}
		for _, ts := range p.Targets {
			if !ts.Updated.Before(since) {
				return true
			}
		}
		return false
	})
	if err != nil {
		return nil, fmt.Errorf("store: recent origins of %q: %w", account, err)
	}
	return out, nil
}

// PostsOn returns, in key order, the records of account's own posts made at
// or after since and not deleted: its origins, and the mirrors published
// there. It reads every record of the account, so it is for the start of a
// stream, not for each event.
func (s *Store) PostsOn(account string, since time.Time) ([]Post, error) {
	out, err := s.postsOf(account, func(p *Post) bool {
		return p.State != PostDeleted && !p.Created.Before(since)
	})
	if err != nil {
		return nil, fmt.Errorf("store: posts on %q: %w", account, err)
	}
	return out, nil
}

// postsOf returns, in key order, the records of account's posts that keep
// says to keep.
func (s *Store) postsOf(account string, keep func(*Post) bool) ([]Post, error) {
	var out []Post
	err := s.read(func(tx *bbolt.Tx) error {
		prefix := acctPrefix(account)
		c := tx.Bucket(bucketPosts).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			p, err := decodePost(v)
			if err != nil {
				return fmt.Errorf("%q: %w: %w", k, err, ErrCorrupt)
			}
			if keep(&p) {
				out = append(out, p)
			}
		}
		return nil
	})
	return out, err
}
