package store

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func TestRecordCreated(t *testing.T) {
	s, c := openTest(t)
	ev := created(ref("m", "1"), "c1", "x", "b")
	ev.Skips = []Skip{{Target: "z", Reason: "visibility private"}}
	ev.Created = c.Now().Add(-time.Minute)
	res := mustRecord(t, s, ev)
	if res.Known || !slices.Equal(res.IntentIDs, []uint64{1, 2}) {
		t.Fatalf("result %+v", res)
	}
	p, ok, err := s.Lookup(ref("m", "1"))
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if p.Role != Origin || p.State != PostPending || p.Group != 1 || !slices.Equal(p.Parts, []string{"1"}) || p.TextHash != "h0" || p.Link != "l" || !p.Created.Equal(ev.Created) {
		t.Errorf("post %+v", p)
	}
	want := map[string]PostState{"x": PostPending, "b": PostPending, "z": PostSkipped}
	for acct, st := range want {
		if p.Targets[acct].State != st {
			t.Errorf("target %s: %s, want %s", acct, p.Targets[acct].State, st)
		}
	}
	if p.Targets["z"].Reason != "visibility private" {
		t.Errorf("skip reason %q", p.Targets["z"].Reason)
	}
	if cur, _ := s.Cursor("m"); cur != "c1" {
		t.Errorf("cursor %q", cur)
	}
	q, _ := s.Pending("x")
	if len(q) != 1 || q[0].Origin != ref("m", "1") || q[0].Kind != Publish || string(q[0].Payload) != "p:1" || len(q[0].Key) != 32 || q[0].State != Pending {
		t.Errorf("queue %+v", q)
	}

	// A second delivery is known, writes only the cursor, and adds nothing.
	ev.Cursor = "c2"
	if res := mustRecord(t, s, ev); !res.Known || len(res.IntentIDs) != 0 {
		t.Errorf("second delivery %+v", res)
	}
	if cur, _ := s.Cursor("m"); cur != "c2" {
		t.Errorf("cursor after known event %q", cur)
	}
	if q, _ := s.Pending("x"); len(q) != 1 {
		t.Errorf("known event queued work: %d", len(q))
	}
	mustVerify(t, s)
}

