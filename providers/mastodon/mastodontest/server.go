package mastodontest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Flavor is the server software the fake imitates.
type Flavor int

const (
	// Mastodon 4.x.
	Mastodon Flavor = iota
	// GoToSocial 0.19, which implements Mastodon's client API with the
	// differences listed in shared/docs/SERVERS.md.
	GoToSocial
)

func (f Flavor) String() string {
	if f == GoToSocial {
		return "gotosocial"
	}
	return "mastodon"
}

// Options configure a fake server. The zero value is a Mastodon server at
// social.example with Mastodon's default limits and the real clock.
type Options struct {
	// Flavor is the server software to imitate; default Mastodon.
	Flavor Flavor
	// Domain is the server's public domain, used in account handles, status
	// URIs and links. Default "social.example".
	Domain string
	// MaxCharacters is the status length limit. Default 500 (GoToSocial
	// 5000).
	MaxCharacters int
	// Now is the clock; default time.Now. Everything time-based (IDs,
	// created_at, rate-limit windows, idempotency expiry, media processing
	// time) reads it.
	Now func() time.Time

	// RateLimit is how many API requests one token (GoToSocial: one
	// client IP) may make per RateWindow. Default 300; negative means no
	// limit (the headers still say 300).
	RateLimit int
	// RateWindow is the rate-limit period. Default 5 minutes.
	RateWindow time.Duration
	// StrictRateLimits adds Mastodon's stricter budgets on top (Mastodon
	// flavor): paging requests (max_id, min_id or since_id) 300 per 15
	// minutes, media uploads 30 per 30 minutes, deletes and unreblogs 30
	// per 30 minutes. The headers then describe the most limited budget.
	StrictRateLimits bool

	// MediaPolls is how many times GET /api/v1/media/:id answers 206 for a
	// video, gifv or audio upload before it answers 200 (Mastodon flavor).
	// Default 1; negative means processing never finishes by polling.
	MediaPolls int
	// MediaProcessing, when positive, also finishes processing once the
	// clock (Now) is this far past the upload.
	MediaProcessing time.Duration

	// ImageSizeLimit and VideoSizeLimit are the upload limits in bytes.
	// Defaults 16 MiB and 99 MiB (GoToSocial 40 MiB both).
	ImageSizeLimit int64
	VideoSizeLimit int64
	// MaxMediaAttachments per status. Default 4 (GoToSocial 6).
	MaxMediaAttachments int

	// Log receives, one line each, the refusals of the helpers that return
	// no error (User.Post and the like) on a server made by Start; nil
	// means os.Stderr. New reports them on the test instead.
	Log io.Writer
}

const descriptionLimit = 1500

