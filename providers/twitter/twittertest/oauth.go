package twittertest

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// This file is an independent implementation of the OAuth 1.0a (RFC 5849)
// signature check, written from the RFC and X's "Creating a signature"
// guide. It deliberately shares no code with the client's signer
// (github.com/dghubble/oauth1): a fake that used the client's own signer
// would agree with any mistake the signer makes.

// maxClockSkew is how far an oauth_timestamp may stray from the wall clock.
// X refuses stale requests ("Timestamp out of bounds"); it compares with its
// own clock, so the fake compares with the real one, not Options.Now.
const maxClockSkew = 15 * time.Minute

// oauthParams are the protocol parameters of one signed request.
type oauthParams struct {
	ConsumerKey string
	Token       string
	Signature   string
	Method      string
	Timestamp   string
	Nonce       string
	Version     string
	Callback    string
	Verifier    string
	// all holds every oauth_* parameter except oauth_signature (and realm),
	// as they enter the signature base string.
	all [][2]string
}

var errNoAuth = errors.New("no OAuth authorization header")

// parseAuthorization reads the OAuth protocol parameters of the
// Authorization header (RFC 5849 section 3.5.1).
func parseAuthorization(h string) (*oauthParams, error) {
	h = strings.TrimSpace(h)
	if len(h) < 6 || !strings.EqualFold(h[:6], "OAuth ") {
		return nil, errNoAuth
	}
	p := &oauthParams{}
	seen := map[string]bool{}
	for _, part := range strings.Split(h[6:], ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, quoted, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("oauth: malformed parameter %q", name)
		}
		name = strings.TrimSpace(name)
		quoted = strings.TrimSpace(quoted)
		if len(quoted) < 2 || quoted[0] != '"' || quoted[len(quoted)-1] != '"' {
			return nil, fmt.Errorf("oauth: parameter %s is not quoted", name)
		}
		k, err := percentDecode(name)
		if err != nil {
			return nil, err
		}
		v, err := percentDecode(quoted[1 : len(quoted)-1])
		if err != nil {
			return nil, err
		}
		if k == "realm" {
			continue
		}
		if seen[k] {
			return nil, fmt.Errorf("oauth: parameter %s given twice", k)
		}
		seen[k] = true
		switch k {
		case "oauth_consumer_key":
			p.ConsumerKey = v
		case "oauth_token":
			p.Token = v
		case "oauth_signature":
			p.Signature = v
			continue
		case "oauth_signature_method":
			p.Method = v
		case "oauth_timestamp":
			p.Timestamp = v
		case "oauth_nonce":
			p.Nonce = v
		case "oauth_version":
			p.Version = v
		case "oauth_callback":
			p.Callback = v
		case "oauth_verifier":
			p.Verifier = v
		}
		p.all = append(p.all, [2]string{k, v})
	}
	return p, nil
}

// percentDecode undoes RFC 3986 percent-encoding; unlike url.QueryUnescape
// it keeps '+' as it is.
func percentDecode(s string) (string, error) {
	v, err := url.PathUnescape(s)
	if err != nil {
		return "", fmt.Errorf("oauth: bad percent-encoding: %w", err)
	}
	return v, nil
}

// percentEncode encodes s as RFC 5849 section 3.6 asks: every byte but the
// unreserved characters ALPHA, DIGIT, '-', '.', '_', '~' becomes %XX with
// upper-case hex digits.
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// baseStringURI is the base string URI of RFC 5849 section 3.4.1.2: scheme
// and host in lower case, the port only when it is not the scheme's default,
// the path as sent, no query and no fragment.
func baseStringURI(scheme, host, escapedPath string) string {
	scheme = strings.ToLower(scheme)
	host = strings.ToLower(host)
	if h, port, err := net.SplitHostPort(host); err == nil {
		if scheme == "http" && port == "80" || scheme == "https" && port == "443" {
			host = h
		}
	}
	if escapedPath == "" {
		escapedPath = "/"
	}
	return scheme + "://" + host + escapedPath
}

