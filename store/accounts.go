package store

import (
	"encoding/binary"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Cursor returns the source position recorded for account; "" when none.
func (s *Store) Cursor(account string) (string, error) {
	var c cursorRec
	err := s.read(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketCursors).Get(acctKey(account))
		if v == nil {
			return nil
		}
		var err error
		c, err = decodeCursor(v)
		if err != nil {
			return fmt.Errorf("%w: %w", err, ErrCorrupt)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("store: cursor of %q: %w", account, err)
	}
	return c.Cursor, nil
}

// SetCursor sets account's cursor without an event: for a link that starts
// "now" at the source's newest post, or a backfill. Event cursors are
// written by Record, in the event's transaction. An empty cursor removes it.
func (s *Store) SetCursor(account, cursor string) error {
	if err := checkAccount(account); err != nil {
		return fmt.Errorf("store: set cursor: %w", err)
	}
	now := s.now().UTC()
	err := s.write(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketCursors)
		if cursor == "" {
			return b.Delete(acctKey(account))
		}
		c := cursorRec{Cursor: cursor, Set: now}
		return b.Put(acctKey(account), encodeCursor(&c))
	})
	if err != nil {
		return fmt.Errorf("store: set cursor of %q: %w", account, err)
	}
	return nil
}

// Account returns account's state; the zero state when nothing is recorded.
// Day and month counters of a day or month that is over read as zero.
func (s *Store) Account(account string) (AccountState, error) {
	var a AccountState
	err := s.read(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketAccounts).Get(acctKey(account))
		if v == nil {
			return nil
		}
		var err error
		a, err = decodeAccount(v)
		if err != nil {
			return fmt.Errorf("%w: %w", err, ErrCorrupt)
		}
		return nil
	})
	if err != nil {
		return AccountState{}, fmt.Errorf("store: account %q: %w", account, err)
	}
	rollOver(&a, s.now())
	return a, nil
}

func (s *Store) updateAccount(op, account string, fn func(*AccountState)) error {
	if err := checkAccount(account); err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	err := s.write(func(tx *bbolt.Tx) error { return unsafeUpdateAccount(tx, account, fn) })
	if err != nil {
		return fmt.Errorf("store: %s %q: %w", op, account, err)
	}
	return nil
}

// Pause marks account paused (e.g. its credentials were refused), with why.
func (s *Store) Pause(account, why string) error {
	now := s.now().UTC()
	return s.updateAccount("pause", account, func(a *AccountState) {
		a.Paused, a.PausedWhy, a.PausedAt = true, why, now
	})
}

// Resume clears account's pause.
func (s *Store) Resume(account string) error {
	return s.updateAccount("resume", account, func(a *AccountState) {
		a.Paused, a.PausedWhy, a.PausedAt = false, "", time.Time{}
	})
}

// SetRateLimit records when account's rate limit resets.
func (s *Store) SetRateLimit(account string, reset time.Time) error {
	return s.updateAccount("set rate limit", account, func(a *AccountState) {
		a.RateLimitReset = reset.UTC()
		if reset.IsZero() {
			a.RateLimitReset = time.Time{}
		}
	})
}

// SetMeta sets a small key/value the engine keeps for account, e.g.
// "link:alice-to-x:started". An empty value removes the key.
func (s *Store) SetMeta(account, key, value string) error {
	return s.updateAccount("set meta", account, func(a *AccountState) {
		if value == "" {
			delete(a.Meta, key)
			return
		}
		if a.Meta == nil {
			a.Meta = make(map[string]string)
		}
		a.Meta[key] = value
	})
}

// Mark sets a marker once, e.g. that the announcement "moving@2027-01-04T10:00Z"
// fired. first is true only for the call that set it.
func (s *Store) Mark(key string) (first bool, err error) {
	if key == "" || len(key) > maxKeyPart {
		return false, fmt.Errorf("store: mark: empty or too long key: %w", ErrInvalid)
	}
	now := s.now().UTC()
	err = s.write(func(tx *bbolt.Tx) error {
		first = false
		b := tx.Bucket(bucketMarks)
		if b.Get([]byte(key)) != nil {
			return nil
		}
		first = true
		return b.Put([]byte(key), binary.BigEndian.AppendUint64(nil, uint64(now.UnixNano())))
	})
	if err != nil {
		return false, fmt.Errorf("store: mark %q: %w", key, err)
	}
	return first, nil
}
