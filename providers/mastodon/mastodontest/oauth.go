package mastodontest

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// app is a registered OAuth application.
type app struct {
	id, name, clientID, clientSecret string
	website                          *string
	redirectURIs                     []string
	scopes                           []string
}

type authCode struct {
	code        string
	app         *app
	user        *User
	redirectURI string
	scopes      []string
	expires     time.Time
}

const oob = "urn:ietf:wg:oauth:2.0:oob"

var knownScopes = map[string]bool{
	"profile": true, "read": true, "write": true, "follow": true, "push": true,
	"admin:read": true, "admin:write": true,
}

func validScopes(list []string) bool {
	for _, sc := range list {
		if knownScopes[sc] {
			continue
		}
		fam, sub, ok := strings.Cut(sc, ":")
		if !ok || sub == "" || (fam != "read" && fam != "write" && fam != "admin") {
			return false
		}
	}
	return true
}

// oauthError answers as Doorkeeper does: {"error": code,
// "error_description": text}.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, apiError{Error: code, ErrorDescription: &desc})
}

const (
	descInvalidClient = "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method."
	descInvalidGrant  = "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."
	descUnsupported   = "The authorization grant type is not supported by the authorization server."
	descInvalidScope  = "The requested scope is invalid, unknown, or malformed."
	descInvalidReq    = "The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed."
	descRedirect      = "The requested redirect uri is malformed or doesn't match client redirect URI."
)

func (s *Server) handleCreateApp(w http.ResponseWriter, r *http.Request, c *call) {
	p, err := parseParams(r, maxBody)
	if err != nil {
		s.writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	name := strings.TrimSpace(p.get("client_name"))
	var redirects []string
	for _, v := range p.strings("redirect_uris") {
		for _, line := range strings.Split(v, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				redirects = append(redirects, line)
			}
		}
	}
	scopes := strings.Fields(p.get("scopes"))
	if len(scopes) == 0 {
		scopes = []string{"read"}
	}
	switch {
	case name == "":
		s.invalid(w, "Validation failed: Application name can't be blank")
		return
	case len(redirects) == 0:
		s.invalid(w, "Validation failed: Redirect URI can't be blank")
		return
	case !validScopes(scopes):
		s.invalid(w, "Validation failed: Scopes must only contain valid scopes")
		return
	}
	for _, u := range redirects {
		if u == oob {
			continue
		}
		pu, err := url.Parse(u)
		if err != nil || pu.Scheme == "" || pu.Fragment != "" {
			s.invalid(w, "Validation failed: Redirect URI must be an absolute URI.")
			return
		}
	}
	s.mu.Lock()
	a := &app{id: s.ids.next(s.opt.Now()), name: name, clientID: randomToken(), clientSecret: randomToken(), redirectURIs: redirects, scopes: scopes}
	if ws := p.get("website"); ws != "" {
		a.website = &ws
	}
	s.apps[a.clientID] = a
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, apiCredentialApp{
		ID: a.id, Name: a.name, Website: a.website, Scopes: a.scopes,
		RedirectURI: strings.Join(redirects, "\n"), RedirectURIs: redirects,
		VapidKey: "BFakeVapidKey=", ClientID: a.clientID, ClientSecret: a.clientSecret,
	})
}

// handleVerifyApp answers the application a token belongs to.
func (s *Server) handleVerifyApp(w http.ResponseWriter, r *http.Request, c *call) {
	if c.tok == nil {
		s.unauthorized(w, "The access token is invalid")
		return
	}
	a := c.tok.app
	writeJSON(w, http.StatusOK, apiApp{ID: a.id, Name: a.name, Website: a.website, Scopes: a.scopes,
		RedirectURI: strings.Join(a.redirectURIs, "\n"), RedirectURIs: a.redirectURIs, VapidKey: "BFakeVapidKey="})
}

// AuthorizeCode approves app clientID for alice, as if she clicked
// "Authorize" in the browser, and returns the code the out-of-band page
// would show. It returns "" for an unknown client.
//
// The authorize page itself (GET /oauth/authorize) approves at once too:
// for alice, or for the user named by a fake-only "login" parameter
// (created when new). With the out-of-band redirect URI it shows the code
// in an <input class="oauth-code"> as Mastodon does; otherwise it redirects
// with code and state.
func (s *Server) AuthorizeCode(clientID string) string { return s.alice.AuthorizeCode(clientID) }

// AuthorizeCode approves app clientID for u with the app's scopes.
func (u *User) AuthorizeCode(clientID string) string {
	s := u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[clientID]
	if a == nil {
		return ""
	}
	return s.newCodeLocked(a, u, a.redirectURIs[0], a.scopes).code
}

func (s *Server) newCodeLocked(a *app, u *User, redirect string, scopes []string) *authCode {
	c := &authCode{code: randomToken(), app: a, user: u, redirectURI: redirect, scopes: scopes, expires: s.opt.Now().Add(10 * time.Minute)}
	s.codes[c.code] = c
	return c
}

