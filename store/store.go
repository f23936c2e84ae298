package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Errors the store returns, wrapped with context; test with errors.Is.
var (
	// ErrLocked: another process (or another Open in this one) holds the file.
	ErrLocked = errors.New("ledger in use")
	// ErrNewerSchema: the file was written by a newer dualpower.
	ErrNewerSchema = errors.New("ledger schema too new")
	// ErrForeign: the file is not a dualpower ledger.
	ErrForeign = errors.New("not a dualpower ledger")
	// ErrCorrupt: the file or a record in it is damaged.
	ErrCorrupt = errors.New("ledger damaged")
	// ErrNotFound: no such intent, post or account record.
	ErrNotFound = errors.New("not found")
	// ErrState: the intent is not in a state that allows the call (e.g.
	// Complete of an intent that was never claimed).
	ErrState = errors.New("wrong state")
	// ErrInFlight: the head of the account's queue is claimed and not yet
	// settled; nothing behind it may run (see Store.Claim).
	ErrInFlight = errors.New("head intent in flight")
	// ErrConflict: a native ID given as a new mirror part is already known
	// as part of another post.
	ErrConflict = errors.New("native id already recorded")
	// ErrInvalid: the arguments are invalid (empty account or ID, unknown kind…).
	ErrInvalid = errors.New("invalid argument")
)

// lockTimeout is how long Open waits for another process's lock.
const lockTimeout = time.Second

// maxBatchDelay is how long a write waits to be joined by others when
// another write is already in flight. Lone writers never wait (see write).
const maxBatchDelay = 2 * time.Millisecond

// Options tune Open.
type Options struct {
	// ReadOnly opens the file without writing to it, for tools such as
	// `dualpower status` and `ledger export`. It fails with ErrLocked while a
	// daemon holds the file: bbolt's read-write lock excludes readers too.
	// The daemon serves status over HTTP instead.
	ReadOnly bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand returns a float in [0, 1) for backoff jitter; nil means
	// math/rand/v2. It is called under the store's write lock.
	Rand func() float64
	// NoSync skips fsync: a crash of the machine may lose or damage the
	// file. For benchmarks and tests only.
	NoSync bool
}

// Store is an open ledger. It is safe for concurrent use.
type Store struct {
	db   *bbolt.DB
	path string
	now  func() time.Time
	rand func() float64

	writers atomic.Int32 // writes in flight, to choose Update or Batch
	batched atomic.Int64 // writes that went through Batch (tests read it)
	closeMu sync.Once
	closeE  error
}

// Open opens the ledger at path, creating it (and its directory, mode 0700)
// if it does not exist. A new file gets mode 0600. Open refuses a file that
// another process holds (ErrLocked, after about a second), a file that is
// not a dualpower ledger (ErrForeign, ErrCorrupt), or one from a newer
// dualpower (ErrNewerSchema), without writing to it. An older schema is
// migrated forward. An empty (0-byte) file is treated as a ledger whose
// creation was interrupted, and initialised. A ledger readable by group or
// others is made private (0600). Every error names the path.
func Open(path string, opt Options) (*Store, error) {
	s := &Store{path: path, now: opt.Now, rand: opt.Rand}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Float64
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if opt.ReadOnly {
			return nil, fmt.Errorf("ledger %s does not exist: %w", path, err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("ledger %s: create directory: %w", path, err)
		}
	case err != nil:
		return nil, fmt.Errorf("ledger %s: %w", path, err)
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("ledger %s is not a regular file: %w", path, ErrForeign)
	case fi.Size() > 0:
		if err := checkHeader(path, fi.Size()); err != nil {
			return nil, fmt.Errorf("ledger %s %w", path, err)
		}
	case opt.ReadOnly:
		return nil, fmt.Errorf("ledger %s is empty: %w", path, ErrCorrupt)
	}

	// An existing file is first opened read-only and inspected, so that a
	// foreign or too-new file is refused before bbolt writes a byte to it.
	if fi != nil && fi.Size() > 0 {
		var st fileState
		db, err := openBolt(path, true, false)
		if err != nil {
			return nil, err
		}
		err = guard(func() error {
			return db.View(func(tx *bbolt.Tx) (err error) {
				if st, err = unsafeInspect(tx); err != nil {
					return err
				}
				return unsafeTouch(tx)
			})
		})
		if err != nil {
			err = fmt.Errorf("ledger %s %w", path, err)
		}
		if err == nil && opt.ReadOnly {
			switch {
			case st.fresh:
				err = fmt.Errorf("ledger %s is not initialised: %w", path, ErrCorrupt)
			case st.version < schemaVersion || st.missing:
				err = fmt.Errorf("ledger %s has schema %d and must be migrated: open it read-write once", path, st.version)
			}
		}
		if err != nil || opt.ReadOnly {
			if err != nil {
				_ = db.Close()
				return nil, err
			}
			s.db = db
			return s, nil
		}
		if err := db.Close(); err != nil {
			return nil, fmt.Errorf("ledger %s: close: %w", path, err)
		}
	}

	db, err := openBolt(path, false, opt.NoSync)
	if err != nil {
		return nil, err
	}
	db.MaxBatchDelay = maxBatchDelay
	err = guard(func() error {
		return db.Update(func(tx *bbolt.Tx) error {
			// Inspect again under the write lock: the file may have
			// changed between the two opens.
			st, err := unsafeInspect(tx)
			if err != nil {
				return err
			}
			if !st.fresh && st.version < schemaVersion {
				if err := unsafeMigrate(tx, st.version); err != nil {
					return err
				}
			}
			return unsafeInit(tx, s.now().Unix())
		})
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("ledger %s %w", path, err)
	}
	// A ledger restored from a backup or copied by hand may have come back
	// readable by others; it is ours now, so make it 0600 again.
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, fi.Mode().Perm()&0o700); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("ledger %s: restrict permissions: %w", path, err)
		}
	}
	s.db = db
	return s, nil
}

