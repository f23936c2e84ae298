package store

import (
	"fmt"
	"time"

	"github.com/dualpower/dualpower/providers"
)

// Record kind bytes, the second byte of every value.
const (
	kindPost    = 'p'
	kindGroup   = 'g'
	kindIntent  = 'i'
	kindCursor  = 'c'
	kindAccount = 'a'
)

func encodePost(p *Post) []byte {
	w := newWbuf(kindPost)
	w.ref(p.Ref)
	w.uvarint(p.Group)
	w.byte1(byte(p.Role))
	w.strs(p.Parts)
	w.strs(p.OldParts)
	w.byte1(byte(p.State))
	w.str(p.Reason)
	w.str(p.TextHash)
	w.str(p.Link)
	w.str(p.URL)
	w.time(p.Created)
	w.time(p.Updated)
	keys := sortedKeys(p.Targets)
	w.uvarint(uint64(len(keys)))
	for _, k := range keys {
		t := p.Targets[k]
		w.str(k)
		w.byte1(byte(t.State))
		w.str(t.Reason)
		w.time(t.Updated)
	}
	return w.b
}

func decodePost(b []byte) (Post, error) {
	r := newRbuf(b, kindPost)
	var p Post
	p.Ref = r.ref()
	p.Group = r.uvarint()
	p.Role = Role(r.byte1())
	p.Parts = r.strs()
	p.OldParts = r.strs()
	p.State = PostState(r.byte1())
	p.Reason = r.str()
	p.TextHash = r.str()
	p.Link = r.str()
	p.URL = r.str()
	p.Created = r.time()
	p.Updated = r.time()
	if n := r.count(); n > 0 {
		p.Targets = make(map[string]TargetState, n)
		for i := 0; i < n && r.err == nil; i++ {
			k := r.str()
			var t TargetState
			t.State = PostState(r.byte1())
			t.Reason = r.str()
			t.Updated = r.time()
			p.Targets[k] = t
		}
	}
	if err := r.done(); err != nil {
		return Post{}, fmt.Errorf("post record: %w", err)
	}
	return p, nil
}

// groupRec ties an origin to its current mirror on each target account.
type groupRec struct {
	Origin  providers.Ref
	Link    string
	Mirrors map[string]string // target account → the mirror's record ID (Post.Ref.ID)
}

func encodeGroup(g *groupRec) []byte {
	w := newWbuf(kindGroup)
	w.ref(g.Origin)
	w.str(g.Link)
	w.strMap(g.Mirrors)
	return w.b
}

func decodeGroup(b []byte) (groupRec, error) {
	r := newRbuf(b, kindGroup)
	var g groupRec
	g.Origin = r.ref()
	g.Link = r.str()
	g.Mirrors = r.strMap()
	if err := r.done(); err != nil {
		return groupRec{}, fmt.Errorf("group record: %w", err)
	}
	return g, nil
}

func encodeIntent(in *Intent) []byte {
	w := newWbuf(kindIntent)
	w.uvarint(in.ID)
	w.str(in.Key)
	w.str(in.Account)
	w.byte1(byte(in.Kind))
	w.ref(in.Origin)
	w.str(in.Link)
	w.bytes(in.Payload)
	w.byte1(byte(in.State))
	w.uvarint(uint64(in.Attempts))
	w.time(in.FirstAttempt)
	w.time(in.NextAttempt)
	w.str(in.LastError)
	w.time(in.Created)
	return w.b
}

func decodeIntent(b []byte) (Intent, error) {
	r := newRbuf(b, kindIntent)
	var in Intent
	in.ID = r.uvarint()
	in.Key = r.str()
	in.Account = r.str()
	in.Kind = IntentKind(r.byte1())
	in.Origin = r.ref()
	in.Link = r.str()
	in.Payload = r.bytes()
	in.State = IntentState(r.byte1())
	in.Attempts = int(r.uvarint())
	in.FirstAttempt = r.time()
	in.NextAttempt = r.time()
	in.LastError = r.str()
	in.Created = r.time()
	if err := r.done(); err != nil {
		return Intent{}, fmt.Errorf("intent record: %w", err)
	}
	return in, nil
}

// cursorRec is a source account's cursor.
type cursorRec struct {
	Cursor string
	// ByEvent is true when Record wrote it (with an event), false when
	// SetCursor did (e.g. a link starting "now").
	ByEvent bool
	Set     time.Time
}

func encodeCursor(c *cursorRec) []byte {
	w := newWbuf(kindCursor)
	w.str(c.Cursor)
	w.bool(c.ByEvent)
	w.time(c.Set)
	return w.b
}

func decodeCursor(b []byte) (cursorRec, error) {
	r := newRbuf(b, kindCursor)
	var c cursorRec
	c.Cursor = r.str()
	c.ByEvent = r.bool()
	c.Set = r.time()
	if err := r.done(); err != nil {
		return cursorRec{}, fmt.Errorf("cursor record: %w", err)
	}
	return c, nil
}

func encodeAccount(a *AccountState) []byte {
	w := newWbuf(kindAccount)
	w.bool(a.Paused)
	w.str(a.PausedWhy)
	w.time(a.PausedAt)
	w.time(a.RateLimitReset)
	w.str(a.Day)
	w.varint(int64(a.DayPosts))
	w.varint(a.DaySpend)
	w.str(a.Month)
	w.varint(int64(a.MonthPosts))
	w.varint(a.MonthSpend)
	w.time(a.LastActivity)
	w.varint(a.Events)
	w.strMap(a.Meta)
	return w.b
}

func decodeAccount(b []byte) (AccountState, error) {
	r := newRbuf(b, kindAccount)
	var a AccountState
	a.Paused = r.bool()
	a.PausedWhy = r.str()
	a.PausedAt = r.time()
	a.RateLimitReset = r.time()
	a.Day = r.str()
	a.DayPosts = int(r.varint())
	a.DaySpend = r.varint()
	a.Month = r.str()
	a.MonthPosts = int(r.varint())
	a.MonthSpend = r.varint()
	a.LastActivity = r.time()
	a.Events = r.varint()
	a.Meta = r.strMap()
	if err := r.done(); err != nil {
		return AccountState{}, fmt.Errorf("account record: %w", err)
	}
	return a, nil
}
