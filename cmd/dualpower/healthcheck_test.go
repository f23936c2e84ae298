package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// healthcheckConfig is a valid config; LISTEN is replaced by http.listen.
const healthcheckConfig = `
data_dir: ./data
http: {listen: "LISTEN"}
accounts:
  me-mastodon:
    network: mastodon
    server: https://social.example
    access_token: token-in-the-file
  me-x:
    network: x
    consumer_key: ck
    consumer_secret: cs
    access_token: at
    access_token_secret: ats
links:
  me-to-x:
    from: me-mastodon
    to: me-x
`

func writeHealthcheckConfig(t *testing.T, listen string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(healthcheckConfig, "LISTEN", listen, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// daemon serves /healthz as h does on 127.0.0.1 and returns its port.
func daemon(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", h)
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	_, port, err := net.SplitHostPort(s.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func TestHealthcheck(t *testing.T) {
	healthy := daemon(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	unhealthy := daemon(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "ledger closed", http.StatusServiceUnavailable)
	})
	redirecting := daemon(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	silent := daemon(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	_, closed, _ := net.SplitHostPort(loginClosedAddr(t))

	for _, tt := range []struct {
		name   string
		listen string
		args   []string // after -c path
		code   int
		want   string // in stdout (0) or stderr (1)
	}{
		{name: "healthy", listen: "127.0.0.1:" + healthy, code: exitOK, want: "healthy: http://127.0.0.1:" + healthy + "/healthz answered 200 OK"},
		{name: "every interface", listen: ":" + healthy, code: exitOK, want: "http://127.0.0.1:" + healthy + "/healthz"},
		{name: "every ipv4 interface", listen: "0.0.0.0:" + healthy, code: exitOK, want: "http://127.0.0.1:" + healthy + "/healthz"},
		{name: "unhealthy", listen: "127.0.0.1:" + unhealthy, code: exitFailure, want: "answered 503 Service Unavailable"},
		{name: "redirect is not followed", listen: "127.0.0.1:" + redirecting, code: exitFailure, want: "answered 302 Found"},
		{name: "closed port", listen: "127.0.0.1:" + closed, code: exitFailure, want: "connection refused"},
		{name: "no answer in time", listen: "127.0.0.1:" + silent, args: []string{"--timeout", "100ms"}, code: exitFailure, want: "no answer within 100ms"},
		{name: "server off", listen: "", code: exitFailure, want: `http.listen is ""`},
		{name: "random port", listen: "127.0.0.1:0", code: exitFailure, want: "port 0"},
		{name: "bad flag is 1, not 2", listen: "127.0.0.1:" + healthy, args: []string{"--bogus"}, code: exitFailure, want: "flag provided but not defined"},
		{name: "stray argument", listen: "127.0.0.1:" + healthy, args: []string{"now"}, code: exitFailure, want: `unexpected argument "now"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeHealthcheckConfig(t, tt.listen)
			var out, errOut bytes.Buffer
			code := Main(append([]string{"healthcheck", "-c", path}, tt.args...), strings.NewReader(""), &out, &errOut)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out.String(), errOut.String())
			}
			got := errOut.String()
			if code == exitOK {
				got = out.String()
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("output does not say %q:\nstdout: %s\nstderr: %s", tt.want, out.String(), errOut.String())
			}
		})
	}
}

func TestHealthcheckBadConfig(t *testing.T) {
	for _, tt := range []struct {
		name, config string
	}{
		{"missing file", ""},
		{"invalid config", "http: {listen: 8080}\naccounts: {}\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.yaml")
			if tt.config != "" {
				if err := os.WriteFile(path, []byte(tt.config), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			var out, errOut bytes.Buffer
			// Docker reserves exit code 2; a broken config is unhealthy.
			if code := Main([]string{"healthcheck", "-c", path}, strings.NewReader(""), &out, &errOut); code != exitFailure {
				t.Fatalf("exit %d, want %d\n%s", code, exitFailure, errOut.String())
			}
		})
	}
}

// The config's path comes from $DUALPOWER_CONFIG, as the image sets it.
func TestHealthcheckConfigFromEnvironment(t *testing.T) {
	port := daemon(t, func(w http.ResponseWriter, r *http.Request) {})
	t.Setenv("DUALPOWER_CONFIG", writeHealthcheckConfig(t, "127.0.0.1:"+port))
	var out, errOut bytes.Buffer
	if code := Main([]string{"healthcheck"}, strings.NewReader(""), &out, &errOut); code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut.String())
	}
}

// healthcheck is for the container, not for people: help leaves it out.
func TestHealthcheckHidden(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main([]string{"help"}, strings.NewReader(""), &out, &errOut); code != exitOK {
		t.Fatalf("help: exit %d", code)
	}
	if strings.Contains(out.String(), "healthcheck") {
		t.Errorf("help lists healthcheck:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "dualpower login") {
		t.Errorf("help does not list login:\n%s", out.String())
	}
}

// A credential whose variable this shell lacks does not make the daemon
// unhealthy: the check needs only http.listen.
func TestHealthcheckWithoutCredentialsInEnv(t *testing.T) {
	port := daemon(t, func(w http.ResponseWriter, r *http.Request) {})
	path := writeHealthcheckConfig(t, "127.0.0.1:"+port)
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, bytes.Replace(b, []byte("token-in-the-file"), []byte("${DUALPOWER_TEST_UNSET_TOKEN}"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := Main([]string{"healthcheck", "-c", path}, strings.NewReader(""), &out, &errOut); code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut.String())
	}
}
