package login

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Errors every flow's errors match with errors.Is.
var (
	// ErrUnreachable: the server did not answer (DNS, connection, TLS,
	// timeout).
	ErrUnreachable = errors.New("cannot reach the server")
	// ErrUnavailable: the server answered that it cannot serve the request
	// now: a 5xx, or 429 too many requests. Trying later may work.
	ErrUnavailable = errors.New("the server cannot answer now")
	// ErrNotAPI: something answered, but not as the API does: a 404, a
	// redirect, an HTML page, JSON of another shape.
	ErrNotAPI = errors.New("the server does not speak the expected API")
	// ErrRefused: the server understood the request and said no: a wrong
	// code or PIN, unknown consumer keys, scopes it does not grant.
	ErrRefused = errors.New("the server refused")
)

// Options are what every flow's requests go through.
type Options struct {
	// HTTPClient carries the requests; nil means http.DefaultClient's
	// transport. Its Timeout and CheckRedirect are not used: the context
	// bounds each request, and redirects are never followed.
	HTTPClient *http.Client
	// UserAgent is sent with every request ("dualpower/1.2.3"); GoToSocial
	// answers 418 to a request without one. Default "dualpower".
	UserAgent string
}

// maxBody bounds an answer the flows read. Theirs are a few hundred bytes.
const maxBody = 1 << 20

// errTooLarge is what reading past maxBody returns.
var errTooLarge = fmt.Errorf("the answer is larger than %d bytes", maxBody)

// answer is what the transport kept of the last response: enough to say
// why a step failed even when a library read the body.
type answer struct {
	status      int
	contentType string
	location    string
	body        bytes.Buffer // the first excerptSize bytes
	tooLarge    bool         // reading it went past maxBody
}

// excerptSize is how much of an answer's body is kept for error messages.
const excerptSize = 4 << 10

// transport sets User-Agent, binds requests made without a context (the
// oauth1 helpers use http.NewRequest) to the flow's context, bounds the
// body, and remembers the last answer.
type transport struct {
	ctx       context.Context
	base      http.RoundTripper
	userAgent string

	mu   sync.Mutex
	last *answer
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if ctx == context.Background() {
		ctx = t.ctx
	}
	r := req.Clone(ctx)
	r.Header.Set("User-Agent", t.userAgent)
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	a := &answer{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), location: resp.Header.Get("Location")}
	t.mu.Lock()
	t.last = a
	t.mu.Unlock()
	resp.Body = &body{rc: resp.Body, left: maxBody, keep: a, mu: &t.mu}
	return resp, nil
}

// lastAnswer returns the last answer received, or nil.
func (t *transport) lastAnswer() *answer {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

// body limits a response body to maxBody and keeps its start.
type body struct {
	rc   io.ReadCloser
	left int64
	keep *answer
	mu   *sync.Mutex
}

func (b *body) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly maxBody from a longer one.
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			b.mu.Lock()
			b.keep.tooLarge = true
			b.mu.Unlock()
			return 0, errTooLarge
		}
		return b.rc.Read(p)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	b.mu.Lock()
	if room := excerptSize - b.keep.body.Len(); room > 0 {
		b.keep.body.Write(p[:min(n, room)])
	}
	b.mu.Unlock()
	return n, err
}

func (b *body) Close() error { return b.rc.Close() }

// client makes the HTTP client one step of a flow uses: every request bound
// to ctx, none redirected.
func (o Options) client(ctx context.Context) (*http.Client, *transport) {
	base := http.DefaultTransport
	var jar http.CookieJar
	if o.HTTPClient != nil {
		if o.HTTPClient.Transport != nil {
			base = o.HTTPClient.Transport
		}
		jar = o.HTTPClient.Jar
	}
	ua := o.UserAgent
	if ua == "" {
		ua = "dualpower"
	}
	t := &transport{ctx: ctx, base: base, userAgent: ua}
	return &http.Client{
		Transport:     t,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, t
}

// readBody reads a response body whole, within maxBody.
func readBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: reading the answer: %w", ErrNotAPI, err)
	}
	return b, nil
}

