package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/dualpower/dualpower/login"
	"github.com/dualpower/dualpower/providers"
)

// loginStep bounds each request of a login flow; the person's typing is
// not bounded.
const loginStep = 30 * time.Second

// defaultAPIBase is X's API, where its OAuth endpoints are too.
const defaultAPIBase = "https://api.x.com"

// login gets an account's tokens and prints the config snippet for it.
// Prompts and the authorize address go to stderr; stdout gets only the
// snippet, so `dualpower login … > alice.yaml` keeps just that. Nothing is
// written anywhere else.
//
// The snippet refers to each secret as ${VAR}, and shows the value once,
// in a comment below it: a config file gets copied, shared and committed,
// and a token pasted into it travels with it; the comment says to put the
// value in the environment or a secret file instead.
func (c *cli) login(args []string) int {
	if len(args) == 0 {
		return c.loginUsage("login needs a network: mastodon or twitter")
	}
	switch strings.ToLower(args[0]) {
	case "mastodon":
		return c.loginMastodon(args[1:])
	case "twitter", "x":
		return c.loginTwitter(args[1:])
	case "-h", "-help", "--help", "help":
		c.loginHelp(c.stdout)
		return exitOK
	}
	return c.loginUsage(fmt.Sprintf("login: unknown network %q: want mastodon or twitter", args[0]))
}

func (c *cli) loginUsage(msg string) int {
	fmt.Fprintf(c.stderr, "dualpower: %s\n\n", msg)
	c.loginHelp(c.stderr)
	return exitUsage
}

func (c *cli) loginHelp(w io.Writer) {
	fmt.Fprint(w, `Usage:
  dualpower login mastodon --server URL [--scopes "…"] [--name NAME]
  dualpower login twitter --consumer-key K --consumer-secret S [--api-base URL] [--name NAME]

login prints an address to open in a browser, reads the code (Mastodon) or
PIN (X) the page shows, checks the new token, and prints the account's
config to stdout. Prompts go to stderr. The consumer key and secret may come
from $X_CONSUMER_KEY and $X_CONSUMER_SECRET instead of the command line.
`)
}

func (c *cli) loginMastodon(args []string) int {
	fs := c.flags("login mastodon")
	server := fs.String("server", "", "the server's address, e.g. https://social.example (required)")
	scopes := fs.String("scopes", strings.Join(login.MastodonScopes, " "), "OAuth scopes to ask for, space-separated")
	name := fs.String("name", "", "the account's name in the config (default: USER-mastodon)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError("login mastodon: unexpected argument %q", fs.Arg(0))
	}
	if *server == "" {
		return c.usageError("login mastodon: --server is required, e.g. --server https://social.example")
	}
	base, err := providers.ParseBaseURL(*server)
	if err != nil {
		return c.usageError("login mastodon: --server: %v", err)
	}
	if *name != "" && !validAccountName.MatchString(*name) {
		return c.usageError("login mastodon: --name %q: use letters, digits, - _ . (up to 64), starting with a letter or digit", *name)
	}
	scopeList := strings.Fields(*scopes)
	if len(scopeList) == 0 {
		return c.usageError("login mastodon: --scopes is empty")
	}
	c.warnPlainHTTP(base)
	opt := login.Options{HTTPClient: httpClient(), UserAgent: "dualpower/" + version}

	ctx, cancel := context.WithTimeout(context.Background(), loginStep)
	app, err := login.RegisterMastodon(ctx, base, scopeList, opt)
	cancel()
	if err != nil {
		return c.loginFailed(err, "--server", "a Mastodon, GoToSocial, Akkoma or Pleroma server",
			`the server would not register the app; if it does not know these scopes, try --scopes "read write"`)
	}

	fmt.Fprintf(c.stderr, "Open this address in a browser, sign in as the account dualpower should use, and authorize it:\n\n  %s\n\n", app.AuthorizeURL())
	code, err := c.prompt("Paste the code the page shows: ")
	if err != nil {
		return c.fail("login mastodon: %v", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), loginStep)
	token, err := app.Exchange(ctx, code)
	cancel()
	if err != nil {
		return c.loginFailed(err, "--server", "a Mastodon-API server",
			"paste the code exactly as the page shows it; a code works once, so run login again for a new one")
	}

	id, err := c.verifyNew("mastodon", map[string]string{"server": base.String()}, map[string]providers.Secret{"access_token": token})
	if err != nil {
		return c.fail("login mastodon: the server gave a token, but it does not work: %v", err)
	}
	acct := *name
	if acct == "" {
		local, _, _ := strings.Cut(id.Handle, "@")
		acct = accountName(local, "mastodon")
	}
	env := envPrefix(acct)
	handle := id.Handle
	if handle == "" {
		handle = id.ID
	}
	fmt.Fprintf(c.stdout, `# %s on %s, from dualpower login. Add it under accounts: in config.yaml.
accounts:
  %s:
    network: mastodon
    server: %s
    access_token: ${%s_TOKEN}
    # access_token_file: /run/secrets/%s_token   # instead, with Docker secrets

# The token, shown this once. Keep it out of config.yaml: set it in the
# environment (an env_file with compose), or write it alone to the secret
# file above and use access_token_file instead.
#   %s_TOKEN=%s
`, yamlComment(handle), base, acct, base, env, strings.ToLower(env), env, token.Reveal())
	fmt.Fprintf(c.stderr, "\nAuthorized: %s. The account's config is on stdout.\n", yamlComment(handle))
	return exitOK
}

