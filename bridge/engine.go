package bridge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"

	"github.com/dualpower/dualpower/config"
	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/store"
)

// Options is everything the engine needs. The caller builds the providers
// (one per configured account, through the registry) and opens the ledger.
type Options struct {
	Config    *config.Config
	Store     *store.Store
	Providers map[string]providers.Provider // by account name
	Logger    zerolog.Logger
	// HTTPClient downloads media from source networks; nil means a client
	// with a 2-minute timeout.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ShutdownGrace bounds how long Run waits for in-flight work after its
	// context ends; default 10 s. Work not finished by then stays claimed
	// in the ledger and is reconciled at the next start.
	ShutdownGrace time.Duration
	// Observer, when set, hears about every outcome (metrics, tests).
	Observer Observer
	// DryRun renders and logs what would be written and writes nothing to
	// any network: give it a throwaway ledger, since what it "posts" is
	// recorded like the real thing.
	DryRun bool
	// RetryBase is the first wait after a transient failure, doubled for
	// each further one (with jitter, up to an hour); default 2 s.
	RetryBase time.Duration
}

// Observer hears what the engine does. Its methods must not block.
type Observer interface {
	// Received: an event from a source account was recorded; known says it
	// was dropped as already known (an echo of our own post, or a second
	// delivery).
	Received(account string, kind providers.EventKind, ref providers.Ref, known bool)
	// Mirrored: an intent of kind on target account succeeded; latency is
	// from the source post's creation to now.
	Mirrored(link, target string, kind store.IntentKind, latency time.Duration)
	// Skipped: a post was left out of target, with the reason.
	Skipped(link, target, reason string)
	// Failed: an intent failed for good.
	Failed(link, target, reason string)
	// Held: work was held back by a cap, a budget or the network's usage
	// cap until a later time.
	Held(link, target, reason string, until time.Time)
	// Paused: an account's credentials were refused; its work waits
	// until the config is fixed and reloaded.
	Paused(account, why string)
}

// Engine runs every link of a configuration.
type Engine struct {
	st         *store.Store
	log        zerolog.Logger
	now        func() time.Time
	httpClient *http.Client
	grace      time.Duration
	obs        Observer
	retryBase  time.Duration

	mu       sync.Mutex
	cfg      *config.Config
	accounts map[string]*account
	ids      *Identities
	brakes   map[string][]time.Time // link+target -> recent post times, for max_per_hour

	ready chan struct{} // closed once intake and workers run
}

// payload is what an intent carries in the ledger: the source post as it
// was when the event was recorded, so that the work can be done even if
// the source is gone by then.
type payload struct {
	Link string          `json:"link,omitempty"`
	Post *providers.Post `json:"post,omitempty"`
	Text string          `json:"text,omitempty"` // announcements
}

