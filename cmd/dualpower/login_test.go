package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dghubble/oauth1"
	"go.yaml.in/yaml/v3"

	"github.com/dualpower/dualpower/config"
	"github.com/dualpower/dualpower/providers/mastodon/mastodontest"
	"github.com/dualpower/dualpower/providers/twitter/twittertest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// loginRun is one `dualpower login` run driven as a person would drive it.
type loginRun struct {
	code           int
	stdout, stderr string
	authorizeURL   string // what login told the person to open; "" if it never did
}

var authorizeLine = regexp.MustCompile(`(?m)^  (https?://\S+/oauth/authorize\?\S+)$`)

// runLogin runs Main(args) in-process. When the command prints the
// authorize address on stderr, answer is called with it and what it
// returns is typed on stdin, as the person pastes the code or PIN.
func runLogin(t *testing.T, answer func(authorizeURL string) string, args ...string) loginRun {
	t.Helper()
	stdinR, stdinW := io.Pipe()
	errR, errW := io.Pipe()
	var stdout bytes.Buffer
	done := make(chan int, 1)
	go func() {
		code := Main(args, stdinR, &stdout, errW)
		errW.Close()
		done <- code
	}()

	// Read stderr as the person would: until the prompt after the address.
	var run loginRun
	var stderr strings.Builder
	found := make(chan string, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r := bufio.NewReader(errR)
		sent := false
		for {
			line, err := r.ReadString('\n')
			stderr.WriteString(line)
			if m := authorizeLine.FindStringSubmatch(strings.TrimRight(line, "\n")); m != nil && !sent {
				found <- m[1]
				sent = true
			}
			if err != nil {
				close(found)
				return
			}
		}
	}()
	select {
	case u, ok := <-found:
		if ok {
			run.authorizeURL = u
			go func() {
				_, _ = io.WriteString(stdinW, answer(u))
				stdinW.Close()
			}()
		}
	case <-time.After(time.Minute):
		t.Fatal("login neither printed an authorize address nor ended within a minute")
	}
	select {
	case run.code = <-done:
	case <-time.After(time.Minute):
		stdinW.Close()
		t.Fatal("login did not end within a minute")
	}
	stdinW.Close()
	wg.Wait()
	run.stdout, run.stderr = stdout.String(), stderr.String()
	return run
}

// noAnswer fails the test if login asks anything.
func noAnswer(t *testing.T) func(string) string {
	return func(u string) string {
		t.Errorf("login asked for a code at %s", u)
		return "\n"
	}
}

// tokenIn finds NAME=value in the snippet's comment.
func tokenIn(t *testing.T, snippet, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^#   ` + name + `=(\S+)$`).FindStringSubmatch(snippet)
	if m == nil {
		t.Fatalf("no %s= line in the snippet:\n%s", name, snippet)
	}
	return m[1]
}

// checkGolden compares got, with the run's varying parts replaced, with
// testdata/name.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update if the change is meant):\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// snippetConfig checks that the snippet is a valid config once a link is
// added and its variables are set, and returns the parsed account.
func snippetConfig(t *testing.T, snippet string, env map[string]string, name string) *config.Account {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(snippet), &doc); err != nil {
		t.Fatalf("the snippet is not YAML: %v\n%s", err, snippet)
	}
	other := `
  other-mastodon:
    network: mastodon
    server: https://other.example
    access_token: other
links:
  l:
    from: other-mastodon
    to: [` + name + `]
`
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	cfg, err := config.Parse(path, []byte(snippet+other), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("the snippet does not make a valid config: %v\n%s", err, snippet)
	}
	a := cfg.Accounts[name]
	if a == nil {
		t.Fatalf("no account %q in the snippet", name)
	}
	return a
}

