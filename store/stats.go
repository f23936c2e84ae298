package store

import (
	"fmt"

	"go.etcd.io/bbolt"
)

// Stats counts, per link, what was mirrored, skipped and failed (by
// reason), what is queued, and the last activity. It reads the whole
// ledger in one read transaction, so it costs O(records): fine for status
// and for metrics scraped every few seconds, not for a hot path.
func (s *Store) Stats() (Stats, error) {
	st := Stats{ByLink: map[string]LinkStats{}}
	get := func(link string) LinkStats {
		ls, ok := st.ByLink[link]
		if !ok {
			ls = LinkStats{Skipped: map[string]int{}, Failed: map[string]int{}}
		}
		return ls
	}
	err := s.read(func(tx *bbolt.Tx) error {
		err := tx.Bucket(bucketPosts).ForEach(func(k, v []byte) error {
			p, err := decodePost(v)
			if err != nil {
				return fmt.Errorf("post %x: %w: %w", k, err, ErrCorrupt)
			}
			ls := get(p.Link)
			if p.Updated.After(ls.LastActivity) {
				ls.LastActivity = p.Updated
			}
			for _, t := range p.Targets {
				switch t.State {
				case PostPosted, PostDeleted:
					ls.Mirrored++
				case PostSkipped:
					ls.Skipped[t.Reason]++
				case PostFailed:
					ls.Failed[t.Reason]++
				}
			}
			st.ByLink[p.Link] = ls
			return nil
		})
		if err != nil {
			return err
		}
		intents := tx.Bucket(bucketIntents)
		return tx.Bucket(bucketQueue).ForEach(func(k, _ []byte) error {
			_, id, err := parseQueueKey(k)
			if err != nil {
				return fmt.Errorf("%w: %w", err, ErrCorrupt)
			}
			v := intents.Get(u64(id))
			if v == nil {
				return fmt.Errorf("queued intent %d missing: %w", id, ErrCorrupt)
			}
			in, err := decodeIntent(v)
			if err != nil {
				return fmt.Errorf("intent %d: %w: %w", id, err, ErrCorrupt)
			}
			ls := get(in.Link)
			ls.Pending++
			st.ByLink[in.Link] = ls
			return nil
		})
	})
	if err != nil {
		return Stats{}, fmt.Errorf("store: stats: %w", err)
	}
	return st, nil
}
