package login

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/dghubble/oauth1"

	"github.com/dualpower/dualpower/providers"
)

// TwitterRequest is a request token of X's PIN flow, waiting for the
// person to approve it and read the PIN.
type TwitterRequest struct {
	// APIBase is the server's base URL ("https://api.x.com"), without a
	// trailing slash.
	APIBase *url.URL
	// Token is the request token, the public half that the authorize URL
	// carries.
	Token string

	secret providers.Secret
	config oauth1.Config
	opt    Options
}

// TwitterTokens are an account's credentials from the PIN flow.
type TwitterTokens struct {
	AccessToken       providers.Secret
	AccessTokenSecret providers.Secret
	// UserID and ScreenName are who approved, as the access token answer
	// says; the adapter's Verify is the proof that the tokens work.
	UserID     string
	ScreenName string
}

// StartTwitter asks X for a request token (POST /oauth/request_token with
// oauth_callback=oob, signed with the consumer key and secret alone).
// Consumer keys X does not know are ErrRefused.
func StartTwitter(ctx context.Context, apiBase *url.URL, consumerKey, consumerSecret providers.Secret, opt Options) (*TwitterRequest, error) {
	if consumerKey == "" || consumerSecret == "" {
		return nil, errors.New("x: request token: the consumer key and secret are both needed")
	}
	r := &TwitterRequest{
		APIBase: apiBase,
		config: oauth1.Config{
			ConsumerKey:    consumerKey.Reveal(),
			ConsumerSecret: consumerSecret.Reveal(),
			CallbackURL:    "oob",
			Endpoint: oauth1.Endpoint{
				RequestTokenURL: apiBase.JoinPath("/oauth/request_token").String(),
				AuthorizeURL:    apiBase.JoinPath("/oauth/authorize").String(),
				AccessTokenURL:  apiBase.JoinPath("/oauth/access_token").String(),
			},
		},
		opt: opt,
	}
	cfg, t := r.bound(ctx)
	token, secret, err := cfg.RequestToken()
	if err != nil {
		return nil, fmt.Errorf("x: request token from %s: %w", apiBase.Redacted(), oauthError(ctx, t, err, "POST /oauth/request_token"))
	}
	r.Token, r.secret = token, providers.Secret(secret)
	return r, nil
}

// AuthorizeURL is the page where the person approves the app and reads
// the PIN: /oauth/authorize on the same base as the API.
func (r *TwitterRequest) AuthorizeURL() string {
	u, err := r.config.AuthorizationURL(r.Token)
	if err != nil { // the base was parsed already; this cannot happen
		return r.APIBase.JoinPath("/oauth/authorize").String() + "?" + url.Values{"oauth_token": {r.Token}}.Encode()
	}
	return u.String()
}

// Exchange trades the PIN for the account's access token and secret (POST
// /oauth/access_token with oauth_verifier). A wrong PIN, or a request token
// used or expired, is ErrRefused. The tokens are printable ASCII without
// spaces; an answer with others is ErrNotAPI.
func (r *TwitterRequest) Exchange(ctx context.Context, pin string) (*TwitterTokens, error) {
	pin = strings.TrimSpace(pin)
	if pin == "" {
		return nil, fmt.Errorf("x: exchange the PIN: %w: the PIN is empty", ErrRefused)
	}
	cfg, t := r.bound(ctx)
	token, secret, err := cfg.AccessToken(r.Token, r.secret.Reveal(), pin)
	if err != nil {
		return nil, fmt.Errorf("x: exchange the PIN: %w", oauthError(ctx, t, err, "POST /oauth/access_token"))
	}
	if !plainToken(token) || !plainToken(secret) {
		return nil, fmt.Errorf("x: exchange the PIN: %w: the tokens have spaces or characters no token has", ErrNotAPI)
	}
	out := &TwitterTokens{AccessToken: providers.Secret(token), AccessTokenSecret: providers.Secret(secret)}
	// The same answer carries who approved; read it again from the excerpt
	// the transport kept, as oauth1 returns only the tokens.
	if a := t.lastAnswer(); a != nil {
		if v, err := url.ParseQuery(strings.TrimSpace(a.body.String())); err == nil {
			out.UserID = clean(v.Get("user_id"), 40)
			out.ScreenName = clean(v.Get("screen_name"), 40)
		}
	}
	return out, nil
}

// bound is the oauth1 config with an HTTP client bound to ctx.
func (r *TwitterRequest) bound(ctx context.Context) (*oauth1.Config, *transport) {
	hc, t := r.opt.client(ctx)
	cfg := r.config
	cfg.HTTPClient = hc
	return &cfg, t
}

// oauthError turns an oauth1 helper's error into one of ours. The helper's
// own text quotes the whole body; ours says what the server said, short.
func oauthError(ctx context.Context, t *transport, err error, what string) error {
	a := t.lastAnswer()
	if a == nil || ctx.Err() != nil {
		return unreachable(ctx, err)
	}
	if a.status != http.StatusOK && a.status != http.StatusCreated {
		return statusError(a, what)
	}
	if a.tooLarge {
		return fmt.Errorf("%w: %s: %w", ErrNotAPI, what, errTooLarge)
	}
	if looksLikeHTML(a.body.Bytes()) {
		return fmt.Errorf("%w: %s answered a web page", ErrNotAPI, what)
	}
	// A 200 without the tokens, or without oauth_callback_confirmed.
	return fmt.Errorf("%w: %s answered without the expected tokens", ErrNotAPI, what)
}
