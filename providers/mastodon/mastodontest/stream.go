package mastodontest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// hub fans events out to the open streaming connections of each user. Its
// lock is taken inside the server lock, never the other way round.
type hub struct {
	mu      sync.Mutex
	changed chan struct{} // closed and replaced when a stream opens or closes
	subs    map[*User]map[*streamConn]bool
	held    bool
	queue   []heldEvent
}

// heldEvent is an event published while streams are held, with the
// connections that were subscribed then: a stream never receives what was
// published before it connected.
type heldEvent struct {
	to  []*streamConn
	msg streamMessage
}

// streamConn is one open WebSocket or SSE connection. It is subscribed
// before the handshake completes, so an event published right after a
// client sees the connection open is never missed.
type streamConn struct {
	user    *User
	token   string // the access token it was opened with
	ch      chan streamMessage
	closed  chan struct{}
	mu      sync.Mutex
	conn    net.Conn // the TCP connection, closed to drop the stream
	dropped bool
}

func newStreamConn(u *User, token string) *streamConn {
	return &streamConn{user: u, token: token, ch: make(chan streamMessage, 1024), closed: make(chan struct{})}
}

// setConn records the TCP connection once the handshake is done; a stream
// dropped before that is closed at once.
func (c *streamConn) setConn(conn net.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conn = conn
	if c.dropped && conn != nil {
		_ = conn.Close()
	}
}

func (c *streamConn) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dropped {
		return
	}
	c.dropped = true
	close(c.closed)
	if c.conn != nil {
		_ = c.conn.Close()
	}
}

func (h *hub) init() {
	h.subs = map[*User]map[*streamConn]bool{}
	h.changed = make(chan struct{})
}

func (h *hub) notifyLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}

func (h *hub) add(c *streamConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.subs[c.user]
	if m == nil {
		m = map[*streamConn]bool{}
		h.subs[c.user] = m
	}
	m[c] = true
	h.notifyLocked()
}

func (h *hub) remove(c *streamConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs[c.user], c)
	if len(h.subs[c.user]) == 0 {
		delete(h.subs, c.user)
	}
	h.notifyLocked()
}

// publish queues msg to every connection of u's, in call order. A
// connection whose buffer is full is dropped, as a server drops a client
// that does not keep up.
func (h *hub) publish(u *User, msg streamMessage) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var to []*streamConn
	for c := range h.subs[u] {
		to = append(to, c)
	}
	if h.held {
		h.queue = append(h.queue, heldEvent{to, msg})
		return
	}
	deliver(to, msg)
}

func deliver(to []*streamConn, msg streamMessage) {
	for _, c := range to {
		select {
		case <-c.closed:
		case c.ch <- msg:
		default:
			c.drop()
		}
	}
}

func (h *hub) hold() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.held = true
}

func (h *hub) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.held = false
	for _, e := range h.queue {
		deliver(e.to, e.msg)
	}
	h.queue = nil
}

func (h *hub) closeAll() int {
	h.mu.Lock()
	var all []*streamConn
	for _, m := range h.subs {
		for c := range m {
			all = append(all, c)
		}
	}
	h.mu.Unlock()
	for _, c := range all {
		c.drop()
	}
	return len(all)
}

// dropTokens closes the streams of u opened with a token revoked says is
// revoked, as Mastodon's streaming server does when a token is revoked.
func (h *hub) dropTokens(u *User, revoked func(token string) bool) {
	h.mu.Lock()
	var drop []*streamConn
	for c := range h.subs[u] {
		if revoked(c.token) {
			drop = append(drop, c)
		}
	}
	h.mu.Unlock()
	for _, c := range drop {
		c.drop()
	}
}

func (h *hub) count(u *User) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if u == nil {
		n := 0
		for _, m := range h.subs {
			n += len(m)
		}
		return n
	}
	return len(h.subs[u])
}

// streamLocked sends an event to u's user stream. payload is a status
// (sent as its JSON in a string) or, for delete, the bare ID.
func (s *Server) streamLocked(u *User, event string, payload any) {
	var p string
	switch v := payload.(type) {
	case string:
		p = v
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return
		}
		p = string(b)
	}
	s.hub.publish(u, streamMessage{Stream: []string{"user"}, Event: event, Payload: p})
}

// DropStreams closes the TCP connection of every open stream, so clients
// see a read error.
func (s *Server) DropStreams() { s.hub.closeAll() }

// HoldStreams queues stream events instead of sending them, until
// ReleaseStreams sends them all in order: a stream that lags behind the
// API. A held event goes only to the streams that were open when it
// happened (and still are at release), never to one opened later.
func (s *Server) HoldStreams() { s.hub.hold() }

// ReleaseStreams sends the held events and stops holding.
func (s *Server) ReleaseStreams() { s.hub.release() }

// Streams counts the open streaming connections (of every user).
func (s *Server) Streams() int { return s.hub.count(nil) }

// WaitStreams blocks until at least n streams of u's are open (any user's
// when u is nil) or the timeout passes, and reports whether they were.
func (s *Server) WaitStreams(u *User, n int, timeout time.Duration) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		s.hub.mu.Lock()
		changed := s.hub.changed
		s.hub.mu.Unlock()
		if s.hub.count(u) >= n {
			return true
		}
		select {
		case <-changed:
		case <-t.C:
			return false
		}
	}
}

func (s *Server) handleStreamingHealth(w http.ResponseWriter, r *http.Request, c *call) {
	if s.opt.Flavor == GoToSocial {
		s.notFound(w)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte("OK"))
}