// unreachable describes a request that got no answer. The URL is left out
// (url.Error would repeat it); the caller names the server.
func unreachable(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return fmt.Errorf("%w: no answer in time", ErrUnreachable)
		}
		return fmt.Errorf("%w: %w", ErrUnreachable, ctxErr)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return fmt.Errorf("%w: no such host %s", ErrUnreachable, clean(dns.Name, 100))
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
	}
	return fmt.Errorf("%w: %s", ErrUnreachable, clean(err.Error(), 200))
}

// redirected describes a 3xx answer: where the server points, so the
// person can use that instead.
func redirected(a *answer) error {
	where := "elsewhere"
	if u, err := url.Parse(a.location); err == nil && u.Host != "" {
		where = clean(u.Scheme+"://"+u.Host, 200)
	}
	return fmt.Errorf("%w: it answered HTTP %d, a redirect to %s; try that address instead", ErrNotAPI, a.status, where)
}

// looksLikeHTML reports whether a body is a web page rather than an API's
// answer.
func looksLikeHTML(b []byte) bool {
	t := bytes.TrimSpace(b)
	return len(t) > 0 && t[0] == '<'
}

// message extracts what the server said from an error body: an OAuth
// error and its description, Mastodon's {"error": …}, X's
// {"errors":[{"message": …}]} or {"title", "detail"}, or the first line of
// plain text. It returns "" for an HTML page or nothing useful.
func message(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || looksLikeHTML(b) {
		return ""
	}
	if b[0] == '{' {
		var v struct {
			Error            any    `json:"error"`
			ErrorDescription string `json:"error_description"`
			Title            string `json:"title"`
			Detail           string `json:"detail"`
			Errors           []struct {
				Message string `json:"message"`
			} `json:"errors"`
		}
		if json.Unmarshal(b, &v) != nil {
			return ""
		}
		var parts []string
		if s, ok := v.Error.(string); ok && s != "" {
			parts = append(parts, s)
		}
		if v.ErrorDescription != "" {
			parts = append(parts, v.ErrorDescription)
		}
		if v.Title != "" {
			parts = append(parts, v.Title)
		}
		if v.Detail != "" {
			parts = append(parts, v.Detail)
		}
		if len(v.Errors) > 0 && v.Errors[0].Message != "" {
			parts = append(parts, v.Errors[0].Message)
		}
		return clean(strings.Join(parts, ": "), 300)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return clean(line, 300)
}

// clean makes s safe to print: control characters and invalid UTF-8 become
// spaces or U+FFFD, runs of space collapse, and it is cut to n runes.
func clean(s string, n int) string {
	var b strings.Builder
	space := false
	count := 0
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) && !unicode.IsSpace(r) {
			r = '\uFFFD'
		}
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
			count++
		}
		space = false
		if count >= n {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		count++
	}
	return b.String()
}

// statusError describes an unexpected answer of a step: a redirect, a page
// that is no API, or an API error with what the server said.
func statusError(a *answer, notFound string) error {
	switch {
	case a.status >= 300 && a.status < 400:
		return redirected(a)
	case a.status == http.StatusNotFound || a.status == http.StatusMethodNotAllowed:
		return fmt.Errorf("%w: %s answered HTTP %d", ErrNotAPI, notFound, a.status)
	case a.status == http.StatusTooManyRequests:
		return fmt.Errorf("%w: HTTP 429, too many requests", ErrUnavailable)
	}
	text := message(a.body.Bytes())
	if text == "" && looksLikeHTML(a.body.Bytes()) {
		text = "a web page, not an API answer"
	}
	if a.status >= 500 {
		if text == "" {
			return fmt.Errorf("%w: server error HTTP %d", ErrUnavailable, a.status)
		}
		return fmt.Errorf("%w: server error HTTP %d: %s", ErrUnavailable, a.status, text)
	}
	if text == "" {
		return fmt.Errorf("%w: HTTP %d", ErrRefused, a.status)
	}
	return fmt.Errorf("%w: HTTP %d: %s", ErrRefused, a.status, text)
}

// plainToken reports whether a credential from a server is printable
// ASCII without spaces, as OAuth tokens are: one that is not could break
// the line it is printed on.
func plainToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return s != ""
}

// IsLoopback reports whether u's host is this machine, where plain http
// crosses no network.
func IsLoopback(u *url.URL) bool {
	h := u.Hostname()
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
