package main

// The tests in this file build the dualpower binary once and drive it as a
// person or a service manager would: as a child process, with its
// credentials in the environment, against the in-process fakes of Mastodon
// and X, sending it signals. They assert exit codes, what it prints and
// what ends up on the fake networks and in the ledger.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dghubble/oauth1"

	"github.com/dualpower/dualpower/httpapi"
	"github.com/dualpower/dualpower/providers/mastodon/mastodontest"
	"github.com/dualpower/dualpower/providers/twitter/twittertest"
)

// built is the binary under test: built at most once per test run, into
// a directory TestMain removes at the end.
var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dualpower-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot make a directory for the test binary:", err)
		os.Exit(1)
	}
	built.dir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// dualpowerBinary returns the path of the dualpower binary, building it
// on first use: a run of only the in-process tests (-run TestStatus) does
// not pay for a build. It is built with the race detector when this test
// binary was, so the child processes are checked as the tests are.
func dualpowerBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		// go test puts its own toolchain first on the PATH.
		goTool, err := exec.LookPath("go")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(built.dir, "dualpower")
		args := []string{"build", "-o", built.path}
		if raceEnabled() {
			args = append(args, "-race")
		}
		cmd := exec.Command(goTool, append(args, ".")...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
	if built.err != nil {
		t.Fatalf("cannot build the binary: %v", built.err)
	}
	return built.path
}

// raceEnabled reports whether this test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// childEnv is this process's environment without any DUALPOWER_ variable
// (a developer's DUALPOWER_CONFIG must not leak into a test), plus vars.
// A race-detecting child does not sleep a second at exit, as the race
// runtime does by default: a race it finds still fails its exit code (66).
func childEnv(vars map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DUALPOWER_") || strings.HasPrefix(kv, "GORACE=") {
			continue
		}
		env = append(env, kv)
	}
	if raceEnabled() {
		env = append(env, "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// result is what one run of the binary came to.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// runBinary runs dualpower with args in dir and waits for it to end, at
// most a minute.
func runBinary(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, dualpowerBinary(t), args...)
	cmd.Dir, cmd.Env = dir, env
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := result{stdout: out.String(), stderr: errb.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.Exited():
		res.code = exit.ExitCode()
	default:
		t.Fatalf("dualpower %s: %v\n%s", strings.Join(args, " "), err, res)
	}
	return res
}

// noSecrets fails the test if any of secrets appears in the output.
func noSecrets(t *testing.T, what, output string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			t.Fatalf("an empty secret cannot be looked for")
		}
		if strings.Contains(output, s) {
			t.Errorf("%s shows a secret (%.4s…):\n%s", what, s, output)
		}
	}
}

// ---- check on fixtures ----

// secretMark is in every credential of the check fixtures, from checkEnv,
// written in the file or in a secret file: no output may show it.
const secretMark = "s3cr3t"

// checkEnv is the environment of the check fixtures. DUALPOWER_TEST_NEVER_SET
// is left unset.
var checkEnv = map[string]string{
	"MASTODON_TOKEN":    "mastodon-token-s3cr3t",
	"X_CONSUMER_KEY":    "x-consumer-key-s3cr3t",
	"X_CONSUMER_SECRET": "x-consumer-secret-s3cr3t",
	"X_TOKEN":           "x-token-s3cr3t",
	"X_SECRET":          "x-token-secret-s3cr3t",
	"EMPTY":             "",
}

// goodCounts is what check says of each good fixture: accounts, links,
// announcements.
var goodCounts = map[string][3]int{
	"both_ways":    {2, 2, 0},
	"minimal":      {2, 1, 0},
	"phases":       {2, 3, 1},
	"secret_files": {2, 1, 0},
	"write_only":   {2, 1, 0},
}

var validLine = regexp.MustCompile(`^(\S+): (\d+) accounts?, (\d+) links?, (\d+) announcements?: valid\n$`)

func TestBinaryCheckGoodConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/check/good/*.yaml")
	if len(files) < 4 {
		t.Fatalf("want at least 4 good fixtures, found %d", len(files))
	}
	env := childEnv(checkEnv)
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want, ok := goodCounts[name]
			if !ok {
				t.Fatalf("add %s to goodCounts", name)
			}
			res := runBinary(t, ".", env, "check", "--offline", "-c", path)
			if res.code != exitOK || res.stderr != "" {
				t.Fatalf("want exit 0 and nothing on stderr; %s", res)
			}
			m := validLine.FindStringSubmatch(res.stdout)
			if m == nil || m[1] != path {
				t.Fatalf("stdout is not %q's one line saying it is valid:\n%s", path, res.stdout)
			}
			if got := fmt.Sprintf("%s %s %s", m[2], m[3], m[4]); got != fmt.Sprintf("%d %d %d", want[0], want[1], want[2]) {
				t.Errorf("accounts, links, announcements = %s, want %v", got, want)
			}
			noSecrets(t, "check", res.stdout+res.stderr, []string{secretMark})
		})
	}
}

// Each bad fixture fails with exit 2, nothing on stdout, and exactly the
// problems in the .err beside it (file:line: key: message, then the count).
// go test -update rewrites the .err files; review the diff.
func TestBinaryCheckBadConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/check/bad/*.yaml")
	if len(files) < 10 {
		t.Fatalf("want at least 10 bad fixtures, found %d", len(files))
	}
	env := childEnv(checkEnv)
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res := runBinary(t, ".", env, "check", "--offline", "-c", path)
			if res.code != exitUsage || res.stdout != "" {
				t.Fatalf("want exit 2 and nothing on stdout; %s", res)
			}
			errFile := strings.TrimSuffix(path, ".yaml") + ".err"
			if *update {
				if err := os.WriteFile(errFile, []byte(res.stderr), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(errFile)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if res.stderr != string(want) {
				t.Errorf("stderr differs from %s (go test -update rewrites it)\n--- got\n%s--- want\n%s", errFile, res.stderr, want)
			}
			// Every problem names this file; the last line counts them.
			lines := strings.Split(strings.TrimSuffix(res.stderr, "\n"), "\n")
			for _, l := range lines[:len(lines)-1] {
				if !strings.HasPrefix(l, path+":") {
					t.Errorf("problem does not start with the file: %q", l)
				}
			}
			n := len(lines) - 1
			if last := fmt.Sprintf("dualpower: %s has %d %s", path, n, plural(n, "problem", "problems")); lines[len(lines)-1] != last {
				t.Errorf("last line %q, want %q", lines[len(lines)-1], last)
			}
			noSecrets(t, "check", res.stderr, []string{secretMark})
		})
	}
}

// ---- the fakes, and a dualpower running against them ----

// rig is the two fake networks a child dualpower talks to, and the
// directory of its config and ledger. The credentials reach the child
// through ${VAR}s in its environment.
type rig struct {
	t    *testing.T
	m    *mastodontest.Server
	x    *twittertest.Server
	xAPI string // where the config points the X account: the fake, or a proxy before it
	dir  string
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{t: t, m: mastodontest.New(t, mastodontest.Options{}), x: twittertest.New(t, twittertest.Options{}), dir: t.TempDir()}
	r.xAPI = r.x.URL()
	return r
}

func (r *rig) env() []string {
	return childEnv(map[string]string{
		"DP_MASTODON_TOKEN":    r.m.Token(),
		"DP_X_CONSUMER_KEY":    r.x.ConsumerKey(),
		"DP_X_CONSUMER_SECRET": r.x.ConsumerSecret(),
		"DP_X_TOKEN":           r.x.Token(),
		"DP_X_SECRET":          r.x.TokenSecret(),
	})
}

// secrets are every credential the child knows.
func (r *rig) secrets() []string {
	return []string{r.m.Token(), r.x.ConsumerKey(), r.x.ConsumerSecret(), r.x.Token(), r.x.TokenSecret()}
}

// Links for rigConfig.links.
const (
	linkToX   = "  m2x: {from: alice-mastodon, to: [alice-x]}\n"
	linkFromX = "  x2m: {from: alice-x, to: [alice-mastodon]}\n"
)

// rigConfig shapes the config file writeConfig writes.
type rigConfig struct {
	format string // log format: console (the default) or json
	links  string // the entries under links:
	// xTokens are the X account's access token keys, indented by four;
	// "" takes them from the environment.
	xTokens string
	listen  string // http.listen; "" turns the server off
	level   string // log.level; "" is debug
}

// writeConfig writes dir/config.yaml and returns its path.
func (r *rig) writeConfig(c rigConfig) string {
	r.t.Helper()
	if c.format == "" {
		c.format = "console"
	}
	if c.level == "" {
		c.level = "debug"
	}
	if c.xTokens == "" {
		c.xTokens = "    access_token: ${DP_X_TOKEN}\n    access_token_secret: ${DP_X_SECRET}\n"
	}
	yaml := fmt.Sprintf(`data_dir: ./data
log: {level: %s, format: %s}
http: {listen: "%s"}
accounts:
  alice-mastodon:
    network: mastodon
    server: %s
    access_token: ${DP_MASTODON_TOKEN}
  alice-x:
    network: x
    api_base: %s
    consumer_key: ${DP_X_CONSUMER_KEY}
    consumer_secret: ${DP_X_CONSUMER_SECRET}
%s    poll: "@every 1s"
links:
%s`, c.level, c.format, c.listen, r.m.URL(), r.xAPI, c.xTokens, c.links)
	path := filepath.Join(r.dir, "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		r.t.Fatal(err)
	}
	return path
}

// run runs a command that ends (check, status, ledger) with the rig's
// config and environment.
func (r *rig) run(args ...string) result {
	r.t.Helper()
	return runBinary(r.t, r.dir, r.env(), append(args, "-c", filepath.Join(r.dir, "config.yaml"))...)
}

// onX counts u's live posts on the fake X whose text holds text.
func (r *rig) onX(u *twittertest.User, text string) int {
	n := 0
	for _, id := range u.Statuses() {
		if s, ok := r.x.Lookup(id); ok && strings.Contains(s.Text, text) {
			n++
		}
	}
	return n
}

// onMastodon counts alice's live statuses on the fake Mastodon whose text
// holds text.
func (r *rig) onMastodon(text string) int {
	n := 0
	for _, id := range r.m.Alice().Statuses() {
		if s, ok := r.m.Lookup(id); ok && strings.Contains(s.Text, text) {
			n++
		}
	}
	return n
}

// daemonProc is a `dualpower run` child process. Its stderr (the log) is read
// line by line as it comes; every line wakes whoever awaits a condition.
type daemonProc struct {
	t   *testing.T
	cmd *exec.Cmd

	mu      sync.Mutex
	stdout  strings.Builder
	log     strings.Builder
	entries []map[string]any // the log lines that are JSON objects
	changed chan struct{}    // a line came (capacity 1)
	done    chan struct{}    // closed once the process has ended
	code    int              // its exit code, once done; -1 when killed by a signal
}

// startDaemon runs `dualpower run` on the rig's config and waits until the
// engine says it runs.
func (r *rig) startDaemon() *daemonProc {
	r.t.Helper()
	return r.startDaemonEnv(r.env())
}

// startDaemonEnv is startDaemon with this environment and more flags.
func (r *rig) startDaemonEnv(env []string, flags ...string) *daemonProc {
	r.t.Helper()
	t := r.t
	d := &daemonProc{t: t, changed: make(chan struct{}, 1), done: make(chan struct{})}
	d.cmd = exec.Command(dualpowerBinary(t), append([]string{"run", "-c", filepath.Join(r.dir, "config.yaml")}, flags...)...)
	d.cmd.Dir, d.cmd.Env = r.dir, env
	d.cmd.Stdout = lockedWriter{&d.mu, &d.stdout}
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go d.read(stderr)
	t.Cleanup(func() {
		select {
		case <-d.done:
		default:
			_ = d.cmd.Process.Kill()
			<-d.done
		}
		if t.Failed() || os.Getenv("DUALPOWER_TEST_LOGS") != "" {
			t.Logf("dualpower run (pid %d) said:\n%s", d.cmd.Process.Pid, d.output())
		}
	})
	d.await("the bridge to run", func() bool { return d.count("bridge running", "") >= 1 })
	return d
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (d *daemonProc) read(stderr io.Reader) {
	br := bufio.NewReader(stderr)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			var entry map[string]any
			isJSON := json.Unmarshal([]byte(line), &entry) == nil
			d.mu.Lock()
			d.log.WriteString(line)
			if isJSON {
				d.entries = append(d.entries, entry)
			}
			d.mu.Unlock()
			select {
			case d.changed <- struct{}{}:
			default:
			}
		}
		if err != nil {
			break
		}
	}
	// All output is read: now Wait may reap the process.
	err := d.cmd.Wait()
	var exit *exec.ExitError
	d.mu.Lock()
	switch {
	case err == nil:
		d.code = 0
	case errors.As(err, &exit):
		d.code = exit.ExitCode()
	default:
		d.code = -1
	}
	d.mu.Unlock()
	close(d.done)
}

// output is everything the daemon printed so far.
func (d *daemonProc) output() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stdout.String() + d.log.String()
}

// count counts the JSON log lines whose message starts with msg and, when
// account is not "", that are about that account. With console logs it
// counts the lines holding msg.
func (d *daemonProc) count(msg, account string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.entries) == 0 {
		n := strings.Count(d.log.String(), msg)
		return n
	}
	n := 0
	for _, e := range d.entries {
		m, _ := e["message"].(string)
		if strings.HasPrefix(m, msg) && (account == "" || e["account"] == account) {
			n++
		}
	}
	return n
}

// await blocks until cond holds. cond is checked at every line the daemon
// logs and every 50 ms (for conditions on the fakes, which live in this
// process and say nothing when they change), for at most a minute.
func (d *daemonProc) await(what string, cond func() bool) {
	d.t.Helper()
	timeout := time.NewTimer(time.Minute)
	defer timeout.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-d.changed:
		case <-tick.C:
		case <-d.done:
			if cond() {
				return
			}
			d.t.Fatalf("dualpower run ended (exit %d) before %s", d.exitCode(), what)
		case <-timeout.C:
			d.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// values returns the value of key in every JSON log line whose message
// starts with msg, in order.
func (d *daemonProc) values(msg, key string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, e := range d.entries {
		if m, _ := e["message"].(string); strings.HasPrefix(m, msg) {
			v, _ := e[key].(string)
			out = append(out, v)
		}
	}
	return out
}

func (d *daemonProc) exitCode() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.code
}

func (d *daemonProc) signal(sig os.Signal) {
	d.t.Helper()
	if err := d.cmd.Process.Signal(sig); err != nil {
		d.t.Fatalf("signal %v: %v", sig, err)
	}
}

// stop sends SIGTERM and waits for the process to end, at most within; it
// returns the exit code and how long the stop took.
func (d *daemonProc) stop(within time.Duration) (int, time.Duration) {
	d.t.Helper()
	start := time.Now()
	d.signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(within):
		d.t.Fatalf("dualpower run did not stop within %v of SIGTERM", within)
	}
	return d.exitCode(), time.Since(start)
}

// waitStream waits until the daemon's Mastodon stream is open, so a post
// made now reaches it at once.
func (r *rig) waitStream() {
	r.t.Helper()
	if !r.m.WaitStreams(r.m.Alice(), 1, time.Minute) {
		r.t.Fatal("dualpower never opened its Mastodon stream")
	}
}

// ---- check online ----

func TestBinaryCheckOnline(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(r *rig) // what goes wrong before check runs
		code  int
		want  []string // regular expressions stdout must match
	}{
		{
			name: "every account answers",
			code: exitOK,
			want: []string{
				`(?m)^config\.yaml: 2 accounts, 2 links, 0 announcements: valid$`,
				`(?m)^  alice-mastodon\s+ok: alice\S* on mastodon \(posts up to \d+, \d+ media\)$`,
				`(?m)^  alice-x\s+ok: alice on twitter \(posts up to 280, \d+ media\)$`,
			},
		},
		{
			name:  "mastodon token revoked",
			setup: func(r *rig) { r.m.Revoke() },
			code:  exitFailure,
			want: []string{
				`(?m)^  alice-mastodon\s+FAILED: .*\S$`,
				`(?m)^  alice-x\s+ok: alice on twitter`,
				`(?m)^1 of 2 accounts failed verification$`,
			},
		},
		{
			name:  "x token revoked",
			setup: func(r *rig) { r.x.Revoke() },
			code:  exitFailure,
			want: []string{
				`(?m)^  alice-mastodon\s+ok: `,
				`(?m)^  alice-x\s+FAILED: .*\S$`,
				`(?m)^1 of 2 accounts failed verification$`,
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			r.writeConfig(rigConfig{links: linkToX + linkFromX})
			if tt.setup != nil {
				tt.setup(r)
			}
			res := runBinary(t, r.dir, r.env(), "check", "-c", "config.yaml")
			if res.code != tt.code {
				t.Fatalf("want exit %d; %s", tt.code, res)
			}
			for _, re := range tt.want {
				if !regexp.MustCompile(re).MatchString(res.stdout) {
					t.Errorf("stdout does not match %s:\n%s", re, res.stdout)
				}
			}
			noSecrets(t, "check", res.stdout+res.stderr, r.secrets())
		})
	}
}

// ---- secrets ----

// At debug level, in both log formats, a run that mirrors a post each way
// and is stopped, then check, status and ledger export, never show a
// credential.
func TestBinaryNoSecretInAnyOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon: not in -short")
	}
	for _, tt := range []struct{ format, debugMark string }{
		{"console", " DBG "},
		{"json", `"level":"debug"`},
	} {
		t.Run(tt.format, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			addr := loginClosedAddr(t)
			r.writeConfig(rigConfig{format: tt.format, links: linkToX + linkFromX, listen: addr})
			d := r.startDaemon()
			r.waitStream()

			r.m.PostAsUser("from mastodon, at debug level", "")
			d.await("the mastodon post on X", func() bool { return r.onX(r.x.Alice(), "from mastodon, at debug level") == 1 })
			r.x.PostAsUser("from X, at debug level", "")
			d.await("the X post on mastodon", func() bool { return r.onMastodon("from X, at debug level") == 1 })

			// Failures put URLs and answers in the log: a cut stream, a
			// failed poll, a refused token.
			r.m.DropStreams()
			d.await("the cut stream logged", func() bool { return d.count("mastodon stream: reconnecting", "alice-mastodon") >= 1 })
			r.x.FailNext(http.StatusServiceUnavailable, 1)
			d.await("the failed poll logged", func() bool { return d.count("poll failed", "") >= 1 })
			r.x.FailNext(http.StatusUnauthorized, 1)
			r.m.PostAsUser("refused by X", "")
			d.await("the refused request logged", func() bool { return d.count("account paused", "alice-x") >= 1 })

			// What the daemon serves while it runs: status, health, metrics.
			d.await("the http server", func() bool { return httpGet(t, "http://"+addr+"/healthz") != "" })
			for _, tc := range []struct {
				args []string
				want string
			}{
				{[]string{"status"}, "from the running daemon at " + addr},
				{[]string{"status", "--json"}, `"name": "alice-x"`},
				{[]string{"healthcheck"}, "healthy: http://" + addr + "/healthz answered 200 OK"},
			} {
				res := r.run(tc.args...)
				if res.code != exitOK || !strings.Contains(res.stdout, tc.want) {
					t.Errorf("%s while the daemon runs: want exit 0 and %q; %s", strings.Join(tc.args, " "), tc.want, res)
				}
				noSecrets(t, strings.Join(tc.args, " "), res.stdout+res.stderr, r.secrets())
			}
			for _, path := range []string{"/metrics", "/readyz", "/status"} {
				noSecrets(t, path, httpGet(t, "http://"+addr+path), r.secrets())
			}
			// The daemon holds the ledger: a second run, or an export, is
			// refused within about a second, rather than both writing.
			for _, args := range [][]string{{"run"}, {"ledger", "export"}} {
				res := r.run(args...)
				if res.code != exitFailure || !strings.Contains(res.stderr, "in use by another dualpower process") {
					t.Errorf("%s while the daemon runs: want exit 1 saying the ledger is in use; %s", strings.Join(args, " "), res)
				}
				noSecrets(t, strings.Join(args, " "), res.stdout+res.stderr, r.secrets())
			}

			if code, took := d.stop(30 * time.Second); code != exitOK {
				t.Fatalf("exit %d after SIGTERM (%v)", code, took)
			}
			out := d.output()
			if !strings.Contains(out, tt.debugMark) {
				t.Fatalf("no debug line in the log: the test proves nothing\n%s", out)
			}
			noSecrets(t, "run", out, r.secrets())

			for _, args := range [][]string{{"check"}, {"status"}, {"status", "--json"}, {"ledger", "export"}, {"ledger", "verify"}} {
				res := r.run(args...)
				if res.code != exitOK {
					t.Errorf("%s: %s", strings.Join(args, " "), res)
				}
				noSecrets(t, strings.Join(args, " "), res.stdout+res.stderr, r.secrets())
			}
		})
	}
}

// httpGet returns the body of a GET of u, or "" when nothing answers.
func httpGet(t *testing.T, u string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return ""
	}
	return string(body)
}

// ---- SIGTERM with a publish in flight ----

// xProxy stands between dualpower and the fake X. It tells when a publish
// (POST /2/tweets) arrives and, when hold is set, lets the fake do the
// publish but never gives dualpower the answer: the outcome a stop leaves
// unknown.
type xProxy struct {
	url       string
	arrived   chan struct{} // a publish arrived (capacity 1)
	hold      atomic.Bool
	publishes atomic.Int64
}

func newXProxy(t *testing.T, target string) *xProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	p := &xProxy{arrived: make(chan struct{}, 1)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/2/tweets" {
			rp.ServeHTTP(w, r)
			return
		}
		p.publishes.Add(1)
		if !p.hold.Load() {
			p.signal()
			rp.ServeHTTP(w, r)
			return
		}
		// The fake does the work even if dualpower gives up waiting.
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, r.WithContext(context.WithoutCancel(r.Context())))
		p.signal()
		<-r.Context().Done()
		panic(http.ErrAbortHandler) // no answer, ever
	}))
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

func (p *xProxy) signal() {
	select {
	case p.arrived <- struct{}{}:
	default:
	}
}

// A SIGTERM while a publish to X is in flight loses nothing and doubles
// nothing: the process stops cleanly, and after a restart the post is on
// X exactly once and the ledger holds.
func TestBinarySIGTERMDuringPublish(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon: not in -short")
	}
	for _, tt := range []struct {
		name string
		// slow makes the publish under way slow; it returns what undoes it.
		slow func(r *rig, p *xProxy) func()
		// stopWithin bounds the stop: the engine gives in-flight work 10 s.
		stopWithin time.Duration
		// firstRun is a log message the stopped run must have logged.
		firstRun string
	}{
		{
			name: "publish finishes within the grace period",
			slow: func(r *rig, p *xProxy) func() {
				r.x.SetLatency(3 * time.Second)
				return func() { r.x.SetLatency(0) }
			},
			stopWithin: 10 * time.Second,
			firstRun:   "mirrored",
		},
		{
			name: "answer never comes",
			slow: func(r *rig, p *xProxy) func() {
				p.hold.Store(true)
				return func() { p.hold.Store(false) }
			},
			stopWithin: 20 * time.Second,
			firstRun:   "in-flight work did not finish in time",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			proxy := newXProxy(t, r.x.URL())
			r.xAPI = proxy.url
			r.writeConfig(rigConfig{format: "json", links: linkToX})
			d := r.startDaemon()
			r.waitStream()

			undo := tt.slow(r, proxy)
			const text = "in flight when the daemon was told to stop"
			r.m.PostAsUser(text, "")
			select {
			case <-proxy.arrived:
			case <-d.done:
				t.Fatalf("dualpower run ended (exit %d) before publishing", d.exitCode())
			case <-time.After(time.Minute):
				t.Fatal("the publish never reached X")
			}
			code, took := d.stop(tt.stopWithin)
			t.Logf("stopped %v after SIGTERM", took.Round(time.Millisecond))
			if code != exitOK {
				t.Fatalf("exit %d after SIGTERM, want 0", code)
			}
			if d.count(tt.firstRun, "") == 0 {
				t.Errorf("the stopped run did not log %q", tt.firstRun)
			}
			undo()

			d = r.startDaemon()
			d.await("the post on X", func() bool { return r.onX(r.x.Alice(), text) >= 1 })
			if tt.firstRun != "mirrored" {
				d.await("the unknown outcome reconciled", func() bool {
					return d.count("reconciling work left unfinished", "alice-x") == 1 && d.count("mirrored", "alice-x") == 1
				})
			}
			if code, took := d.stop(30 * time.Second); code != exitOK {
				t.Fatalf("second run: exit %d after SIGTERM (%v)", code, took)
			}
			if tt.firstRun == "mirrored" && d.count("reconciling work left unfinished", "") != 0 {
				t.Error("the second run reconciled work the first one finished")
			}
			if n := r.onX(r.x.Alice(), text); n != 1 || r.x.Posts() != 1 {
				t.Errorf("the post is on X %d times (alice has %d posts), want exactly once", n, r.x.Posts())
			}
			t.Logf("X saw %d publish requests", proxy.publishes.Load())

			if res := r.run("ledger", "verify"); res.code != exitOK || !strings.HasSuffix(res.stdout, ": ok\n") {
				t.Errorf("ledger verify: %s", res)
			}
			res := r.run("status", "--json")
			if res.code != exitOK {
				t.Fatalf("status --json: %s", res)
			}
			var st httpapi.Status
			if err := json.Unmarshal([]byte(res.stdout), &st); err != nil {
				t.Fatalf("status --json: %v\n%s", err, res.stdout)
			}
			if len(st.Links) != 1 || st.Links[0].Mirrored != 1 || st.Links[0].Pending != 0 || len(st.Links[0].Failed) != 0 {
				t.Errorf("status: %+v, want the link with 1 mirrored, nothing pending or failed", st.Links)
			}
		})
	}
}

// ---- SIGHUP ----

// SIGHUP reloads the config: a config with problems is refused and the
// running one keeps working; fixed credentials resume a paused account,
// whose held post then goes out; a new link starts mirroring.
func TestBinarySIGHUPReload(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon: not in -short")
	}
	t.Parallel()
	r := newRig(t)
	cfgPath := r.writeConfig(rigConfig{format: "json", links: linkToX})
	d := r.startDaemon()
	r.waitStream()

	// A broken config is refused; the bridge runs on, unchanged.
	good, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(good), "to: [alice-x]", "to: [alice-bsky]", 1)
	if err := os.WriteFile(cfgPath, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	d.signal(syscall.SIGHUP)
	d.await("the broken config refused", func() bool { return d.count("reload refused", "") == 1 })
	r.m.PostAsUser("after a refused reload", "")
	d.await("the post on X", func() bool { return r.onX(r.x.Alice(), "after a refused reload") == 1 })
	if n := d.count("bridge running", ""); n != 1 {
		t.Errorf("the engine started %d times, want once: a refused reload restarts nothing", n)
	}

	// A config the file check accepts but an adapter refuses (can_edit
	// must be a boolean) is refused too: the running bridge stays.
	unbuildable := strings.Replace(string(good), `    poll: "@every 1s"`, "    can_edit: maybe\n    poll: \"@every 1s\"", 1)
	if unbuildable == string(good) {
		t.Fatal("the config has no X poll line to put can_edit before")
	}
	if err := os.WriteFile(cfgPath, []byte(unbuildable), 0o600); err != nil {
		t.Fatal(err)
	}
	d.signal(syscall.SIGHUP)
	d.await("the unbuildable config refused", func() bool { return d.count("reload refused", "") == 2 })
	r.m.PostAsUser("after an unbuildable reload", "")
	d.await("the post on X", func() bool { return r.onX(r.x.Alice(), "after an unbuildable reload") == 1 })

	// X refuses alice's token: her account pauses on the next publish,
	// which is held.
	before := r.x.Posts()
	r.x.Revoke()
	r.m.PostAsUser("held while the X account is paused", "")
	d.await("alice-x paused", func() bool { return d.count("account paused", "alice-x") == 1 })
	if r.x.Posts() != before {
		t.Fatalf("alice has %d posts on X, want the %d from before her token was revoked", r.x.Posts(), before)
	}

	// New credentials, from files as Docker secrets give them: bob's.
	bob := r.x.CreateUser("bob")
	for name, v := range map[string]string{"x_token": bob.Token(), "x_token_secret": bob.TokenSecret()} {
		if err := os.WriteFile(filepath.Join(r.dir, name), []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	fromFiles := "    access_token_file: x_token\n    access_token_secret_file: x_token_secret\n"
	r.writeConfig(rigConfig{format: "json", links: linkToX, xTokens: fromFiles})
	d.signal(syscall.SIGHUP)
	d.await("the reload", func() bool { return d.count("bridge running", "") == 2 })
	d.await("the held post out on X as bob", func() bool { return r.onX(bob, "held while the X account is paused") == 1 })
	if d.count("account resumed", "alice-x") != 1 {
		t.Error(`no "account resumed" for alice-x in the log`)
	}
	if got := d.values("config reloaded", "changes"); len(got) != 1 || got[0] != "accounts ~alice-x" {
		t.Errorf("the reload logged the changes %q, want [accounts ~alice-x]", got)
	}

	// A second link, from X: it mirrors what bob posts from now on.
	r.writeConfig(rigConfig{format: "json", links: linkToX + linkFromX, xTokens: fromFiles})
	d.signal(syscall.SIGHUP)
	d.await("the second reload", func() bool { return d.count("bridge running", "") == 3 })
	bob.Post(twittertest.PostOpts{Text: "through the new link"})
	d.await("bob's post on mastodon", func() bool { return r.onMastodon("through the new link") == 1 })
	if got := d.values("config reloaded", "changes"); len(got) != 2 || got[1] != "links +x2m" {
		t.Errorf("the reloads logged the changes %q, want the second to be links +x2m", got)
	}

	if code, took := d.stop(30 * time.Second); code != exitOK {
		t.Fatalf("exit %d after SIGTERM (%v)", code, took)
	}
	if n := r.onX(bob, "held while"); n != 1 {
		t.Errorf("the held post is on X %d times, want once", n)
	}
	if n := r.onMastodon("after a refused reload") + r.onMastodon("held while"); n != 2 {
		t.Errorf("mastodon has %d posts of its own two: mirrors came back, an echo loop", n)
	}
	noSecrets(t, "run", d.output(), append(r.secrets(), bob.Token(), bob.TokenSecret()))
	if res := r.run("ledger", "verify"); res.code != exitOK {
		t.Errorf("ledger verify: %s", res)
	}
}

// A reload applies the new log level: after a SIGHUP from debug to info,
// the polls of X, logged at debug, are no longer shown.
func TestBinarySIGHUPLogLevel(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon: not in -short")
	}
	t.Parallel()
	r := newRig(t)
	r.writeConfig(rigConfig{format: "json", links: linkToX + linkFromX})
	d := r.startDaemon()
	d.await("a poll of X logged at debug", func() bool { return d.count("polled", "alice-x") >= 1 })

	r.writeConfig(rigConfig{format: "json", links: linkToX + linkFromX, level: "info"})
	d.signal(syscall.SIGHUP)
	d.await("the reload", func() bool { return d.count("bridge running", "") == 2 })
	if got := d.values("config reloaded", "changes"); len(got) != 1 || got[0] != "settings log.level" {
		t.Errorf("the reload logged the changes %q, want [settings log.level]", got)
	}
	d.mu.Lock()
	from := len(d.entries)
	d.mu.Unlock()
	// A post on X is mirrored only after a poll of X: one was logged, or
	// not, at the new level.
	r.x.PostAsUser("after the reload to info", "")
	d.await("the X post on mastodon", func() bool { return r.onMastodon("after the reload to info") == 1 })
	if code, took := d.stop(30 * time.Second); code != exitOK {
		t.Fatalf("exit %d after SIGTERM (%v)", code, took)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, e := range d.entries[from:] {
		if e["level"] == "debug" {
			t.Errorf("a debug line after the reload to info: %v", e)
		}
	}
}

// ---- status, login ----

// status, run as its own process on a ledger a daemon left.
func TestBinaryStatus(t *testing.T) {
	path := writeStatusConfig(t, "")
	populateStatusLedger(t, path)
	dir := filepath.Dir(path)
	res := runBinary(t, dir, childEnv(nil), "status", "-c", "config.yaml")
	if res.code != exitOK || res.stderr != "" {
		t.Fatalf("want exit 0 and nothing on stderr; %s", res)
	}
	for _, re := range []string{
		`(?m)^dualpower status at \d{4}-\d\d-\d\d \d\d:\d\d UTC, from the ledger .*ledger\.db`,
		`(?m)^link alice-to-x: alice-mastodon -> alice-x$`,
		`(?m)^  mirrored 1, skipped 2 \(visibility 2\), failed 1 \(duplicate 1\), pending 1$`,
		`(?m)^  PAUSED 4m ago: auth failed: The access token is invalid; fix its credentials, then reload \(SIGHUP\)$`,
		`(?m)^  posts today 1 of 100, this month 1 of 3000, spend this month \$0\.20 of \$10\.00$`,
	} {
		if !regexp.MustCompile(re).MatchString(res.stdout) {
			t.Errorf("stdout lacks %s:\n%s", re, res.stdout)
		}
	}
	noSecrets(t, "status", res.stdout, statusSecrets)

	res = runBinary(t, dir, childEnv(nil), "status", "-c", "config.yaml", "--json")
	var s httpapi.Status
	if err := json.Unmarshal([]byte(res.stdout), &s); res.code != exitOK || err != nil {
		t.Fatalf("status --json: %v; %s", err, res)
	}
	if len(s.Links) != 1 || s.Links[0].Mirrored != 1 || s.Links[0].Pending != 1 {
		t.Errorf("status --json links: %+v", s.Links)
	}
}

// loginChild runs `dualpower login …` as a child: when it prints the
// authorize address on stderr, answer(address) is typed on its stdin.
func loginChild(t *testing.T, answer func(authorizeURL string) string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, dualpowerBinary(t), args...)
	cmd.Dir, cmd.Env = t.TempDir(), childEnv(nil)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var errText strings.Builder
	br := bufio.NewReader(stderr)
	for {
		line, err := br.ReadString('\n')
		errText.WriteString(line)
		if m := authorizeLine.FindStringSubmatch(strings.TrimRight(line, "\n")); m != nil {
			_, _ = io.WriteString(stdin, answer(m[1]))
			stdin.Close()
		}
		if err != nil {
			break
		}
	}
	stdin.Close()
	err = cmd.Wait() // then stdout is all copied
	res := result{stdout: out.String(), stderr: errText.String()}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		res.code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("login: %v\n%s", err, res)
	}
	return res
}

// Both login flows, as a child process with a person at its terminal.
func TestBinaryLogin(t *testing.T) {
	t.Run("mastodon", func(t *testing.T) {
		t.Parallel()
		s := mastodontest.New(t, mastodontest.Options{})
		res := loginChild(t, func(u string) string {
			return s.AuthorizeCode(regexp.MustCompile(`client_id=([^&]+)`).FindStringSubmatch(u)[1]) + "\n"
		}, "login", "mastodon", "--server", s.URL())
		if res.code != exitOK {
			t.Fatalf("%s", res)
		}
		token := tokenIn(t, res.stdout, "ALICE_MASTODON_TOKEN")
		noSecrets(t, "login's stderr", res.stderr, []string{token})
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL()+"/api/v1/accounts/verify_credentials", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("the printed token does not work: HTTP %d", resp.StatusCode)
		}
	})
	t.Run("twitter", func(t *testing.T) {
		t.Parallel()
		s := twittertest.New(t, twittertest.Options{})
		res := loginChild(t, func(u string) string {
			return s.Authorize(regexp.MustCompile(`oauth_token=([^&]+)`).FindStringSubmatch(u)[1]) + "\n"
		}, "login", "x", "--consumer-key", s.ConsumerKey(), "--consumer-secret", s.ConsumerSecret(), "--api-base", s.URL())
		if res.code != exitOK {
			t.Fatalf("%s", res)
		}
		token := tokenIn(t, res.stdout, "ALICE_X_TOKEN")
		secret := tokenIn(t, res.stdout, "ALICE_X_TOKEN_SECRET")
		noSecrets(t, "login's stderr", res.stderr, []string{token, secret, s.ConsumerSecret()})
		noSecrets(t, "login's snippet", res.stdout, []string{s.ConsumerSecret()})
		hc := oauth1.NewConfig(s.ConsumerKey(), s.ConsumerSecret()).Client(t.Context(), oauth1.NewToken(token, secret))
		resp, err := hc.Get(s.URL() + "/2/users/me")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("the printed tokens do not work: HTTP %d", resp.StatusCode)
		}
	})
}

// ---- demo ----

// demo as a newcomer runs it: no config, no account, no variable set, in
// an empty directory. It tells the whole story, every check passes, and it
// leaves nothing behind, in its directory or in TMPDIR.
func TestBinaryDemo(t *testing.T) {
	for _, tt := range []struct {
		name   string
		args   []string
		stderr string // a substring of stderr; "" means stderr stays empty
	}{
		{"quiet", []string{"demo"}, ""},
		{"verbose", []string{"demo", "--verbose"}, " DBG "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir, tmp := t.TempDir(), t.TempDir()
			res := runBinary(t, dir, childEnv(map[string]string{"TMPDIR": tmp}), tt.args...)
			if res.code != exitOK {
				t.Fatalf("%s", res)
			}
			// The chapters, in order.
			rest := res.stdout
			for _, chapter := range []string{
				"── 1. A plain toot", "── 2. ", "── 3. ", "── 4. ", "── 5. ", "── 6. ", "── 7. ",
				"── 8. A post on X comes to Mastodon", "── 9. A restart", "── Exactly once",
			} {
				i := strings.Index(rest, chapter)
				if i < 0 {
					t.Fatalf("stdout lacks %q after the chapters before it:\n%s", chapter, res.stdout)
				}
				rest = rest[i+len(chapter):]
			}
			if n := strings.Count(rest, "✓"); n < 4 || strings.Contains(res.stdout, "✗") {
				t.Errorf("the exactly-once checks: %d passed, want at least 4 and none failed:\n%s", n, rest)
			}
			if tt.stderr == "" && res.stderr != "" {
				t.Errorf("stderr is not empty:\n%s", res.stderr)
			}
			if tt.stderr != "" && !strings.Contains(res.stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, res.stderr)
			}
			for _, d := range []string{dir, tmp} {
				if left, _ := os.ReadDir(d); len(left) > 0 {
					t.Errorf("demo left %d files in %s, e.g. %s", len(left), d, left[0].Name())
				}
			}
		})
	}
}

// ---- exit codes ----

// The exit codes the help promises (0 ok, 1 runtime failure, 2 bad usage
// or bad config), and where -c comes from: the flag, $DUALPOWER_CONFIG,
// then ./config.yaml.
func TestBinaryExitCodes(t *testing.T) {
	good, err := os.ReadFile("testdata/check/good/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		args   []string
		files  map[string]string // written in the directory it runs in
		env    map[string]string // besides checkEnv
		code   int
		stdout string // substrings
		stderr string
	}{
		{name: "no command", code: exitUsage, stderr: "Usage:"},
		{name: "unknown command", args: []string{"frobnicate"}, code: exitUsage, stderr: `unknown command "frobnicate"`},
		{name: "help", args: []string{"help"}, code: exitOK, stdout: "Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad config."},
		{name: "version", args: []string{"version"}, code: exitOK, stdout: "dualpower "},
		{name: "unknown flag", args: []string{"run", "--bogus"}, code: exitUsage, stderr: "flag provided but not defined: -bogus"},
		{name: "ledger without a verb", args: []string{"ledger"}, code: exitUsage, stderr: "ledger needs export or verify"},
		{name: "run without a config", args: []string{"run"}, code: exitUsage, stderr: "config.yaml"},
		{name: "run on a bad config", args: []string{"run", "-c", "bad.yaml"}, files: map[string]string{"bad.yaml": "accounts: {}\n"},
			code: exitUsage, stderr: "dualpower: bad.yaml has 1 problem"},
		{name: "config from ./config.yaml", args: []string{"check", "--offline"}, files: map[string]string{"config.yaml": string(good)},
			code: exitOK, stdout: "config.yaml: 2 accounts"},
		{name: "config from DUALPOWER_CONFIG", args: []string{"check", "--offline"}, files: map[string]string{"mine.yaml": string(good)},
			env: map[string]string{"DUALPOWER_CONFIG": "mine.yaml"}, code: exitOK, stdout: "mine.yaml: 2 accounts"},
		{name: "-c before DUALPOWER_CONFIG", args: []string{"check", "--offline", "-c", "mine.yaml"}, files: map[string]string{"mine.yaml": string(good)},
			env: map[string]string{"DUALPOWER_CONFIG": "other.yaml"}, code: exitOK, stdout: "mine.yaml: 2 accounts"},
		{name: "status with no ledger yet", args: []string{"status"}, files: map[string]string{"config.yaml": string(good)},
			code: exitFailure, stderr: "no ledger at "},
		{name: "ledger verify with no ledger yet", args: []string{"ledger", "verify"}, files: map[string]string{"config.yaml": string(good)},
			code: exitFailure, stderr: "ledger data/ledger.db does not exist"},
		{name: "ledger export with no ledger yet", args: []string{"ledger", "export"}, files: map[string]string{"config.yaml": string(good)},
			code: exitFailure, stderr: "ledger data/ledger.db does not exist"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, text := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			env := map[string]string{}
			for k, v := range checkEnv {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			res := runBinary(t, dir, childEnv(env), tt.args...)
			if res.code != tt.code || !strings.Contains(res.stdout, tt.stdout) || !strings.Contains(res.stderr, tt.stderr) {
				t.Errorf("want exit %d, %q on stdout and %q on stderr; %s", tt.code, tt.stdout, tt.stderr, res)
			}
			noSecrets(t, "dualpower", res.stdout+res.stderr, []string{secretMark})
			if tt.code != exitOK {
				if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
					t.Error("a command that failed made the data directory")
				}
			}
		})
	}
}

// ---- dry run ----

// run --dry-run goes through every step but writes nowhere: no post on
// either network, the real ledger as it was, no copy of it left behind.
func TestBinaryDryRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon: not in -short")
	}
	t.Parallel()
	r := newRig(t)
	r.writeConfig(rigConfig{format: "json", links: linkToX + linkFromX})

	// A real run first, so the ledger holds a mirror.
	d := r.startDaemon()
	r.waitStream()
	r.m.PostAsUser("mirrored for real", "")
	d.await("the real mirror on X", func() bool { return r.onX(r.x.Alice(), "mirrored for real") == 1 })
	if code, took := d.stop(30 * time.Second); code != exitOK {
		t.Fatalf("exit %d after SIGTERM (%v)", code, took)
	}
	ledgerBefore := r.run("ledger", "export")
	if ledgerBefore.code != exitOK {
		t.Fatalf("ledger export: %s", ledgerBefore)
	}
	xWrites, mWrites := r.x.WriteCount(), mastodonWrites(r.m)

	tmp := t.TempDir()
	env := append(r.env(), "TMPDIR="+tmp)
	d = r.startDaemonEnv(env, "--dry-run")
	r.waitStream()
	r.m.PostAsUser("only in the dry run, from mastodon", "")
	r.x.PostAsUser("only in the dry run, from X", "")
	d.await("both publishes logged, not made", func() bool { return d.count("dry run: would publish", "") == 2 })
	if code, took := d.stop(30 * time.Second); code != exitOK {
		t.Fatalf("dry run: exit %d after SIGTERM (%v)", code, took)
	}

	if got := d.values("dry run: would publish", "text"); len(got) != 2 ||
		!strings.Contains(strings.Join(got, "\n"), "only in the dry run, from mastodon") ||
		!strings.Contains(strings.Join(got, "\n"), "only in the dry run, from X") {
		t.Errorf("the dry run would publish %q, want both new posts", got)
	}
	if n, m := r.x.WriteCount()-xWrites, mastodonWrites(r.m)-mWrites; n != 0 || m != 0 {
		t.Errorf("the dry run wrote %d times to X and %d times to mastodon", n, m)
	}
	if r.onX(r.x.Alice(), "only in the dry run") != 1 || r.onMastodon("only in the dry run") != 1 {
		t.Error("a dry-run post was mirrored")
	}
	if after := r.run("ledger", "export"); after.code != exitOK || after.stdout != ledgerBefore.stdout {
		t.Errorf("the dry run changed the real ledger:\n--- before\n%s--- after\n%s", ledgerBefore.stdout, after)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("the dry run left %d files in TMPDIR, e.g. %s", len(left), left[0].Name())
	}
	noSecrets(t, "run --dry-run", d.output(), r.secrets())
}

// mastodonWrites counts the requests that could change what the fake
// Mastodon holds.
func mastodonWrites(m *mastodontest.Server) int {
	n := 0
	for _, req := range m.RequestLog() {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			n++
		}
	}
	return n
}