// normalizedParams sorts and joins the request parameters as RFC 5849
// section 3.4.1.3.2 says: each name and value encoded, sorted by name then
// value, "name=value" pairs joined by '&'.
func normalizedParams(params [][2]string) string {
	enc := make([][2]string, len(params))
	for i, p := range params {
		enc[i] = [2]string{percentEncode(p[0]), percentEncode(p[1])}
	}
	sort.Slice(enc, func(i, j int) bool {
		if enc[i][0] != enc[j][0] {
			return enc[i][0] < enc[j][0]
		}
		return enc[i][1] < enc[j][1]
	})
	parts := make([]string, len(enc))
	for i, p := range enc {
		parts[i] = p[0] + "=" + p[1]
	}
	return strings.Join(parts, "&")
}

// signatureBaseString builds the signature base string of RFC 5849 section
// 3.4.1.1 from its three parts.
func signatureBaseString(method, uri string, params [][2]string) string {
	return strings.ToUpper(method) + "&" + percentEncode(uri) + "&" + percentEncode(normalizedParams(params))
}

// hmacSHA1Signature signs base with the consumer secret and token secret
// (RFC 5849 section 3.4.2) and returns the base64 signature.
func hmacSHA1Signature(base, consumerSecret, tokenSecret string) string {
	mac := hmac.New(sha1.New, []byte(percentEncode(consumerSecret)+"&"+percentEncode(tokenSecret)))
	mac.Write([]byte(base))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// requestParams gathers the parameters that enter the base string of r: the
// query, the OAuth protocol parameters, and the body when it is a
// single-part application/x-www-form-urlencoded one (RFC 5849 section
// 3.4.1.3.1). JSON and multipart bodies are not signed. body is the request
// body already read.
func requestParams(r *http.Request, p *oauthParams, body []byte) ([][2]string, error) {
	var out [][2]string
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("oauth: bad query: %w", err)
	}
	for k, vs := range q {
		for _, v := range vs {
			out = append(out, [2]string{k, v})
		}
	}
	out = append(out, p.all...)
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && ct == "application/x-www-form-urlencoded" && len(body) > 0 {
		f, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("oauth: bad form body: %w", err)
		}
		for k, vs := range f {
			for _, v := range vs {
				out = append(out, [2]string{k, v})
			}
		}
	}
	return out, nil
}

// checkProtocol checks the protocol parameters every signed request must
// carry, and the timestamp against now.
func (p *oauthParams) checkProtocol(now time.Time) error {
	switch {
	case p.ConsumerKey == "":
		return errors.New("oauth: no oauth_consumer_key")
	case p.Signature == "":
		return errors.New("oauth: no oauth_signature")
	case p.Method != "HMAC-SHA1":
		return fmt.Errorf("oauth: signature method %q is not HMAC-SHA1", p.Method)
	case p.Nonce == "":
		return errors.New("oauth: no oauth_nonce")
	case p.Version != "" && p.Version != "1.0":
		return fmt.Errorf("oauth: version %q is not 1.0", p.Version)
	}
	ts, err := strconv.ParseInt(p.Timestamp, 10, 64)
	if err != nil || ts <= 0 {
		return fmt.Errorf("oauth: bad oauth_timestamp %q", p.Timestamp)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > maxClockSkew || d < -maxClockSkew {
		return errors.New("oauth: timestamp out of bounds")
	}
	return nil
}

// verifySignature recomputes the signature of r and compares it with the
// one sent, in constant time.
func verifySignature(r *http.Request, p *oauthParams, body []byte, consumerSecret, tokenSecret string) error {
	params, err := requestParams(r, p, body)
	if err != nil {
		return err
	}
	base := signatureBaseString(r.Method, baseStringURI("http", r.Host, r.URL.EscapedPath()), params)
	want := hmacSHA1Signature(base, consumerSecret, tokenSecret)
	if subtle.ConstantTimeCompare([]byte(want), []byte(p.Signature)) != 1 {
		return errors.New("oauth: signature mismatch")
	}
	return nil
}