func TestRecordEditsAndDeletes(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(t *testing.T, s *Store) // after m/1 is created and mirrored on x as x/10, x/11
		ev        Event
		wantKnown bool
		wantN     int
		check     func(t *testing.T, s *Store)
	}{
		{
			name:  "edit of origin appends and updates hash",
			ev:    Event{Kind: Edited, Ref: ref("m", "1"), TextHash: "h1", Intents: []NewIntent{{Account: "x", Kind: Edit}}},
			wantN: 1,
			check: func(t *testing.T, s *Store) {
				if p, _, _ := s.Lookup(ref("m", "1")); p.TextHash != "h1" {
					t.Errorf("hash %q", p.TextHash)
				}
			},
		},
		{
			name:      "edit with the recorded hash is a second delivery",
			ev:        Event{Kind: Edited, Ref: ref("m", "1"), TextHash: "h0", Intents: []NewIntent{{Account: "x", Kind: Edit}}},
			wantKnown: true,
		},
		{
			name:      "edit of a mirror part is our own echo",
			ev:        Event{Kind: Edited, Ref: ref("x", "11"), TextHash: "zz", Intents: []NewIntent{{Account: "m", Kind: Edit}}},
			wantKnown: true,
		},
		{
			name: "edit of an unknown post records nothing",
			ev:   Event{Kind: Edited, Ref: ref("m", "404"), TextHash: "h1", Intents: []NewIntent{{Account: "x", Kind: Edit}}},
			check: func(t *testing.T, s *Store) {
				if _, ok, _ := s.Lookup(ref("m", "404")); ok {
					t.Error("unknown edit recorded a post")
				}
			},
		},
		{
			name:  "delete of origin marks it deleted",
			ev:    Event{Kind: Deleted, Ref: ref("m", "1"), Intents: []NewIntent{{Account: "x", Kind: Delete}}},
			wantN: 1,
			check: func(t *testing.T, s *Store) {
				if p, _, _ := s.Lookup(ref("m", "1")); p.State != PostDeleted {
					t.Errorf("state %s", p.State)
				}
			},
		},
		{
			name: "second delete is known",
			setup: func(t *testing.T, s *Store) {
				mustRecord(t, s, Event{Kind: Deleted, Ref: ref("m", "1")})
			},
			ev:        Event{Kind: Deleted, Ref: ref("m", "1"), Intents: []NewIntent{{Account: "x", Kind: Delete}}},
			wantKnown: true,
		},
		{
			name: "edit after delete is known",
			setup: func(t *testing.T, s *Store) {
				mustRecord(t, s, Event{Kind: Deleted, Ref: ref("m", "1")})
			},
			ev:        Event{Kind: Edited, Ref: ref("m", "1"), TextHash: "h9", Intents: []NewIntent{{Account: "x", Kind: Edit}}},
			wantKnown: true,
		},
		{
			name:      "delete of a mirror is our own echo",
			ev:        Event{Kind: Deleted, Ref: ref("x", "10"), Intents: []NewIntent{{Account: "m", Kind: Delete}}},
			wantKnown: true,
		},
		{
			name: "delete of an unknown post records nothing",
			ev:   Event{Kind: Deleted, Ref: ref("m", "404"), Intents: []NewIntent{{Account: "x", Kind: Delete}}},
		},
		{
			name:      "created echo of a later thread part",
			ev:        created(ref("x", "11"), "", "m"),
			wantKnown: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := openTest(t)
			mustRecord(t, s, created(ref("m", "1"), "", "x"))
			in := mustClaim(t, s, "x")
			if err := s.Complete(in.ID, Completion{Parts: []string{"10", "11"}, TextHash: "h0"}); err != nil {
				t.Fatal(err)
			}
			if tt.setup != nil {
				tt.setup(t, s)
			}
			tt.ev.Cursor = "after"
			res := mustRecord(t, s, tt.ev)
			if res.Known != tt.wantKnown || len(res.IntentIDs) != tt.wantN {
				t.Errorf("result %+v, want known=%v with %d intents", res, tt.wantKnown, tt.wantN)
			}
			if cur, _ := s.Cursor(tt.ev.Ref.Account); cur != "after" {
				t.Errorf("cursor %q", cur)
			}
			if tt.check != nil {
				tt.check(t, s)
			}
			mustVerify(t, s)
		})
	}
}

func TestRecordInvalid(t *testing.T) {
	s, _ := openTest(t)
	for _, ev := range []Event{
		{Kind: 0, Ref: ref("m", "1")},
		{Kind: Created, Ref: ref("", "1")},
		{Kind: Created, Ref: ref("m", "")},
		{Kind: Created, Ref: ref("m", "1"), Intents: []NewIntent{{Account: "", Kind: Publish}}},
		{Kind: Created, Ref: ref("m", "1"), Intents: []NewIntent{{Account: "x", Kind: 9}}},
		{Kind: Created, Ref: ref("m", "1"), Skips: []Skip{{Target: ""}}},
	} {
		if _, err := s.Record(ev); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: err %v, want ErrInvalid", ev, err)
		}
	}
	if _, ok, _ := s.Lookup(ref("m", "1")); ok {
		t.Error("invalid event recorded")
	}
}

