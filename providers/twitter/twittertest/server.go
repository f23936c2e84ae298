package twittertest

import (
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers/providertest"
)

var _ providertest.Fake = (*Server)(nil)

// Options configure a Server. The zero value is a fake X with a real
// clock, the 280 limit, no edits through the API and timeline reads allowed.
type Options struct {
	// Now is the fake's clock: post times, edit windows and rate-limit
	// windows follow it. Nil means time.Now. OAuth timestamps are still
	// checked against the real clock, as X checks them against its own.
	Now func() time.Time
	// MaxWeighted is the most a post's text may weigh (twitter-text v3);
	// 0 means 280.
	MaxWeighted int
	// CanEdit lets POST /2/tweets take edit_options (an account and app
	// eligible for edits). Without it an edit answers 403.
	CanEdit bool
	// EditWindow is how long after its first version a post can be
	// edited; 0 means one hour, as X's app allows today (the API docs still
	// say 30 minutes).
	EditWindow time.Duration
	// CanQuote lets POST /2/tweets take quote_tweet_id, which X reserves
	// for the Enterprise plan; without it a quote answers 403. (Quoting in
	// X's own app, through the User helpers, always works.)
	CanQuote bool
	// Premium gives the users X Premium's media caps (16 GB post video, 1 GB
	// DM video instead of 8 GB and 512 MB).
	Premium bool
	// ReadsDenied makes every post and timeline read answer 403
	// client-not-enrolled, as X does for an app whose access level has no
	// reads (the free tier). GET /2/users/me still works.
	ReadsDenied bool
	// ReadOnly gives the app read-only permissions: every answer says
	// x-access-level: read, and writes answer 403 as X does for an app
	// not configured for them. Otherwise the level is read-write.
	ReadOnly bool
	// XProblemHost makes typed problems name https://api.x.com/2/problems/…
	// instead of https://api.twitter.com/2/problems/…, so a client can be
	// tested against both hosts X has used.
	XProblemHost bool
	// ProcessingPolls is the STATUS poll at which a finalized video or GIF
	// is done processing (the polls before it see in_progress); it is also
	// done once the clock has moved ProcessingPolls × check_after_secs (1 s)
	// past FINALIZE. 0 means 2.
	ProcessingPolls int
	// UserPostsPer24h and AppPostsPer24h are the 24-hour post-creation caps
	// reported in x-user-limit-24hour-* and x-app-limit-24hour-*; 0 means
	// 100 and 10,000.
	UserPostsPer24h int
	AppPostsPer24h  int

	// Seed makes the credentials the fake invents (consumer key and
	// secret, access tokens) reproducible: the same seed gives the same
	// ones. Empty means the test's name for New and a random seed for
	// Start.
	Seed string
	// Log receives, one line each, the refusals of the helpers that return
	// no error (User.Post and the like) on a server made by Start; nil
	// means os.Stderr. New reports them on the test instead.
	Log io.Writer
}

// Server is an in-process fake of the X API v2 as an OAuth 1.0a user-context
// client sees it. It is safe for concurrent use.
type Server struct {
	rep       reporter
	seed      string // makes the invented credentials reproducible
	opt       Options
	ts        *httptest.Server
	closeOnce sync.Once

	consumerKey, consumerSecret string
	clientID                    string

	mu            sync.Mutex
	users         map[string]*User // by lower-case username
	usersByID     map[string]*User
	tokens        map[string]*User  // access token → its user
	secrets       map[string]string // access token → its secret
	revoked       map[string]bool
	requestTokens map[string]*requestToken
	nonces        map[string]int64 // seen nonce → its oauth_timestamp
	tweets        map[string]*tweet
	media         map[string]*media // by media ID
	mediaByKey    map[string]*media
	lastID        uint64
	seq           uint64
	alice         *User

	limits     map[limitKey]*window
	limitSpecs map[string]limitSpec
	appDaily   window

	failStatus    int
	failN         int
	rateLimitNext time.Time
	latency       time.Duration
	failRate      float64
	rng           *rand.Rand

	replyNotAllowed bool
	usageCapped     bool
	readsDenied     bool
	mediaFails      bool

	requests   int
	downloads  int
	byEndpoint map[string]int
	reads      int
	writes     int
	log        []LoggedRequest
}

