package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rs/zerolog"

	"github.com/dualpower/dualpower/providers"
)

// recentIDs is how many polled status IDs a stream remembers, so that the
// stream's own copy of a post the catch-up poll already emitted is dropped.
const recentIDs = 1024

// maxStreamMessage bounds one stream message (a status with its HTML and
// media is a few kilobytes; a server sending more is cut off).
const maxStreamMessage = 4 << 20

// maxRateLimitWait bounds how long the stream waits for a rate limit's
// reset before it tries again (a server could name any time).
const maxRateLimitWait = 15 * time.Minute

// Stream delivers the account's events to emit until ctx ends, over the
// WebSocket user stream (/api/v1/streaming?stream=user on the configured
// server's scheme and host; urls.streaming is not trusted, as GoToSocial
// announces wss:// over plain http).
//
// It supervises the connection itself: reconnects with exponential backoff
// and jitter (1 s doubling to 60 s, reset after a connection that stayed up
// a minute; a rate limit waits for its reset, at most 15 minutes), pings the
// server and gives up on a connection silent for longer than the read
// timeout (a half-open connection is noticed), and after every connect —
// and after a failed one, so that a server without streaming still
// delivers — polls from the newest polled cursor (starting at cursor) and
// emits what it finds, with Cursor set, before the stream's own events. It
// polls once more a few seconds after each connect: a server subscribes a
// new connection a moment after the upgrade, and a post made in that moment
// would otherwise reach neither the poll nor the stream.
//
// Events: update → Created and status.update → Edited, for the account's own
// statuses only; delete → Deleted for any ID (the payload does not say whose
// status it was; the engine drops the ones it does not know). Messages read
// before a connection broke are still relayed. A post the catch-up poll
// emitted and the stream then delivers is emitted once; a post may still
// arrive twice across reconnects, and the caller drops the second.
//
// Edits and deletes are not in the catch-up poll, which lists new statuses
// only. So after a connection was lost — and at the start, after Resume,
// for the time since the engine last heard from the account — the first
// catch-up also reads the newest page (see missedSince): statuses edited
// meanwhile are emitted as Edited, and statuses this Stream delivered or
// Resume named that the page should show, does not, and the server confirms
// gone, as Deleted. Edits and deletes of statuses older than that page are
// not found: the API lists neither.
//
// It returns ctx.Err() when ctx ends, an *Error of kind Auth when the token
// is refused, or the first error emit returns.
func (p *Provider) Stream(ctx context.Context, cursor string, emit func(context.Context, providers.Event) error) error {
	log := zerolog.Ctx(ctx)
	bo := backoff{min: p.backoffMin, max: p.backoffMax}
	st := &streamState{cursor: cursor, recent: newIDRing(recentIDs), live: liveIDs{n: pageSize}, emit: emit}
	p.mu.Lock()
	if !p.resumeSince.IsZero() {
		// Start as after an outage that began when the engine last heard
		// from the account (see Resume).
		st.editsSince = p.resumeSince
		for _, k := range p.resumeKnown {
			st.live.remember(k.ID, k.Created)
		}
	}
	p.resumeSince, p.resumeKnown = time.Time{}, nil
	p.mu.Unlock()
	for {
		start := p.now()
		connected, err := p.streamOnce(ctx, st)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ee *emitError
		if errors.As(err, &ee) {
			return ee.err
		}
		if errors.Is(err, providers.ErrAuth) {
			return err
		}
		if connected && p.now().Sub(start) >= p.stableAfter {
			bo.reset()
		}
		wait := bo.next()
		if reset := providers.ResetOf(err); errors.Is(err, providers.ErrRateLimited) && reset.After(p.now().Add(wait)) {
			wait = min(reset.Sub(p.now()), maxRateLimitWait)
		}
		log.Debug().Err(err).Dur("wait", wait).Msg("mastodon stream: reconnecting")
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// streamState is what Stream carries from one connection to the next.
type streamState struct {
	cursor string                                       // newest polled position
	recent *idRing                                      // IDs the polls emitted
	live   liveIDs                                      // own statuses emitted, newest page's worth
	emit   func(context.Context, providers.Event) error // the caller's
	// editsSince is when the stream stopped carrying edits (its connection
	// ended); zero while nothing may have been missed.
	editsSince time.Time
}

// emitError carries an error of emit out of streamOnce.
type emitError struct{ err error }

func (e *emitError) Error() string { return e.err.Error() }
func (e *emitError) Unwrap() error { return e.err }

// streamOnce makes one connection, catches up by polling, and relays the
// stream until the connection ends. connected says whether the WebSocket
// was open at all.
func (p *Provider) streamOnce(ctx context.Context, st *streamState) (connected bool, err error) {
	me, err := p.me(ctx)
	if err != nil {
		return false, err
	}
	conn, dialErr := p.dial(ctx)
	if dialErr != nil {
		if errors.Is(dialErr, providers.ErrAuth) || ctx.Err() != nil {
			return false, dialErr
		}
		// Still catch up, so a server without streaming is polled at the
		// backoff's pace.
		if err := p.catchUp(ctx, st, false); err != nil {
			return false, err
		}
		return false, dialErr
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	defer func() {
		if st.editsSince.IsZero() {
			st.editsSince = p.now() // from now on, edits go unseen
		}
	}()

	done := make(chan struct{})
	defer close(done)
	msgs := make(chan []byte, 16)
	readErr := make(chan error, 1)

	conn.SetReadLimit(maxStreamMessage)
	deadline := func() { _ = conn.SetReadDeadline(time.Now().Add(p.readTimeout)) }
	conn.SetPongHandler(func(string) error { deadline(); return nil })
	conn.SetPingHandler(func(data string) error {
		deadline()
		err := conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(10*time.Second))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	go func() { // reader: every message is queued before the error that ends it
		for {
			deadline()
			_, data, err := conn.ReadMessage()
			if err != nil {
				readErr <- err
				return
			}
			select {
			case msgs <- data:
			case <-done:
				return
			}
		}
	}()
	// The pinger: a half-open connection stops answering, and the read
	// deadline then ends it. A timer that re-arms itself rather than a
	// goroutine per connection: thousands of quiet streams hold no stack
	// for it.
	var pingMu sync.Mutex
	stopped := false
	var ping func()
	var pinger *time.Timer
	ping = func() {
		if conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(10*time.Second)) != nil {
			return
		}
		pingMu.Lock()
		defer pingMu.Unlock()
		if !stopped {
			pinger.Reset(p.pingInterval)
		}
	}
	pingMu.Lock()
	pinger = time.AfterFunc(p.pingInterval, ping)
	pingMu.Unlock()
	defer func() {
		pingMu.Lock()
		stopped = true
		pinger.Stop()
		pingMu.Unlock()
	}()

	if err := p.catchUp(ctx, st, true); err != nil {
		return true, err
	}
	if p.onConnect != nil {
		p.onConnect()
	}
	dom := p.localDomain()
	relay := func(data []byte) error {
		ev, ok := p.streamEvent(data, me, dom)
		if !ok || ev.Kind == providers.Created && st.recent.has(ev.Ref.ID) {
			return nil
		}
		if err := st.emit(ctx, ev); err != nil {
			return &emitError{err}
		}
		st.live.note(ev)
		return nil
	}
	settle := time.NewTimer(p.settleDelay)
	defer settle.Stop()
	for {
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case <-settle.C:
			// A server subscribes the connection to the account's events
			// a moment after the upgrade; a post made in that moment
			// reaches neither the first poll nor the stream. Poll once more;
			// a failure here is no reason to drop a working stream.
			if err := p.catchUp(ctx, st, true); err != nil {
				var ee *emitError
				if errors.As(err, &ee) || errors.Is(err, providers.ErrAuth) {
					return true, err
				}
				zerolog.Ctx(ctx).Debug().Err(err).Msg("mastodon stream: second catch-up poll failed")
			}
		case err := <-readErr:
			// Relay what was read before the connection ended (the reader
			// has queued all of it and stopped): edits and deletes are not
			// found again by polling.
			for len(msgs) > 0 {
				if err := relay(<-msgs); err != nil {
					return true, err
				}
			}
			return true, p.classify(ctx, "stream", nil, err)
		case data := <-msgs:
			if err := relay(data); err != nil {
				return true, err
			}
		}
	}
}

// catchUp polls from st.cursor, emits what it finds and moves the cursor
// on. When the stream may have missed edits (st.editsSince), it also reads
// the newest page and emits an Edited event for each status edited since
// then (less a minute's slack); connected says whether a live stream
// carries the edits from here on.
func (p *Provider) catchUp(ctx context.Context, st *streamState, connected bool) error {
	events, next, err := p.Poll(ctx, st.cursor)
	if err != nil {
		return err
	}
	for _, ev := range events {
		if err := st.emit(ctx, ev); err != nil {
			return &emitError{err}
		}
		st.recent.add(ev.Ref.ID)
		st.live.note(ev)
		st.cursor = ev.Cursor
	}
	st.cursor = next
	if st.editsSince.IsZero() {
		return nil
	}
	scanned := p.now()
	missed, err := p.missedSince(ctx, st.editsSince.Add(-editSlack), &st.live)
	if err != nil {
		return err
	}
	for _, ev := range missed {
		if err := st.emit(ctx, ev); err != nil {
			return &emitError{err}
		}
		st.live.note(ev)
	}
	if connected {
		st.editsSince = time.Time{}
	} else {
		st.editsSince = scanned
	}
	return nil
}

// editSlack widens the window of edits looked for after a reconnect, for
// the clocks of server and host.
const editSlack = time.Minute

// missedSince reads the account's newest page of statuses after the stream
// was down and returns what the stream may have missed that the page can
// show: an Edited event, oldest first, for each status edited at or after
// since; then a Deleted event for each status in live that the page should
// hold (newer than its oldest, or any when the page is the whole timeline)
// but does not, and that the server then answers 404 for. Only that answer
// counts as a delete: a page that leaves a status out for a reason of its
// own, or a failed look-up, deletes nothing (the status stays in live for
// the next outage). Edits of older statuses, and deletes of statuses the
// stream never delivered, are not found: the API lists neither.
func (p *Provider) missedSince(ctx context.Context, since time.Time, live *liveIDs) ([]providers.Event, error) {
	me, page, whole, err := p.newestPage(ctx, "stream")
	if err != nil {
		return nil, err
	}
	dom := p.localDomain()
	var out []providers.Event
	onPage := make(map[string]bool, len(page))
	var oldest time.Time
	for i := range page {
		s := &page[i]
		onPage[s.ID] = true
		if oldest.IsZero() || s.CreatedAt.Before(oldest) {
			oldest = s.CreatedAt
		}
		if s.broken || s.Reblog != nil || s.EditedAt == nil || s.EditedAt.Before(since) {
			continue
		}
		out = append(out, providers.Event{Kind: providers.Edited, Ref: providers.Ref{Account: p.account, ID: s.ID}, Post: p.toPost(s, me, dom)})
	}
	for _, l := range live.list {
		if onPage[l.id] || !whole && !l.created.After(oldest) {
			continue
		}
		gone, err := p.confirmGone(ctx, l.id)
		if err != nil {
			return nil, err
		}
		if gone {
			out = append(out, providers.Event{Kind: providers.Deleted, Ref: providers.Ref{Account: p.account, ID: l.id}})
		}
	}
	return out, nil
}

// confirmGone looks up status id, which a page did not show: gone only
// when the server answers 404. A look-up that fails otherwise is logged
// and counts as not gone (the status is asked about again next time); an
// ended ctx is an error.
func (p *Provider) confirmGone(ctx context.Context, id string) (bool, error) {
	if !validID(id) {
		return false, nil // not a status ID: nothing the server can say gone
	}
	_, err := p.Fetch(ctx, id)
	switch {
	case err == nil:
		return false, nil // still there: the page left it out for a reason of its own
	case errors.Is(err, providers.ErrNotFound):
		return true, nil
	case ctx.Err() != nil:
		return false, ctx.Err()
	}
	zerolog.Ctx(ctx).Debug().Err(err).Str("id", id).Msg("mastodon: cannot tell whether a status missing from the newest page was deleted")
	return false, nil
}

// Gone implements providers.Checker: the newest page shows which of ids
// still exist; each of the others is looked up, and only a 404 is gone.
// For an account read by polling, whose deletes nothing announces.
func (p *Provider) Gone(ctx context.Context, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	_, page, _, err := p.newestPage(ctx, "check deletes")
	if err != nil {
		return nil, err
	}
	onPage := make(map[string]bool, len(page))
	for i := range page {
		onPage[page[i].ID] = true
	}
	var gone []string
	for _, id := range ids {
		if onPage[id] {
			continue
		}
		g, err := p.confirmGone(ctx, id)
		if err != nil {
			return nil, err
		}
		if g {
			gone = append(gone, id)
			onPage[id] = true // once
		}
	}
	return gone, nil
}

// liveIDs remembers the account's own statuses a Stream has emitted and
// not seen deleted: the newest n by creation time, for missedSince.
type liveIDs struct {
	list []liveID // oldest first
	n    int
}

type liveID struct {
	id      string
	created time.Time
}

// note keeps track of what ev says about the account's statuses.
func (l *liveIDs) note(ev providers.Event) {
	switch ev.Kind {
	case providers.Deleted:
		for i, x := range l.list {
			if x.id == ev.Ref.ID {
				l.list = append(l.list[:i], l.list[i+1:]...)
				return
			}
		}
	case providers.Created:
		if ev.Post != nil {
			l.remember(ev.Ref.ID, ev.Post.Created)
		}
	}
}

// remember adds a status, keeping the newest n.
func (l *liveIDs) remember(id string, created time.Time) {
	for _, x := range l.list {
		if x.id == id {
			return
		}
	}
	at := len(l.list)
	for at > 0 && l.list[at-1].created.After(created) {
		at--
	}
	l.list = append(l.list, liveID{})
	copy(l.list[at+1:], l.list[at:])
	l.list[at] = liveID{id: id, created: created}
	if len(l.list) > l.n {
		l.list = append(l.list[:0], l.list[len(l.list)-l.n:]...)
	}
}

// Resume implements providers.Resumer: the next Stream's first catch-up
// reads the newest page for statuses edited since since (less a minute),
// and looks up each of known that the page should show and does not (the
// newest page's worth of them are kept).
func (p *Provider) Resume(since time.Time, known []providers.Known) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.resumeSince, p.resumeKnown = since, slices.Clone(known)
}

// streamEvent decodes one stream message; ok is false for messages that
// are not an event of this account (notifications, others' statuses,
// anything undecodable).
func (p *Provider) streamEvent(data []byte, me account, dom string) (providers.Event, bool) {
	var m streamMessage
	if json.Unmarshal(data, &m) != nil {
		return providers.Event{}, false
	}
	payload := []byte(m.Payload)
	var s string
	if json.Unmarshal(m.Payload, &s) == nil {
		payload = []byte(s)
	}
	switch m.Event {
	case "update", "status.update":
		var st status
		if json.Unmarshal(payload, &st) != nil || st.ID == "" || st.Account.ID != me.ID {
			return providers.Event{}, false
		}
		kind := providers.Created
		if m.Event == "status.update" {
			kind = providers.Edited
		}
		return providers.Event{Kind: kind, Ref: providers.Ref{Account: p.account, ID: st.ID}, Post: p.toPost(&st, me, dom)}, true
	case "delete":
		id := strings.TrimSpace(string(payload))
		if id == "" || strings.ContainsAny(id, "{}[]\" \n") {
			return providers.Event{}, false
		}
		return providers.Event{Kind: providers.Deleted, Ref: providers.Ref{Account: p.account, ID: id}}, true
	}
	return providers.Event{}, false
}

// dial opens the user stream. The token goes in the Authorization header;
// when the server refuses the upgrade with 400, 401 or 403, it is tried once
// as the access_token query parameter, and kept that way if that works. A
// refusal either way is an *Error of kind Auth.
func (p *Provider) dial(ctx context.Context) (*websocket.Conn, error) {
	p.mu.Lock()
	query := p.queryToken
	p.mu.Unlock()
	conn, resp, err := p.dialWith(ctx, query)
	if err == nil {
		return conn, nil
	}
	if !query && resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusForbidden) {
		conn, resp2, err2 := p.dialWith(ctx, true)
		if err2 == nil {
			p.mu.Lock()
			p.queryToken = true
			p.mu.Unlock()
			return conn, nil
		}
		if resp2 != nil {
			resp, err = resp2, err2
		}
	}
	if resp != nil {
		p.noteRateLimit(resp.Header)
		if resp.StatusCode == http.StatusTooManyRequests {
			p.hold(&statusError{Status: resp.StatusCode, Header: resp.Header, Body: []byte(`{"error":"Too many requests"}`)})
		}
		if resp.StatusCode >= 400 {
			return nil, p.classify(ctx, "stream", resp, nil)
		}
		return nil, &providers.Error{Kind: providers.Transient, Network: network, Op: "stream", Status: resp.StatusCode, Message: "no websocket upgrade"}
	}
	return nil, p.classify(ctx, "stream", nil, err)
}