func TestClaimOrder(t *testing.T) {
	s, c := openTest(t)
	if _, ok, next, err := s.Claim("x"); ok || !next.IsZero() || err != nil {
		t.Fatalf("empty queue: ok=%v next=%v err=%v", ok, next, err)
	}
	later := c.Now().Add(time.Minute)
	mustRecord(t, s, Event{Kind: Created, Ref: ref("m", "1"), Intents: []NewIntent{{Account: "x", Kind: Publish, NotBefore: later}}})
	mustRecord(t, s, created(ref("m", "2"), "", "x", "y"))

	// The head is not due: nothing behind it is returned, not even on x.
	if _, ok, next, err := s.Claim("x"); ok || !next.Equal(later) || err != nil {
		t.Fatalf("head not due: ok=%v next=%v err=%v", ok, next, err)
	}
	// Another account does not wait.
	if in := mustClaim(t, s, "y"); in.Origin != ref("m", "2") {
		t.Errorf("y claimed %+v", in)
	}
	c.Advance(time.Minute)
	first := mustClaim(t, s, "x")
	if first.Origin != ref("m", "1") || first.State != Claimed || first.Attempts != 1 || !first.FirstAttempt.Equal(c.Now()) {
		t.Errorf("first %+v", first)
	}
	// The claim is durable: the stored intent says so.
	if got, ok, _ := s.Intent(first.ID); !ok || got.State != Claimed || got.Attempts != 1 {
		t.Errorf("stored %+v", got)
	}
	// A claimed head blocks the queue.
	if _, _, _, err := s.Claim("x"); !errors.Is(err, ErrInFlight) {
		t.Fatalf("claimed head: err %v, want ErrInFlight", err)
	}
	if u, _ := s.Unknown("x"); len(u) != 1 || u[0].ID != first.ID {
		t.Errorf("unknown %+v", u)
	}
	// A permanent failure no longer blocks it.
	if err := s.Fail(first.ID, Failure{Permanent: true, Reason: "rejected: duplicate"}); err != nil {
		t.Fatal(err)
	}
	if in := mustClaim(t, s, "x"); in.Origin != ref("m", "2") {
		t.Errorf("after failure claimed %+v", in)
	}
	if f, _ := s.Failed("x"); len(f) != 1 || f[0].ID != first.ID || f[0].LastError != "rejected: duplicate" {
		t.Errorf("failed %+v", f)
	}
	if p, _, _ := s.Lookup(ref("m", "1")); p.State != PostFailed || p.Targets["x"].Reason != "rejected: duplicate" {
		t.Errorf("origin after failure %+v", p)
	}
	mustVerify(t, s)
}

func TestFailBackoff(t *testing.T) {
	tests := []struct {
		name     string
		attempts int
		rand     float64
		retryAt  time.Duration // from now; 0: none
		want     time.Duration
	}{
		{"first", 1, 0.5, 0, 2 * time.Second},
		{"third", 3, 0.5, 0, 8 * time.Second},
		{"capped", 20, 0.5, 0, time.Hour},
		{"jitter low", 2, 0, 0, 3200 * time.Millisecond},
		{"jitter high", 2, 0.999999, 0, 4800*time.Millisecond - 2*time.Microsecond},
		{"a later retry time wins", 1, 0.5, 15 * time.Minute, 15 * time.Minute},
		{"a sooner retry time wins too: the caller's policy decides", 4, 0.5, time.Second, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := openTest(t)
			s.rand = func() float64 { return tt.rand }
			res := mustRecord(t, s, created(ref("m", "1"), "", "x"))
			for i := 0; i < tt.attempts; i++ {
				in := mustClaim(t, s, "x")
				if in.Attempts != i+1 {
					t.Fatalf("attempts %d", in.Attempts)
				}
				f := Failure{Reason: "503"}
				if i == tt.attempts-1 && tt.retryAt != 0 {
					f.RetryAt = c.Now().Add(tt.retryAt)
				}
				if err := s.Fail(in.ID, f); err != nil {
					t.Fatal(err)
				}
				if i < tt.attempts-1 {
					c.Advance(2 * time.Hour)
				}
			}
			in, _, _ := s.Intent(res.IntentIDs[0])
			if got := in.NextAttempt.Sub(c.Now()); got < tt.want-time.Microsecond || got > tt.want+time.Microsecond {
				t.Errorf("next attempt in %v, want %v", got, tt.want)
			}
			if in.State != Pending || in.LastError != "503" {
				t.Errorf("intent %+v", in)
			}
			if _, ok, next, _ := s.Claim("x"); ok || !next.Equal(in.NextAttempt) {
				t.Errorf("claim before due: ok=%v next=%v", ok, next)
			}
		})
	}
}