// LoggedRequest is what RequestLog keeps of one request: never a secret,
// only which credentials and headers it carried.
type LoggedRequest struct {
	Method string
	Path   string
	// Endpoint is the API endpoint it matched ("POST /2/tweets"), or "" for
	// an unknown path or a media download.
	Endpoint string
	// Query lists the query parameter names, sorted.
	Query []string
	// OAuthParams lists the oauth_* parameter names of the Authorization
	// header, sorted; nil when there was no OAuth header.
	OAuthParams []string
	// Headers lists the names of the other headers sent, canonical and
	// sorted (Content-Type, User-Agent, …).
	Headers     []string
	ContentType string
	// Status is the HTTP status answered.
	Status int
}

// New starts a fake X on 127.0.0.1, closed when tb's test ends. It holds one
// user, "alice", whose credentials Token and TokenSecret return; they
// derive from opt.Seed or, when that is empty, the test's name. A helper X
// would refuse (User.Post and the like) fails the test.
func New(tb testing.TB, opt Options) *Server {
	tb.Helper()
	seed := opt.Seed
	if seed == "" {
		seed = tb.Name()
	}
	s, err := start(tb, seed, opt)
	if err != nil {
		tb.Fatalf("twittertest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Start starts a fake X on 127.0.0.1 for use outside tests (a demo, a
// benchmark harness); the caller must Close it. It holds one user,
// "alice". Credentials derive from opt.Seed, or from a random seed when
// that is empty. A helper X would refuse (User.Post and the like) writes
// the error to opt.Log and returns its zero value; programs should prefer
// the Try… helpers, which return the error.
func Start(opt Options) (*Server, error) {
	seed := opt.Seed
	if seed == "" {
		var b [16]byte
		if _, err := crand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("twittertest: seed: %w", err)
		}
		seed = hex.EncodeToString(b[:])
	}
	s, err := start(newLogReporter(opt.Log), seed, opt)
	if err != nil {
		return nil, fmt.Errorf("twittertest: %w", err)
	}
	return s, nil
}

func start(rep reporter, seed string, opt Options) (*Server, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.MaxWeighted <= 0 {
		opt.MaxWeighted = 280
	}
	if opt.EditWindow <= 0 {
		opt.EditWindow = time.Hour
	}
	if opt.ProcessingPolls <= 0 {
		opt.ProcessingPolls = 2
	}
	if opt.UserPostsPer24h <= 0 {
		opt.UserPostsPer24h = 100
	}
	if opt.AppPostsPer24h <= 0 {
		opt.AppPostsPer24h = 10000
	}
	s := &Server{
		rep:            rep,
		seed:           seed,
		opt:            opt,
		consumerKey:    "ck" + randToken(seed, "consumer-key", 23),
		consumerSecret: randToken(seed, "consumer-secret", 48),
		clientID:       "2" + digits(seed, 7),
		users:          map[string]*User{},
		usersByID:      map[string]*User{},
		tokens:         map[string]*User{},
		secrets:        map[string]string{},
		revoked:        map[string]bool{},
		requestTokens:  map[string]*requestToken{},
		nonces:         map[string]int64{},
		tweets:         map[string]*tweet{},
		media:          map[string]*media{},
		mediaByKey:     map[string]*media{},
		limits:         map[limitKey]*window{},
		limitSpecs:     map[string]limitSpec{},
		byEndpoint:     map[string]int{},
		readsDenied:    opt.ReadsDenied,
		rng:            rand.New(rand.NewSource(1)),
	}
	for k, v := range defaultLimits {
		s.limitSpecs[k] = v
	}
	ln, err := listenLoopback()
	if err != nil {
		return nil, err
	}
	s.ts = &httptest.Server{Listener: ln, Config: &http.Server{Handler: s.routes()}}
	s.ts.Start()
	s.alice = s.CreateUser("alice")
	return s, nil
}

// Close cuts the clients' connections and stops the server. New's server
// closes itself when the test ends; calling Close again does nothing.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.ts.CloseClientConnections()
		s.ts.Close()
	})
}