func (o *Options) defaults() {
	if o.Domain == "" {
		o.Domain = "social.example"
	}
	if o.MaxCharacters <= 0 {
		o.MaxCharacters = 500
		if o.Flavor == GoToSocial {
			o.MaxCharacters = 5000
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RateLimit == 0 {
		o.RateLimit = 300
	}
	if o.RateWindow <= 0 {
		o.RateWindow = 5 * time.Minute
	}
	if o.MediaPolls == 0 {
		o.MediaPolls = 1
	}
	if o.ImageSizeLimit <= 0 {
		o.ImageSizeLimit = 16 << 20
		if o.Flavor == GoToSocial {
			o.ImageSizeLimit = 40 << 20
		}
	}
	if o.VideoSizeLimit <= 0 {
		o.VideoSizeLimit = 99 << 20
		if o.Flavor == GoToSocial {
			o.VideoSizeLimit = 40 << 20
		}
	}
	if o.MaxMediaAttachments <= 0 {
		o.MaxMediaAttachments = 4
		if o.Flavor == GoToSocial {
			o.MaxMediaAttachments = 6
		}
	}
}

func (o *Options) urlLength() int {
	if o.Flavor == GoToSocial {
		return 25
	}
	return 23
}

// Server is a fake Mastodon (or GoToSocial) server on a loopback httptest
// server. All its methods are safe for concurrent use.
type Server struct {
	rep       reporter
	opt       Options
	hs        *httptest.Server
	closeOnce sync.Once

	mu        sync.Mutex
	ids       *idGen
	users     map[string]*User    // by lower-cased username
	usersByID map[string]*User    // by account ID
	remotes   map[string]*account // by lower-cased user@host
	accounts  map[string]*account // every account by ID
	tokens    map[string]*token
	statuses  map[string]*status // every status ever made, deleted ones too
	live      int                // statuses not deleted
	media     map[string]*media
	apps      map[string]*app // by client_id
	codes     map[string]*authCode
	emojis    map[string]bool
	idem      map[string]idemEntry
	buckets   map[string]*bucket
	alice     *User
	defApp    *app

	failStatus, failN int
	rateLimitReset    time.Time
	latency           time.Duration
	failRate          float64
	failRng           *mrand.Rand
	requests          int
	log               []Request

	hub hub
}

// account is a local or remote account as statuses show it.
type account struct {
	id, username, acct, url, uri string
	created                      time.Time
	user                         *User // nil for a remote account
}

type token struct {
	value   string
	user    *User // nil for an app-only token
	app     *app
	scopes  []string
	revoked bool
	created time.Time
}

type idemEntry struct {
	statusID string
	at       time.Time
}

type bucket struct {
	start time.Time
	count int
}

// Request is one API request as the fake received it, for tests that assert
// what a client sent. Secrets are left out: no Authorization header, and
// access_token is removed from Query.
type Request struct {
	Method string
	Path   string
	Query  string
	// Header holds the headers a test may want to check: Idempotency-Key,
	// User-Agent, Content-Type, Accept.
	Header http.Header
}

// New starts a fake server on 127.0.0.1, closed when the test ends, with
// one user, "alice". A helper the server refuses (User.Post and the like)
// reports the error on t.
func New(t testing.TB, opt Options) *Server {
	t.Helper()
	s, err := start(t, opt)
	if err != nil {
		t.Fatalf("mastodontest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts a fake server on 127.0.0.1 with one user, "alice", for use
// outside tests (a demo, a benchmark harness). The caller must Close it. A
// helper the server refuses (User.Post and the like) writes the error to
// opt.Log and returns its zero value; programs should prefer the Try…
// helpers, which return the error.
func Start(opt Options) (*Server, error) {
	return start(newLogReporter(opt.Log), opt)
}

func start(rep reporter, opt Options) (*Server, error) {
	opt.defaults()
	s := &Server{
		rep:       rep,
		opt:       opt,
		ids:       newIDGen(opt.Flavor, time.Now().UnixNano()),
		users:     map[string]*User{},
		usersByID: map[string]*User{},
		remotes:   map[string]*account{},
		accounts:  map[string]*account{},
		tokens:    map[string]*token{},
		statuses:  map[string]*status{},
		media:     map[string]*media{},
		apps:      map[string]*app{},
		codes:     map[string]*authCode{},
		emojis:    map[string]bool{"blobcat": true, "mastodon": true, "verified": true},
		idem:      map[string]idemEntry{},
		buckets:   map[string]*bucket{},
	}
	s.hub.init()
	s.defApp = &app{id: s.ids.next(opt.Now()), name: "Web", clientID: randomToken(), clientSecret: randomToken(),
		redirectURIs: []string{"urn:ietf:wg:oauth:2.0:oob"}, scopes: []string{"read", "write", "follow", "push"}}
	s.apps[s.defApp.clientID] = s.defApp
	ln, err := listenLoopback()
	if err != nil {
		return nil, err
	}
	s.hs = &httptest.Server{Listener: ln, Config: &http.Server{Handler: s.routes()}}
	s.hs.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		return context.WithValue(ctx, connKey{}, c)
	}
	s.hs.Start()
	s.alice = s.CreateUser("alice")
	return s, nil
}

type connKey struct{}

// Close closes every stream and connection and stops the server. New's
// server closes itself when the test ends; calling Close again does
// nothing.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.hub.closeAll()
		s.hs.CloseClientConnections()
		s.hs.Close()
	})
}

// URL is the server's base URL, http://127.0.0.1:port.
func (s *Server) URL() string { return s.hs.URL }

// Client is an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.hs.Client() }

// Token is alice's access token.
func (s *Server) Token() string { return s.alice.Token }

// AccountID is alice's account ID.
func (s *Server) AccountID() string { return s.alice.ID }

// Domain is the server's public domain.
func (s *Server) Domain() string { return s.opt.Domain }

// Flavor is the server software the fake imitates.
func (s *Server) Flavor() Flavor { return s.opt.Flavor }

// Alice is the default user.
func (s *Server) Alice() *User { return s.alice }

// AddEmoji makes a custom emoji shortcode known to the server, so ":code:"
// in a status gets an emojis[] entry. blobcat, mastodon and verified exist.
func (s *Server) AddEmoji(shortcode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emojis[shortcode] = true
}

func randomToken() string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

// CreateUser makes another local account with its own access token and
// returns it. Creating a name that exists returns the existing user.
func (s *Server) CreateUser(username string) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createUserLocked(username)
}