func (c *cli) loginTwitter(args []string) int {
	fs := c.flags("login twitter")
	// The consumer keys' flag defaults stay empty: a default read from the
	// environment would be printed by -h.
	key := fs.String("consumer-key", "", "the app's consumer key (API key); default $X_CONSUMER_KEY")
	secret := fs.String("consumer-secret", "", "the app's consumer secret (API key secret); default $X_CONSUMER_SECRET")
	apiBase := fs.String("api-base", defaultAPIBase, "the API's address; its /oauth/ endpoints are used")
	name := fs.String("name", "", "the account's name in the config (default: USER-x)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError("login twitter: unexpected argument %q", fs.Arg(0))
	}
	if *key == "" {
		*key = os.Getenv("X_CONSUMER_KEY")
	}
	if *secret == "" {
		*secret = os.Getenv("X_CONSUMER_SECRET")
	}
	if *key == "" || *secret == "" {
		return c.usageError("login twitter: --consumer-key and --consumer-secret are required (or $X_CONSUMER_KEY and $X_CONSUMER_SECRET): the keys of your app in X's developer portal")
	}
	base, err := providers.ParseBaseURL(*apiBase)
	if err != nil {
		return c.usageError("login twitter: --api-base: %v", err)
	}
	if *name != "" && !validAccountName.MatchString(*name) {
		return c.usageError("login twitter: --name %q: use letters, digits, - _ . (up to 64), starting with a letter or digit", *name)
	}
	c.warnPlainHTTP(base)
	opt := login.Options{HTTPClient: httpClient(), UserAgent: "dualpower/" + version}
	consumerKey, consumerSecret := providers.Secret(*key), providers.Secret(*secret)

	ctx, cancel := context.WithTimeout(context.Background(), loginStep)
	req, err := login.StartTwitter(ctx, base, consumerKey, consumerSecret, opt)
	cancel()
	if err != nil {
		return c.loginFailed(err, "--api-base", "X's API",
			"X did not accept the consumer key and secret: copy them again from the developer portal (Keys and tokens)")
	}

	fmt.Fprintf(c.stderr, "Open this address in a browser, sign in as the account dualpower should use, and authorize the app:\n\n  %s\n\n", req.AuthorizeURL())
	pin, err := c.prompt("Type the PIN the page shows: ")
	if err != nil {
		return c.fail("login twitter: %v", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), loginStep)
	tokens, err := req.Exchange(ctx, pin)
	cancel()
	if err != nil {
		return c.loginFailed(err, "--api-base", "X's API",
			"type the PIN exactly as the page shows it; a PIN works once, so run login again for a new one")
	}

	settings := map[string]string{}
	if base.String() != defaultAPIBase {
		settings["api_base"] = base.String()
	}
	id, err := c.verifyNew("twitter", settings, map[string]providers.Secret{
		"consumer_key": consumerKey, "consumer_secret": consumerSecret,
		"access_token": tokens.AccessToken, "access_token_secret": tokens.AccessTokenSecret,
	})
	if err != nil {
		return c.fail("login twitter: X gave tokens, but they do not work: %v", err)
	}
	acct := *name
	if acct == "" {
		acct = accountName(id.Handle, "x")
	}
	env := envPrefix(acct)
	apiBaseLine := ""
	if settings["api_base"] != "" {
		apiBaseLine = "\n    api_base: " + settings["api_base"]
	}
	fmt.Fprintf(c.stdout, `# @%s on X (user %s), from dualpower login. Add it under accounts: in config.yaml.
accounts:
  %s:
    network: twitter%s
    consumer_key: ${X_CONSUMER_KEY}
    consumer_secret: ${X_CONSUMER_SECRET}
    access_token: ${%s_TOKEN}
    access_token_secret: ${%s_TOKEN_SECRET}

# The account's token and secret, shown this once. Keep them out of
# config.yaml: set them in the environment (an env_file with compose), or
# write each alone to a file and use access_token_file and
# access_token_secret_file instead. X_CONSUMER_KEY and X_CONSUMER_SECRET are
# your app's keys, as you gave them to login.
#   %s_TOKEN=%s
#   %s_TOKEN_SECRET=%s
`, yamlComment(id.Handle), yamlComment(id.ID), acct, apiBaseLine, env, env,
		env, tokens.AccessToken.Reveal(), env, tokens.AccessTokenSecret.Reveal())
	fmt.Fprintf(c.stderr, "\nAuthorized: @%s. The account's config is on stdout.\n", yamlComment(id.Handle))
	return exitOK
}