// randToken makes a credential-looking string, different per test and
// purpose but reproducible.
func randToken(seed, purpose string, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	h := sha256.Sum256([]byte(seed + "\x00" + purpose))
	r := rand.New(rand.NewSource(int64(h[0]) | int64(h[1])<<8 | int64(h[2])<<16 | int64(h[3])<<24 | int64(h[4])<<32))
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.Intn(len(alphabet))]
	}
	return string(b)
}

func digits(seed string, n int) string {
	h := sha256.Sum256([]byte(seed))
	d := hex.EncodeToString(h[:])
	var b strings.Builder
	for _, c := range d {
		if b.Len() == n {
			break
		}
		b.WriteByte(byte('0' + (c % 10)))
	}
	return b.String()
}

// URL is the API base, e.g. http://127.0.0.1:41234; API paths start /2/.
func (s *Server) URL() string { return s.ts.URL }

// Client returns an HTTP client that reaches the fake.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// ConsumerKey is the app's consumer key (API key).
func (s *Server) ConsumerKey() string { return s.consumerKey }

// ConsumerSecret is the app's consumer secret.
func (s *Server) ConsumerSecret() string { return s.consumerSecret }

// Token is alice's access token.
func (s *Server) Token() string { return s.alice.token }

// TokenSecret is alice's access token secret.
func (s *Server) TokenSecret() string { return s.alice.tokenSecret }

// UserID is alice's user ID.
func (s *Server) UserID() string { return s.alice.id }

// Alice returns the default user.
func (s *Server) Alice() *User { return s.alice }

func (s *Server) now() time.Time { return s.opt.Now().UTC() }

// newID returns a fresh snowflake-like ID: time-ordered and always greater
// than every ID before it, so ID order is creation order as on X.
func (s *Server) newID() (string, uint64) {
	const epoch = 1288834974657 // X's snowflake epoch, ms
	n := uint64(s.now().UnixMilli()-epoch) << 22
	if n <= s.lastID {
		n = s.lastID + 1
	}
	s.lastID = n
	return strconv.FormatUint(n, 10), n
}

// ---- knobs ----

// FailNext makes the next n API requests answer status with X's body for it.
func (s *Server) FailNext(status, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failStatus, s.failN = status, n
}

// RateLimitNext makes the next API request answer 429 with x-rate-limit-*
// headers saying the window resets at reset.
func (s *Server) RateLimitNext(reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimitNext = reset
}

// Revoke invalidates every access token of alice: from now on each request
// with one answers 401.
func (s *Server) Revoke() { s.RevokeUser(s.alice) }

// RevokeUser invalidates every access token of u.
func (s *Server) RevokeUser(u *User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, owner := range s.tokens {
		if owner == u {
			s.revoked[tok] = true
		}
	}
}

// DropStreams does nothing: the fake serves no user stream (X has none for
// this use), so there is nothing to cut.
func (s *Server) DropStreams() {}

// SetLatency delays every API answer by d, or until the request's context
// ends.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetFailRate makes each API request fail with probability p (a 500, 503 or
// 502, chosen by a generator seeded with seed), for chaos tests.
func (s *Server) SetFailRate(p float64, seed int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failRate = p
	s.rng = rand.New(rand.NewSource(seed))
}