func TestCompleteKinds(t *testing.T) {
	s, c := openTest(t)
	mustRecord(t, s, created(ref("m", "1"), "", "x"))
	in := mustClaim(t, s, "x")
	sp := &Spend{Posts: 2, MicroUSD: 15000}
	if err := s.Complete(in.ID, Completion{Parts: []string{"10", "11"}, URL: "https://x/10", TextHash: "h0", Spend: sp, Note: "standalone: reply not allowed"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Intent(in.ID); ok {
		t.Error("completed intent still there")
	}
	m, ok, err := s.MirrorOn(ref("m", "1"), "x")
	if err != nil || !ok || m.Role != Mirror || !slices.Equal(m.Parts, []string{"10", "11"}) || m.URL != "https://x/10" || m.Reason != "standalone: reply not allowed" {
		t.Fatalf("mirror %+v %v %v", m, ok, err)
	}
	if o, _, _ := s.Lookup(ref("m", "1")); o.State != PostPosted || o.Targets["x"].State != PostPosted {
		t.Errorf("origin %+v", o)
	}
	a, _ := s.Account("x")
	if a.DayPosts != 2 || a.MonthSpend != 15000 || a.Day != "2027-01-04" || a.Month != "2027-01" {
		t.Errorf("account %+v", a)
	}

	// Edit with new IDs (X): the old ones stay known.
	mustRecord(t, s, Event{Kind: Edited, Ref: ref("m", "1"), TextHash: "h1", Intents: []NewIntent{{Account: "x", Kind: Edit}}})
	in = mustClaim(t, s, "x")
	if err := s.Complete(in.ID, Completion{Parts: []string{"20", "21", "22"}, TextHash: "h1"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"10", "11", "20", "22"} {
		if o, ok, _ := s.OriginOf(ref("x", id)); !ok || o != ref("m", "1") {
			t.Errorf("origin of x/%s: %v %v", id, o, ok)
		}
	}
	if last, _, _ := s.LastPart(ref("x", "10")); last != "22" {
		t.Errorf("last part %q", last)
	}
	if last, _, _ := s.LastPart(ref("m", "1")); last != "1" {
		t.Errorf("origin last part %q", last)
	}

	// A counterpart works from either side.
	if cp, ok, _ := s.Counterpart(ref("x", "21"), "m"); !ok || cp.Ref != ref("m", "1") {
		t.Errorf("counterpart on m %+v", cp)
	}
	if cp, ok, _ := s.Counterpart(ref("m", "1"), "x"); !ok || cp.Ref != ref("x", "10") {
		t.Errorf("counterpart on x %+v", cp)
	}

	// Delete marks the mirror deleted.
	mustRecord(t, s, Event{Kind: Deleted, Ref: ref("m", "1"), Intents: []NewIntent{{Account: "x", Kind: Delete}}})
	in = mustClaim(t, s, "x")
	if err := s.Complete(in.ID, Completion{}); err != nil {
		t.Fatal(err)
	}
	if m, _, _ := s.MirrorOn(ref("m", "1"), "x"); m.State != PostDeleted {
		t.Errorf("mirror after delete %+v", m)
	}

	// The next day starts new day counters, keeps the month.
	c.Advance(24 * time.Hour)
	if a, _ := s.Account("x"); a.DayPosts != 0 || a.MonthPosts != 2 {
		t.Errorf("next day %+v", a)
	}
	mustVerify(t, s)
}

func TestCompleteErrors(t *testing.T) {
	s, _ := openTest(t)
	mustRecord(t, s, created(ref("m", "1"), "", "x"))
	mustRecord(t, s, created(ref("m", "2"), "", "x"))
	if err := s.Complete(1, Completion{Parts: []string{"10"}}); !errors.Is(err, ErrState) {
		t.Errorf("complete pending: %v", err)
	}
	if err := s.Complete(99, Completion{Parts: []string{"10"}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("complete unknown: %v", err)
	}
	in := mustClaim(t, s, "x")
	if err := s.Complete(in.ID, Completion{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("publish without parts: %v", err)
	}
	if err := s.Complete(in.ID, Completion{Parts: []string{"10", "10"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("repeated part: %v", err)
	}
	if err := s.Complete(in.ID, Completion{Parts: []string{"10", "11"}}); err != nil {
		t.Fatal(err)
	}
	in = mustClaim(t, s, "x")
	for _, parts := range [][]string{{"11"}, {"12", "10"}} {
		if err := s.Complete(in.ID, Completion{Parts: parts}); !errors.Is(err, ErrConflict) {
			t.Errorf("parts %q: %v, want ErrConflict", parts, err)
		}
	}
	// The failed attempts wrote nothing: the intent is still claimed.
	if got, _, _ := s.Intent(in.ID); got.State != Claimed {
		t.Errorf("after conflicts %+v", got)
	}
	if _, ok, _ := s.Lookup(ref("x", "12")); ok {
		t.Error("conflicting complete left a part behind")
	}
	for name, fn := range map[string]func(uint64) error{
		"release pending": s.Release,
		"fail pending":    func(id uint64) error { return s.Fail(id, Failure{}) },
	} {
		mustRecord(t, s, created(ref("m", name), "", "y"))
		q, _ := s.Pending("y")
		if err := fn(q[len(q)-1].ID); !errors.Is(err, ErrState) {
			t.Errorf("%s: %v", name, err)
		}
	}
	mustVerify(t, s)
}

func TestSkipAndRelease(t *testing.T) {
	s, c := openTest(t)
	mustRecord(t, s, created(ref("m", "1"), "", "x"))
	mustRecord(t, s, created(ref("m", "2"), "", "x"))
	in := mustClaim(t, s, "x")
	if err := s.Release(in.ID); err != nil {
		t.Fatal(err)
	}
	again := mustClaim(t, s, "x")
	if again.ID != in.ID || again.Attempts != 2 || !again.FirstAttempt.Equal(in.FirstAttempt) || again.LastError != "" {
		t.Errorf("after release %+v", again)
	}
	if err := s.Skip(again.ID, "parent not mirrored"); err != nil {
		t.Fatal(err)
	}
	if p, _, _ := s.Lookup(ref("m", "1")); p.State != PostSkipped || p.Targets["x"].Reason != "parent not mirrored" {
		t.Errorf("origin after skip %+v", p)
	}
	// Skip works on a pending intent too.
	q, _ := s.Pending("x")
	if len(q) != 1 {
		t.Fatalf("queue %+v", q)
	}
	if err := s.Skip(q[0].ID, "brake"); err != nil {
		t.Fatal(err)
	}
	if err := s.Skip(q[0].ID, "again"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second skip: %v", err)
	}
	if _, ok, next, err := s.Claim("x"); ok || !next.IsZero() || err != nil {
		t.Errorf("empty after skips: %v %v %v", ok, next, err)
	}
	_ = c
	mustVerify(t, s)
}

func TestAccountState(t *testing.T) {
	s, c := openTest(t)
	if err := s.Pause("x", "auth: token revoked"); err != nil {
		t.Fatal(err)
	}
	reset := c.Now().Add(15 * time.Minute)
	if err := s.SetRateLimit("x", reset); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMeta("x", "link:a:started", "2027-01-04"); err != nil {
		t.Fatal(err)
	}
	a, err := s.Account("x")
	if err != nil || !a.Paused || a.PausedWhy != "auth: token revoked" || !a.PausedAt.Equal(c.Now()) || !a.RateLimitReset.Equal(reset) || a.Meta["link:a:started"] != "2027-01-04" {
		t.Fatalf("%+v %v", a, err)
	}
	if err := s.Resume("x"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMeta("x", "link:a:started", ""); err != nil {
		t.Fatal(err)
	}
	if a, _ := s.Account("x"); a.Paused || a.PausedWhy != "" || len(a.Meta) != 0 || !a.RateLimitReset.Equal(reset) {
		t.Errorf("after resume %+v", a)
	}
	for i, want := range []bool{true, false, false} {
		if first, err := s.Mark("moving@2027-01-04T10:00Z"); err != nil || first != want {
			t.Errorf("mark %d: first=%v err=%v", i, first, err)
		}
	}
	if err := s.SetCursor("m", "start"); err != nil {
		t.Fatal(err)
	}
	if accts, _ := s.Accounts(); !slices.Equal(accts, []string{"m", "x"}) {
		t.Errorf("accounts %q", accts)
	}
	mustVerify(t, s)
}

func TestAccountsListsQueues(t *testing.T) {
	s, _ := openTest(t)
	// Account names that are prefixes of each other, or hold NUL and 0xff.
	names := []string{"a", "a\x00", "a\x00b", "ab", "\xff", "\xff\xff"}
	for i, n := range names {
		mustRecord(t, s, Event{Kind: Created, Ref: ref("src", string(rune('A'+i))), Intents: []NewIntent{{Account: n, Kind: Publish}, {Account: n, Kind: Publish}}})
	}
	got, err := s.Accounts()
	if err != nil {
		t.Fatal(err)
	}
	want := append([]string{"src"}, names...)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("accounts %q, want %q", got, want)
	}
	for _, n := range names {
		if q, _ := s.Pending(n); len(q) != 2 || q[0].Account != n || q[1].Account != n {
			t.Errorf("queue %q: %+v", n, q)
		}
	}
}

func TestStats(t *testing.T) {
	s, _ := openTest(t)
	for i, id := range []string{"1", "2", "3", "4"} {
		ev := created(ref("m", id), "", "x")
		ev.Link = "a"
		if i == 3 {
			ev.Intents, ev.Skips = nil, []Skip{{Target: "x", Reason: "visibility private"}}
		}
		mustRecord(t, s, ev)
	}
	mustRecord(t, s, Event{Kind: Created, Ref: ref("x", "9"), Link: "b", Intents: []NewIntent{{Account: "m", Kind: Publish}}})
	in := mustClaim(t, s, "x")
	_ = s.Complete(in.ID, Completion{Parts: []string{"10"}})
	in = mustClaim(t, s, "x")
	_ = s.Fail(in.ID, Failure{Permanent: true, Reason: "rejected"})
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	a := st.ByLink["a"]
	if a.Mirrored != 1 || a.Pending != 1 || a.Skipped["visibility private"] != 1 || a.Failed["rejected"] != 1 || a.LastActivity.IsZero() {
		t.Errorf("link a %+v", a)
	}
	if b := st.ByLink["b"]; b.Pending != 1 || b.Mirrored != 0 {
		t.Errorf("link b %+v", b)
	}
}

func TestVerifyFindsDamage(t *testing.T) {
	tests := []struct {
		name   string
		damage func(tx *bbolt.Tx) error
	}{
		{"queue entry lost", func(tx *bbolt.Tx) error { return tx.Bucket(bucketQueue).Delete(queueKey("x", 2)) }},
		{"part recorded twice", func(tx *bbolt.Tx) error {
			m := Post{Ref: ref("x", "11"), Group: 1, Role: Mirror, Parts: []string{"11"}, State: PostPosted}
			return tx.Bucket(bucketPosts).Put(refKey(m.Ref), encodePost(&m))
		}},
		{"mirror without origin", func(tx *bbolt.Tx) error { return tx.Bucket(bucketPosts).Delete(refKey(ref("m", "1"))) }},
		{"bad state", func(tx *bbolt.Tx) error {
			in, _ := unsafeIntent(tx, 2)
			in.State = 7
			return tx.Bucket(bucketIntents).Put(u64(2), encodeIntent(&in))
		}},
		{"cursor without events", func(tx *bbolt.Tx) error {
			c := cursorRec{Cursor: "9", ByEvent: true}
			return tx.Bucket(bucketCursors).Put([]byte("nobody"), encodeCursor(&c))
		}},
		{"undecodable post", func(tx *bbolt.Tx) error {
			return tx.Bucket(bucketPosts).Put(refKey(ref("m", "1")), []byte{1, 'p', 0xff})
		}},
		{"dangling ref", func(tx *bbolt.Tx) error {
			return tx.Bucket(bucketRefs).Put(refKey(ref("x", "77")), refKey(ref("x", "78")))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := openTest(t)
			mustRecord(t, s, created(ref("m", "1"), "c", "x"))
			mustRecord(t, s, created(ref("m", "2"), "c", "x"))
			in := mustClaim(t, s, "x")
			if err := s.Complete(in.ID, Completion{Parts: []string{"10", "11"}}); err != nil {
				t.Fatal(err)
			}
			mustVerify(t, s)
			if err := s.db.Update(tt.damage); err != nil {
				t.Fatal(err)
			}
			ps, err := s.Verify()
			if err != nil || len(ps) == 0 {
				t.Fatalf("verify found nothing (%v)", err)
			}
			t.Logf("found: %v", ps)
		})
	}
}

func TestRecentOrigins(t *testing.T) {
	s, c := openTest(t)
	mustRecord(t, s, created(ref("m", "1"), "1", "x"))
	c.Advance(30 * time.Minute)
	since := c.Now()
	mustRecord(t, s, created(ref("m", "2"), "2", "x"))
	c.Advance(time.Minute)
	// An origin of another account, and a mirror on m: neither is m's.
	mustRecord(t, s, created(ref("x", "9"), "9", "m"))
	in := mustClaim(t, s, "m")
	if err := s.Complete(in.ID, Completion{Parts: []string{"3"}}); err != nil {
		t.Fatal(err)
	}
	// Completing 1's intent now makes it recent again.
	in = mustClaim(t, s, "x")
	if in.Origin.ID != "1" {
		t.Fatalf("claimed %v, want origin 1", in.Origin)
	}
	got, err := s.RecentOrigins("m", since)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Ref.ID != "2" {
		t.Errorf("before 1 completes: %v, want only origin 2", got)
	}
	if err := s.Complete(in.ID, Completion{Parts: []string{"11"}}); err != nil {
		t.Fatal(err)
	}
	got, err = s.RecentOrigins("m", since)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Ref.ID != "1" || got[1].Ref.ID != "2" {
		t.Errorf("after: %v, want origins 1 and 2", got)
	}
	if got, err := s.RecentOrigins("nobody", since); err != nil || len(got) != 0 {
		t.Errorf("unknown account: %v %v", got, err)
	}
}

func TestPostsOn(t *testing.T) {
	s, c := openTest(t)
	at := func(ev Event) Event { ev.Created = c.Now(); return ev }
	mustRecord(t, s, at(created(ref("m", "1"), "1", "x")))
	c.Advance(time.Hour)
	since := c.Now()
	mustRecord(t, s, at(created(ref("m", "2"), "2", "x")))
	mustRecord(t, s, at(created(ref("m", "3"), "3", "x")))
	mustRecord(t, s, Event{Kind: Deleted, Ref: ref("m", "3")})
	mustRecord(t, s, created(ref("x", "9"), "9", "m"))
	in := mustClaim(t, s, "m")
	if err := s.Complete(in.ID, Completion{Parts: []string{"4", "5"}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.PostsOn("m", since)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range got {
		ids = append(ids, p.Role.String()+":"+strings.Join(p.Parts, "+"))
	}
	if g := strings.Join(ids, " "); g != "origin:2 mirror:4+5" {
		t.Errorf("PostsOn = %q, want the origin made since (not the older one, not the deleted one) and the mirror", g)
	}
}
