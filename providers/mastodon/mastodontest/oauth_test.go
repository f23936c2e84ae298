package mastodontest

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func registerApp(t *testing.T, s *Server, redirect string) apiCredentialApp {
	t.Helper()
	r := do(t, s, "POST", "/api/v1/apps", "", url.Values{
		"client_name": {"dualpower"}, "redirect_uris": {redirect}, "scopes": {"read write"}, "website": {"https://dualpower.example"},
	})
	mustStatus(t, r, 200)
	var a apiCredentialApp
	r.json(t, &a)
	if a.ClientID == "" || a.ClientSecret == "" || a.RedirectURI != redirect || strings.Join(a.Scopes, " ") != "read write" {
		t.Fatalf("app %+v", a)
	}
	return a
}

func exchange(t *testing.T, s *Server, a apiCredentialApp, code, redirect string) resp {
	t.Helper()
	return do(t, s, "POST", "/oauth/token", "", url.Values{
		"grant_type": {"authorization_code"}, "client_id": {a.ClientID}, "client_secret": {a.ClientSecret},
		"code": {code}, "redirect_uri": {redirect}, "scope": {"read write"},
	})
}

func TestOAuthOutOfBand(t *testing.T) {
	s := New(t, Options{})
	a := registerApp(t, s, oob)

	// The authorize page shows the code for an out-of-band app.
	q := url.Values{"client_id": {a.ClientID}, "redirect_uri": {oob}, "response_type": {"code"}, "scope": {"read write"}}
	r := do(t, s, "GET", "/oauth/authorize?"+q.Encode(), "", nil)
	mustStatus(t, r, 200)
	m := regexp.MustCompile(`class="oauth-code" readonly type="text" value="([^"]+)"`).FindSubmatch(r.body)
	if m == nil {
		t.Fatalf("no code on the page: %s", r.body)
	}
	code := string(m[1])

	r = exchange(t, s, a, code, oob)
	mustStatus(t, r, 200)
	var tok apiToken
	r.json(t, &tok)
	if tok.TokenType != "Bearer" || tok.Scope != "read write" || tok.AccessToken == "" || tok.AccessToken == s.Token() {
		t.Fatalf("token %+v", tok)
	}
	// The new token is alice's.
	r = do(t, s, "GET", "/api/v1/accounts/verify_credentials", tok.AccessToken, nil)
	mustStatus(t, r, 200)
	var acct apiAccount
	r.json(t, &acct)
	if acct.ID != s.AccountID() {
		t.Errorf("token belongs to %s", acct.Username)
	}
	// A code works once.
	r = exchange(t, s, a, code, oob)
	mustStatus(t, r, 400)
	if e := r.errorText(t); e != "invalid_grant" {
		t.Errorf("reused code: %q", e)
	}
	// Revoking ends the token, not alice's other one.
	r = do(t, s, "POST", "/oauth/revoke", "", url.Values{"client_id": {a.ClientID}, "client_secret": {a.ClientSecret}, "token": {tok.AccessToken}})
	mustStatus(t, r, 200)
	r = do(t, s, "GET", "/api/v1/accounts/verify_credentials", tok.AccessToken, nil)
	mustStatus(t, r, 401)
	mustStatus(t, do(t, s, "GET", "/api/v1/accounts/verify_credentials", s.Token(), nil), 200)

	// AuthorizeCode is the shortcut for tests that drive a login command.
	code = s.AuthorizeCode(a.ClientID)
	mustStatus(t, exchange(t, s, a, code, oob), 200)
	if s.AuthorizeCode("nope") != "" {
		t.Error("code for an unknown client")
	}
}