func (p *Provider) dialWith(ctx context.Context, query bool) (*websocket.Conn, *http.Response, error) {
	u := p.server.JoinPath("/api/v1/streaming")
	if u.Scheme == "https" {
		u.Scheme = "wss"
	} else {
		u.Scheme = "ws"
	}
	q := u.Query()
	q.Set("stream", "user")
	h := http.Header{"User-Agent": {p.ua}}
	if query {
		q.Set("access_token", p.token.Reveal())
	} else {
		h.Set("Authorization", "Bearer "+p.token.Reveal())
	}
	u.RawQuery = q.Encode()
	// A stream message is a status of a few KB at most; a larger one is
	// still read whole, in more reads.
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, WriteBufferPool: streamWriteBuffers, ReadBufferSize: 1024}
	if t, ok := p.base.(*http.Transport); ok {
		d.Proxy = t.Proxy
		d.NetDialContext = t.DialContext
		if t.TLSClientConfig != nil {
			d.TLSClientConfig = t.TLSClientConfig.Clone()
		}
	} else {
		d.Proxy = http.ProxyFromEnvironment
	}
	return d.DialContext(ctx, u.String(), h)
}

// backoff is exponential backoff with jitter: each wait is drawn from
// [d/2, d] where d doubles from min up to max.
type backoff struct {
	min, max, cur time.Duration
}

func (b *backoff) next() time.Duration {
	if b.cur < b.min {
		b.cur = b.min
	}
	d := b.cur
	b.cur = min(b.cur*2, b.max)
	half := d / 2
	return half + rand.N(half+1)
}

func (b *backoff) reset() { b.cur = 0 }

// idRing remembers the last n IDs added.
type idRing struct {
	mu   sync.Mutex
	set  map[string]bool
	ring []string
	pos  int
	n    int // how many IDs it keeps
}

// newIDRing makes a ring that remembers the last n IDs. It grows as IDs
// come, so the thousands of quiet streams of a large install cost little.
// streamWriteBuffers is shared by every stream's connection: a stream
// writes only pings and pongs.
var streamWriteBuffers = &sync.Pool{}

func newIDRing(n int) *idRing {
	return &idRing{set: map[string]bool{}, ring: make([]string, 0, min(n, 8)), n: n}
}

func (r *idRing) add(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.set[id] {
		return
	}
	if len(r.ring) < r.n {
		r.ring = append(r.ring, id)
	} else {
		delete(r.set, r.ring[r.pos])
		r.ring[r.pos] = id
		r.pos = (r.pos + 1) % r.n
	}
	r.set[id] = true
}

func (r *idRing) has(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.set[id]
}