// unsafeTouch reads every key of every bucket once, so that a damaged page
// makes bbolt fail (or panic, caught by guard) here, in Open, rather than
// later inside a write. It costs one pass over the file.
func unsafeTouch(tx *bbolt.Tx) error {
	return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			// Reading the key is the check.
		}
		return nil
	})
}

// openBolt opens path with bbolt, turning its errors and panics into errors
// that name the path.
func openBolt(path string, readOnly, noSync bool) (db *bbolt.DB, err error) {
	err = guard(func() error {
		var err error
		db, err = bbolt.Open(path, 0o600, &bbolt.Options{
			Timeout:  lockTimeout,
			ReadOnly: readOnly,
			NoSync:   noSync,
		})
		return err
	})
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("ledger %s is in use by another dualpower process: %w", path, ErrLocked)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
		return nil, fmt.Errorf("ledger %s is not a valid ledger (%v): %w", path, err, ErrCorrupt)
	case errors.Is(err, ErrCorrupt):
		return nil, fmt.Errorf("ledger %s %w", path, err)
	}
	return nil, fmt.Errorf("ledger %s: %w", path, err)
}

// guard runs fn, turning a panic or a memory fault inside bbolt (which it
// may raise on a damaged file) into an ErrCorrupt error.
func guard(fn func() error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("is damaged (%v): %w", r, ErrCorrupt)
		}
	}()
	return fn()
}

// checkHeader reads the two bbolt meta pages of an existing file and refuses
// a file that has neither a valid one, or that is shorter than its meta page
// says: such a file would be rejected or, worse, make bbolt fault.
func checkHeader(path string, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	best, ok := readMeta(f, 0)
	if !ok && best.pageSize == 0 {
		best.pageSize = uint32(os.Getpagesize())
	}
	if m1, ok1 := readMeta(f, int64(best.pageSize)); ok1 && (!ok || m1.txid > best.txid) {
		best, ok = m1, true
	}
	if !ok {
		return fmt.Errorf("is not a bbolt database (no valid header): %w", ErrForeign)
	}
	if need := int64(best.pgid) * int64(best.pageSize); need > size || need <= 0 {
		return fmt.Errorf("is truncated (%d bytes, its header says %d): %w", size, need, ErrCorrupt)
	}
	return nil
}

type boltMeta struct {
	pageSize uint32
	pgid     uint64
	txid     uint64
}

// readMeta parses the bbolt meta page at off: a 16-byte page header, then
// magic, version, page size, flags (4 bytes each), root bucket (16), free
// list, high-water page and transaction IDs (8 each), and an FNV-64a
// checksum of the 56 bytes before it. bbolt writes it in native byte order.
func readMeta(f io.ReaderAt, off int64) (boltMeta, bool) {
	const (
		pageHeader = 16
		metaLen    = 64
		magic      = 0xED0CDAED
		version    = 2
	)
	buf := make([]byte, metaLen)
	if _, err := f.ReadAt(buf, off+pageHeader); err != nil {
		return boltMeta{}, false
	}
	ne := binary.NativeEndian
	m := boltMeta{
		pageSize: ne.Uint32(buf[8:12]),
		pgid:     ne.Uint64(buf[40:48]),
		txid:     ne.Uint64(buf[48:56]),
	}
	if ne.Uint32(buf[0:4]) != magic || ne.Uint32(buf[4:8]) != version {
		return boltMeta{}, false
	}
	h := fnv.New64a()
	h.Write(buf[:56])
	if h.Sum64() != ne.Uint64(buf[56:64]) {
		return m, false
	}
	if m.pageSize < 512 || m.pageSize > 1<<20 || m.pageSize&(m.pageSize-1) != 0 {
		return boltMeta{}, false
	}
	return m, true
}

// Close closes the ledger. Calls after Close fail.
func (s *Store) Close() error {
	s.closeMu.Do(func() {
		if err := s.db.Close(); err != nil {
			s.closeE = fmt.Errorf("ledger %s: close: %w", s.path, err)
		}
	})
	return s.closeE
}

// Path is the file the ledger lives in.
func (s *Store) Path() string { return s.path }

// write runs fn in a read-write transaction. A lone writer runs at once; a
// writer that finds others in flight joins bbolt's Batch, so that concurrent
// callers share one commit and one fsync. fn may run more than once (Batch
// retries a batch's functions one by one when one of them fails), so it must
// only touch tx and its own results, resetting them first. A panic inside
// bbolt (a damaged page) becomes an ErrCorrupt error: here for a lone
// writer, in bbolt's batch runner for a batched one.
func (s *Store) write(fn func(tx *bbolt.Tx) error) (err error) {
	n := s.writers.Add(1)
	defer s.writers.Add(-1)
	if n > 1 {
		s.batched.Add(1)
		return s.db.Batch(fn)
	}
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer s.recoverDamage(&err)
	return s.db.Update(fn)
}

// read runs fn in a read-only transaction; a panic or memory fault inside
// bbolt becomes an ErrCorrupt error.
func (s *Store) read(fn func(tx *bbolt.Tx) error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer s.recoverDamage(&err)
	return s.db.View(fn)
}

// recoverDamage, deferred, turns a panic into an error naming the file.
func (s *Store) recoverDamage(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("ledger %s is damaged (%v): %w", s.path, r, ErrCorrupt)
	}
}
