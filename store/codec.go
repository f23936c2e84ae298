package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/dualpower/dualpower/providers"
)

// Records are stored in a small binary form rather than JSON: it is several
// times faster to decode (Lookup is on the hot path of every event), it is
// deterministic (maps are written in key order), and a damaged value yields
// an error, never a panic or a huge allocation. Every value starts with a
// one-byte record version so that a later schema can read older records.

// recordVersion is the version byte every encoded value starts with.
const recordVersion = 1

var errShort = errors.New("value truncated")

// wbuf appends encoded fields to a byte slice.
type wbuf struct{ b []byte }

func newWbuf(kind byte) *wbuf { return &wbuf{b: []byte{recordVersion, kind}} }

func (w *wbuf) uvarint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *wbuf) varint(v int64)   { w.b = binary.AppendVarint(w.b, v) }
func (w *wbuf) byte1(v byte)     { w.b = append(w.b, v) }

func (w *wbuf) str(s string) {
	w.uvarint(uint64(len(s)))
	w.b = append(w.b, s...)
}

func (w *wbuf) bytes(b []byte) {
	w.uvarint(uint64(len(b)))
	w.b = append(w.b, b...)
}

func (w *wbuf) bool(v bool) {
	if v {
		w.byte1(1)
	} else {
		w.byte1(0)
	}
}

// time writes t to the nanosecond, in UTC; the zero time is a single 0 byte.
func (w *wbuf) time(t time.Time) {
	if t.IsZero() {
		w.byte1(0)
		return
	}
	w.byte1(1)
	w.varint(t.Unix())
	w.uvarint(uint64(t.Nanosecond()))
}

func (w *wbuf) ref(r providers.Ref) {
	w.str(r.Account)
	w.str(r.ID)
}

func (w *wbuf) strs(ss []string) {
	w.uvarint(uint64(len(ss)))
	for _, s := range ss {
		w.str(s)
	}
}

// strMap writes m with its keys in order, so equal maps encode equally.
func (w *wbuf) strMap(m map[string]string) {
	keys := sortedKeys(m)
	w.uvarint(uint64(len(keys)))
	for _, k := range keys {
		w.str(k)
		w.str(m[k])
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// rbuf reads what wbuf wrote. The first error sticks: later reads return
// zero values, so a decoder checks err once at the end.
type rbuf struct {
	b    []byte // what is left to read
	orig []byte // the whole value
	all  string // a copy of orig, made at the first string read
	err  error
}

// newRbuf checks the record version and kind byte. It returns a value, so
// that a decoder's reader stays on the stack.
func newRbuf(b []byte, kind byte) rbuf {
	r := rbuf{b: b, orig: b}
	switch {
	case len(b) < 2:
		r.err = errShort
	case b[0] != recordVersion:
		r.err = fmt.Errorf("unknown record version %d", b[0])
	case b[1] != kind:
		r.err = fmt.Errorf("record kind %q, want %q", b[1], kind)
	default:
		r.b = b[2:]
	}
	return r
}

func (r *rbuf) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

func (r *rbuf) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(errShort)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *rbuf) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(errShort)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *rbuf) byte1() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.fail(errShort)
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

// raw returns the next length-prefixed field without copying; callers copy.
func (r *rbuf) raw() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.fail(errShort)
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// str returns the next string field. No string may point into memory
// bbolt owns, so the first call copies the whole value once and every
// string is a slice of that copy: one allocation per record, not one per
// field.
func (r *rbuf) str() string {
	v := r.raw()
	if len(v) == 0 {
		return ""
	}
	if r.all == "" {
		r.all = string(r.orig)
	}
	off := len(r.orig) - len(r.b) - len(v)
	return r.all[off : off+len(v)]
}

// bytes copies; an empty field reads as nil.
func (r *rbuf) bytes() []byte {
	v := r.raw()
	if len(v) == 0 {
		return nil
	}
	return append([]byte(nil), v...)
}

func (r *rbuf) bool() bool {
	switch r.byte1() {
	case 0:
		return false
	case 1:
		return true
	}
	r.fail(errors.New("bad boolean"))
	return false
}

func (r *rbuf) time() time.Time {
	if !r.bool() {
		return time.Time{}
	}
	sec := r.varint()
	nsec := r.uvarint()
	if nsec >= 1e9 {
		r.fail(errors.New("bad time"))
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

func (r *rbuf) ref() providers.Ref {
	a := r.str()
	return providers.Ref{Account: a, ID: r.str()}
}

// count reads a collection length and checks it against what is left, so a
// damaged length cannot make a decoder allocate gigabytes.
func (r *rbuf) count() int {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail(errShort)
		return 0
	}
	return int(n)
}

func (r *rbuf) strs() []string {
	n := r.count()
	if n == 0 {
		return nil
	}
	ss := make([]string, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		ss = append(ss, r.str())
	}
	return ss
}

func (r *rbuf) strMap() map[string]string {
	n := r.count()
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for i := 0; i < n && r.err == nil; i++ {
		k := r.str()
		m[k] = r.str()
	}
	return m
}

// done reports the sticky error, or trailing bytes.
func (r *rbuf) done() error {
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%d trailing bytes", len(r.b))
	}
	return nil
}

// Keys.
//
// An account name and a native ID may hold any bytes, "\x00" included, so a
// composite key is never made by joining with a separator. refKey is the
// account's length as a uvarint, the account, then the ID: uvarints are
// prefix-free, so one account's prefix can never be a prefix of another's,
// and the key decodes back to exactly the pair it was made of.

// acctPrefix is the first part of every key of account's refs and queue
// entries; extra is room for what follows it.
func acctPrefix(account string, extra ...int) []byte {
	n := binary.MaxVarintLen64 + len(account)
	for _, e := range extra {
		n += e
	}
	b := make([]byte, 0, n)
	b = binary.AppendUvarint(b, uint64(len(account)))
	return append(b, account...)
}

func refKey(r providers.Ref) []byte {
	return append(acctPrefix(r.Account, len(r.ID)), r.ID...)
}

// parseRefKey is refKey's inverse.
func parseRefKey(k []byte) (providers.Ref, error) {
	n, w := binary.Uvarint(k)
	if w <= 0 || n > uint64(len(k)-w) {
		return providers.Ref{}, errors.New("bad ref key")
	}
	return providers.Ref{Account: string(k[w : w+int(n)]), ID: string(k[w+int(n):])}, nil
}

// u64 is a big-endian key, so byte order is numeric order.
func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func parseU64(k []byte) (uint64, bool) {
	if len(k) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k), true
}

// queueKey orders one account's intents by ID.
func queueKey(account string, id uint64) []byte {
	return binary.BigEndian.AppendUint64(acctPrefix(account, 8), id)
}

// parseQueueKey splits a queue key into its account and intent ID.
func parseQueueKey(k []byte) (string, uint64, error) {
	n, w := binary.Uvarint(k)
	if w <= 0 || n > uint64(len(k)-w) || uint64(len(k)-w)-n != 8 {
		return "", 0, errors.New("bad queue key")
	}
	end := w + int(n)
	return string(k[w:end]), binary.BigEndian.Uint64(k[end:]), nil
}

// acctKey is the key of a per-account record (cursors, accounts): the
// account name itself, which is already unambiguous on its own.
func acctKey(account string) []byte { return []byte(account) }