// streamAuth finds the user of a streaming request: a bearer header, an
// access_token parameter, or (Mastodon) the Sec-WebSocket-Protocol header.
// It answers the error itself and returns nil when there is none.
func (s *Server) streamAuth(w http.ResponseWriter, r *http.Request) (u *User, token, proto string, ok bool) {
	tok := bearer(r)
	if tok == "" && s.opt.Flavor == Mastodon {
		if p := strings.TrimSpace(strings.Split(r.Header.Get("Sec-WebSocket-Protocol"), ",")[0]); p != "" {
			tok, proto = p, p
		}
	}
	if tok == "" {
		s.streamError(w, http.StatusUnauthorized, "Missing access token")
		return nil, "", "", false
	}
	s.mu.Lock()
	t := s.tokens[tok]
	s.mu.Unlock()
	if t == nil || t.revoked || t.user == nil {
		s.streamError(w, http.StatusUnauthorized, "Invalid access token")
		return nil, "", "", false
	}
	if !hasScope(t.scopes, "read:statuses") {
		s.streamError(w, http.StatusUnauthorized, "Access token does not have the required scopes")
		return nil, "", "", false
	}
	return t.user, tok, proto, true
}

func (s *Server) streamError(w http.ResponseWriter, status int, msg string) {
	if s.opt.Flavor == GoToSocial {
		s.writeError(w, status, "")
		return
	}
	writeJSON(w, status, apiError{Error: msg})
}

// streamPrelude applies the API knobs (count, log, latency, failures) to a
// streaming request; it reports false when it answered already.
func (s *Server) streamPrelude(w http.ResponseWriter, r *http.Request) bool {
	ok := false
	s.api(authNone, "", func(http.ResponseWriter, *http.Request, *call) { ok = true })(w, r)
	return ok
}

// quietStreams are streams Mastodon offers that the fake accepts but never
// sends anything on (it has no notifications, timelines or lists).
var quietStreams = map[string]bool{
	"user:notification": true, "public": true, "public:local": true, "public:remote": true,
	"public:media": true, "public:local:media": true, "public:remote:media": true,
	"hashtag": true, "hashtag:local": true, "list": true, "direct": true,
}

var upgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 4096,
	CheckOrigin:     func(*http.Request) bool { return true },
}

func (s *Server) handleWebSocket(w http.ResponseWriter, r *http.Request) {
	if !s.streamPrelude(w, r) {
		return
	}
	u, tok, proto, ok := s.streamAuth(w, r)
	if !ok {
		return
	}
	stream := r.URL.Query().Get("stream")
	if stream != "" && stream != "user" && !quietStreams[stream] {
		s.streamError(w, http.StatusBadRequest, "Unknown stream type")
		return
	}
	var hdr http.Header
	if proto != "" {
		hdr = http.Header{"Sec-Websocket-Protocol": {proto}}
	}
	c := newStreamConn(u, tok)
	defer c.drop()
	subscribed := false
	if stream == "user" {
		s.hub.add(c)
		subscribed = true
	}
	defer s.hub.remove(c)
	ws, err := upgrader.Upgrade(w, r, hdr)
	if err != nil {
		return // the upgrader answered already
	}
	c.setConn(ws.NetConn())

	// Reader: subscribe/unsubscribe messages, and noticing the client left.
	subs := make(chan bool, 4)
	go func() {
		defer c.drop()
		for {
			var m struct {
				Type   string `json:"type"`
				Stream string `json:"stream"`
			}
			if err := ws.ReadJSON(&m); err != nil {
				if _, isJSON := err.(*json.SyntaxError); isJSON {
					continue
				}
				return
			}
			if m.Stream == "user" && (m.Type == "subscribe" || m.Type == "unsubscribe") {
				select {
				case subs <- m.Type == "subscribe":
				case <-c.closed:
					return
				}
			}
		}
	}()
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-c.closed:
			return
		case sub := <-subs:
			if sub && !subscribed {
				s.hub.add(c)
			} else if !sub && subscribed {
				s.hub.remove(c)
			}
			subscribed = sub
		case m := <-c.ch:
			_ = ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := ws.WriteJSON(m); err != nil {
				return
			}
		case <-ping.C:
			if err := ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(10*time.Second)); err != nil {
				return
			}
		}
	}
}

// handleSSE serves /api/v1/streaming/user as server-sent events (Mastodon
// flavor; GoToSocial has no SSE and answers 404).
func (s *Server) handleSSE(w http.ResponseWriter, r *http.Request) {
	if !s.streamPrelude(w, r) {
		return
	}
	if s.opt.Flavor == GoToSocial {
		s.notFound(w)
		return
	}
	if r.PathValue("stream") != "user" {
		s.streamError(w, http.StatusNotFound, "Not found")
		return
	}
	u, tok, _, ok := s.streamAuth(w, r)
	if !ok {
		return
	}
	conn, _ := r.Context().Value(connKey{}).(net.Conn)
	c := newStreamConn(u, tok)
	c.setConn(conn)
	defer c.drop()
	s.hub.add(c)
	defer s.hub.remove(c)
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(":)\n"))
	_ = rc.Flush()
	heartbeat := time.NewTicker(15 * time.Second)
	defer heartbeat.Stop()
	for {
		select {
		case <-c.closed:
			return
		case <-r.Context().Done():
			return
		case m := <-c.ch:
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", m.Event, m.Payload); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		case <-heartbeat.C:
			if _, err := w.Write([]byte(":thump\n")); err != nil {
				return
			}
			_ = rc.Flush()
		}
	}
}
