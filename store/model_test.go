package store

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
)

var modelSeed = flag.Uint64("model.seed", 0, "seed of the random run of TestModel (0: from the clock)")

// model is a plain in-memory implementation of the ledger's semantics, kept
// deliberately simple (maps and slices, no keys, no encoding, no indexes)
// so that TestModel can check the real one against it.
type model struct {
	posts      map[providers.Ref]*Post         // by record key
	owner      map[providers.Ref]providers.Ref // every known native ID → record key
	mirrors    map[uint64]map[string]string    // group → account → mirror record ID
	intents    map[uint64]*Intent
	queues     map[string][]uint64
	cursors    map[string]string
	lastGroup  uint64
	lastIntent uint64
}

func newModel() *model {
	return &model{
		posts: map[providers.Ref]*Post{}, owner: map[providers.Ref]providers.Ref{},
		mirrors: map[uint64]map[string]string{}, intents: map[uint64]*Intent{},
		queues: map[string][]uint64{}, cursors: map[string]string{},
	}
}

func (m *model) find(r providers.Ref) *Post {
	k, ok := m.owner[r]
	if !ok {
		return nil
	}
	return m.posts[k]
}

func (m *model) setTarget(p *Post, acct string, st PostState, reason string) {
	if p.Targets == nil {
		p.Targets = map[string]TargetState{}
	}
	p.Targets[acct] = TargetState{State: st, Reason: reason}
	if p.State == PostDeleted {
		return
	}
	count := map[PostState]int{}
	for _, t := range p.Targets {
		count[t.State]++
	}
	switch {
	case count[PostPending] > 0:
		p.State = PostPending
	case count[PostFailed] > 0:
		p.State = PostFailed
	case count[PostPosted]+count[PostDeleted] == 0:
		p.State = PostSkipped
	default:
		p.State = PostPosted
	}
	p.Reason = ""
	if p.State == PostFailed || p.State == PostSkipped {
		names := make([]string, 0, len(p.Targets))
		for n := range p.Targets {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if p.Targets[n].State == p.State {
				p.Reason = p.Targets[n].Reason
				break
			}
		}
	}
}

func (m *model) record(ev Event, now time.Time) Result {
	if ev.Cursor != "" {
		m.cursors[ev.Ref.Account] = ev.Cursor
	}
	p := m.find(ev.Ref)
	if p != nil && p.Role == Mirror {
		return Result{Known: true}
	}
	switch ev.Kind {
	case Created:
		if p != nil {
			return Result{Known: true}
		}
		m.lastGroup++
		p = &Post{Ref: ev.Ref, Group: m.lastGroup, Role: Origin, Parts: []string{ev.Ref.ID}, State: PostPosted, TextHash: ev.TextHash, Link: ev.Link}
		m.posts[ev.Ref], m.owner[ev.Ref] = p, ev.Ref
		for _, sk := range ev.Skips {
			m.setTarget(p, sk.Target, PostSkipped, sk.Reason)
		}
		for _, in := range ev.Intents {
			if in.Kind == Publish || in.Kind == Repost || in.Kind == Announce {
				m.setTarget(p, in.Account, PostPending, "")
			}
		}
	case Edited, Deleted:
		if p == nil {
			return Result{}
		}
		if p.State == PostDeleted || ev.Kind == Edited && ev.TextHash != "" && ev.TextHash == p.TextHash {
			return Result{Known: true}
		}
		if ev.Kind == Deleted {
			p.State = PostDeleted
		} else if ev.TextHash != "" {
			p.TextHash = ev.TextHash
		}
		for _, sk := range ev.Skips {
			if _, ok := p.Targets[sk.Target]; !ok {
				m.setTarget(p, sk.Target, PostSkipped, sk.Reason)
			}
		}
	}
	var res Result
	for _, n := range ev.Intents {
		m.lastIntent++
		m.intents[m.lastIntent] = &Intent{ID: m.lastIntent, Account: n.Account, Kind: n.Kind, Origin: p.Ref, Link: ev.Link,
			Payload: n.Payload, State: Pending, NextAttempt: n.NotBefore}
		m.queues[n.Account] = append(m.queues[n.Account], m.lastIntent)
		res.IntentIDs = append(res.IntentIDs, m.lastIntent)
	}
	return res
}