// SetReplyNotAllowed makes every reply through the API answer 403 "reply
// not allowed", as X does when the conversation's author limited replies.
func (s *Server) SetReplyNotAllowed(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replyNotAllowed = v
}

// SetReadsDenied switches the ReadsDenied option at run time.
func (s *Server) SetReadsDenied(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readsDenied = v
}

// SetUsageCapped makes every /2/ request answer 429 UsageCapExceeded (the
// monthly product cap) while v is true.
func (s *Server) SetUsageCapped(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.usageCapped = v
}

// SetMediaProcessingFails makes video and GIF processing end in state
// "failed" instead of "succeeded".
func (s *Server) SetMediaProcessingFails(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mediaFails = v
}

// SetRateLimit changes an endpoint's per-user window, e.g.
// SetRateLimit("POST /2/tweets", 3, 15*time.Minute). Windows already open
// keep their reset time.
func (s *Server) SetRateLimit(endpoint string, limit int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limitSpecs[endpoint] = limitSpec{limit, window}
}

// Requests counts the API requests received (/2/ and /oauth/), whatever
// their answer; media downloads are not API requests.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// ReadCount counts the GET requests to /2/ endpoints.
func (s *Server) ReadCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// WriteCount counts the POST and DELETE requests to /2/ endpoints.
func (s *Server) WriteCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// EndpointCounts counts the requests per endpoint ("POST /2/tweets": 3).
func (s *Server) EndpointCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.byEndpoint))
	for k, v := range s.byEndpoint {
		out[k] = v
	}
	return out
}

// Downloads counts the media downloads served.
func (s *Server) Downloads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.downloads
}

// RequestLog returns what the fake saw of each request, oldest first.
func (s *Server) RequestLog() []LoggedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]LoggedRequest(nil), s.log...)
}

// WeightedLength is X's weighted length of text, as the fake measures it
// before accepting a post.
func WeightedLength(text string) int { return weightedLength(text) }

// ---- plumbing ----

// reqCtx is what the API middleware hands a handler.
type reqCtx struct {
	user *User
	body []byte
}

type apiHandler func(w http.ResponseWriter, r *http.Request, c *reqCtx)

// maxBody caps what the fake reads of a request body. X takes media
// segments of up to 5 MB per APPEND and images of 5 MB in one shot; the
// rest of the body beyond this is refused.
const maxBody = 32 << 20

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// logRequest notes r and returns the function that records its status.
func (s *Server) logRequest(r *http.Request, endpoint string) func(status int) {
	e := LoggedRequest{Method: r.Method, Path: r.URL.Path, Endpoint: endpoint, ContentType: r.Header.Get("Content-Type")}
	for k := range r.URL.Query() {
		e.Query = append(e.Query, k)
	}
	sort.Strings(e.Query)
	if p, err := parseAuthorization(r.Header.Get("Authorization")); err == nil {
		e.OAuthParams = []string{}
		for _, kv := range p.all {
			e.OAuthParams = append(e.OAuthParams, kv[0])
		}
		if p.Signature != "" {
			e.OAuthParams = append(e.OAuthParams, "oauth_signature")
		}
		sort.Strings(e.OAuthParams)
	}
	for k := range r.Header {
		if k != "Authorization" {
			e.Headers = append(e.Headers, k)
		}
	}
	sort.Strings(e.Headers)
	s.mu.Lock()
	s.log = append(s.log, e)
	i := len(s.log) - 1
	s.mu.Unlock()
	return func(status int) {
		s.mu.Lock()
		s.log[i].Status = status
		s.mu.Unlock()
	}
}

