package twitter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dghubble/oauth1"

	"github.com/dualpower/dualpower/providers"
)

// Name is the network's name in the configuration; "x" is accepted too.
const Name = "twitter"

// DefaultAPIBase is where the X API v2 lives.
const DefaultAPIBase = "https://api.x.com"

// Limits of X in 2026, from its documentation (docs.x.com "Media types &
// size restrictions", the twitter-text v3 configuration).
const (
	maxLength    = 280
	urlLength    = 23
	maxMedia     = 4
	maxImageSize = 5 << 20
	maxGIFSize   = 15 << 20
	maxVideoSize = 512 << 20
	maxAltLength = 1000
)

// maxBody caps what is read of one answer; a timeline page of 100 posts
// with its includes is well under it.
const maxBody = 16 << 20

func init() {
	providers.Register(&providers.Info{
		Name:        Name,
		Aliases:     []string{"x"},
		Description: "X (Twitter) API v2 with OAuth 1.0a user context",
		Settings:    []string{"api_base", "can_edit"},
		Secrets:     []string{"consumer_key", "consumer_secret", "access_token", "access_token_secret"},
		Required:    []string{"consumer_key", "consumer_secret", "access_token", "access_token_secret"},
		New: func(opt providers.Options) (providers.Provider, error) {
			return New(opt)
		},
	})
}

// Provider is one X account. It is safe for concurrent use.
type Provider struct {
	account   string
	base      *url.URL // api_base, without a trailing slash
	client    *http.Client
	userAgent string
	canEdit   bool
	secrets   []string // values scrubbed from every error message

	// after waits for d; tests replace it so media processing waits do not
	// sleep. now is the clock for reset times.
	after func(d time.Duration) <-chan time.Time
	now   func() time.Time

	mu   sync.Mutex
	me   *user // the account, once Verify or a call that needs its ID has run
	rate rateState
	// heldUntil is a reset X named with a 429: nothing is sent before it.
	heldUntil time.Time
	reqMu     sync.Mutex // serialises requests (see send)
}

// New makes a provider for one X account from its settings and secrets. It
// does no I/O.
func New(opt providers.Options) (*Provider, error) {
	var missing []string
	for _, k := range []string{"consumer_key", "consumer_secret", "access_token", "access_token_secret"} {
		if opt.Secrets[k].Reveal() == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("twitter: missing secrets: %s", strings.Join(missing, ", "))
	}
	base, err := providers.ParseBaseURL(opt.Setting("api_base", DefaultAPIBase))
	if err != nil {
		return nil, fmt.Errorf("twitter: api_base: %w", err)
	}
	canEdit, err := strconv.ParseBool(opt.Setting("can_edit", "false"))
	if err != nil {
		return nil, fmt.Errorf("twitter: can_edit %q is not true or false", opt.Setting("can_edit", ""))
	}

	httpc := opt.HTTPClient
	if httpc == nil {
		httpc = &http.Client{Timeout: 2 * time.Minute}
	}
	cfg := oauth1.NewConfig(opt.Secrets["consumer_key"].Reveal(), opt.Secrets["consumer_secret"].Reveal())
	tok := oauth1.NewToken(opt.Secrets["access_token"].Reveal(), opt.Secrets["access_token_secret"].Reveal())
	// The context given to Client only picks the base transport; every
	// request carries its own context.
	signed := cfg.Client(context.WithValue(context.Background(), oauth1.HTTPClient, httpc), tok)
	signed.Timeout = httpc.Timeout
	signed.Jar = httpc.Jar
	signed.CheckRedirect = noRedirect

	ua := opt.UserAgent
	if ua == "" {
		ua = "dualpower"
	}
	var secrets []string
	for _, k := range []string{"consumer_secret", "access_token_secret", "access_token", "consumer_key"} {
		if v := opt.Secrets[k].Reveal(); v != "" {
			secrets = append(secrets, v)
		}
	}
	return &Provider{
		account:   opt.Account,
		base:      base,
		client:    signed,
		userAgent: ua,
		canEdit:   canEdit,
		secrets:   secrets,
		after:     time.After,
		now:       time.Now,
		rate:      rateState{remaining: -1},
	}, nil
}

// noRedirect stops the client following redirects: a signed request
// re-sent to another URL would carry a signature for the wrong URL, and an
// API answer that redirects is not one we understand.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Network returns "twitter".
func (p *Provider) Network() string { return Name }

// Account returns the configured account name.
func (p *Provider) Account() string { return p.account }

// Verify asks X whose credentials these are (GET /2/users/me). A refused
// token is an *providers.Error of kind Auth.
func (p *Provider) Verify(ctx context.Context) (providers.Identity, error) {
	u, err := p.fetchMe(ctx, "verify")
	if err != nil {
		return providers.Identity{}, err
	}
	return providers.Identity{ID: u.ID, Handle: u.Username, Name: u.Name, URL: profileURL(u.Username)}, nil
}

// Limits returns X's documented limits; it does no I/O. Edits are
// possible only when the can_edit setting says the account is eligible.
func (p *Provider) Limits(context.Context) (providers.Limits, error) {
	return providers.Limits{
		MaxLength:    maxLength,
		Length:       textLength,
		URLLength:    urlLength,
		MaxMedia:     maxMedia,
		MaxImageSize: maxImageSize,
		MaxGIFSize:   maxGIFSize,
		MaxVideoSize: maxVideoSize,
		MaxAltLength: maxAltLength,
		CanEdit:      p.canEdit,
	}, nil
}