func TestLoginMastodon(t *testing.T) {
	s := mastodontest.New(t, mastodontest.Options{})
	run := runLogin(t, func(u string) string {
		return s.AuthorizeCode(regexp.MustCompile(`client_id=([^&]+)`).FindStringSubmatch(u)[1]) + "\n"
	}, "login", "mastodon", "--server", s.URL()+"/")
	if run.code != exitOK {
		t.Fatalf("exit %d\nstderr:\n%s", run.code, run.stderr)
	}
	if !strings.HasPrefix(run.authorizeURL, s.URL()+"/oauth/authorize?") || !strings.Contains(run.authorizeURL, "scope=read%3Aaccounts+read%3Astatuses+write%3Astatuses+write%3Amedia") {
		t.Errorf("authorize address = %s", run.authorizeURL)
	}
	token := tokenIn(t, run.stdout, "ALICE_MASTODON_TOKEN")
	if strings.Contains(run.stderr, token) {
		t.Error("the token reached stderr")
	}
	if strings.Count(run.stdout, token) != 1 {
		t.Error("the token is shown more than once")
	}
	if !strings.Contains(run.stderr, "Authorized: alice@social.example") {
		t.Errorf("stderr does not say who authorized:\n%s", run.stderr)
	}

	// The printed token is alice's and works.
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/api/v1/accounts/verify_credentials", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var me struct {
		Username string `json:"username"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || me.Username != "alice" {
		t.Errorf("verify_credentials with the printed token: %d %q", resp.StatusCode, me.Username)
	}

	a := snippetConfig(t, run.stdout, map[string]string{"ALICE_MASTODON_TOKEN": token}, "alice-mastodon")
	if a.Network != "mastodon" || a.Settings["server"] != s.URL() || a.Secrets["access_token"].Reveal() != token {
		t.Errorf("the snippet's account: %+v", a)
	}
	checkGolden(t, "login_mastodon.golden", strings.NewReplacer(token, "<TOKEN>", s.URL(), "<SERVER>").Replace(run.stdout))
}

// GoToSocial refuses a request without a User-Agent; --name and --scopes
// are used as given.
func TestLoginMastodonGoToSocialWithFlags(t *testing.T) {
	s := mastodontest.New(t, mastodontest.Options{Flavor: mastodontest.GoToSocial})
	run := runLogin(t, func(u string) string {
		return s.AuthorizeCode(regexp.MustCompile(`client_id=([^&]+)`).FindStringSubmatch(u)[1]) + "\n"
	}, "login", "mastodon", "--server", s.URL(), "--name", "collective.main", "--scopes", "read write")
	if run.code != exitOK {
		t.Fatalf("exit %d\nstderr:\n%s", run.code, run.stderr)
	}
	if !strings.Contains(run.authorizeURL, "scope=read+write") {
		t.Errorf("authorize address = %s", run.authorizeURL)
	}
	token := tokenIn(t, run.stdout, "COLLECTIVE_MAIN_TOKEN")
	snippetConfig(t, run.stdout, map[string]string{"COLLECTIVE_MAIN_TOKEN": token}, "collective.main")
	for _, r := range s.RequestLog() {
		if ua := r.Header.Get("User-Agent"); (r.Path == "/api/v1/apps" || r.Path == "/oauth/token") && ua != "dualpower/"+version {
			t.Errorf("%s %s sent User-Agent %q", r.Method, r.Path, ua)
		}
	}
}

func TestLoginMastodonFailures(t *testing.T) {
	s := mastodontest.New(t, mastodontest.Options{})
	notAPI := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notAPI.Close)
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(busy.Close)
	for _, tt := range []struct {
		name   string
		args   []string
		answer string // "" when login must fail before asking
		code   int
		stderr []string
	}{
		{name: "wrong code", args: []string{"--server", s.URL()}, answer: "not-the-code\n", code: exitFailure,
			stderr: []string{"the server refused", "invalid_grant", "a code works once"}},
		{name: "no code", args: []string{"--server", s.URL()}, answer: "\n", code: exitFailure,
			stderr: []string{"no answer was given"}},
		{name: "stdin closed", args: []string{"--server", s.URL()}, answer: "", code: exitFailure,
			stderr: []string{"no answer was given"}},
		{name: "unreachable", args: []string{"--server", "http://" + loginClosedAddr(t)}, code: exitFailure,
			stderr: []string{"cannot reach the server", "Check --server"}},
		{name: "not a mastodon server", args: []string{"--server", notAPI.URL}, code: exitFailure,
			stderr: []string{"POST /api/v1/apps answered HTTP 404", "Is --server the address of a Mastodon"}},
		{name: "server busy", args: []string{"--server", busy.URL}, code: exitFailure,
			stderr: []string{"server error HTTP 503", "Try again later."}},
		{name: "unknown scope", args: []string{"--server", s.URL(), "--scopes", "read bogus"}, code: exitFailure,
			stderr: []string{"Scopes must only contain valid scopes", `try --scopes "read write"`}},
		{name: "no server", args: nil, code: exitUsage, stderr: []string{"--server is required"}},
		{name: "bad server", args: []string{"--server", "ftp://social.example"}, code: exitUsage, stderr: []string{"want an http:// or https://"}},
		{name: "bad name", args: []string{"--server", s.URL(), "--name", "-x"}, code: exitUsage, stderr: []string{"--name"}},
		{name: "empty scopes", args: []string{"--server", s.URL(), "--scopes", " "}, code: exitUsage, stderr: []string{"--scopes is empty"}},
		{name: "stray argument", args: []string{"--server", s.URL(), "extra"}, code: exitUsage, stderr: []string{`unexpected argument "extra"`}},
		{name: "unknown flag", args: []string{"--sever", s.URL()}, code: exitUsage, stderr: []string{"flag provided but not defined: -sever"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			answer := noAnswer(t)
			if tt.answer != "" || tt.name == "stdin closed" {
				answer = func(string) string { return tt.answer }
			}
			run := runLogin(t, answer, append([]string{"login", "mastodon"}, tt.args...)...)
			if run.code != tt.code {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", run.code, tt.code, run.stderr)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(run.stderr, want) {
					t.Errorf("stderr does not say %q:\n%s", want, run.stderr)
				}
			}
			if run.stdout != "" {
				t.Errorf("stdout is not empty on failure:\n%s", run.stdout)
			}
		})
	}
}

func TestLoginTwitter(t *testing.T) {
	for _, network := range []string{"twitter", "x"} {
		t.Run(network, func(t *testing.T) {
			s := twittertest.New(t, twittertest.Options{})
			run := runLogin(t, func(u string) string {
				return s.Authorize(regexp.MustCompile(`oauth_token=([^&]+)`).FindStringSubmatch(u)[1]) + "\n"
			}, "login", network, "--consumer-key", s.ConsumerKey(), "--consumer-secret", s.ConsumerSecret(), "--api-base", s.URL())
			if run.code != exitOK {
				t.Fatalf("exit %d\nstderr:\n%s", run.code, run.stderr)
			}
			if !strings.HasPrefix(run.authorizeURL, s.URL()+"/oauth/authorize?oauth_token=") {
				t.Errorf("authorize address = %s", run.authorizeURL)
			}
			token := tokenIn(t, run.stdout, "ALICE_X_TOKEN")
			secret := tokenIn(t, run.stdout, "ALICE_X_TOKEN_SECRET")
			for _, v := range []string{token, secret, s.ConsumerSecret()} {
				if strings.Contains(run.stderr, v) {
					t.Errorf("a secret reached stderr: %s", run.stderr)
				}
			}
			if strings.Contains(run.stdout, s.ConsumerSecret()) {
				t.Error("the consumer secret is repeated in the snippet")
			}

			// The printed tokens are alice's and work.
			hc := oauth1.NewConfig(s.ConsumerKey(), s.ConsumerSecret()).Client(t.Context(), oauth1.NewToken(token, secret))
			resp, err := hc.Get(s.URL() + "/2/users/me")
			if err != nil {
				t.Fatal(err)
			}
			var me struct {
				Data struct {
					Username string `json:"username"`
				} `json:"data"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&me)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || me.Data.Username != "alice" {
				t.Errorf("GET /2/users/me with the printed tokens: %d %q", resp.StatusCode, me.Data.Username)
			}

			a := snippetConfig(t, run.stdout, map[string]string{
				"X_CONSUMER_KEY": s.ConsumerKey(), "X_CONSUMER_SECRET": s.ConsumerSecret(),
				"ALICE_X_TOKEN": token, "ALICE_X_TOKEN_SECRET": secret,
			}, "alice-x")
			if a.Network != "twitter" || a.Settings["api_base"] != s.URL() || a.Secrets["access_token_secret"].Reveal() != secret {
				t.Errorf("the snippet's account: %+v", a)
			}
			checkGolden(t, "login_twitter.golden", strings.NewReplacer(token, "<TOKEN>", secret, "<SECRET>", s.URL(), "<API>", s.UserID(), "<ID>").Replace(run.stdout))
		})
	}
}