// wait sleeps for the configured latency, or until ctx ends; it reports
// whether the request should still be answered.
func (s *Server) wait(ctx context.Context) bool {
	s.mu.Lock()
	d := s.latency
	s.mu.Unlock()
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// injected answers a failure the test asked for, if one is due.
func (s *Server) injected(w http.ResponseWriter, endpoint string) bool {
	s.mu.Lock()
	if !s.rateLimitNext.IsZero() {
		reset := s.rateLimitNext
		s.rateLimitNext = time.Time{}
		limit := s.limitSpecs[endpoint].limit
		s.mu.Unlock()
		if limit == 0 {
			limit = 15
		}
		h := w.Header()
		h.Set("x-rate-limit-limit", strconv.Itoa(limit))
		h.Set("x-rate-limit-remaining", "0")
		h.Set("x-rate-limit-reset", strconv.FormatInt(reset.Unix(), 10))
		tooManyRequests(w)
		return true
	}
	status := 0
	if s.failN > 0 {
		s.failN--
		status = s.failStatus
	} else if s.failRate > 0 && s.rng.Float64() < s.failRate {
		status = []int{500, 503, 502}[s.rng.Intn(3)]
	}
	s.mu.Unlock()
	if status == 0 {
		return false
	}
	s.failWith(w, status)
	return true
}

// authenticate checks the OAuth 1.0a signature of r, made with the
// consumer secret and the secret of the access token it names, and returns
// the token's user.
func (s *Server) authenticate(r *http.Request, body []byte) (*User, error) {
	p, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return nil, err
	}
	if err := p.checkProtocol(time.Now()); err != nil {
		return nil, err
	}
	if p.ConsumerKey != s.consumerKey {
		return nil, fmt.Errorf("oauth: unknown consumer key")
	}
	s.mu.Lock()
	u := s.tokens[p.Token]
	secret := s.secrets[p.Token]
	revoked := s.revoked[p.Token]
	s.mu.Unlock()
	if u == nil || revoked {
		return nil, fmt.Errorf("oauth: unknown or revoked token")
	}
	if err := verifySignature(r, p, body, s.consumerSecret, secret); err != nil {
		return nil, err
	}
	if !s.useNonce(p) {
		return nil, fmt.Errorf("oauth: nonce used before")
	}
	return u, nil
}

// useNonce records a nonce and reports whether it was fresh: a replayed
// request (same consumer, token, timestamp and nonce) is refused. Nonces
// older than the timestamp window are forgotten now and then, since a
// replay of them fails the timestamp check anyway.
func (s *Server) useNonce(p *oauthParams) bool {
	key := p.ConsumerKey + "\x00" + p.Token + "\x00" + p.Timestamp + "\x00" + p.Nonce
	ts, _ := strconv.ParseInt(p.Timestamp, 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, seen := s.nonces[key]; seen {
		return false
	}
	if len(s.nonces) >= 50000 {
		old := time.Now().Add(-2 * maxClockSkew).Unix()
		for k, t := range s.nonces {
			if t < old {
				delete(s.nonces, k)
			}
		}
	}
	s.nonces[key] = ts
	return true
}

// api wraps an /2/ endpoint: it logs and counts the request, applies the
// latency, injected failures, OAuth, rate limits (whose headers every
// authenticated answer carries), the usage cap and read access, in that
// order, then calls h.
func (s *Server) api(endpoint string, read bool, h apiHandler) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		w := &statusRecorder{ResponseWriter: rw}
		done := s.logRequest(r, endpoint)
		defer func() { done(w.status) }()
		s.mu.Lock()
		s.requests++
		s.byEndpoint[endpoint]++
		if r.Method == http.MethodGet {
			s.reads++
		} else {
			s.writes++
		}
		s.mu.Unlock()

		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			return // the client went away
		}
		if !s.wait(r.Context()) {
			return
		}
		if s.injected(w, endpoint) {
			return
		}
		u, err := s.authenticate(r, body)
		if err != nil {
			unauthorized(w)
			return
		}
		if s.opt.ReadOnly {
			w.Header().Set("x-access-level", "read")
		} else {
			w.Header().Set("x-access-level", "read-write")
		}
		if !s.rateLimit(w, endpoint, u) {
			return
		}
		if s.opt.ReadOnly && r.Method != http.MethodGet {
			forbidden(w, "Your client app is not configured with the appropriate oauth1 app permissions for this endpoint.")
			return
		}
		s.mu.Lock()
		capped, denied := s.usageCapped, s.readsDenied && read && endpoint != "GET /2/users/me"
		s.mu.Unlock()
		if capped {
			s.writeUsageCapped(w)
			return
		}
		if denied {
			s.clientNotEnrolled(w)
			return
		}
		if len(body) > maxBody {
			s.invalidRequest(w, fieldError{Message: "Request body too large."})
			return
		}
		h(w, r, &reqCtx{user: u, body: body})
	}
}