func (m *model) claim(acct string, now time.Time) (id uint64, ok bool, next time.Time, err error) {
	q := m.queues[acct]
	if len(q) == 0 {
		return 0, false, time.Time{}, nil
	}
	in := m.intents[q[0]]
	if in.State == Claimed {
		return 0, false, time.Time{}, ErrInFlight
	}
	if in.NextAttempt.After(now) {
		return 0, false, in.NextAttempt, nil
	}
	in.State = Claimed
	in.Attempts++
	return in.ID, true, time.Time{}, nil
}

func (m *model) unqueue(in *Intent) {
	m.queues[in.Account] = slices.DeleteFunc(m.queues[in.Account], func(id uint64) bool { return id == in.ID })
}

func (m *model) settle(id uint64, allowed ...IntentState) (*Intent, error) {
	in, ok := m.intents[id]
	if !ok {
		return nil, ErrNotFound
	}
	if !slices.Contains(allowed, in.State) {
		return nil, ErrState
	}
	return in, nil
}

func (m *model) complete(id uint64, c Completion) error {
	in, err := m.settle(id, Claimed)
	if err != nil {
		return err
	}
	origin := m.posts[in.Origin]
	target := PostPosted
	switch in.Kind {
	case Publish, Repost, Announce:
		if len(c.Parts) == 0 {
			if in.Kind != Repost {
				return ErrInvalid
			}
			break
		}
		for _, p := range c.Parts {
			if _, taken := m.owner[ref(in.Account, p)]; taken {
				return ErrConflict
			}
		}
		key := ref(in.Account, c.Parts[0])
		m.posts[key] = &Post{Ref: key, Group: origin.Group, Role: Mirror, Parts: slices.Clone(c.Parts), State: PostPosted, Reason: c.Note, TextHash: c.TextHash, Link: in.Link}
		for _, p := range c.Parts {
			m.owner[ref(in.Account, p)] = key
		}
		if m.mirrors[origin.Group] == nil {
			m.mirrors[origin.Group] = map[string]string{}
		}
		m.mirrors[origin.Group][in.Account] = c.Parts[0]
	case Edit, Delete:
		mid, ok := m.mirrors[origin.Group][in.Account]
		if !ok {
			if in.Kind == Edit {
				return ErrNotFound
			}
			target = PostDeleted
			break
		}
		key := ref(in.Account, mid)
		mp := m.posts[key]
		if in.Kind == Delete {
			mp.State, target = PostDeleted, PostDeleted
			break
		}
		if len(c.Parts) > 0 && !slices.Equal(c.Parts, mp.Parts) {
			for _, p := range c.Parts {
				if o, taken := m.owner[ref(in.Account, p)]; taken && o != key {
					return ErrConflict
				}
			}
			old := slices.Concat(mp.OldParts, mp.Parts)
			mp.OldParts = nil
			for _, p := range old {
				if !slices.Contains(c.Parts, p) && !slices.Contains(mp.OldParts, p) {
					mp.OldParts = append(mp.OldParts, p)
				}
			}
			mp.Parts = slices.Clone(c.Parts)
			for _, p := range c.Parts {
				m.owner[ref(in.Account, p)] = key
			}
		}
		if c.TextHash != "" {
			mp.TextHash = c.TextHash
		}
		if c.Note != "" {
			mp.Reason = c.Note
		}
	}
	m.setTarget(origin, in.Account, target, c.Note)
	m.unqueue(in)
	delete(m.intents, id)
	return nil
}

func (m *model) fail(id uint64, f Failure, now time.Time) error {
	in, err := m.settle(id, Claimed)
	if err != nil {
		return err
	}
	in.LastError = f.Reason
	if f.Permanent {
		in.State = Failed
		m.unqueue(in)
		m.setTarget(m.posts[in.Origin], in.Account, PostFailed, f.Reason)
		return nil
	}
	in.State = Pending
	d := time.Hour // Rand is 0.5: no jitter
	if in.Attempts <= 12 {
		d = min(2*time.Second*time.Duration(1<<(in.Attempts-1)), time.Hour)
	}
	in.NextAttempt = now.Add(d)
	if !f.RetryAt.IsZero() {
		in.NextAttempt = f.RetryAt
	}
	return nil
}