// The consumer keys may come from the environment, kept off the command
// line and out of shell history.
func TestLoginTwitterKeysFromEnvironment(t *testing.T) {
	s := twittertest.New(t, twittertest.Options{})
	t.Setenv("X_CONSUMER_KEY", s.ConsumerKey())
	t.Setenv("X_CONSUMER_SECRET", s.ConsumerSecret())
	run := runLogin(t, func(u string) string {
		return s.Authorize(regexp.MustCompile(`oauth_token=([^&]+)`).FindStringSubmatch(u)[1]) + "\n"
	}, "login", "x", "--api-base", s.URL(), "--name", "news")
	if run.code != exitOK {
		t.Fatalf("exit %d\nstderr:\n%s", run.code, run.stderr)
	}
	tokenIn(t, run.stdout, "NEWS_TOKEN_SECRET")
}

func TestLoginTwitterFailures(t *testing.T) {
	s := twittertest.New(t, twittertest.Options{})
	t.Setenv("X_CONSUMER_KEY", "")
	t.Setenv("X_CONSUMER_SECRET", "")
	keys := []string{"--consumer-key", s.ConsumerKey(), "--consumer-secret", s.ConsumerSecret(), "--api-base", s.URL()}
	for _, tt := range []struct {
		name   string
		args   []string
		answer func(tok string) string // nil when login must fail before asking
		code   int
		stderr []string
	}{
		{name: "wrong PIN", args: keys, answer: func(tok string) string {
			if s.Authorize(tok) == "0000000" {
				return "1111111\n"
			}
			return "0000000\n"
		}, code: exitFailure, stderr: []string{"the server refused", "Invalid oauth_verifier", "a PIN works once"}},
		{name: "wrong consumer secret", args: []string{"--consumer-key", s.ConsumerKey(), "--consumer-secret", "nope", "--api-base", s.URL()},
			code: exitFailure, stderr: []string{"Could not authenticate you", "developer portal"}},
		{name: "unreachable", args: []string{"--consumer-key", "k", "--consumer-secret", "s", "--api-base", "http://" + loginClosedAddr(t)},
			code: exitFailure, stderr: []string{"cannot reach the server", "Check --api-base"}},
		{name: "no keys", args: []string{"--api-base", s.URL()}, code: exitUsage, stderr: []string{"--consumer-key and --consumer-secret are required"}},
		{name: "bad api base", args: []string{"--consumer-key", "k", "--consumer-secret", "s", "--api-base", "https://api.x.com?x=1"},
			code: exitUsage, stderr: []string{"--api-base"}},
		{name: "stray argument", args: append(keys, "now"), code: exitUsage, stderr: []string{`unexpected argument "now"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			answer := noAnswer(t)
			if tt.answer != nil {
				answer = func(u string) string {
					return tt.answer(regexp.MustCompile(`oauth_token=([^&]+)`).FindStringSubmatch(u)[1])
				}
			}
			run := runLogin(t, answer, append([]string{"login", "twitter"}, tt.args...)...)
			if run.code != tt.code {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", run.code, tt.code, run.stderr)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(run.stderr, want) {
					t.Errorf("stderr does not say %q:\n%s", want, run.stderr)
				}
			}
			if strings.Contains(run.stderr, s.ConsumerSecret()) || strings.Contains(run.stderr, "nope") {
				t.Errorf("a consumer secret reached stderr:\n%s", run.stderr)
			}
			if run.stdout != "" {
				t.Errorf("stdout is not empty on failure:\n%s", run.stdout)
			}
		})
	}
}

func TestLoginUsage(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no network", []string{"login"}, exitUsage, "login needs a network"},
		{"unknown network", []string{"login", "bluesky"}, exitUsage, `unknown network "bluesky"`},
		{"help", []string{"login", "--help"}, exitOK, "dualpower login mastodon --server URL"},
		{"mastodon help", []string{"login", "mastodon", "-h"}, exitOK, "-server"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Main(tt.args, strings.NewReader(""), &out, &errOut)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", code, tt.code, errOut.String())
			}
			if !strings.Contains(out.String()+errOut.String(), tt.want) {
				t.Errorf("output does not say %q:\n%s%s", tt.want, out.String(), errOut.String())
			}
		})
	}
}

func TestAccountAndEnvNames(t *testing.T) {
	for _, tt := range []struct {
		user, network, name, env string
	}{
		{"alice", "mastodon", "alice-mastodon", "ALICE_MASTODON"},
		{"Alice_B", "x", "Alice_B-x", "ALICE_B_X"},
		{"_under", "x", "under-x", "UNDER_X"},
		{"ünïcode", "mastodon", "ncode-mastodon", "NCODE_MASTODON"},
		{"", "x", "x", "X"},
		{"9lives", "x", "9lives-x", "_9LIVES_X"},
		{strings.Repeat("a", 80), "mastodon", strings.Repeat("a", 55) + "-mastodon", strings.Repeat("A", 55) + "_MASTODON"},
	} {
		t.Run(tt.user, func(t *testing.T) {
			name := accountName(tt.user, tt.network)
			if name != tt.name || !validAccountName.MatchString(name) {
				t.Errorf("accountName(%q) = %q, want %q (and a valid name)", tt.user, name, tt.name)
			}
			if env := envPrefix(name); env != tt.env {
				t.Errorf("envPrefix(%q) = %q, want %q", name, env, tt.env)
			}
		})
	}
}

// loginClosedAddr is a loopback address nothing listens on.
func loginClosedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// A server that answers a token with a line break and more YAML in it gets
// no snippet printed: the pasted config could otherwise hold keys the
// person never wrote.
func TestLoginMastodonHostileToken(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/apps", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"client_id": "id", "client_secret": "secret"}`)
	})
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"access_token": "abc\n    server: https://evil.example", "token_type": "Bearer"}`)
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	run := runLogin(t, func(string) string { return "code\n" }, "login", "mastodon", "--server", ts.URL)
	if run.code != exitFailure {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", run.code, exitFailure, run.stderr)
	}
	if run.stdout != "" || strings.Contains(run.stderr, "evil.example") {
		t.Errorf("the hostile token was printed:\nstdout: %s\nstderr: %s", run.stdout, run.stderr)
	}
}

// A token the server then refuses is reported, and no snippet printed.
func TestLoginMastodonTokenThatDoesNotWork(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/apps", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"client_id": "id", "client_secret": "secret"}`)
	})
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"access_token": "tok-SECRET-1", "token_type": "Bearer"}`)
	})
	mux.HandleFunc("GET /api/v1/accounts/verify_credentials", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error": "The access token is invalid"}`)
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	run := runLogin(t, func(string) string { return "code\n" }, "login", "mastodon", "--server", ts.URL)
	if run.code != exitFailure {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", run.code, exitFailure, run.stderr)
	}
	if !strings.Contains(run.stderr, "does not work") || !strings.Contains(run.stderr, "401") {
		t.Errorf("stderr does not say the token does not work:\n%s", run.stderr)
	}
	if run.stdout != "" || strings.Contains(run.stderr, "tok-SECRET-1") {
		t.Errorf("the token was printed:\nstdout: %s\nstderr: %s", run.stdout, run.stderr)
	}
}

// Whatever user name a server sends, the snippet's account name is one the
// config takes and its variable names are ones ${…} can expand.
func FuzzAccountName(f *testing.F) {
	for _, s := range []string{"alice", "", "_", "ünï", "9", strings.Repeat("z", 70), "a b\nc"} {
		f.Add(s)
	}
	validVar := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	f.Fuzz(func(t *testing.T, user string) {
		for _, network := range []string{"mastodon", "x"} {
			name := accountName(user, network)
			if !validAccountName.MatchString(name) {
				t.Fatalf("accountName(%q, %s) = %q, not a valid name", user, network, name)
			}
			if env := envPrefix(name) + "_TOKEN_SECRET"; !validVar.MatchString(env) {
				t.Fatalf("envPrefix(%q) makes %q, not a variable name", name, env)
			}
		}
	})
}
