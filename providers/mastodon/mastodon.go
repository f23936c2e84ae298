package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	gomasto "github.com/mattn/go-mastodon"

	"github.com/dualpower/dualpower/providers"
)

func init() {
	providers.Register(&providers.Info{
		Name:        network,
		Description: "Mastodon and servers with its client API (GoToSocial, Akkoma, Pleroma…)",
		Settings:    []string{"server"},
		Secrets:     []string{"access_token"},
		Required:    []string{"server", "access_token"},
		New: func(opt providers.Options) (providers.Provider, error) {
			p, err := New(opt)
			if err != nil {
				return nil, err
			}
			return p, nil
		},
	})
}

// Documented defaults of Mastodon, used where a server does not say.
const (
	DefaultMaxCharacters    = 500
	DefaultURLLength        = 23
	DefaultMaxMedia         = 4
	DefaultDescriptionLimit = 1500
	DefaultImageSizeLimit   = 16 << 20
	DefaultVideoSizeLimit   = 99 << 20
)

// limitsTTL is how long the instance's limits are cached.
const limitsTTL = time.Hour

// maxJSONBody bounds a JSON answer the adapter decodes.
const maxJSONBody = 16 << 20

// Provider is one account on a Mastodon-API server. Its methods may be called
// from several goroutines at once.
type Provider struct {
	account string
	server  *url.URL // base URL, without a trailing slash
	token   providers.Secret
	ua      string
	hc      *http.Client      // every request; its transport is ours
	base    http.RoundTripper // what our transport wraps; the stream dials like it
	client  *gomasto.Client
	now     func() time.Time

	// Tunables; tests shorten them.
	backoffMin   time.Duration // first wait between stream reconnects
	backoffMax   time.Duration // longest wait between stream reconnects
	stableAfter  time.Duration // a connection up this long resets the backoff
	pingInterval time.Duration // how often the stream pings the server
	readTimeout  time.Duration // a stream silent this long is dead
	settleDelay  time.Duration // the second catch-up poll after a connect
	mediaTimeout time.Duration // total wait for media processing
	mediaPollMin time.Duration // first wait between media status checks
	pollPages    int           // most pages one Poll reads
	onConnect    func()        // tests: called when a stream is up and caught up

	mu          sync.Mutex
	self        *account // verify_credentials, once known
	limits      *providers.Limits
	limitsAt    time.Time
	domain      string // the instance's own domain, once known
	rlRemaining int
	// heldUntil is a rate-limit reset the server named with a 429, and
	// heldError that answer: nothing is sent before it (see transport).
	heldUntil  time.Time
	heldError  statusError
	reqMu      sync.Mutex // serialises requests (see transport)
	rlReset    time.Time
	queryToken bool // the stream wants the token as a query parameter
	// resumeSince and resumeKnown are what Resume was told, for the next
	// Stream to start from.
	resumeSince time.Time
	resumeKnown []providers.Known
}

// New makes a provider for one account. It does no I/O; Verify checks the
// token. opt.Settings["server"] is the server's base URL ("https" is assumed
// when it has no scheme); opt.Secrets["access_token"] the user's token.
func New(opt providers.Options) (*Provider, error) {
	server, err := parseServer(opt.Setting("server", ""))
	if err != nil {
		return nil, fmt.Errorf("mastodon: account %q: %w", opt.Account, err)
	}
	token := opt.Secrets["access_token"]
	if token == "" {
		return nil, fmt.Errorf("mastodon: account %q: access_token is not set", opt.Account)
	}
	ua := opt.UserAgent
	if ua == "" {
		ua = "dualpower"
	}
	p := &Provider{
		account:      opt.Account,
		server:       server,
		token:        token,
		ua:           ua,
		now:          time.Now,
		backoffMin:   time.Second,
		backoffMax:   time.Minute,
		stableAfter:  time.Minute,
		pingInterval: 30 * time.Second,
		readTimeout:  90 * time.Second,
		settleDelay:  3 * time.Second,
		mediaTimeout: 2 * time.Minute,
		mediaPollMin: 500 * time.Millisecond,
		pollPages:    25,
		rlRemaining:  -1,
	}
	var hc http.Client
	if opt.HTTPClient != nil {
		hc = *opt.HTTPClient
	} else {
		hc = http.Client{Timeout: 10 * time.Minute}
	}
	p.base = hc.Transport
	if p.base == nil {
		if opt.HTTPClient != nil {
			p.base = http.DefaultTransport
		} else {
			p.base = defaultTransport()
		}
	}
	hc.Transport = &transport{base: p.base, p: p}
	if hc.CheckRedirect == nil {
		hc.CheckRedirect = checkRedirect
	}
	p.hc = &hc

	p.client = gomasto.NewClient(&gomasto.Config{Server: server.String(), AccessToken: token.Reveal()})
	p.client.Client = hc // the library embeds an http.Client: give it ours, so it never sees a 429
	p.client.UserAgent = ua
	return p, nil
}