// verifyNew checks new credentials the way `dualpower check` does: through
// the network's adapter, which says whose they are.
func (c *cli) verifyNew(network string, settings map[string]string, secrets map[string]providers.Secret) (providers.Identity, error) {
	info, err := providers.Find(network)
	if err != nil {
		return providers.Identity{}, err
	}
	p, err := info.New(providers.Options{
		Account:    "login",
		Settings:   settings,
		Secrets:    secrets,
		HTTPClient: httpClient(),
		UserAgent:  "dualpower/" + version,
	})
	if err != nil {
		return providers.Identity{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), loginStep)
	defer cancel()
	return p.Verify(ctx)
}

// loginFailed prints a flow's error with a hint for its kind, and returns
// the runtime failure code.
func (c *cli) loginFailed(err error, flag, what, refusedHint string) int {
	fmt.Fprintf(c.stderr, "dualpower: %v\n", err)
	switch {
	case errors.Is(err, login.ErrUnreachable):
		fmt.Fprintf(c.stderr, "  Check %s and that this machine can reach it, then try again.\n", flag)
	case errors.Is(err, login.ErrUnavailable):
		fmt.Fprintln(c.stderr, "  Try again later.")
	case errors.Is(err, login.ErrNotAPI):
		fmt.Fprintf(c.stderr, "  Is %s the address of %s?\n", flag, what)
	case errors.Is(err, login.ErrRefused):
		fmt.Fprintf(c.stderr, "  %s\n", strings.ToUpper(refusedHint[:1])+refusedHint[1:])
	}
	return exitFailure
}

// warnPlainHTTP warns when a token would cross a network unencrypted.
func (c *cli) warnPlainHTTP(u *url.URL) {
	if u.Scheme == "http" && !login.IsLoopback(u) {
		fmt.Fprintf(c.stderr, "dualpower: warning: %s is plain http: the tokens would cross the network unencrypted\n", u.Redacted())
	}
}

// maxAnswer bounds the line a person types: a code or a PIN.
const maxAnswer = 1024

// prompt shows label on stderr and reads one line from stdin.
func (c *cli) prompt(label string) (string, error) {
	fmt.Fprint(c.stderr, label)
	r := bufio.NewReaderSize(c.stdin, maxAnswer)
	line, err := r.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return "", fmt.Errorf("the answer is longer than %d bytes", maxAnswer)
	case err != nil && !errors.Is(err, io.EOF):
		return "", fmt.Errorf("read the answer: %w", err)
	}
	if !bytes.HasSuffix(line, []byte("\n")) {
		fmt.Fprintln(c.stderr) // end the prompt's line before what follows
	}
	answer := strings.TrimSpace(string(line))
	if answer == "" {
		return "", errors.New("no answer was given")
	}
	return answer, nil
}

// validAccountName is the config's rule for names.
var validAccountName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// accountName makes a config name from a user name and a network:
// "alice", "mastodon" → "alice-mastodon".
func accountName(user, network string) string {
	var b strings.Builder
	for _, r := range user {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			b.WriteRune(r)
		}
	}
	name := strings.TrimLeft(b.String(), "_.-")
	if name == "" {
		return network
	}
	if len(name) > 63-len(network) {
		name = name[:63-len(network)]
	}
	return name + "-" + network
}

// envPrefix makes an environment variable prefix from an account name:
// "alice-mastodon" → "ALICE_MASTODON".
func envPrefix(name string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(name) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := b.String()
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		s = "_" + s
	}
	return s
}

// yamlComment makes text from a server safe inside a one-line comment.
func yamlComment(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return -1
		}
		return r
	}, s)
}
