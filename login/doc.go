// Package login runs the authorization flows that give dualpower its
// tokens, for `dualpower login`:
//
//   - Mastodon (and servers with its client API): register an app
//     (POST /api/v1/apps) with the out-of-band redirect, send the person to
//     /oauth/authorize, and exchange the code they paste back for an access
//     token (POST /oauth/token, grant_type=authorization_code);
//   - X: the OAuth 1.0a PIN flow on github.com/dghubble/oauth1: a request
//     token (POST /oauth/request_token, oauth_callback=oob), the person
//     approves it at /oauth/authorize and reads a PIN, and the PIN buys the
//     access token and secret (POST /oauth/access_token).
//
// The package only speaks the protocols: it prints nothing, reads no
// terminal and writes no file. Checking that a new token works is the
// adapters' Verify; the command does that.
//
// Tokens come back as providers.Secret, and only printable ASCII without
// spaces is accepted as one, so a token printed on a line stays on it.
//
// Errors say which step failed and match one of ErrUnreachable,
// ErrUnavailable, ErrNotAPI or ErrRefused with errors.Is. They never carry a secret: not the client
// secret, the consumer secret, a code, a PIN or a token. What a server said
// is quoted shortened and stripped of control characters, so a hostile
// server cannot paint the terminal.
//
// Caveats:
//
//   - Every request is bounded by the caller's context; answers over 1 MiB
//     are refused.
//   - Redirects are not followed: a POST that is redirected is not sent
//     again, and the error names where the server pointed, so the person
//     can pass that as the server instead.
//   - Mastodon apps are registered anew on every login; the server keeps the
//     registration, as it does for any client. The client secret is used
//     for the exchange and then forgotten.
//   - PKCE is not used: the out-of-band code is pasted by the person into
//     the same process that holds the client secret.
package login