// errRedirect is a redirect that would turn a write into a read.
var errRedirect = errors.New("the server redirects writes; set server to the URL it redirects to")

// checkRedirect follows redirects as Go does, except one that would turn a
// POST, PUT or DELETE into a GET (301, 302, 303): a publish must not
// silently become a read of something else.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if orig := via[0].Method; orig != req.Method && orig != http.MethodGet && orig != http.MethodHead {
		return errRedirect
	}
	return nil
}

func defaultTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: time.Minute,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   4,
		ForceAttemptHTTP2:     true,
	}
}

func parseServer(s string) (*url.URL, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("server is not set")
	}
	u, err := providers.ParseBaseURL(s)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	return u, nil
}

// Network returns "mastodon".
func (p *Provider) Network() string { return network }

// Account returns the configured account name every Ref carries.
func (p *Provider) Account() string { return p.account }

// RateLimit returns the X-RateLimit-Remaining and X-RateLimit-Reset the
// server sent last (for metrics); remaining is -1 before any was seen.
func (p *Provider) RateLimit() (remaining int, reset time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rlRemaining, p.rlReset
}

func (p *Provider) noteRateLimit(h http.Header) {
	rem, err := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Remaining")))
	if err != nil {
		return
	}
	reset, _ := parseISOTime(h.Get("X-RateLimit-Reset"))
	p.mu.Lock()
	p.rlRemaining, p.rlReset = rem, reset
	p.mu.Unlock()
}

// localDomain is the domain local accounts live on: the instance's own
// domain once Limits has read it, else the configured server's host.
func (p *Provider) localDomain() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.domain != "" {
		return p.domain
	}
	return p.server.Host
}

// Verify checks the token with verify_credentials and says whose it is. A
// refused token is an *Error of kind Auth.
func (p *Provider) Verify(ctx context.Context) (providers.Identity, error) {
	a, err := p.client.GetAccountCurrentUser(ctx)
	if err != nil {
		return providers.Identity{}, p.classify(ctx, "verify", nil, err)
	}
	me := &account{ID: string(a.ID), Username: a.Username, Acct: a.Acct, DisplayName: a.DisplayName, URL: a.URL}
	if me.ID == "" {
		return providers.Identity{}, &providers.Error{Kind: providers.Transient, Network: network, Op: "verify", Message: "verify_credentials answered without an account ID"}
	}
	p.mu.Lock()
	p.self = me
	p.mu.Unlock()
	// The instance names the domain handles use (it may differ from the web
	// host); learn it on the way, but a failure here is not Verify's.
	_, _ = p.Limits(ctx)
	return providers.Identity{ID: me.ID, Handle: fullAcct(me.Acct, p.localDomain()), Name: me.DisplayName, URL: me.URL}, nil
}

