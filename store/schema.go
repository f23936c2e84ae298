package store

import (
	"encoding/binary"
	"fmt"

	"go.etcd.io/bbolt"
)

// Bucket names, all in one place (as etcd's schema/bucket.go).
var (
	// bucketMeta holds the schema version and what made the file.
	bucketMeta = []byte("meta")
	// bucketPosts: refKey(post's Ref) → post record. A mirror is keyed by
	// its first part as first posted.
	bucketPosts = []byte("posts")
	// bucketRefs: refKey(part) → refKey(the post record holding it), for
	// every native ID of a mirror other than its record key: later parts of
	// a thread and the IDs an edit replaced.
	bucketRefs = []byte("refs")
	// bucketGroups: u64(group) → group record (origin and mirrors).
	bucketGroups = []byte("groups")
	// bucketIntents: u64(intent ID) → intent record. IDs come from the
	// bucket's sequence, so they grow in the order intents were recorded.
	bucketIntents = []byte("intents")
	// bucketQueue: queueKey(account, intent ID) → empty, for every pending
	// or claimed intent: each account's FIFO, in ID order.
	bucketQueue = []byte("queue")
	// bucketCursors: account → cursor record.
	bucketCursors = []byte("cursors")
	// bucketAccounts: account → account state.
	bucketAccounts = []byte("accounts")
	// bucketMarks: marker key → u64 unix nanoseconds when first set.
	bucketMarks = []byte("marks")
)

// allBuckets lists every bucket of the current schema.
var allBuckets = [][]byte{
	bucketMeta, bucketPosts, bucketRefs, bucketGroups, bucketIntents,
	bucketQueue, bucketCursors, bucketAccounts, bucketMarks,
}

// Keys of bucketMeta.
var (
	metaApp     = []byte("app")     // always appName: tells our files from other bbolt files
	metaSchema  = []byte("schema")  // u64 schema version
	metaCreated = []byte("created") // u64 unix seconds
)

const appName = "dualpower ledger"

// SchemaVersion is the ledger schema this package reads and writes. A file
// with an older version is migrated forward when opened read-write; a file
// with a newer one is refused.
const SchemaVersion = 1

// schemaVersion is SchemaVersion as the code uses it; tests raise it to
// exercise a migration.
var schemaVersion uint64 = SchemaVersion

// migration moves a ledger from schema From to From+1 inside one
// transaction. Migrations run in order, each in the same transaction as the
// version bump, so a crash leaves the file at one version or the next.
type migration struct {
	From uint64
	Run  func(tx *bbolt.Tx) error
}

// migrations is empty while the schema is at version 1. When version 2
// arrives, append {From: 1, Run: …} and bump SchemaVersion.
var migrations []migration

// unsafeMigrate runs every migration from version v up to schemaVersion in
// tx, then records the new version.
func unsafeMigrate(tx *bbolt.Tx, v uint64) error {
	for v < schemaVersion {
		var step *migration
		for i := range migrations {
			if migrations[i].From == v {
				step = &migrations[i]
			}
		}
		if step == nil {
			return fmt.Errorf("cannot be migrated: no migration from schema %d", v)
		}
		if err := step.Run(tx); err != nil {
			return fmt.Errorf("could not be migrated from schema %d to %d: %w", v, v+1, err)
		}
		v++
	}
	return tx.Bucket(bucketMeta).Put(metaSchema, u64(v))
}

// fileState is what a read of an existing file found.
type fileState struct {
	fresh   bool   // no buckets at all: a file bbolt has just initialised
	version uint64 // schema version, when not fresh
	missing bool   // some bucket of the current schema is absent
}

// unsafeInspect reads what tx's file holds and refuses files that are not
// ours or are too new.
func unsafeInspect(tx *bbolt.Tx) (fileState, error) {
	var st fileState
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		empty := true
		_ = tx.ForEach(func([]byte, *bbolt.Bucket) error {
			empty = false
			return nil
		})
		if !empty {
			return st, fmt.Errorf("is a bbolt database of another program (no %q bucket): %w", bucketMeta, ErrForeign)
		}
		st.fresh = true
		return st, nil
	}
	if string(meta.Get(metaApp)) != appName {
		return st, fmt.Errorf("is a bbolt database of another program (meta says %q): %w", meta.Get(metaApp), ErrForeign)
	}
	v, ok := parseU64(meta.Get(metaSchema))
	if !ok {
		return st, fmt.Errorf("has an unreadable schema version: %w", ErrCorrupt)
	}
	if v > schemaVersion {
		return st, fmt.Errorf("was written by a newer dualpower (schema %d; this one knows %d): %w", v, schemaVersion, ErrNewerSchema)
	}
	if v == 0 {
		return st, fmt.Errorf("has an invalid schema version 0: %w", ErrCorrupt)
	}
	st.version = v
	for _, b := range allBuckets {
		if tx.Bucket(b) == nil {
			st.missing = true
		}
	}
	return st, nil
}

// unsafeInit creates the buckets a new file needs and stamps it.
func unsafeInit(tx *bbolt.Tx, now int64) error {
	for _, b := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return fmt.Errorf("could not be initialised: create bucket %s: %w", b, err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	if meta.Get(metaApp) == nil {
		if err := meta.Put(metaApp, []byte(appName)); err != nil {
			return err
		}
		if err := meta.Put(metaCreated, binary.BigEndian.AppendUint64(nil, uint64(now))); err != nil {
			return err
		}
	}
	if meta.Get(metaSchema) == nil {
		return meta.Put(metaSchema, u64(schemaVersion))
	}
	return nil
}
