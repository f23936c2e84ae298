package login

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/dualpower/dualpower/providers"
)

// OOB is the out-of-band redirect URI: the server shows the code to the
// person instead of redirecting their browser.
const OOB = "urn:ietf:wg:oauth:2.0:oob"

// Website is the website an app registration names.
const Website = "https://github.com/dualpower/dualpower"

// MastodonScopes are the narrowest scopes dualpower works with: read the
// account (verify_credentials), read its statuses (polling, fetching, the
// user stream), write statuses (post, edit, delete, boost) and upload
// media.
var MastodonScopes = []string{"read:accounts", "read:statuses", "write:statuses", "write:media"}

// MastodonApp is an app registered on a Mastodon-API server, ready to be
// authorized by a person.
type MastodonApp struct {
	// Server is the server's base URL, without a trailing slash.
	Server *url.URL
	// ClientID is the app's public identifier.
	ClientID string
	// Scopes are the scopes the app asks for.
	Scopes []string

	clientSecret providers.Secret
	opt          Options
}

// RegisterMastodon registers an app named "dualpower" on server with the
// out-of-band redirect and the given scopes (MastodonScopes when empty).
// An unreachable server is ErrUnreachable; a failing or busy one
// ErrUnavailable; one that is not a Mastodon-API server ErrNotAPI; scopes
// it will not grant are ErrRefused.
func RegisterMastodon(ctx context.Context, server *url.URL, scopes []string, opt Options) (*MastodonApp, error) {
	if len(scopes) == 0 {
		scopes = MastodonScopes
	}
	form := url.Values{
		"client_name":   {"dualpower"},
		"redirect_uris": {OOB},
		"scopes":        {strings.Join(scopes, " ")},
		"website":       {Website},
	}
	var v struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := postForm(ctx, opt, server, "/api/v1/apps", form, &v); err != nil {
		return nil, fmt.Errorf("mastodon: register the app on %s: %w", server.Redacted(), err)
	}
	if v.ClientID == "" || v.ClientSecret == "" {
		return nil, fmt.Errorf("mastodon: register the app on %s: %w: the answer has no client_id or client_secret", server.Redacted(), ErrNotAPI)
	}
	return &MastodonApp{Server: server, ClientID: v.ClientID, Scopes: scopes, clientSecret: providers.Secret(v.ClientSecret), opt: opt}, nil
}

// AuthorizeURL is the page where the person approves the app and is shown
// the code.
func (a *MastodonApp) AuthorizeURL() string {
	u := a.Server.JoinPath("/oauth/authorize")
	u.RawQuery = url.Values{
		"client_id":     {a.ClientID},
		"redirect_uri":  {OOB},
		"response_type": {"code"},
		"scope":         {strings.Join(a.Scopes, " ")},
	}.Encode()
	return u.String()
}

// Exchange trades the code the person pasted for their access token. A
// wrong, used or expired code is ErrRefused. The token is printable ASCII
// without spaces; an answer with any other is ErrNotAPI.
func (a *MastodonApp) Exchange(ctx context.Context, code string) (providers.Secret, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return "", fmt.Errorf("mastodon: exchange the code: %w: the code is empty", ErrRefused)
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"client_id":     {a.ClientID},
		"client_secret": {a.clientSecret.Reveal()},
		"redirect_uri":  {OOB},
	}
	var v struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if err := postForm(ctx, a.opt, a.Server, "/oauth/token", form, &v); err != nil {
		return "", fmt.Errorf("mastodon: exchange the code: %w", err)
	}
	if v.AccessToken == "" {
		return "", fmt.Errorf("mastodon: exchange the code: %w: the answer has no access_token", ErrNotAPI)
	}
	if !plainToken(v.AccessToken) {
		return "", fmt.Errorf("mastodon: exchange the code: %w: the access_token has spaces or characters no token has", ErrNotAPI)
	}
	if v.TokenType != "" && !strings.EqualFold(v.TokenType, "bearer") {
		return "", fmt.Errorf("mastodon: exchange the code: %w: token type %q, want Bearer", ErrNotAPI, clean(v.TokenType, 40))
	}
	return providers.Secret(v.AccessToken), nil
}

// postForm posts form to path under server and decodes a 200 JSON answer
// into out.
func postForm(ctx context.Context, opt Options, server *url.URL, path string, form url.Values, out any) error {
	hc, t := opt.client(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, server.JoinPath(path).String(), strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("build the request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return unreachable(ctx, err)
	}
	b, err := readBody(resp)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return statusError(t.lastAnswer(), "POST "+path)
	}
	if looksLikeHTML(b) {
		return fmt.Errorf("%w: POST %s answered a web page, not JSON", ErrNotAPI, path)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%w: POST %s answered something that is not the expected JSON", ErrNotAPI, path)
	}
	return nil
}