func (s *Server) createUserLocked(username string) *User {
	key := strings.ToLower(username)
	if u, ok := s.users[key]; ok {
		return u
	}
	now := s.opt.Now()
	a := &account{
		id:       s.ids.next(now),
		username: username,
		acct:     username,
		url:      "https://" + s.opt.Domain + "/@" + username,
		uri:      "https://" + s.opt.Domain + "/users/" + username,
		created:  now,
	}
	u := &User{s: s, ID: a.id, Username: username, acct: a}
	a.user = u
	tok := &token{value: randomToken(), user: u, app: s.defApp, scopes: []string{"read", "write", "follow", "push"}, created: now}
	u.Token = tok.value
	s.tokens[tok.value] = tok
	s.users[key] = u
	s.usersByID[a.id] = u
	s.accounts[a.id] = a
	return u
}

// User returns the local user with that name, or nil.
func (s *Server) User(username string) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.users[strings.ToLower(username)]
}

// remoteLocked returns the remote account user@host, making it on first
// mention (the fake resolves every remote handle).
func (s *Server) remoteLocked(username, host string) *account {
	key := strings.ToLower(username + "@" + host)
	if a, ok := s.remotes[key]; ok {
		return a
	}
	a := &account{
		id:       s.ids.next(s.opt.Now()),
		username: username,
		acct:     username + "@" + host,
		url:      "https://" + host + "/@" + username,
		uri:      "https://" + host + "/users/" + username,
		created:  s.opt.Now(),
	}
	s.remotes[key] = a
	s.accounts[a.id] = a
	return a
}

// resolveLocked maps a typed mention to an account, or nil for a local
// name nobody has.
func (s *Server) resolveLocked(username, host string) *account {
	if host == "" || strings.EqualFold(host, s.opt.Domain) {
		if u, ok := s.users[strings.ToLower(username)]; ok {
			return u.acct
		}
		return nil
	}
	return s.remoteLocked(username, host)
}

// ---- knobs ----

// FailNext makes the next n API requests answer status with the flavor's
// real error body for it.
func (s *Server) FailNext(status, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failStatus, s.failN = status, n
}

// RateLimitNext makes the next API request answer 429 with rate-limit
// headers saying reset.
func (s *Server) RateLimitNext(reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimitReset = reset
}

// Revoke invalidates every token of alice's: requests with them answer 401
// and her open streams close.
func (s *Server) Revoke() { s.alice.Revoke() }

// SetLatency delays every API answer by d (the delay ends early when the
// client gives up).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetFailRate makes a fraction p of API requests answer a 5xx (500, 502 or
// 503, chosen by a generator seeded with seed, so a run is repeatable).
func (s *Server) SetFailRate(p float64, seed int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failRate = p
	s.failRng = mrand.New(mrand.NewSource(seed))
}

// Requests counts the API requests (paths under /api and /oauth) received.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// RequestLog returns the API requests received so far, oldest first.
func (s *Server) RequestLog() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.log))
	for i, r := range s.log {
		r.Header = r.Header.Clone()
		out[i] = r
	}
	return out
}

// ---- the middleware every API request goes through ----

// authMode says what an endpoint needs from the token.
type authMode int

const (
	authOptional authMode = iota // public; a bad token is still refused
	authUser                     // a user's token is required
	authNone                     // no token looked at (OAuth endpoints, health)
)

// call is one API request after the middleware.
type call struct {
	tok  *token
	user *User // nil when no user token
}

type handler func(w http.ResponseWriter, r *http.Request, c *call)