// handleAuthorize is the page a user's browser opens. The fake's user is
// always signed in and always approves: alice, or the user named by the
// fake-only "login" parameter (created when new). With the out-of-band
// redirect it shows the code as Mastodon does; otherwise it redirects.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	s.mu.Lock()
	a := s.apps[q.Get("client_id")]
	if a == nil {
		s.mu.Unlock()
		oauthError(w, http.StatusUnauthorized, "invalid_client", descInvalidClient)
		return
	}
	redirect := q.Get("redirect_uri")
	if !containsString(a.redirectURIs, redirect) {
		s.mu.Unlock()
		oauthError(w, http.StatusBadRequest, "invalid_redirect_uri", descRedirect)
		return
	}
	if q.Get("response_type") != "code" {
		s.mu.Unlock()
		oauthError(w, http.StatusBadRequest, "unsupported_response_type", "The authorization server does not support this response type.")
		return
	}
	scopes := strings.Fields(q.Get("scope"))
	if len(scopes) == 0 {
		scopes = []string{"read"}
	}
	for _, sc := range scopes {
		if !containsString(a.scopes, sc) {
			s.mu.Unlock()
			oauthError(w, http.StatusBadRequest, "invalid_scope", descInvalidScope)
			return
		}
	}
	u := s.alice
	if login := q.Get("login"); login != "" {
		u = s.createUserLocked(login)
	}
	code := s.newCodeLocked(a, u, redirect, scopes)
	s.mu.Unlock()
	if redirect == oob {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!DOCTYPE html><html><body><div class="form-container"><p class="hint">Copy this authorization code and paste it to the application.</p>` +
			`<input class="oauth-code" readonly type="text" value="` + html.EscapeString(code.code) + `"></div></body></html>`))
		return
	}
	to, _ := url.Parse(redirect)
	rq := to.Query()
	rq.Set("code", code.code)
	if st := q.Get("state"); st != "" {
		rq.Set("state", st)
	}
	to.RawQuery = rq.Encode()
	http.Redirect(w, r, to.String(), http.StatusFound)
}

func containsString(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// clientCreds reads client credentials from the body or HTTP Basic auth.
func clientCreds(r *http.Request, p *params) (id, secret string) {
	if u, pw, ok := r.BasicAuth(); ok {
		return u, pw
	}
	return p.get("client_id"), p.get("client_secret")
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request, c *call) {
	p, err := parseParams(r, maxBody)
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", descInvalidReq)
		return
	}
	id, secret := clientCreds(r, p)
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[id]
	if a == nil || a.clientSecret != secret {
		oauthError(w, http.StatusUnauthorized, "invalid_client", descInvalidClient)
		return
	}
	now := s.opt.Now()
	var tok *token
	switch p.get("grant_type") {
	case "authorization_code":
		code := s.codes[p.get("code")]
		if code == nil || code.app != a || now.After(code.expires) || code.redirectURI != p.get("redirect_uri") {
			oauthError(w, http.StatusBadRequest, "invalid_grant", descInvalidGrant)
			return
		}
		delete(s.codes, code.code) // single use
		tok = &token{value: randomToken(), user: code.user, app: a, scopes: code.scopes, created: now}
	case "client_credentials":
		scopes := strings.Fields(p.get("scope"))
		if len(scopes) == 0 {
			scopes = []string{"read"}
		}
		for _, sc := range scopes {
			if !containsString(a.scopes, sc) {
				oauthError(w, http.StatusBadRequest, "invalid_scope", descInvalidScope)
				return
			}
		}
		tok = &token{value: randomToken(), app: a, scopes: scopes, created: now}
	case "":
		oauthError(w, http.StatusBadRequest, "invalid_request", descInvalidReq)
		return
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", descUnsupported)
		return
	}
	s.tokens[tok.value] = tok
	writeJSON(w, http.StatusOK, apiToken{AccessToken: tok.value, TokenType: "Bearer", Scope: strings.Join(tok.scopes, " "), CreatedAt: now.Unix()})
}

// handleRevoke revokes a token (RFC 7009): 200 {} whether or not the token
// existed; 403 when it belongs to another application.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request, c *call) {
	p, err := parseParams(r, maxBody)
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", descInvalidReq)
		return
	}
	id, secret := clientCreds(r, p)
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[id]
	if a == nil || a.clientSecret != secret {
		oauthError(w, http.StatusUnauthorized, "invalid_client", descInvalidClient)
		return
	}
	if t := s.tokens[p.get("token")]; t != nil {
		if t.app != a {
			oauthError(w, http.StatusForbidden, "unauthorized_client", "You are not authorized to revoke this token.")
			return
		}
		t.revoked = true
		if t.user != nil {
			value := t.value
			defer s.hub.dropTokens(t.user, func(tok string) bool { return tok == value })
		}
	}
	writeJSON(w, http.StatusOK, struct{}{})
}