// ---- rate limits ----

type limitSpec struct {
	limit  int
	window time.Duration
}

type limitKey struct {
	endpoint string
	user     string
}

type window struct {
	used  int
	reset time.Time
}

// defaultLimits are the per-user windows of X's rate-limit table
// (docs.x.com, "X API Rate Limits", OAuth 1.0a user context). POST
// /2/tweets also has the app's 10,000 per 24 hours (AppPostsPer24h).
var defaultLimits = map[string]limitSpec{
	"GET /2/users/me":                                 {75, 15 * time.Minute},
	"GET /2/users/{id}/tweets":                        {900, 15 * time.Minute},
	"GET /2/tweets/{id}":                              {900, 15 * time.Minute},
	"GET /2/tweets":                                   {5000, 15 * time.Minute},
	"POST /2/tweets":                                  {100, 15 * time.Minute},
	"DELETE /2/tweets/{id}":                           {50, 15 * time.Minute},
	"POST /2/users/{id}/retweets":                     {50, 15 * time.Minute},
	"DELETE /2/users/{id}/retweets/{source_tweet_id}": {50, 15 * time.Minute},
	"POST /2/media/upload":                            {500, 15 * time.Minute},
	"GET /2/media/upload":                             {1000, 15 * time.Minute},
	"POST /2/media/upload/initialize":                 {1875, 15 * time.Minute},
	"POST /2/media/upload/{id}/append":                {1875, 15 * time.Minute},
	"POST /2/media/upload/{id}/finalize":              {1875, 15 * time.Minute},
	"POST /2/media/metadata":                          {500, 15 * time.Minute},
}

// take counts one request against win and returns the remaining count, or
// -1 when the window is spent.
func take(win *window, spec limitSpec, now time.Time) int {
	if win.reset.IsZero() || !now.Before(win.reset) {
		win.used = 0
		win.reset = now.Add(spec.window)
	}
	if win.used >= spec.limit {
		return -1
	}
	win.used++
	return spec.limit - win.used
}

// rateLimit counts the request against the user's window for endpoint (and,
// for POST /2/tweets, the user's and the app's 24-hour caps), sets the
// headers X sends, and answers 429 when a limit is spent.
func (s *Server) rateLimit(w http.ResponseWriter, endpoint string, u *User) bool {
	now := s.now()
	h := w.Header()
	s.mu.Lock()
	spec, ok := s.limitSpecs[endpoint]
	if !ok {
		spec = limitSpec{900, 15 * time.Minute}
	}
	key := limitKey{endpoint, u.id}
	win := s.limits[key]
	if win == nil {
		win = &window{}
		s.limits[key] = win
	}
	left := take(win, spec, now)
	h.Set("x-rate-limit-limit", strconv.Itoa(spec.limit))
	h.Set("x-rate-limit-remaining", strconv.Itoa(max(left, 0)))
	h.Set("x-rate-limit-reset", strconv.FormatInt(win.reset.Unix(), 10))
	limited := left < 0
	if endpoint == "POST /2/tweets" && !limited {
		uLeft := take(&u.daily, limitSpec{s.opt.UserPostsPer24h, 24 * time.Hour}, now)
		aLeft := take(&s.appDaily, limitSpec{s.opt.AppPostsPer24h, 24 * time.Hour}, now)
		h.Set("x-user-limit-24hour-limit", strconv.Itoa(s.opt.UserPostsPer24h))
		h.Set("x-user-limit-24hour-remaining", strconv.Itoa(max(uLeft, 0)))
		h.Set("x-user-limit-24hour-reset", strconv.FormatInt(u.daily.reset.Unix(), 10))
		h.Set("x-app-limit-24hour-limit", strconv.Itoa(s.opt.AppPostsPer24h))
		h.Set("x-app-limit-24hour-remaining", strconv.Itoa(max(aLeft, 0)))
		h.Set("x-app-limit-24hour-reset", strconv.FormatInt(s.appDaily.reset.Unix(), 10))
		limited = uLeft < 0 || aLeft < 0
	}
	s.mu.Unlock()
	if limited {
		tooManyRequests(w)
		return false
	}
	return true
}