// New checks the options and builds an engine; Run starts it.
func New(opt Options) (*Engine, error) {
	if opt.Config == nil || opt.Store == nil {
		return nil, errors.New("bridge: config and store are required")
	}
	e := &Engine{
		st:         opt.Store,
		log:        opt.Logger,
		now:        opt.Now,
		httpClient: opt.HTTPClient,
		grace:      opt.ShutdownGrace,
		obs:        opt.Observer,
		retryBase:  opt.RetryBase,
		cfg:        opt.Config,
		accounts:   map[string]*account{},
		ready:      make(chan struct{}),
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.httpClient == nil {
		e.httpClient = &http.Client{Timeout: 2 * time.Minute}
	}
	if e.retryBase <= 0 {
		e.retryBase = defaultRetryBase
	}
	if e.grace <= 0 {
		e.grace = 10 * time.Second
	}
	if e.obs == nil {
		e.obs = nopObserver{}
	}
	e.ids = NewIdentities(opt.Config.Mentions.Map)
	for _, name := range opt.Config.AccountNames {
		p, ok := opt.Providers[name]
		if !ok {
			return nil, fmt.Errorf("bridge: no provider for account %q", name)
		}
		a := e.newAccount(opt.Config.Accounts[name], p)
		if opt.DryRun {
			a.dryRun()
		}
		e.accounts[name] = a
	}
	return e, nil
}

type nopObserver struct{}

func (nopObserver) Received(string, providers.EventKind, providers.Ref, bool) {}
func (nopObserver) Mirrored(string, string, store.IntentKind, time.Duration)  {}
func (nopObserver) Skipped(string, string, string)                            {}
func (nopObserver) Failed(string, string, string)                             {}
func (nopObserver) Held(string, string, string, time.Time)                    {}
func (nopObserver) Paused(string, string)                                     {}

// Run starts intake and workers and blocks until ctx ends; then it stops
// intake, gives in-flight work ShutdownGrace to finish and returns. It
// never closes the store.
func (e *Engine) Run(ctx context.Context) error {
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	intakeCtx, stopIntake := context.WithCancel(ctx)
	defer stopIntake()

	e.mu.Lock()
	cfg := e.cfg
	accts := e.sortedAccounts()
	e.mu.Unlock()

	e.verifyAll(ctx, accts)
	e.linkIdentities(cfg)
	if err := e.markLinkStarts(cfg); err != nil {
		return err
	}
	if err := e.seedBrakes(cfg); err != nil {
		return err
	}

	var workers sync.WaitGroup
	targets := map[string]bool{}
	for _, ln := range cfg.LinkNames {
		for _, to := range cfg.Links[ln].To {
			targets[to] = true
		}
	}
	for _, an := range cfg.AnnouncementNames {
		targets[cfg.Announcements[an].Account] = true
	}
	for _, a := range accts {
		if a.caps.Publisher == nil || !targets[a.name] {
			// Nothing is published here, now: no worker. (Work left in
			// its queue by an earlier config waits for a link to it.)
			a.settle()
			continue
		}
		workers.Add(1)
		go func() {
			defer workers.Done()
			a.work(workCtx, e)
		}()
	}

	sched := cron.New(cron.WithChain(cron.Recover(cronLogger{e.log}), cron.SkipIfStillRunning(cronLogger{e.log})))
	var intake sync.WaitGroup
	for _, a := range accts {
		if len(cfg.Source(a.name)) == 0 {
			continue
		}
		if a.cfg.Streams() && a.caps.Streamer != nil {
			intake.Add(1)
			go func() {
				defer intake.Done()
				a.stream(intakeCtx, e)
			}()
			continue
		}
		if a.cfg.Poll == "" || a.caps.Poller == nil {
			continue
		}
		if _, err := sched.AddFunc(a.cfg.Poll, func() { a.poll(intakeCtx, e) }); err != nil {
			return fmt.Errorf("bridge: account %s: poll schedule %q: %w", a.name, a.cfg.Poll, err)
		}
		// A first poll at once, rather than a whole interval from now.
		intake.Add(1)
		go func() {
			defer intake.Done()
			a.poll(intakeCtx, e)
		}()
	}
	for _, a := range accts {
		if a.cfg.CheckDeletes == "" {
			continue
		}
		if len(cfg.Source(a.name)) == 0 {
			a.log.Warn().Msg("check_deletes is set, but no link reads this account; nothing is checked")
			continue
		}
		if a.caps.Checker == nil {
			a.log.Warn().Msg("check_deletes is set, but this network cannot look its posts up; no deletes are checked")
			continue
		}
		if _, err := sched.AddFunc(a.cfg.CheckDeletes, func() { e.checkDeletes(intakeCtx, a) }); err != nil {
			return fmt.Errorf("bridge: account %s: check_deletes schedule %q: %w", a.name, a.cfg.CheckDeletes, err)
		}
	}
	for _, name := range cfg.AnnouncementNames {
		an := cfg.Announcements[name]
		if _, err := sched.AddFunc(an.Schedule, func() { e.announce(intakeCtx, an) }); err != nil {
			return fmt.Errorf("bridge: announcement %s: schedule %q: %w", name, an.Schedule, err)
		}
	}
	// An account that could not be verified at start (its server was
	// down) is tried again every minute, so its mentions get mapped and
	// readiness can be reported.
	if _, err := sched.AddFunc("@every 1m", func() {
		var todo []*account
		for _, a := range accts {
			if paused, _ := a.isPaused(); !paused && a.identity().ID == "" {
				todo = append(todo, a)
			}
		}
		if len(todo) > 0 {
			e.verifyAll(intakeCtx, todo)
			e.linkIdentities(cfg)
		}
	}); err != nil {
		return fmt.Errorf("bridge: %w", err)
	}
	sched.Start()
	close(e.ready)
	e.log.Info().Int("accounts", len(accts)).Int("links", len(cfg.LinkNames)).Msg("bridge running")

	<-ctx.Done()
	e.log.Info().Msg("stopping: no new events are taken")
	stopIntake()
	<-sched.Stop().Done()
	intake.Wait()

	done := make(chan struct{})
	go func() { workers.Wait(); close(done) }()
	// Workers finish what they hold; after the grace period the work in
	// flight is abandoned, stays claimed, and is reconciled next start.
	for _, a := range accts {
		a.stopWhenIdle()
	}
	select {
	case <-done:
	case <-time.After(e.grace):
		e.log.Warn().Dur("grace", e.grace).Msg("in-flight work did not finish in time; it will be reconciled at the next start")
		stopWork()
		<-done
	}
	e.log.Info().Msg("stopped")
	return nil
}

// Unready lists the accounts neither verified nor paused with a reason:
// what keeps the bridge from being ready.
func (e *Engine) Unready() []string {
	var out []string
	for _, a := range e.sortedAccounts() {
		if paused, _ := a.isPaused(); !paused && a.identity().ID == "" {
			out = append(out, a.name)
		}
	}
	return out
}

// Ready is closed once the engine has started its intake and workers.
func (e *Engine) Ready() <-chan struct{} { return e.ready }

func (e *Engine) sortedAccounts() []*account {
	out := make([]*account, 0, len(e.accounts))
	for _, a := range e.accounts {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (e *Engine) account(name string) *account {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.accounts[name]
}

func (e *Engine) config() *config.Config {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg
}

// verify learns who an account is (for the identity map). A refused token
// pauses the account; a network failure is logged and retried later by the
// work itself.
func (e *Engine) verify(ctx context.Context, a *account) {
	vctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	id, err := a.p.Verify(a.logCtx(vctx))
	if err != nil {
		if providers.KindOf(err) == providers.Auth {
			a.pause(e, err)
			return
		}
		a.log.Warn().Err(err).Msg("cannot verify the account yet; mentions of it are not mapped until it answers")
		return
	}
	a.setIdentity(id)
	if st, err := e.st.Account(a.name); err == nil && st.Paused {
		// The credentials work now: the account was fixed.
		if err := e.st.Resume(a.name); err == nil {
			a.log.Info().Str("was", st.PausedWhy).Msg("account resumed: its credentials work again")
		}
	}
}

// verifyParallel bounds how many accounts are verified at once at start:
// a collective's hundreds of accounts start in seconds, and no server sees
// a burst from us.
const verifyParallel = 16

// verifyAll verifies every account, a few at a time.
func (e *Engine) verifyAll(ctx context.Context, accts []*account) {
	sem := make(chan struct{}, verifyParallel)
	var wg sync.WaitGroup
	for _, a := range accts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			e.verify(ctx, a)
		}()
	}
	wg.Wait()
}

// linkIdentities adds every linked pair of accounts to the identity map, so
// a mention of oneself on one network becomes oneself on the other.
func (e *Engine) linkIdentities(cfg *config.Config) {
	for _, ln := range cfg.LinkNames {
		l := cfg.Links[ln]
		from := e.account(l.From)
		for _, to := range l.To {
			if t := e.account(to); from != nil && t != nil {
				e.ids.Add(from.identity().Handle, t.identity().Handle)
			}
		}
	}
}

// markLinkStarts remembers when each "start: now" link first ran, to the
// second: networks give post times in milliseconds or seconds, and a post
// made in the same second as the start is mirrored rather than lost.
func (e *Engine) markLinkStarts(cfg *config.Config) error {
	for _, ln := range cfg.LinkNames {
		l := cfg.Links[ln]
		if !l.StartNow {
			continue
		}
		st, err := e.st.Account(l.From)
		if err != nil {
			return fmt.Errorf("bridge: %w", err)
		}
		if st.Meta[startKey(ln)] == "" {
			if err := e.st.SetMeta(l.From, startKey(ln), e.now().UTC().Truncate(time.Second).Format(time.RFC3339Nano)); err != nil {
				return fmt.Errorf("bridge: %w", err)
			}
		}
	}
	return nil
}

func startKey(link string) string { return "link-start:" + link }

// linkStart is the earliest creation time a link mirrors.
func (e *Engine) linkStart(l *config.Link) time.Time {
	if !l.StartNow {
		return l.Start
	}
	st, err := e.st.Account(l.From)
	if err != nil {
		return e.now()
	}
	t, err := time.Parse(time.RFC3339Nano, st.Meta[startKey(l.Name)])
	if err != nil {
		return e.now()
	}
	return t
}

// textHash identifies a version of a post: its text, warning and alt
// texts. A second delivery of the same version is dropped by the ledger.
func textHash(p *providers.Post) string {
	if p == nil {
		return ""
	}
	h := sha256.New()
	h.Write([]byte(p.Text))
	h.Write([]byte{0})
	h.Write([]byte(p.ContentWarning))
	for _, m := range p.Media {
		h.Write([]byte{0})
		h.Write([]byte(m.Alt))
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

func encodePayload(p payload) []byte {
	b, err := json.Marshal(p)
	if err != nil {
		// A Post is plain data; this cannot happen.
		panic("bridge: encoding payload: " + err.Error())
	}
	return b
}

type cronLogger struct{ log zerolog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.log.Debug().Fields(kv).Msg("cron: " + msg) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.log.Error().Err(err).Fields(kv).Msg("cron: " + msg)
}

// clean cuts text for a log line at debug level.
func clean(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return cutRunes(s, 80)
}