func (m *model) skip(id uint64, reason string) error {
	in, err := m.settle(id, Pending, Claimed)
	if err != nil {
		return err
	}
	if in.Kind == Publish || in.Kind == Repost || in.Kind == Announce {
		m.setTarget(m.posts[in.Origin], in.Account, PostSkipped, reason)
	}
	m.unqueue(in)
	delete(m.intents, id)
	return nil
}

func (m *model) release(id uint64) error {
	in, err := m.settle(id, Claimed)
	if err != nil {
		return err
	}
	in.State, in.NextAttempt = Pending, time.Time{}
	return nil
}

// errName names the sentinel an error wraps, for counting.
func errName(err error) string {
	for _, e := range []error{ErrState, ErrNotFound, ErrConflict, ErrInvalid, ErrInFlight} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	if err != nil {
		return "other error"
	}
	return "ok"
}

// sameErr reports whether got is what the model expects: nil for nil, else
// an error wrapping want.
func sameErr(got, want error) bool {
	if want == nil {
		return got == nil
	}
	return errors.Is(got, want)
}

func TestModel(t *testing.T) {
	seeds := []uint64{1, 2, *modelSeed}
	if seeds[2] == 0 {
		seeds[2] = uint64(time.Now().UnixNano())
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Logf("seed %d (rerun with -model.seed=%d)", seed, seed)
			runModel(t, seed, 400)
		})
	}
}