func TestOAuthRedirectAndNewUser(t *testing.T) {
	s := New(t, Options{})
	redirect := "http://127.0.0.1:1/callback"
	a := registerApp(t, s, redirect)
	q := url.Values{"client_id": {a.ClientID}, "redirect_uri": {redirect}, "response_type": {"code"}, "state": {"xyz"}, "login": {"newbie"}}
	client := s.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := client.Get(s.URL() + "/oauth/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %d", res.StatusCode)
	}
	loc, _ := url.Parse(res.Header.Get("Location"))
	if loc.Query().Get("state") != "xyz" || !strings.HasPrefix(loc.String(), redirect) {
		t.Fatalf("redirect %s", loc)
	}
	r := exchange(t, s, a, loc.Query().Get("code"), redirect)
	mustStatus(t, r, 200)
	var tok apiToken
	r.json(t, &tok)
	var acct apiAccount
	do(t, s, "GET", "/api/v1/accounts/verify_credentials", tok.AccessToken, nil).json(t, &acct)
	if acct.Username != "newbie" || s.User("newbie") == nil {
		t.Errorf("new user login gave %q", acct.Username)
	}
	// The token has only the scope asked for ("read" by default).
	r = do(t, s, "POST", "/api/v1/statuses", tok.AccessToken, url.Values{"status": {"x"}})
	mustStatus(t, r, 403)
	if e := r.errorText(t); e != "This action is outside the authorized scopes" {
		t.Errorf("scope error %q", e)
	}
}

func TestOAuthErrors(t *testing.T) {
	s := New(t, Options{})
	a := registerApp(t, s, oob)
	tests := []struct {
		name   string
		method string
		path   string
		form   url.Values
		status int
		err    string
	}{
		{"app without name", "POST", "/api/v1/apps", url.Values{"redirect_uris": {oob}}, 422, "Validation failed: Application name can't be blank"},
		{"app without redirect", "POST", "/api/v1/apps", url.Values{"client_name": {"x"}}, 422, "Validation failed: Redirect URI can't be blank"},
		{"app with bad scope", "POST", "/api/v1/apps", url.Values{"client_name": {"x"}, "redirect_uris": {oob}, "scopes": {"read sudo"}}, 422, ""},
		{"token wrong secret", "POST", "/oauth/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {a.ClientID}, "client_secret": {"no"}, "code": {"x"}, "redirect_uri": {oob}}, 401, "invalid_client"},
		{"token bad code", "POST", "/oauth/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {a.ClientID}, "client_secret": {a.ClientSecret}, "code": {"x"}, "redirect_uri": {oob}}, 400, "invalid_grant"},
		{"token password grant", "POST", "/oauth/token", url.Values{"grant_type": {"password"}, "client_id": {a.ClientID}, "client_secret": {a.ClientSecret}}, 400, "unsupported_grant_type"},
		{"authorize unknown client", "GET", "/oauth/authorize?client_id=nope&redirect_uri=" + url.QueryEscape(oob) + "&response_type=code", nil, 401, "invalid_client"},
		{"authorize wrong redirect", "GET", "/oauth/authorize?client_id=" + a.ClientID + "&redirect_uri=http://evil.example&response_type=code", nil, 400, "invalid_redirect_uri"},
		{"authorize bad scope", "GET", "/oauth/authorize?client_id=" + a.ClientID + "&redirect_uri=" + url.QueryEscape(oob) + "&response_type=code&scope=admin:write", nil, 400, "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.form != nil {
				body = tt.form
			}
			r := do(t, s, tt.method, tt.path, "", body)
			mustStatus(t, r, tt.status)
			if tt.err != "" {
				if e := r.errorText(t); e != tt.err {
					t.Errorf("error %q, want %q", e, tt.err)
				}
			}
		})
	}
	t.Run("client credentials token has no user", func(t *testing.T) {
		r := do(t, s, "POST", "/oauth/token", "", url.Values{"grant_type": {"client_credentials"}, "client_id": {a.ClientID}, "client_secret": {a.ClientSecret}})
		mustStatus(t, r, 200)
		var tok apiToken
		r.json(t, &tok)
		r = do(t, s, "GET", "/api/v1/accounts/verify_credentials", tok.AccessToken, nil)
		mustStatus(t, r, 422)
		mustStatus(t, do(t, s, "GET", "/api/v2/instance", tok.AccessToken, nil), 200)
	})
}
