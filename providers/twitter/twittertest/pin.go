package twittertest

import (
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"net/http"
	"net/url"
	"time"
)

// The three-legged OAuth 1.0a PIN ("out of band") flow X offers desktop
// apps: POST /oauth/request_token with oauth_callback=oob, the user opens
// /oauth/authorize?oauth_token=… and reads a PIN, POST /oauth/access_token
// with oauth_verifier=PIN returns the user's access token.

type requestToken struct {
	token, secret string
	user          *User // who authorized it; nil until then
	pin           string
	used          bool
	created       time.Time
}

// requestTokenLifetime is how long a request token can be authorized and
// exchanged.
const requestTokenLifetime = 15 * time.Minute

// oauthEndpoint wraps the /oauth/ endpoints: they are counted and logged
// and take latency and injected failures like the API.
func (s *Server) oauthEndpoint(endpoint string, h func(w http.ResponseWriter, r *http.Request, body []byte)) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		w := &statusRecorder{ResponseWriter: rw}
		done := s.logRequest(r, endpoint)
		defer func() { done(w.status) }()
		s.mu.Lock()
		s.requests++
		s.byEndpoint[endpoint]++
		s.mu.Unlock()
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return
		}
		if !s.wait(r.Context()) || s.injected(w, endpoint) {
			return
		}
		h(w, r, body)
	}
}

// couldNotAuthenticate is X's answer to a bad signature on /oauth/.
func couldNotAuthenticate(w http.ResponseWriter) {
	writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": []map[string]any{{"code": 32, "message": "Could not authenticate you."}}})
}

func writeForm(w http.ResponseWriter, v url.Values) {
	// X labels these answers text/html although they are form-encoded.
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(v.Encode()))
}

// handleRequestToken is POST /oauth/request_token, signed with the
// consumer secret alone.
func (s *Server) handleRequestToken(w http.ResponseWriter, r *http.Request, body []byte) {
	p, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil || p.checkProtocol(time.Now()) != nil || p.ConsumerKey != s.consumerKey || p.Token != "" {
		couldNotAuthenticate(w)
		return
	}
	if verifySignature(r, p, body, s.consumerSecret, "") != nil || !s.useNonce(p) {
		couldNotAuthenticate(w)
		return
	}
	if p.Callback != "oob" {
		oauthError(w, http.StatusUnauthorized, "Callback URL not approved for this client application. Approved callback URLs can be adjusted in your application settings")
		return
	}
	s.mu.Lock()
	rt := &requestToken{token: "rt" + randToken(s.seed, fmt.Sprint("rt", s.seq), 25), secret: randToken(s.seed, fmt.Sprint("rts", s.seq), 32), created: s.now()}
	s.seq++
	s.requestTokens[rt.token] = rt
	s.mu.Unlock()
	writeForm(w, url.Values{"oauth_token": {rt.token}, "oauth_token_secret": {rt.secret}, "oauth_callback_confirmed": {"true"}})
}

// Authorize approves requestToken as alice would on X's authorize page and
// returns the PIN to type into the app. It fails the test for an unknown
// request token.
func (s *Server) Authorize(requestToken string) string {
	return s.AuthorizeAs(s.alice, requestToken)
}

// AuthorizeAs approves requestToken as u and returns the PIN. It fails the
// test (on a server made by Start: logs) for an unknown request token.
func (s *Server) AuthorizeAs(u *User, requestToken string) string {
	pin, err := s.TryAuthorizeAs(u, requestToken)
	if err != nil {
		s.rep.Errorf("%v", err)
	}
	return pin
}

// TryAuthorizeAs approves requestToken as u and returns the PIN, or an
// error for an unknown or used request token.
func (s *Server) TryAuthorizeAs(u *User, requestToken string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.requestTokens[requestToken]
	if rt == nil || rt.used {
		return "", errors.New("twittertest: authorize: unknown request token")
	}
	if rt.pin == "" {
		s.seq++
		rt.pin = fmt.Sprintf("%07d", (s.seq*7919+1234567)%10000000)
	}
	rt.user = u
	return rt.pin, nil
}

// handleAuthorizePage is GET /oauth/authorize?oauth_token=… (and
// /oauth/authenticate): the page a person sees after approving the app,
// showing the PIN (as alice).
func (s *Server) handleAuthorizePage(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("oauth_token")
	s.mu.Lock()
	rt := s.requestTokens[tok]
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if rt == nil || rt.used {
		w.WriteHeader(http.StatusOK)
		_, _ = fmt.Fprint(w, "<!DOCTYPE html><html><body><p>This page is no longer valid. It looks like someone already used the token information you provided.</p></body></html>\n")
		return
	}
	pin := s.Authorize(tok)
	_, _ = fmt.Fprintf(w, "<!DOCTYPE html><html><body><p>You've granted access to the app. Next, return to the app and enter this PIN to complete the authorization process.</p><kbd aria-labelledby=\"code-desc\"><code>%s</code></kbd></body></html>\n", html.EscapeString(pin))
}

// handleAccessToken is POST /oauth/access_token: signed with the consumer
// secret and the request token's secret, carrying oauth_verifier (in the
// header, the form body or the query).
func (s *Server) handleAccessToken(w http.ResponseWriter, r *http.Request, body []byte) {
	p, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil || p.checkProtocol(time.Now()) != nil || p.ConsumerKey != s.consumerKey {
		couldNotAuthenticate(w)
		return
	}
	s.mu.Lock()
	rt := s.requestTokens[p.Token]
	s.mu.Unlock()
	if rt == nil || rt.used {
		oauthError(w, http.StatusUnauthorized, "Invalid request token.")
		return
	}
	if verifySignature(r, p, body, s.consumerSecret, rt.secret) != nil || !s.useNonce(p) {
		couldNotAuthenticate(w)
		return
	}
	verifier := p.Verifier
	if verifier == "" {
		verifier = r.URL.Query().Get("oauth_verifier")
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); verifier == "" && ct == "application/x-www-form-urlencoded" {
		if f, err := url.ParseQuery(string(body)); err == nil {
			verifier = f.Get("oauth_verifier")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rt.used || rt.user == nil || rt.pin == "" || verifier != rt.pin || !s.now().Before(rt.created.Add(requestTokenLifetime)) {
		oauthError(w, http.StatusUnauthorized, "Error processing your OAuth request: Invalid oauth_verifier parameter")
		return
	}
	rt.used = true
	u := rt.user
	s.seq++
	tok := u.id + "-" + randToken(s.seed, fmt.Sprint("at", s.seq), 30)
	sec := randToken(s.seed, fmt.Sprint("ats", s.seq), 45)
	s.tokens[tok] = u
	s.secrets[tok] = sec
	writeForm(w, url.Values{"oauth_token": {tok}, "oauth_token_secret": {sec}, "user_id": {u.id}, "screen_name": {u.username}})
}