func runModel(t *testing.T, seed uint64, steps int) {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	c := newClock()
	path := filepath.Join(t.TempDir(), "ledger.db")
	opt := Options{Now: c.Now, Rand: func() float64 { return 0.5 }, NoSync: true}
	s, err := Open(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	m := newModel()

	// Accounts and IDs with awkward bytes, so keys are tested too.
	accounts := []string{"m", "x", "m\x00x"}
	var known []providers.Ref // every ref ever used, for echoes and repeats
	fresh := 0
	newID := func() string {
		fresh++
		switch rng.IntN(4) {
		case 0:
			return fmt.Sprintf("%d\x00", fresh)
		case 1:
			return fmt.Sprintf("é%d", fresh)
		}
		return fmt.Sprint(fresh)
	}
	pickRef := func(acct string, knownOdds int) providers.Ref {
		if len(known) > 0 && rng.IntN(10) < knownOdds {
			return known[rng.IntN(len(known))]
		}
		return ref(acct, newID())
	}
	// pickIntent picks an intent in one of states, mostly in the first
	// (the others check that the wrong state is refused alike).
	pickIntent := func(states ...IntentState) (uint64, bool) {
		var ids []uint64
		if rng.IntN(10) > 0 {
			states = states[:1]
		}
		for id, in := range m.intents {
			if slices.Contains(states, in.State) {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			return 0, false
		}
		slices.Sort(ids)
		return ids[rng.IntN(len(ids))], true
	}

	counts := map[string]int{}
	defer func() { t.Logf("operations: %v", counts) }()
	for step := range steps {
		var desc string
		now := c.Now()
		switch op := rng.IntN(100); {
		case op < 25: // record
			src := accounts[rng.IntN(2)]
			kind := []EventKind{Created, Created, Edited, Deleted}[rng.IntN(4)]
			odds := 3 // a created event mostly names a new post
			if kind != Created {
				odds = 8 // edits and deletes mostly of known ones
			}
			ev := Event{Kind: kind, Ref: pickRef(src, odds), Link: "l-" + src, TextHash: fmt.Sprint("h", rng.IntN(3))}
			if rng.IntN(2) == 0 {
				ev.Cursor = fmt.Sprint("c", step)
			}
			for _, acct := range accounts {
				if acct == src {
					continue
				}
				switch rng.IntN(4) {
				case 0:
					ev.Skips = append(ev.Skips, Skip{Target: acct, Reason: fmt.Sprint("rule ", rng.IntN(2))})
				case 1, 2:
					kind := map[EventKind]IntentKind{Created: Publish, Edited: Edit, Deleted: Delete}[ev.Kind]
					if kind == Publish && rng.IntN(5) == 0 {
						kind = Repost
					}
					n := NewIntent{Account: acct, Kind: kind, Payload: []byte{byte(step), 0}}
					if rng.IntN(4) == 0 {
						n.NotBefore = now.Add(time.Duration(rng.IntN(3)) * time.Minute)
					}
					ev.Intents = append(ev.Intents, n)
				}
			}
			desc = fmt.Sprintf("record %s %q", ev.Kind, ev.Ref)
			got, err := s.Record(ev)
			if err != nil {
				t.Fatalf("step %d %s: %v", step, desc, err)
			}
			want := m.record(ev, now)
			if got.Known != want.Known || !slices.Equal(got.IntentIDs, want.IntentIDs) {
				t.Fatalf("step %d %s: got %+v, model %+v", step, desc, got, want)
			}
			counts[fmt.Sprintf("record %s known=%v", ev.Kind, got.Known)]++
			if m.find(ev.Ref) != nil && !slices.Contains(known, ev.Ref) {
				known = append(known, ev.Ref)
			}
		case op < 45: // claim
			acct := accounts[rng.IntN(len(accounts))]
			desc = fmt.Sprintf("claim %q", acct)
			in, ok, next, err := s.Claim(acct)
			wid, wok, wnext, werr := m.claim(acct, now)
			if !sameErr(err, werr) || ok != wok || in.ID != wid || !next.Equal(wnext) {
				t.Fatalf("step %d %s: got %d %v %v %v, model %d %v %v %v", step, desc, in.ID, ok, next, err, wid, wok, wnext, werr)
			}
			counts[fmt.Sprintf("claim ok=%v err=%v", ok, err != nil)]++
		case op < 65: // complete, sometimes with a part that is taken
			id, ok := pickIntent(Claimed, Pending)
			if !ok {
				continue
			}
			in := m.intents[id]
			var comp Completion
			for range rng.IntN(3) + 1 {
				comp.Parts = append(comp.Parts, newID())
			}
			if rng.IntN(10) == 0 && len(known) > 0 {
				if r := known[rng.IntN(len(known))]; r.Account == in.Account && !slices.Contains(comp.Parts, r.ID) {
					comp.Parts = append(comp.Parts, r.ID)
				}
			}
			if in.Kind == Repost && rng.IntN(2) == 0 {
				comp.Parts = nil
			}
			if in.Kind == Edit && rng.IntN(2) == 0 {
				comp.Parts = nil
			}
			if rng.IntN(3) == 0 {
				comp.Note = "standalone"
			}
			comp.TextHash = fmt.Sprint("m", rng.IntN(2))
			desc = fmt.Sprintf("complete %d %q", id, comp.Parts)
			err := s.Complete(id, comp)
			if werr := m.complete(id, comp); !sameErr(err, werr) {
				t.Fatalf("step %d %s: got %v, model %v", step, desc, err, werr)
			}
			if err == nil {
				for _, p := range comp.Parts {
					if !slices.Contains(known, ref(in.Account, p)) {
						known = append(known, ref(in.Account, p))
					}
				}
			}
			counts[fmt.Sprintf("complete %s %v", in.Kind, errName(err))]++
		case op < 75: // fail
			id, ok := pickIntent(Claimed, Pending)
			if !ok {
				continue
			}
			f := Failure{Permanent: rng.IntN(3) == 0, Reason: fmt.Sprint("e", rng.IntN(2))}
			if rng.IntN(3) == 0 {
				f.RetryAt = now.Add(time.Duration(rng.IntN(30)) * time.Second)
			}
			desc = fmt.Sprintf("fail %d %+v", id, f)
			err, werr := s.Fail(id, f), m.fail(id, f, now)
			if !sameErr(err, werr) {
				t.Fatalf("step %d %s: got %v, model %v", step, desc, err, werr)
			}
			counts[fmt.Sprintf("fail permanent=%v %v", f.Permanent, errName(err))]++
		case op < 80: // skip
			id, ok := pickIntent(Claimed, Pending, Failed)
			if !ok {
				continue
			}
			desc = fmt.Sprintf("skip %d", id)
			err, werr := s.Skip(id, "not wanted"), m.skip(id, "not wanted")
			if !sameErr(err, werr) {
				t.Fatalf("step %d %s: got %v, model %v", step, desc, err, werr)
			}
			counts["skip "+errName(err)]++
		case op < 85: // release
			id, ok := pickIntent(Claimed, Pending)
			if !ok {
				continue
			}
			desc = fmt.Sprintf("release %d", id)
			err, werr := s.Release(id), m.release(id)
			if !sameErr(err, werr) {
				t.Fatalf("step %d %s: got %v, model %v", step, desc, err, werr)
			}
			counts["release "+errName(err)]++
		case op < 95:
			d := time.Duration(rng.IntN(90)) * time.Second
			desc = fmt.Sprint("advance ", d)
			c.Advance(d)
		default:
			desc = "reopen"
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if s, err = Open(path, opt); err != nil {
				t.Fatalf("step %d reopen: %v", step, err)
			}
			counts["reopen"]++
		}
		// Queues and cursors every step; every post every few steps.
		refs := known
		if step%5 != 0 && desc != "reopen" {
			refs = nil
		}
		compareModel(t, fmt.Sprintf("step %d (%s)", step, desc), s, m, refs, accounts)
		if step%50 == 0 || step == steps-1 {
			mustVerify(t, s)
		}
	}
}

// compareModel checks every known ref, queue and cursor against the model.
func compareModel(t *testing.T, at string, s *Store, m *model, known []providers.Ref, accounts []string) {
	t.Helper()
	for _, r := range known {
		got, ok, err := s.Lookup(r)
		want := m.find(r)
		if err != nil || ok != (want != nil) {
			t.Fatalf("%s: lookup %q: found=%v err=%v, model found=%v", at, r, ok, err, want != nil)
		}
		if !ok {
			continue
		}
		targets := map[string]TargetState{}
		for k, v := range got.Targets {
			targets[k] = TargetState{State: v.State, Reason: v.Reason}
		}
		if len(targets) == 0 {
			targets = nil
		}
		if got.Ref != want.Ref || got.Group != want.Group || got.Role != want.Role || !slices.Equal(got.Parts, want.Parts) ||
			!slices.Equal(got.OldParts, want.OldParts) || got.State != want.State || got.Reason != want.Reason ||
			got.TextHash != want.TextHash || fmt.Sprint(targets) != fmt.Sprint(want.Targets) {
			t.Fatalf("%s: lookup %q:\n got   %+v\n model %+v", at, r, got, *want)
		}
		if want.Role == Origin {
			for acct, mid := range m.mirrors[want.Group] {
				mp, ok, err := s.MirrorOn(r, acct)
				if err != nil || !ok || mp.Ref.ID != mid {
					t.Fatalf("%s: mirror of %q on %q: %+v %v %v, model %q", at, r, acct, mp, ok, err, mid)
				}
			}
			if ms, _ := s.Mirrors(r); len(ms) != len(m.mirrors[want.Group]) {
				t.Fatalf("%s: %d mirrors of %q, model %d", at, len(ms), r, len(m.mirrors[want.Group]))
			}
		}
	}
	for _, acct := range accounts {
		q, err := s.Pending(acct)
		if err != nil {
			t.Fatal(err)
		}
		if len(q) != len(m.queues[acct]) {
			t.Fatalf("%s: queue %q has %d, model %d", at, acct, len(q), len(m.queues[acct]))
		}
		for i, in := range q {
			w := m.intents[m.queues[acct][i]]
			if in.ID != w.ID || in.State != w.State || in.Attempts != w.Attempts || !in.NextAttempt.Equal(w.NextAttempt) ||
				in.Kind != w.Kind || in.Origin != w.Origin || in.LastError != w.LastError || string(in.Payload) != string(w.Payload) {
				t.Fatalf("%s: queue %q[%d]:\n got   %+v\n model %+v", at, acct, i, in, *w)
			}
		}
		if cur, _ := s.Cursor(acct); cur != m.cursors[acct] {
			t.Fatalf("%s: cursor %q = %q, model %q", at, acct, cur, m.cursors[acct])
		}
	}
}
