package bridge

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/dualpower/dualpower/config"
	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/providers/mastodon/mastodontest"
	"github.com/dualpower/dualpower/providers/providertest"
	"github.com/dualpower/dualpower/providers/twitter/twittertest"
	"github.com/dualpower/dualpower/store"
)

const crashChildEnv = "DUALPOWER_CRASH_CHILD_CONFIG"

// TestCrashChild is the engine as a separate process, for TestCrash. It
// runs only when re-executed with the config in its environment.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("runs only as TestCrash's child process")
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(cfg.DataDir, "ledger.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := &world{t: t, cfg: cfg}
	logf, err := os.OpenFile(filepath.Join(cfg.DataDir, "engine.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	eng, err := New(Options{Config: cfg, Store: st, Providers: w.providers(), RetryBase: 50 * time.Millisecond,
		Logger: zerolog.New(logf).Level(zerolog.DebugLevel).With().Timestamp().Int("pid", os.Getpid()).Logger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	select {
	case <-eng.Ready():
		fmt.Println("READY")
	case err := <-done:
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// engineChild is one run of the engine as a child process (TestCrashChild).
type engineChild struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// startChild starts TestCrashChild on the config and waits until its
// engine is running.
func startChild(t *testing.T, path, dir string) *engineChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &engineChild{cmd: cmd, exited: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "READY" {
				close(ready)
			}
		}
		cmd.Wait()
		close(c.exited)
	}()
	select {
	case <-ready:
	case <-c.exited:
		t.Fatalf("the child exited before it was ready; log:\n%s", tail(readLog(dir)))
	case <-time.After(60 * time.Second):
		c.kill()
		t.Fatalf("the child was not ready within a minute; log:\n%s", tail(readLog(dir)))
	}
	return c
}

// kill SIGKILLs the child and waits until it is gone.
func (c *engineChild) kill() {
	c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.exited
}

// stop asks the child to shut down cleanly, and kills it if it does not.
func (c *engineChild) stop() {
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		c.kill()
	}
}

// killPlan says when the proxy kills the child: at the n-th write request
// to the target network of one run, before the fake sees it or after the
// fake did the work but before the child hears the answer (the outcome the
// child cannot know).
type killPlan struct {
	n     int
	after bool
}

// crashProxy stands between the child and one fake, counts writes, and
// kills the child at the planned one.
type crashProxy struct {
	srv    *httptest.Server
	writes atomic.Int64
	mu     sync.Mutex
	plan   *killPlan
	kill   func()
	signal chan struct{}
}

func newCrashProxy(t *testing.T, target string, signal chan struct{}) *crashProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &crashProxy{signal: signal}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		if p.shouldKill(resp.Request, true) {
			return fmt.Errorf("killed")
		}
		return nil
	}
	rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		// The child is gone; nobody reads this answer.
		w.WriteHeader(http.StatusBadGateway)
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			select {
			case p.signal <- struct{}{}:
			default:
			}
		}()
		if isWrite(r) {
			n := p.writes.Add(1)
			r = r.WithContext(context.WithValue(r.Context(), writeNo{}, n))
		}
		if p.shouldKill(r, false) {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

type writeNo struct{}

// isWrite tells the requests that change what a network holds: the ones
// whose outcome a crash can leave unknown.
func isWrite(r *http.Request) bool {
	if r.Method == http.MethodGet {
		return false
	}
	return strings.Contains(r.URL.Path, "/statuses") || r.URL.Path == "/2/tweets" || strings.HasPrefix(r.URL.Path, "/2/tweets/")
}

func (p *crashProxy) arm(plan *killPlan, kill func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writes.Store(0)
	p.plan, p.kill = plan, kill
}

func (p *crashProxy) shouldKill(r *http.Request, after bool) bool {
	n, _ := r.Context().Value(writeNo{}).(int64)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.plan == nil || n == 0 || int(n) != p.plan.n || p.plan.after != after {
		return false
	}
	p.plan = nil
	p.kill()
	return true
}

// TestCrash kills the engine process at chosen points while it mirrors a
// burst of 20 posts each way, restarts it, and checks that every post
// exists on its target exactly once.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	m := mastodontest.New(t, mastodontest.Options{})
	x := twittertest.New(t, twittertest.Options{})
	signal := make(chan struct{}, 1)
	mp := newCrashProxy(t, m.URL(), signal)
	xp := newCrashProxy(t, x.URL(), signal)
	dir := t.TempDir()
	yaml := childConfig(dir, mp.srv.URL, m.Token(), xp.srv.URL, x, `poll: "@every 1s"`, bothWays)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	// Kills alternate between the two targets, before and after the
	// network did the work.
	plans := []struct {
		proxy *crashProxy
		plan  killPlan
	}{
		{xp, killPlan{1, true}}, {mp, killPlan{2, true}}, {xp, killPlan{3, false}}, {mp, killPlan{1, false}},
		{xp, killPlan{2, true}}, {mp, killPlan{3, true}}, {xp, killPlan{1, true}}, {mp, killPlan{2, true}},
	}
	var mIDs, xIDs []string
	kills := 0
	for run := 0; ; run++ {
		child := startChild(t, path, dir)
		cmd, exited := child.cmd, child.exited
		if run < len(plans) {
			pl := plans[run]
			killed := make(chan struct{})
			pl.proxy.arm(&pl.plan, func() {
				cmd.Process.Signal(syscall.SIGKILL)
				close(killed)
			})
			if run == 0 {
				mIDs, xIDs = burst(m, x)
			}
			deadline := time.After(60 * time.Second)
			waiting := true
			for waiting {
				select {
				case <-exited:
					<-killed
					kills++
					t.Logf("run %d: killed at write %d (after the network answered: %v)", run, pl.plan.n, pl.plan.after)
					waiting = false
				case <-signal:
					if allMirrored(m, x) {
						// The work ran out before the planned write: the
						// remaining plans cannot fire.
						pl.proxy.arm(nil, nil)
						run = len(plans)
						waiting = false
					}
				case <-deadline:
					t.Fatalf("run %d: the planned kill never came; log:\n%s", run, tail(readLog(dir)))
				}
			}
			if run < len(plans) {
				continue
			}
		}
		if mIDs == nil {
			mIDs, xIDs = burst(m, x)
		}
		// The last run goes on until every post has its mirror.
		deadline := time.After(90 * time.Second)
		for !allMirrored(m, x) {
			select {
			case <-signal:
			case <-deadline:
				cmd.Process.Signal(syscall.SIGKILL)
				<-exited
				t.Fatalf("not every post was mirrored: mastodon %d posts, x %d posts; log:\n%s", m.Posts(), x.Posts(), tail(readLog(dir)))
			}
		}
		cmd.Process.Signal(syscall.SIGTERM)
		<-exited
		break
	}

	// Exactly once, both ways.
	count := func(texts []string) map[string]int {
		c := map[string]int{}
		for _, s := range texts {
			c[s]++
		}
		return c
	}
	xTexts, mTexts := count(allTexts(x, x.Alice().Statuses())), count(allTexts(m, m.Alice().Statuses()))
	for i := range 20 {
		if n := xTexts[fmt.Sprintf("Burst toot %d of 20", i+1)]; n != 1 {
			t.Errorf("toot %d is on X %d times", i+1, n)
		}
		if n := mTexts[fmt.Sprintf("Burst tweet %d of 20", i+1)]; n != 1 {
			t.Errorf("tweet %d is on Mastodon %d times", i+1, n)
		}
	}
	// Nothing else: no echo came back as a new origin and was mirrored.
	if m.Posts() != 40 || x.Posts() != 40 {
		t.Errorf("mastodon holds %d posts and x %d; want 40 each (20 origins, 20 mirrors)", m.Posts(), x.Posts())
	}
	st, err := store.Open(filepath.Join(dir, "ledger.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if probs, err := st.Verify(); err != nil || len(probs) > 0 {
		t.Errorf("ledger verify: %v %v", probs, err)
	}
	for _, id := range mIDs {
		if _, ok, _ := st.MirrorOn(providers.Ref{Account: am, ID: id}, ax); !ok {
			t.Errorf("the ledger has no X mirror of toot %s", id)
		}
	}
	for _, id := range xIDs {
		if _, ok, _ := st.MirrorOn(providers.Ref{Account: ax, ID: id}, am); !ok {
			t.Errorf("the ledger has no Mastodon mirror of tweet %s", id)
		}
	}
	if kills < 5 {
		t.Errorf("only %d of %d planned kills came", kills, len(plans))
	}
	// The kills after the network answered left outcomes unknown: the
	// restarts must have reconciled them rather than posted again.
	log := readLog(dir)
	if n := strings.Count(log, "reconciling work left unfinished"); n < 3 {
		t.Errorf("the restarts reconciled %d unknown outcomes, want at least 3", n)
	}
	if strings.Contains(log, "failed for good") || strings.Contains(log, "cannot record the outcome") {
		t.Errorf("an intent failed for good")
	}
	if t.Failed() {
		t.Logf("log:\n%s", tail(log))
	}
}

// childConfig is the configuration of a child engine: alice on Mastodon at
// mURL and on X at xURL (both may be proxies), xExtra more keys for the X
// account, and the links section.
func childConfig(dir, mURL, mToken, xURL string, x *twittertest.Server, xExtra, links string) string {
	return fmt.Sprintf(`data_dir: %s
http: {listen: ""}
accounts:
  alice-mastodon: {network: mastodon, server: %s, access_token: %s}
  alice-x:
    network: twitter
    api_base: %s
    consumer_key: %s
    consumer_secret: %s
    access_token: %s
    access_token_secret: %s
%s
links:
%s`, dir, mURL, mToken, xURL, x.ConsumerKey(), x.ConsumerSecret(), x.Token(), x.TokenSecret(), indent(xExtra, "    "), links)
}

// burst posts 20 toots and 20 tweets.
func burst(m *mastodontest.Server, x *twittertest.Server) (mIDs, xIDs []string) {
	for i := range 20 {
		mIDs = append(mIDs, m.Alice().Post(mastodontest.PostOpts{Text: fmt.Sprintf("Burst toot %d of 20", i+1)}))
		xIDs = append(xIDs, x.Post(twittertest.PostOpts{Text: fmt.Sprintf("Burst tweet %d of 20", i+1)}))
	}
	return mIDs, xIDs
}

// allMirrored reports whether both fakes hold the 20 origins and 20
// mirrors each.
func allMirrored(m *mastodontest.Server, x *twittertest.Server) bool {
	return m.Posts() >= 40 && x.Posts() >= 40
}

// allTexts lists the texts of posts ids on a fake.
func allTexts(f providertest.Fake, ids []string) []string {
	var out []string
	for _, id := range ids {
		if st, ok := f.Lookup(id); ok {
			out = append(out, st.Text)
		}
	}
	return out
}

func readLog(dir string) string {
	b, _ := os.ReadFile(filepath.Join(dir, "engine.log"))
	return string(b)
}

// tail is the end of a long log, for a failure message.
func tail(s string) string {
	if len(s) > 20000 {
		return s[len(s)-20000:]
	}
	return s
}
