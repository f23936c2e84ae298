package store

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/dualpower/dualpower/providers"
	"go.etcd.io/bbolt"
)

// exportLine is one line of Export. Key is the record's key in hex, so it
// survives even where a JSON string cannot hold the bytes of an ID.
type exportLine struct {
	Bucket  string            `json:"bucket"`
	Type    string            `json:"type"`
	Key     string            `json:"key"`
	Error   string            `json:"error,omitempty"` // a record that does not decode
	Post    *Post             `json:"post,omitempty"`
	Ref     *providers.Ref    `json:"ref,omitempty"`
	Owner   *providers.Ref    `json:"owner,omitempty"`
	Group   *exportGroup      `json:"group,omitempty"`
	Intent  *Intent           `json:"intent,omitempty"`
	Queued  *exportQueued     `json:"queued,omitempty"`
	Cursor  *exportCursor     `json:"cursor,omitempty"`
	Account *exportAccount    `json:"account,omitempty"`
	Mark    *exportMark       `json:"mark,omitempty"`
	Meta    map[string]string `json:"meta,omitempty"`
}

type exportGroup struct {
	ID      uint64            `json:"id"`
	Origin  providers.Ref     `json:"origin"`
	Link    string            `json:"link,omitempty"`
	Mirrors map[string]string `json:"mirrors,omitempty"`
}

type exportQueued struct {
	Account string `json:"account"`
	ID      uint64 `json:"id"`
}

type exportCursor struct {
	Account string    `json:"account"`
	Cursor  string    `json:"cursor"`
	ByEvent bool      `json:"by_event"`
	Set     time.Time `json:"set,omitzero"`
}

type exportAccount struct {
	Name  string       `json:"name"`
	State AccountState `json:"state"`
}

type exportMark struct {
	Key string    `json:"key"`
	Set time.Time `json:"set"`
}

// Export writes every record as one JSON object per line, bucket by bucket
// in key order, each with its "bucket", "type" and hex "key". A record that
// does not decode is written with type "damaged" and the error, and the
// export goes on. The ledger holds no secrets, so neither does the export.
// Caveat: JSON strings hold UTF-8 only; an ID with other bytes is shown
// with U+FFFD in place of them, while "key" keeps the exact bytes.
func (s *Store) Export(w io.Writer) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	err := s.read(func(tx *bbolt.Tx) error {
		for _, name := range allBuckets {
			b := tx.Bucket(name)
			if b == nil {
				continue
			}
			err := b.ForEach(func(k, v []byte) error {
				return enc.Encode(exportRecord(string(name), k, v))
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	return nil
}

func exportRecord(bucket string, k, v []byte) exportLine {
	l := exportLine{Bucket: bucket, Key: hex.EncodeToString(k)}
	var err error
	switch bucket {
	case string(bucketMeta):
		l.Type = "meta"
		val := string(v)
		if n, ok := parseU64(v); ok {
			val = fmt.Sprint(n)
		}
		l.Meta = map[string]string{string(k): val}
	case string(bucketPosts):
		l.Type = "post"
		var p Post
		if p, err = decodePost(v); err == nil {
			l.Post = &p
		}
	case string(bucketRefs):
		l.Type = "ref"
		var r, o providers.Ref
		if r, err = parseRefKey(k); err == nil {
			if o, err = parseRefKey(v); err == nil {
				l.Ref, l.Owner = &r, &o
			}
		}
	case string(bucketGroups):
		l.Type = "group"
		var g groupRec
		id, ok := parseU64(k)
		if !ok {
			err = fmt.Errorf("bad group key")
		} else if g, err = decodeGroup(v); err == nil {
			l.Group = &exportGroup{ID: id, Origin: g.Origin, Link: g.Link, Mirrors: g.Mirrors}
		}
	case string(bucketIntents):
		l.Type = "intent"
		var in Intent
		if in, err = decodeIntent(v); err == nil {
			l.Intent = &in
		}
	case string(bucketQueue):
		l.Type = "queued"
		var q exportQueued
		if q.Account, q.ID, err = parseQueueKey(k); err == nil {
			l.Queued = &q
		}
	case string(bucketCursors):
		l.Type = "cursor"
		var c cursorRec
		if c, err = decodeCursor(v); err == nil {
			l.Cursor = &exportCursor{Account: string(k), Cursor: c.Cursor, ByEvent: c.ByEvent, Set: c.Set}
		}
	case string(bucketAccounts):
		l.Type = "account"
		var a AccountState
		if a, err = decodeAccount(v); err == nil {
			l.Account = &exportAccount{Name: string(k), State: a}
		}
	case string(bucketMarks):
		l.Type = "mark"
		if len(v) != 8 {
			err = fmt.Errorf("bad mark value")
		} else {
			l.Mark = &exportMark{Key: string(k), Set: time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC()}
		}
	}
	if err != nil {
		l.Type, l.Error = "damaged", err.Error()
	}
	return l
}