// fetchMe reads the account (GET /2/users/me) and remembers it.
func (p *Provider) fetchMe(ctx context.Context, op string) (*user, error) {
	var r userResponse
	if err := p.call(ctx, op, http.MethodGet, "/2/users/me", url.Values{"user.fields": {"username"}}, nil, &r); err != nil {
		return nil, err
	}
	if r.Data == nil || !validID(r.Data.ID) || !usernamePattern.MatchString(r.Data.Username) {
		if len(r.Errors) > 0 {
			return nil, p.problemsError(op, r.Errors)
		}
		return nil, p.malformed(op, "the answer names no user")
	}
	u := *r.Data
	p.mu.Lock()
	p.me = &u
	p.mu.Unlock()
	return &u, nil
}

// self returns the account, reading it once when not yet known.
func (p *Provider) self(ctx context.Context, op string) (*user, error) {
	p.mu.Lock()
	me := p.me
	p.mu.Unlock()
	if me != nil {
		return me, nil
	}
	return p.fetchMe(ctx, op)
}

// username returns the account's username when it is known, else "".
func (p *Provider) username() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.me == nil {
		return ""
	}
	return p.me.Username
}

// usernamePattern is the spec's UserName.
var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,15}$`)

func profileURL(username string) string { return "https://x.com/" + username }

// statusURL is a post's permalink; X redirects /i/status/ID to the real
// one when the author is unknown (or named impossibly).
func statusURL(username, id string) string {
	if !usernamePattern.MatchString(username) {
		username = "i"
	}
	return "https://x.com/" + username + "/status/" + id
}

var idPattern = regexp.MustCompile(`^[0-9]{1,19}$`)

// validID reports whether id has the shape of an X ID (TweetId, UserId,
// MediaId in the spec); anything else never reaches a URL path.
func validID(id string) bool { return idPattern.MatchString(id) }

func (p *Provider) badID(op, id string) error {
	return &providers.Error{Kind: providers.Rejected, Reason: providers.ReasonInvalid, Network: Name, Op: op,
		Message: fmt.Sprintf("%q is not an X post ID", truncate(id, 40))}
}

// call sends one JSON request and decodes a 2xx answer into out (when out is
// not nil). Any other outcome is classified into a *providers.Error.
func (p *Provider) call(ctx context.Context, op, method, path string, query url.Values, in, out any) error {
	var body io.Reader
	ctype := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("twitter: %s: encode request: %w", op, err)
		}
		body, ctype = bytes.NewReader(b), "application/json"
	}
	return p.send(ctx, op, method, path, query, body, ctype, out)
}

// send is call with a ready body and content type.
func (p *Provider) send(ctx context.Context, op, method, path string, query url.Values, body io.Reader, ctype string, out any) (retErr error) {
	u := *p.base
	u.Path = p.base.Path + path
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return fmt.Errorf("twitter: %s: build request: %w", op, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", p.userAgent)

	// One request at a time per account, so a 429 is seen before the next
	// request leaves.
	p.reqMu.Lock()
	defer p.reqMu.Unlock()
	if until := p.held(); time.Now().Before(until) {
		// X said to wait: nothing is sent before the reset, by any caller.
		return &providers.Error{Kind: providers.RateLimited, Network: Name, Op: op, Status: http.StatusTooManyRequests,
			Reset: until, Message: "held until the rate-limit reset; not sent"}
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return p.classify(op, nil, nil, err)
	}
	defer resp.Body.Close()
	p.recordRate(resp.Header)
	if resp.StatusCode == http.StatusTooManyRequests {
		defer func() {
			// A usage cap (Quota) is the engine's to hold: it may lift
			// before its period ends (a plan changed), and a reload
			// must then work at once.
			if providers.KindOf(retErr) != providers.RateLimited {
				return
			}
			if r := providers.ResetOf(retErr); !r.IsZero() {
				p.hold(r)
			} else {
				p.hold(time.Now().Add(time.Minute))
			}
		}()
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return p.classify(op, resp, nil, err)
	}
	if len(data) > maxBody {
		return p.classify(op, resp, nil, errors.New("answer too large"))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return p.classify(op, resp, data, nil)
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return p.malformed(op, "the answer is not the JSON X sends: "+err.Error())
	}
	return nil
}

// malformed is the error for a 2xx answer we cannot use: worth retrying,
// as a proxy or a hiccup may have sent it.
func (p *Provider) malformed(op, msg string) error {
	return &providers.Error{Kind: providers.Transient, Network: Name, Op: op, Message: p.scrub(truncate(msg, 300))}
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// Compile-time guards: the capabilities this adapter has. It is not a
// Streamer: X offers no user stream to this kind of app.
var (
	_ providers.Provider      = (*Provider)(nil)
	_ providers.Poller        = (*Provider)(nil)
	_ providers.Publisher     = (*Provider)(nil)
	_ providers.Editor        = (*Provider)(nil)
	_ providers.Deleter       = (*Provider)(nil)
	_ providers.Reposter      = (*Provider)(nil)
	_ providers.Checker       = (*Provider)(nil)
	_ providers.MediaUploader = (*Provider)(nil)
	_ providers.Fetcher       = (*Provider)(nil)
	_ providers.Reconciler    = (*Provider)(nil)
	_ providers.Mentioner     = (*Provider)(nil)
)

// hold stops every request until t: a 429 named it as the reset.
func (p *Provider) hold(t time.Time) {
	p.mu.Lock()
	if t.After(p.heldUntil) {
		p.heldUntil = t
	}
	p.mu.Unlock()
}

func (p *Provider) held() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.heldUntil
}