// me returns the account of the token, from cache or verify_credentials.
func (p *Provider) me(ctx context.Context) (account, error) {
	p.mu.Lock()
	if p.self != nil {
		a := *p.self
		p.mu.Unlock()
		return a, nil
	}
	p.mu.Unlock()
	if _, err := p.Verify(ctx); err != nil {
		return account{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return *p.self, nil
}

// Limits reads what the server takes from GET /api/v2/instance (or
// /api/v1/instance when v2 is missing, as on Pleroma and Akkoma), cached for
// an hour; where the server does not say, Mastodon's documented defaults
// apply (500 characters, URLs as 23, 4 attachments, 1500 characters of alt
// text, 16 MB images, 99 MB videos). When a refresh fails the last answer is
// kept.
func (p *Provider) Limits(ctx context.Context) (providers.Limits, error) {
	p.mu.Lock()
	if p.limits != nil && p.now().Sub(p.limitsAt) < limitsTTL {
		l := *p.limits
		p.mu.Unlock()
		return l, nil
	}
	p.mu.Unlock()
	l, domain, err := p.fetchLimits(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		if p.limits != nil {
			return *p.limits, nil
		}
		return providers.Limits{}, err
	}
	p.limits, p.limitsAt = &l, p.now()
	if domain != "" {
		p.domain = domain
	}
	return l, nil
}

func (p *Provider) fetchLimits(ctx context.Context) (providers.Limits, string, error) {
	var c instanceLimits
	var domain string
	var v2 instanceV2
	_, err := p.do(ctx, "limits", http.MethodGet, "/api/v2/instance", nil, nil, "", &v2)
	switch {
	case err == nil:
		c, domain = v2.Configuration, v2.Domain
	case errors.Is(err, providers.ErrNotFound):
		var v1 instanceV1
		if _, err := p.do(ctx, "limits", http.MethodGet, "/api/v1/instance", nil, nil, "", &v1); err != nil {
			if !errors.Is(err, providers.ErrNotFound) {
				return providers.Limits{}, "", err
			}
		}
		if v1.Configuration != nil {
			c = *v1.Configuration
		}
		if c.Statuses.MaxCharacters == nil {
			c.Statuses.MaxCharacters = v1.MaxTootChars
		}
		domain = hostOf(v1.URI)
	default:
		return providers.Limits{}, "", err
	}
	l := providers.Limits{
		MaxLength:     positive(c.Statuses.MaxCharacters, DefaultMaxCharacters),
		URLLength:     positive(c.Statuses.CharactersReservedPerURL, DefaultURLLength),
		MaxMedia:      positive(c.Statuses.MaxMediaAttachments, DefaultMaxMedia),
		MaxImageSize:  positive(c.MediaAttachments.ImageSizeLimit, DefaultImageSizeLimit),
		MaxVideoSize:  positive(c.MediaAttachments.VideoSizeLimit, DefaultVideoSizeLimit),
		MaxAltLength:  positive(c.MediaAttachments.DescriptionLimit, DefaultDescriptionLimit),
		WarningCounts: true,
		CanEdit:       true,
	}
	l.MaxGIFSize = l.MaxImageSize // a GIF is uploaded as an image
	urlLength := l.URLLength
	l.Length = func(text string) int { return statusLength(text, urlLength) }
	return l, domain, nil
}

// positive is *v when the server said a positive number, else def.
func positive[T int | int64](v *T, def T) T {
	if v != nil && *v > 0 {
		return *v
	}
	return def
}

// hostOf returns the host of a URL or of a bare domain ("social.example").
func hostOf(s string) string {
	if s == "" {
		return ""
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return u.Host
}

// do sends one request of our own (where go-mastodon cannot: idempotency,
// quotes, paging with min_id, media processing) and decodes a JSON answer
// into out. It returns the answer's status; any answer of 400 and above, and
// any failure, is a classified error.
func (p *Provider) do(ctx context.Context, op, method, path string, query url.Values, body io.Reader, contentType string, out any) (int, error) {
	u := p.server.JoinPath(path)
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return 0, wrapOp(op, p.scrub(err))
	}
	req.Header.Set("Authorization", "Bearer "+p.token.Reveal())
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return p.send(ctx, op, req, out)
}

// send sends req and decodes the answer as do does. Content length is set
// by the caller when the body is not a standard reader.
func (p *Provider) send(ctx context.Context, op string, req *http.Request, out any) (int, error) {
	resp, err := p.hc.Do(req)
	if err != nil {
		return 0, p.classify(ctx, op, nil, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 { // only when a caller's transport is not ours
		return resp.StatusCode, p.classify(ctx, op, resp, nil)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxJSONBody))
		return resp.StatusCode, nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxJSONBody)).Decode(out); err != nil {
		if ctx.Err() != nil {
			return resp.StatusCode, fmt.Errorf("mastodon: %s: %w", op, ctx.Err())
		}
		return resp.StatusCode, &providers.Error{Kind: providers.Transient, Network: network, Op: op, Status: resp.StatusCode,
			Message: "undecodable answer", Err: p.scrub(err)}
	}
	return resp.StatusCode, nil
}

// ctxKey keys the idempotency key in a request's context.
type ctxKey struct{}

// withIdempotencyKey makes the transport send key as Idempotency-Key on the
// POST requests made with the returned context (go-mastodon cannot set it).
func withIdempotencyKey(ctx context.Context, key string) context.Context {
	if key == "" {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, key)
}

// transport is the RoundTripper under every request, ours and
// go-mastodon's. It sets User-Agent and Idempotency-Key, records the rate
// limit headers, and turns every answer of 400 and above into a
// *statusError, so go-mastodon never sees a 429 (its own retry loop would
// sleep up to an hour) and classify sees the headers and the body.
type transport struct {
	base http.RoundTripper
	p    *Provider
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set("User-Agent", t.p.ua)
	if key, ok := req.Context().Value(ctxKey{}).(string); ok && req.Method == http.MethodPost {
		r.Header.Set("Idempotency-Key", key)
	}
	// One request at a time per account: the server's allowance is per
	// token, and a 429 must be seen before the next request leaves.
	t.p.reqMu.Lock()
	defer t.p.reqMu.Unlock()
	if held := t.p.heldAnswer(); held != nil {
		// The server said to wait: answer for it, with its own 429,
		// without sending anything, so that no caller (a worker, a
		// catch-up poll, a reconnect) spends a request it has no right to.
		return nil, held
	}
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	t.p.noteRateLimit(resp.Header)
	if resp.StatusCode >= 400 {
		se := newStatusError(resp)
		if se.Status == http.StatusTooManyRequests {
			t.p.hold(se)
		}
		return nil, se
	}
	return resp, nil
}

// hold remembers a 429 until its reset, reckoned now that it arrived (and
// kept in se.reset for classify): until then the transport answers with it.
func (p *Provider) hold(se *statusError) {
	if se.reset.IsZero() {
		se.reset = rateLimitReset(se.Header, p.now())
	}
	until := se.reset
	held := *se
	held.Header = se.Header.Clone()
	if held.Header == nil {
		held.Header = http.Header{}
	}
	// The answer given while holding names the time actually held to, on
	// our clock (so without the server's Date).
	held.Header.Set("X-RateLimit-Reset", until.UTC().Format(time.RFC3339Nano))
	held.Header.Del("Date")
	p.mu.Lock()
	if until.After(p.heldUntil) {
		p.heldUntil, p.heldError = until, held
	}
	p.mu.Unlock()
}

// heldAnswer is the 429 to answer with while its reset has not come.
func (p *Provider) heldAnswer() *statusError {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.now().Before(p.heldUntil) {
		return nil
	}
	se := p.heldError
	return &se
}

// Compile-time checks of the capabilities this adapter has.
var (
	_ providers.Provider      = (*Provider)(nil)
	_ providers.Poller        = (*Provider)(nil)
	_ providers.Streamer      = (*Provider)(nil)
	_ providers.Resumer       = (*Provider)(nil)
	_ providers.Checker       = (*Provider)(nil)
	_ providers.Publisher     = (*Provider)(nil)
	_ providers.Editor        = (*Provider)(nil)
	_ providers.Deleter       = (*Provider)(nil)
	_ providers.Reposter      = (*Provider)(nil)
	_ providers.MediaUploader = (*Provider)(nil)
	_ providers.Fetcher       = (*Provider)(nil)
	_ providers.Reconciler    = (*Provider)(nil)
)