// ---- routes ----

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, read bool, h apiHandler) {
		mux.HandleFunc(pattern, s.api(pattern, read, h))
	}
	handle("GET /2/users/me", true, s.handleMe)
	handle("GET /2/users/{id}/tweets", true, s.handleTimeline)
	handle("GET /2/tweets/{id}", true, s.handleTweet)
	handle("GET /2/tweets", true, s.handleTweets)
	handle("POST /2/tweets", false, s.handleCreate)
	handle("DELETE /2/tweets/{id}", false, s.handleDelete)
	handle("POST /2/users/{id}/retweets", false, s.handleRetweet)
	handle("DELETE /2/users/{id}/retweets/{source_tweet_id}", false, s.handleUnretweet)
	handle("POST /2/media/upload", false, s.handleUploadOneShot)
	handle("GET /2/media/upload", false, s.handleUploadStatus)
	handle("POST /2/media/upload/initialize", false, s.handleUploadInit)
	handle("POST /2/media/upload/{id}/append", false, s.handleUploadAppend)
	handle("POST /2/media/upload/{id}/finalize", false, s.handleUploadFinalize)
	handle("POST /2/media/metadata", false, s.handleMetadata)
	mux.HandleFunc("POST /oauth/request_token", s.oauthEndpoint("POST /oauth/request_token", s.handleRequestToken))
	mux.HandleFunc("GET /oauth/authorize", s.handleAuthorizePage)
	mux.HandleFunc("GET /oauth/authenticate", s.handleAuthorizePage)
	mux.HandleFunc("POST /oauth/access_token", s.oauthEndpoint("POST /oauth/access_token", s.handleAccessToken))
	mux.HandleFunc("GET /media/{file...}", s.handleDownload)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		done := s.logRequest(r, "")
		pageNotFound(w)
		done(http.StatusNotFound)
	})
	return mux
}

// checkQuery refuses query parameters an endpoint does not take, as X
// does: 400 naming the parameter and the allowed ones.
func (s *Server) checkQuery(w http.ResponseWriter, r *http.Request, allowed ...string) (url.Values, bool) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.invalidRequest(w, fieldError{Message: "The query string could not be parsed."})
		return nil, false
	}
	var errs []fieldError
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		ok := false
		for _, a := range allowed {
			if k == a {
				ok = true
				break
			}
		}
		if !ok {
			errs = append(errs, fieldError{
				Parameters: map[string][]string{k: q[k]},
				Message:    fmt.Sprintf("The query parameter [%s] is not one of [%s]", k, strings.Join(allowed, ",")),
			})
		} else if len(q[k]) > 1 {
			errs = append(errs, fieldError{
				Parameters: map[string][]string{k: q[k]},
				Message:    fmt.Sprintf("Duplicate parameters are not allowed:  the `%s` query parameter", k),
			})
		}
	}
	if len(errs) > 0 {
		s.invalidRequest(w, errs...)
		return nil, false
	}
	return q, true
}