// api wraps an endpoint: request log, latency, User-Agent check
// (GoToSocial), injected failures, rate limits, authentication and scopes.
func (s *Server) api(mode authMode, scope string, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests++
		q := r.URL.Query()
		q.Del("access_token")
		hdr := http.Header{}
		for _, k := range []string{"Idempotency-Key", "User-Agent", "Content-Type", "Accept"} {
			if v := r.Header.Values(k); len(v) > 0 {
				hdr[k] = append([]string(nil), v...)
			}
		}
		s.log = append(s.log, Request{Method: r.Method, Path: r.URL.Path, Query: q.Encode(), Header: hdr})
		latency := s.latency
		s.mu.Unlock()

		if latency > 0 {
			// Read the body first: Go's server only notices a client that
			// gave up once the body is read, and a delayed POST must not
			// hold its handler (and Close) for the whole delay.
			if r.Body != nil {
				body, err := io.ReadAll(r.Body)
				if err != nil {
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
			t := time.NewTimer(latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if s.opt.Flavor == GoToSocial && r.Header.Get("User-Agent") == "" {
			s.writeError(w, http.StatusTeapot, "no user-agent sent with request")
			return
		}

		s.mu.Lock()
		// Rate-limit key: the token on Mastodon, the client IP on GoToSocial.
		tokValue := bearer(r)
		key := "ip:" + clientIP(r)
		if s.opt.Flavor == Mastodon && tokValue != "" {
			key = "token:" + tokValue
		}
		if status := s.injectedFailureLocked(); status != 0 {
			s.setRateHeadersLocked(w, r, key, false)
			if status == http.StatusTooManyRequests {
				w.Header().Set("X-RateLimit-Remaining", "0")
			}
			s.mu.Unlock()
			s.writeFailure(w, status)
			return
		}
		if !s.rateLimitReset.IsZero() {
			reset := s.rateLimitReset
			s.rateLimitReset = time.Time{}
			s.mu.Unlock()
			h := w.Header()
			h.Set("X-RateLimit-Limit", strconv.Itoa(s.limit()))
			h.Set("X-RateLimit-Remaining", "0")
			h.Set("X-RateLimit-Reset", formatTime(reset))
			s.writeFailure(w, http.StatusTooManyRequests)
			return
		}
		var c call
		if mode != authNone && tokValue != "" {
			tok, ok := s.tokens[tokValue]
			if !ok || tok.revoked {
				s.setRateHeadersLocked(w, r, key, false)
				s.mu.Unlock()
				msg := "The access token is invalid"
				if ok {
					msg = "The access token was revoked"
				}
				s.unauthorized(w, msg)
				return
			}
			c.tok, c.user = tok, tok.user
		}
		if !s.setRateHeadersLocked(w, r, key, true) {
			s.mu.Unlock()
			s.writeFailure(w, http.StatusTooManyRequests)
			return
		}
		s.mu.Unlock()
		if mode == authUser {
			if c.tok == nil {
				s.unauthorized(w, "The access token is invalid")
				return
			}
			if c.user == nil {
				s.writeError(w, http.StatusUnprocessableEntity, "This method requires an authenticated user")
				return
			}
		}
		if scope != "" && c.tok != nil && !hasScope(c.tok.scopes, scope) {
			s.writeError(w, http.StatusForbidden, "This action is outside the authorized scopes")
			return
		}
		h(w, r, &c)
	}
}

func (s *Server) limit() int {
	if s.opt.RateLimit < 0 {
		return 300
	}
	return s.opt.RateLimit
}

// throttle is one rate-limit budget, as Mastodon's Rack::Attack rules
// define them.
type throttle struct {
	name   string
	limit  int
	period time.Duration
	match  func(r *http.Request) bool
}

// throttlesFor lists the budgets a request draws on: the general one, and
// with Options.StrictRateLimits Mastodon's stricter ones for paging,
// uploads and deletes.
func (s *Server) throttlesFor(r *http.Request) []throttle {
	out := []throttle{{name: "api", limit: s.limit(), period: s.opt.RateWindow}}
	if !s.opt.StrictRateLimits || s.opt.Flavor != Mastodon || r == nil {
		return out
	}
	q := r.URL.Query()
	p := r.URL.Path
	switch {
	case r.Method == http.MethodGet && (q.Has("max_id") || q.Has("min_id") || q.Has("since_id")):
		out = append(out, throttle{name: "paging", limit: 300, period: 15 * time.Minute})
	case r.Method == http.MethodPost && (p == "/api/v1/media" || p == "/api/v2/media"):
		out = append(out, throttle{name: "media", limit: 30, period: 30 * time.Minute})
	case r.Method == http.MethodDelete && strings.HasPrefix(p, "/api/v1/statuses/"),
		r.Method == http.MethodPost && strings.HasPrefix(p, "/api/v1/statuses/") && strings.HasSuffix(p, "/unreblog"):
		out = append(out, throttle{name: "delete", limit: 30, period: 30 * time.Minute})
	}
	return out
}

// setRateHeadersLocked counts the request (when count is set) against
// every budget it draws on and sets the X-RateLimit headers from the most
// limited one, as Mastodon does. It reports false when a budget is spent.
func (s *Server) setRateHeadersLocked(w http.ResponseWriter, r *http.Request, key string, count bool) bool {
	now := s.opt.Now()
	ok := true
	var headLimit, headRemaining int
	var headReset time.Time
	for i, th := range s.throttlesFor(r) {
		start := now.Truncate(th.period)
		b := s.buckets[th.name+"\x00"+key]
		if b == nil || !b.start.Equal(start) {
			b = &bucket{start: start}
			s.buckets[th.name+"\x00"+key] = b
		}
		if count {
			b.count++
		}
		remaining := max(th.limit-b.count, 0)
		if i == 0 || remaining < headRemaining {
			headLimit, headRemaining, headReset = th.limit, remaining, start.Add(th.period)
		}
		unlimited := th.name == "api" && s.opt.RateLimit < 0
		if b.count > th.limit && !unlimited {
			ok = false
		}
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(headLimit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(headRemaining))
	h.Set("X-RateLimit-Reset", formatTime(headReset))
	return ok
}

func (s *Server) injectedFailureLocked() int {
	if s.failN > 0 {
		s.failN--
		return s.failStatus
	}
	if s.failRate > 0 && s.failRng != nil && s.failRng.Float64() < s.failRate {
		return []int{500, 502, 503}[s.failRng.Intn(3)]
	}
	return 0
}

// hasScope reports whether granted covers need ("write:statuses" is
// covered by "write" or itself).
func hasScope(granted []string, need string) bool {
	family, _, _ := strings.Cut(need, ":")
	for _, g := range granted {
		if g == need || g == family {
			return true
		}
	}
	return false
}

// bearer finds the access token as Doorkeeper does: the Authorization
// header, then an access_token (or bearer_token) parameter.
func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			return strings.TrimSpace(h[7:])
		}
		return ""
	}
	q := r.URL.Query()
	if v := q.Get("access_token"); v != "" {
		return v
	}
	return q.Get("bearer_token")
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// formatTime is Mastodon's timestamp format: ISO 8601, UTC, milliseconds.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// ---- answers ----

func writeJSON(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // Mastodon sends content HTML unescaped
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

// writeError answers an error with the flavor's body: Mastodon's
// {"error": msg}, GoToSocial's {"error": "Status Text: msg"}.
func (s *Server) writeError(w http.ResponseWriter, status int, msg string) {
	if s.opt.Flavor == GoToSocial {
		text := http.StatusText(status)
		if msg != "" {
			text += ": " + msg
		}
		writeJSON(w, status, apiError{Error: text})
		return
	}
	writeJSON(w, status, apiError{Error: msg})
}

// writeFailure answers an injected failure with what the real server (or
// the proxy in front of it) sends for that status.
func (s *Server) writeFailure(w http.ResponseWriter, status int) {
	switch status {
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		// nginx in front of the application server answers these.
		text := strconv.Itoa(status) + " " + http.StatusText(status)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n", text, text)
		return
	}
	if s.opt.Flavor == GoToSocial {
		msg := ""
		switch status {
		case http.StatusUnauthorized:
			msg = "token not supplied"
		case http.StatusTooManyRequests:
			msg = "rate limit reached"
		}
		s.writeError(w, status, msg)
		return
	}
	switch status {
	case http.StatusUnauthorized:
		s.writeError(w, status, "The access token is invalid")
	case http.StatusForbidden:
		s.writeError(w, status, "This action is not allowed")
	case http.StatusNotFound:
		s.writeError(w, status, "Record not found")
	case http.StatusGone:
		s.writeError(w, status, "Gone")
	case http.StatusUnprocessableEntity:
		s.writeError(w, status, "Validation failed")
	case http.StatusTooManyRequests:
		s.writeError(w, status, "Too many requests")
	case http.StatusServiceUnavailable:
		s.writeError(w, status, "There was a temporary problem serving your request, please try again")
	case http.StatusInternalServerError:
		writeJSON(w, status, map[string]any{"status": 500, "error": "Internal Server Error"})
	default:
		s.writeError(w, status, http.StatusText(status))
	}
}

// unauthorized answers a missing, unknown or revoked token: Doorkeeper's
// description on Mastodon, GoToSocial's one message for all three.
func (s *Server) unauthorized(w http.ResponseWriter, msg string) {
	if s.opt.Flavor == GoToSocial {
		msg = "token not supplied"
	}
	s.writeError(w, http.StatusUnauthorized, msg)
}

// notFound answers an unknown record.
func (s *Server) notFound(w http.ResponseWriter) {
	if s.opt.Flavor == GoToSocial {
		s.writeError(w, http.StatusNotFound, "")
		return
	}
	s.writeError(w, http.StatusNotFound, "Record not found")
}

// invalid answers a validation failure: Mastodon 422 with its message,
// GoToSocial 400 Bad Request.
func (s *Server) invalid(w http.ResponseWriter, msg string) {
	if s.opt.Flavor == GoToSocial {
		s.writeError(w, http.StatusBadRequest, msg)
		return
	}
	s.writeError(w, http.StatusUnprocessableEntity, msg)
}

// baseURL is the scheme and host the client reached us at, for Link
// headers and media URLs.
func baseURL(r *http.Request) string {
	return "http://" + r.Host
}
