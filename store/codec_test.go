package store

import (
	"bytes"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestKeysRoundTrip(t *testing.T) {
	tests := []struct{ name, account, id string }{
		{"plain", "alice-x", "1880000000000000000"},
		{"nul in id", "m", "1\x00"},
		{"nul in account", "a\x00b", "\x00"},
		{"join ambiguity", "a\x00", "b"},
		{"join ambiguity twin", "a", "\x00b"},
		{"high bytes", "\xff\xfe", "\x80"},
		{"long account", string(bytes.Repeat([]byte("a"), 300)), "x"},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := refKey(ref(tt.account, tt.id))
			got, err := parseRefKey(k)
			if err != nil || got != ref(tt.account, tt.id) {
				t.Errorf("ref key round trip: %q %v", got, err)
			}
			if prev, dup := seen[string(k)]; dup {
				t.Errorf("key %x also made by %s", k, prev)
			}
			seen[string(k)] = tt.name
			a, id, err := parseQueueKey(queueKey(tt.account, 1<<40+7))
			if err != nil || a != tt.account || id != 1<<40+7 {
				t.Errorf("queue key round trip: %q %d %v", a, id, err)
			}
		})
	}
}

// FuzzKeys checks that composite keys decode to what made them, that two
// different pairs never share a key, and that an account's prefix matches
// only its own keys.
func FuzzKeys(f *testing.F) {
	f.Add("a", "1", "a", "2")
	f.Add("a\x00", "b", "a", "\x00b")
	f.Add("", "", "\xff", "\x00")
	f.Fuzz(func(t *testing.T, a1, id1, a2, id2 string) {
		k1, k2 := refKey(ref(a1, id1)), refKey(ref(a2, id2))
		if r, err := parseRefKey(k1); err != nil || r != ref(a1, id1) {
			t.Fatalf("round trip %q/%q: %q %v", a1, id1, r, err)
		}
		if (a1 != a2 || id1 != id2) == bytes.Equal(k1, k2) {
			t.Fatalf("%q/%q and %q/%q: keys equal=%v", a1, id1, a2, id2, bytes.Equal(k1, k2))
		}
		if bytes.HasPrefix(k2, acctPrefix(a1)) != (a1 == a2) {
			t.Fatalf("prefix of %q matches key of %q", a1, a2)
		}
		q := queueKey(a1, uint64(len(id1)))
		if a, id, err := parseQueueKey(q); err != nil || a != a1 || id != uint64(len(id1)) {
			t.Fatalf("queue key round trip: %q %d %v", a, id, err)
		}
	})
}

// FuzzDecode feeds arbitrary bytes to every record decoder: an error is
// fine, a panic or a huge allocation is not.
func FuzzDecode(f *testing.F) {
	p := Post{Ref: ref("m", "1"), Group: 3, Role: Origin, Parts: []string{"1"}, State: PostPosted, Targets: map[string]TargetState{"x": {State: PostSkipped, Reason: "r"}}}
	in := Intent{ID: 9, Key: "k", Account: "x", Kind: Publish, Origin: ref("m", "1"), Payload: []byte{0}, State: Pending, NextAttempt: time.Unix(5, 6)}
	a := AccountState{Paused: true, Meta: map[string]string{"k": "v"}}
	for _, b := range [][]byte{encodePost(&p), encodeIntent(&in), encodeAccount(&a), encodeGroup(&groupRec{Origin: ref("m", "1")}), encodeCursor(&cursorRec{Cursor: "c"})} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := decodePost(b); err == nil {
			if q, err := decodePost(encodePost(&p)); err != nil || q.Ref != p.Ref || !slices.Equal(q.Parts, p.Parts) {
				t.Fatalf("post re-encode: %+v %v", q, err)
			}
		}
		if in, err := decodeIntent(b); err == nil {
			if got, err := decodeIntent(encodeIntent(&in)); err != nil || got.ID != in.ID || !bytes.Equal(got.Payload, in.Payload) {
				t.Fatalf("intent re-encode: %+v %v", got, err)
			}
		}
		_, _ = decodeAccount(b)
		_, _ = decodeGroup(b)
		_, _ = decodeCursor(b)
		_, _ = parseRefKey(b)
		_, _, _ = parseQueueKey(b)
	})
}

// FuzzLedgerRefs records posts and mirrors under arbitrary account names
// and IDs and finds them again through the ledger.
func FuzzLedgerRefs(f *testing.F) {
	f.Add("m", "1", "x", "a", "b")
	f.Add("m\x00", "\x00", "m", "\x00\x00", "x\x00")
	f.Add("a", "b\x00c", "a\x00b", "c", "\xff")
	s, err := Open(filepath.Join(f.TempDir(), "ledger.db"), Options{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = s.Close() })
	f.Fuzz(func(t *testing.T, src, id, dst, part1, part2 string) {
		if src == "" || id == "" || dst == "" || part1 == "" || part2 == "" || part1 == part2 || src == dst ||
			len(src) > maxKeyPart || len(id) > maxKeyPart || len(dst) > maxKeyPart || len(part1) > maxKeyPart || len(part2) > maxKeyPart {
			return
		}
		origin := ref(src, id)
		if _, ok, _ := s.Lookup(origin); ok {
			return // an earlier input recorded it
		}
		for _, p := range []string{part1, part2} {
			if _, ok, _ := s.Lookup(ref(dst, p)); ok {
				return
			}
		}
		res, err := s.Record(Event{Kind: Created, Ref: origin, Cursor: id, Intents: []NewIntent{{Account: dst, Kind: Publish, Payload: []byte(id)}}})
		if err != nil || res.Known {
			t.Fatalf("record %q: %+v %v", origin, res, err)
		}
		// Drain dst's queue up to our intent (earlier inputs may have left some).
		for {
			in, ok, _, err := s.Claim(dst)
			if err != nil || !ok {
				t.Fatalf("claim %q: %v %v", dst, ok, err)
			}
			if in.ID != res.IntentIDs[0] {
				if err := s.Skip(in.ID, "fuzz"); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if in.Origin != origin || string(in.Payload) != id {
				t.Fatalf("claimed %+v", in)
			}
			if err := s.Complete(in.ID, Completion{Parts: []string{part1, part2}}); err != nil {
				t.Fatalf("complete: %v", err)
			}
			break
		}
		if cur, _ := s.Cursor(src); cur != id {
			t.Fatalf("cursor %q, want %q", cur, id)
		}
		for _, p := range []string{part1, part2} {
			o, ok, err := s.OriginOf(ref(dst, p))
			if err != nil || !ok || o != origin {
				t.Fatalf("origin of %q/%q: %q %v %v", dst, p, o, ok, err)
			}
		}
		if last, _, _ := s.LastPart(ref(dst, part1)); last != part2 {
			t.Fatalf("last part %q", last)
		}
		if res, _ := s.Record(Event{Kind: Created, Ref: ref(dst, part2)}); !res.Known {
			t.Fatal("echo of a mirror part not known")
		}
	})
}
