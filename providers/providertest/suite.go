package providertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
)

// Run runs the whole conformance suite, each check on a fresh fake.
func Run(t *testing.T, opt Opt) {
	t.Helper()
	if opt.Setup == nil {
		t.Fatal("providertest: Opt.Setup is required")
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s *suite)
	}{
		{"Verify", testVerify},
		{"Limits", testLimits},
		{"PublishFetch", testPublishFetch},
		{"ReplyChain", testReplyChain},
		{"MediaAltText", testMedia},
		{"Edit", testEdit},
		{"Delete", testDelete},
		{"Repost", testRepost},
		{"Gone", testGone},
		{"Reconcile", testReconcile},
		{"Errors", testErrors},
		{"RateLimited", testRateLimited},
		{"Revoked", testRevoked},
		{"CancelledContext", testCancelled},
		{"Poll", testPoll},
		{"Stream", testStream},
		{"StreamDropLosesNothing", testStreamDrop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := opt.Setup(t)
			if env.Provider == nil || env.Fake == nil {
				t.Fatal("providertest: Setup returned no Provider or Fake")
			}
			tt.fn(t, &suite{Env: env, caps: providers.CapabilitiesOf(env.Provider)})
		})
	}
}

type suite struct {
	Env
	caps providers.Capabilities
}

// ctx returns a context bounded so that a hung adapter fails the test
// instead of hanging it.
func (s *suite) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// noSecret fails the test if err's text carries any credential.
func (s *suite) noSecret(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error() + fmt.Sprintf(" %v %+v", err, err)
	for _, sec := range s.Secrets {
		if sec != "" && strings.Contains(msg, sec) {
			t.Errorf("error string carries a secret: %q", msg)
		}
	}
}

func (s *suite) publisher(t *testing.T) providers.Publisher {
	t.Helper()
	if s.caps.Publisher == nil {
		t.Skip("not a target: no Publisher")
	}
	return s.caps.Publisher
}

func (s *suite) publish(t *testing.T, d providers.Draft) providers.Published {
	t.Helper()
	if d.Key == "" {
		d.Key = fmt.Sprintf("conformance-%d", time.Now().UnixNano())
	}
	if d.Visibility == "" {
		d.Visibility = providers.Public
	}
	p, err := s.publisher(t).Publish(s.ctx(t), d)
	s.noSecret(t, err)
	if err != nil {
		t.Fatalf("Publish(%q): %v", d.Text, err)
	}
	if p.ID == "" {
		t.Fatalf("Publish(%q) returned no ID", d.Text)
	}
	return p
}

func (s *suite) lookup(t *testing.T, id string) Stored {
	t.Helper()
	st, ok := s.Fake.Lookup(id)
	if !ok {
		t.Fatalf("the network holds no post %s", id)
	}
	return st
}

func testVerify(t *testing.T, s *suite) {
	id, err := s.Provider.Verify(s.ctx(t))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if id.ID == "" || id.Handle == "" {
		t.Errorf("Verify returned an incomplete identity: %+v", id)
	}
	if strings.HasPrefix(id.Handle, "@") {
		t.Errorf("Handle %q must not start with '@'", id.Handle)
	}
}

func testLimits(t *testing.T, s *suite) {
	l, err := s.Provider.Limits(s.ctx(t))
	if err != nil {
		t.Fatalf("Limits: %v", err)
	}
	if l.MaxLength <= 0 || l.Length == nil || l.URLLength <= 0 {
		t.Fatalf("Limits incomplete: MaxLength %d, Length nil %v, URLLength %d", l.MaxLength, l.Length == nil, l.URLLength)
	}
	if got := l.Length("hello"); got != 5 {
		t.Errorf("Length(%q) = %d, want 5", "hello", got)
	}
	long := "see https://example.com/" + strings.Repeat("a", 100)
	if got, want := l.Length(long), len("see ")+l.URLLength; got != want {
		t.Errorf("Length of a text with a long URL = %d, want %d (a URL counts as %d)", got, want, l.URLLength)
	}
	if s.caps.Uploader != nil && (l.MaxMedia <= 0 || l.MaxImageSize <= 0 || l.MaxAltLength <= 0) {
		t.Errorf("an uploader must state media limits: %+v", l)
	}
}

func testPublishFetch(t *testing.T, s *suite) {
	text := "conformance: hello, world. Ünïcödé and emoji \U0001F331 stay whole."
	p := s.publish(t, providers.Draft{Text: text})
	if st := s.lookup(t, p.ID); st.Text != text {
		t.Errorf("the network holds %q, want %q", st.Text, text)
	}
	if s.caps.Fetcher == nil {
		return
	}
	got, err := s.caps.Fetcher.Fetch(s.ctx(t), p.ID)
	if err != nil {
		t.Fatalf("Fetch(%s): %v", p.ID, err)
	}
	if got.Text != text || got.Ref.ID != p.ID || got.Ref.Account != s.Provider.Account() {
		t.Errorf("Fetch round trip: got ref %v text %q, want ref %s/%s text %q", got.Ref, got.Text, s.Provider.Account(), p.ID, text)
	}
	if got.Created.IsZero() {
		t.Error("Fetch: Created is zero")
	}
	_, err = s.caps.Fetcher.Fetch(s.ctx(t), missingID(p.ID))
	s.noSecret(t, err)
	if !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("Fetch of a missing post: err = %v, want NotFound", err)
	}
}

// missingID makes an ID of the same shape as id that the network does not
// hold.
func missingID(id string) string {
	b := []byte(id)
	for i := range b {
		switch {
		case b[i] >= '0' && b[i] <= '8':
			b[i]++
		case b[i] == '9':
			b[i] = '1'
		}
	}
	if string(b) == id {
		return id + "1"
	}
	return string(b)
}

func testReplyChain(t *testing.T, s *suite) {
	a := s.publish(t, providers.Draft{Text: "conformance thread 1/3"})
	b := s.publish(t, providers.Draft{Text: "conformance thread 2/3", ReplyTo: a.ID})
	c := s.publish(t, providers.Draft{Text: "conformance thread 3/3", ReplyTo: b.ID})
	for _, tc := range []struct{ id, parent string }{{a.ID, ""}, {b.ID, a.ID}, {c.ID, b.ID}} {
		if got := s.lookup(t, tc.id).ReplyTo; got != tc.parent {
			t.Errorf("post %s replies to %q, want %q", tc.id, got, tc.parent)
		}
	}
	if s.caps.Fetcher == nil {
		return
	}
	got, err := s.caps.Fetcher.Fetch(s.ctx(t), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ReplyTo == nil || got.ReplyTo.ID != b.ID || !got.ReplyTo.Self {
		t.Errorf("Fetch of a self-reply: ReplyTo = %+v, want ID %s and Self", got.ReplyTo, b.ID)
	}
}

func testMedia(t *testing.T, s *suite) {
	if s.caps.Uploader == nil {
		t.Skip("no MediaUploader")
	}
	if len(s.Image) == 0 {
		t.Fatal("Env.Image is required for adapters that upload media")
	}
	const alt = "A small test picture: a red square on white."
	id, err := s.caps.Uploader.UploadMedia(s.ctx(t), providers.Upload{
		Type: providers.Image, ContentType: s.ImageContentType, Filename: "square.png",
		Size: int64(len(s.Image)), Body: bytes.NewReader(s.Image), Alt: alt,
	})
	s.noSecret(t, err)
	if err != nil {
		t.Fatalf("UploadMedia: %v", err)
	}
	p := s.publish(t, providers.Draft{Text: "conformance: a picture", MediaIDs: []string{id}})
	st := s.lookup(t, p.ID)
	if len(st.MediaAlts) != 1 || st.MediaAlts[0] != alt {
		t.Errorf("media alt texts = %q, want [%q]", st.MediaAlts, alt)
	}
	if len(st.MediaTypes) != 1 || st.MediaTypes[0] != "image" {
		t.Errorf("media types = %q, want [image]", st.MediaTypes)
	}
}

func testEdit(t *testing.T, s *suite) {
	if s.caps.Editor == nil {
		t.Skip("no Editor")
	}
	p := s.publish(t, providers.Draft{Text: "conformance: before the edit"})
	const text = "conformance: after the edit"
	e, err := s.caps.Editor.Edit(s.ctx(t), p.ID, providers.Draft{Key: "edit-1", Text: text, Visibility: providers.Public})
	s.noSecret(t, err)
	if errors.Is(err, providers.ErrNotPermitted) {
		t.Skipf("this account cannot edit: %v", err)
	}
	if err != nil {
		t.Fatalf("Edit: %v", err)
	}
	if e.ID == "" {
		t.Fatal("Edit returned no ID")
	}
	st := s.lookup(t, e.ID)
	if st.Text != text || st.EditCount < 1 {
		t.Errorf("after Edit the network holds %q (edits %d), want %q (edited)", st.Text, st.EditCount, text)
	}
}

func testDelete(t *testing.T, s *suite) {
	del := s.caps.Deleter
	if del == nil {
		t.Skip("no Deleter")
	}
	p := s.publish(t, providers.Draft{Text: "conformance: soon gone"})
	before := s.Fake.Posts()
	if err := del.Delete(s.ctx(t), p.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, ok := s.Fake.Lookup(p.ID); ok {
		t.Error("the post is still there after Delete")
	}
	if got := s.Fake.Posts(); got != before-1 {
		t.Errorf("posts after Delete = %d, want %d", got, before-1)
	}
	// Deleting what is gone is success.
	if err := del.Delete(s.ctx(t), p.ID); err != nil {
		s.noSecret(t, err)
		t.Errorf("Delete of a deleted post = %v, want nil", err)
	}
	if err := del.Delete(s.ctx(t), missingID(p.ID)); err != nil {
		t.Errorf("Delete of a post that never existed = %v, want nil", err)
	}
}

func testRepost(t *testing.T, s *suite) {
	rp := s.caps.Reposter
	if rp == nil {
		t.Skip("no Reposter")
	}
	id := s.Fake.PostAsUser("conformance: worth repeating", "")
	before := s.Fake.Posts()
	if err := rp.Repost(s.ctx(t), id); err != nil {
		s.noSecret(t, err)
		t.Fatalf("Repost: %v", err)
	}
	if got := s.Fake.Posts(); got != before+1 {
		t.Errorf("posts after Repost = %d, want %d", got, before+1)
	}
	if err := rp.Repost(s.ctx(t), id); err != nil {
		t.Errorf("reposting again = %v, want nil", err)
	}
	if got := s.Fake.Posts(); got != before+1 {
		t.Errorf("posts after a second Repost = %d, want %d (no second repost)", got, before+1)
	}
	if err := rp.Unrepost(s.ctx(t), id); err != nil {
		s.noSecret(t, err)
		t.Fatalf("Unrepost: %v", err)
	}
	if got := s.Fake.Posts(); got != before {
		t.Errorf("posts after Unrepost = %d, want %d (the repost undone)", got, before)
	}
	if err := rp.Unrepost(s.ctx(t), id); err != nil {
		t.Errorf("undoing a repost that is not there = %v, want nil", err)
	}
	if got, _ := s.Fake.Lookup(id); got.ID != id {
		t.Errorf("the reposted post itself is gone after Unrepost")
	}
}

// testGone: of a post that exists, one deleted by its owner and one that
// never existed, the Checker says the last two are gone, and only they.
func testGone(t *testing.T, s *suite) {
	c := s.caps.Checker
	if c == nil {
		t.Skip("no Checker")
	}
	kept := s.Fake.PostAsUser("conformance: still here", "")
	deleted := s.Fake.PostAsUser("conformance: deleted by its owner", "")
	s.Fake.DeleteAsUser(deleted)
	never := missingID(kept)
	before := s.Fake.Requests()
	gone, err := c.Gone(s.ctx(t), []string{kept, deleted, never})
	if err != nil {
		s.noSecret(t, err)
		t.Fatalf("Gone: %v", err)
	}
	slices.Sort(gone)
	want := []string{deleted, never}
	slices.Sort(want)
	if !slices.Equal(gone, want) {
		t.Errorf("Gone = %v, want %v (the deleted post and the one that never existed)", gone, want)
	}
	// At most a look-up per ID, a page, and the account's and server's
	// own details once.
	if n := s.Fake.Requests() - before; n > 6 {
		t.Errorf("Gone of 3 IDs sent %d requests", n)
	}
	if gone, err := c.Gone(s.ctx(t), nil); err != nil || len(gone) != 0 {
		t.Errorf("Gone of nothing = %v, %v", gone, err)
	}
}

func testErrors(t *testing.T, s *suite) {
	pub := s.publisher(t)
	for _, tc := range []struct {
		status int
		want   *providers.Error
	}{
		{401, providers.ErrAuth},
		{404, providers.ErrNotFound},
		{500, providers.ErrTransient},
		{502, providers.ErrTransient},
		{503, providers.ErrTransient},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			before := s.Fake.Posts()
			s.Fake.FailNext(tc.status, 1)
			_, err := pub.Publish(s.ctx(t), providers.Draft{Key: fmt.Sprint("err-", tc.status), Text: fmt.Sprint("conformance: fails with ", tc.status), Visibility: providers.Public})
			s.noSecret(t, err)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Publish answered %d: err = %v, want kind %v", tc.status, err, tc.want.Kind)
			}
			var pe *providers.Error
			if !errors.As(err, &pe) || pe.Network == "" || pe.Op == "" {
				t.Errorf("error %v should be a *providers.Error naming network and op", err)
			}
			if got := s.Fake.Posts(); got != before {
				t.Errorf("a failed publish left %d posts, want %d", got, before)
			}
		})
	}
	// The network is healthy again afterwards.
	s.publish(t, providers.Draft{Text: "conformance: after the errors"})
}

func testRateLimited(t *testing.T, s *suite) {
	pub := s.publisher(t)
	reset := time.Now().Add(time.Hour).Truncate(time.Second)
	s.Fake.RateLimitNext(reset)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := pub.Publish(ctx, providers.Draft{Key: "rl", Text: "conformance: rate limited", Visibility: providers.Public})
	s.noSecret(t, err)
	if ctx.Err() != nil {
		t.Fatal("a 429 with a reset an hour away made Publish wait instead of returning")
	}
	if !errors.Is(err, providers.ErrRateLimited) {
		t.Fatalf("err = %v, want RateLimited", err)
	}
	if got := providers.ResetOf(err); got.Sub(reset).Abs() > time.Second {
		t.Errorf("reset = %v, want %v", got, reset)
	}
}

func testRevoked(t *testing.T, s *suite) {
	s.Fake.Revoke()
	_, err := s.Provider.Verify(s.ctx(t))
	s.noSecret(t, err)
	if !errors.Is(err, providers.ErrAuth) {
		t.Errorf("Verify with a revoked token: err = %v, want Auth", err)
	}
	if s.caps.Publisher != nil {
		_, err = s.caps.Publisher.Publish(s.ctx(t), providers.Draft{Key: "revoked", Text: "conformance: revoked", Visibility: providers.Public})
		s.noSecret(t, err)
		if !errors.Is(err, providers.ErrAuth) {
			t.Errorf("Publish with a revoked token: err = %v, want Auth", err)
		}
	}
	if s.caps.Poller != nil {
		_, _, err = s.caps.Poller.Poll(s.ctx(t), "")
		s.noSecret(t, err)
		if !errors.Is(err, providers.ErrAuth) {
			t.Errorf("Poll with a revoked token: err = %v, want Auth", err)
		}
	}
}

func testCancelled(t *testing.T, s *suite) {
	s.Fake.SetLatency(time.Hour)
	defer s.Fake.SetLatency(0)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var err error
	if s.caps.Publisher != nil {
		_, err = s.caps.Publisher.Publish(ctx, providers.Draft{Key: "slow", Text: "conformance: slow", Visibility: providers.Public})
	} else {
		_, err = s.Provider.Verify(ctx)
	}
	s.noSecret(t, err)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a call past its deadline: err = %v, want it to wrap context.DeadlineExceeded", err)
	}
}

func testPoll(t *testing.T, s *suite) {
	pl := s.caps.Poller
	if pl == nil {
		t.Skip("not a source: no Poller")
	}
	ctx := s.ctx(t)
	s.Fake.PostAsUser("conformance: old post", "")
	_, cur, err := pl.Poll(ctx, "")
	if err != nil {
		t.Fatalf("first Poll: %v", err)
	}
	if cur == "" {
		t.Fatal("first Poll returned no cursor although the account has a post")
	}
	// Nothing new: one request, no events.
	before := s.Fake.Requests()
	evs, next, err := pl.Poll(ctx, cur)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 0 || next != cur {
		t.Errorf("Poll with nothing new: %d events, cursor %q→%q; want none and the same cursor", len(evs), cur, next)
	}
	if got := s.Fake.Requests() - before; got != 1 {
		t.Errorf("Poll with nothing new made %d requests, want 1", got)
	}
	var ids []string
	for i := range 3 {
		ids = append(ids, s.Fake.PostAsUser(fmt.Sprintf("conformance: new post %d", i), ""))
	}
	evs, next, err = pl.Poll(ctx, cur)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 {
		t.Fatalf("Poll after 3 posts returned %d events, want 3", len(evs))
	}
	for i, ev := range evs {
		if ev.Kind != providers.Created || ev.Ref.ID != ids[i] || ev.Ref.Account != s.Provider.Account() {
			t.Errorf("event %d = %s %v, want created %s (oldest first)", i, ev.Kind, ev.Ref, ids[i])
		}
		if ev.Post == nil || ev.Post.Text != fmt.Sprintf("conformance: new post %d", i) {
			t.Errorf("event %d carries post %+v", i, ev.Post)
		}
		if ev.Cursor == "" {
			t.Errorf("polled event %d carries no cursor", i)
		}
	}
	if next != evs[2].Cursor {
		t.Errorf("next cursor %q, want the last event's %q", next, evs[2].Cursor)
	}
	// A reply to oneself is known as such.
	rid := s.Fake.PostAsUser("conformance: a self-reply", ids[2])
	evs, _, err = pl.Poll(ctx, next)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Ref.ID != rid || evs[0].Post.ReplyTo == nil || evs[0].Post.ReplyTo.ID != ids[2] || !evs[0].Post.ReplyTo.Self {
		t.Errorf("self-reply polled as %+v", evs)
	}
}

// collector gathers streamed events and lets a test wait for a condition
// without sleeping.
type collector struct {
	mu     sync.Mutex
	events []providers.Event
	seen   chan struct{} // receives after every event
}

func newCollector() *collector { return &collector{seen: make(chan struct{}, 1)} }

func (c *collector) emit(_ context.Context, ev providers.Event) error {
	c.mu.Lock()
	c.events = append(c.events, ev)
	c.mu.Unlock()
	select {
	case c.seen <- struct{}{}:
	default:
	}
	return nil
}

// wait blocks until cond holds over the events so far, or fails the test.
func (c *collector) wait(t *testing.T, what string, cond func([]providers.Event) bool) {
	t.Helper()
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for {
		c.mu.Lock()
		ok := cond(c.events)
		n := len(c.events)
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-c.seen:
		case <-timeout.C:
			t.Fatalf("timed out waiting for %s (%d events so far)", what, n)
		}
	}
}

func has(kind providers.EventKind, id string) func([]providers.Event) bool {
	return func(evs []providers.Event) bool {
		for _, ev := range evs {
			if ev.Kind == kind && ev.Ref.ID == id {
				return true
			}
		}
		return false
	}
}

// startStream runs Stream until the test ends and returns its collector.
func (s *suite) startStream(t *testing.T, cursor string) *collector {
	t.Helper()
	c := newCollector()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.caps.Streamer.Stream(ctx, cursor, c.emit) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("Stream ended with %v, want context.Canceled", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Stream did not return within 10 s of its context ending")
		}
	})
	return c
}

func (s *suite) streamer(t *testing.T) (string, *collector) {
	t.Helper()
	if s.caps.Streamer == nil {
		t.Skip("no Streamer")
	}
	_, cur, err := s.caps.Poller.Poll(s.ctx(t), "")
	if err != nil {
		t.Fatal(err)
	}
	// A post made before the stream starts reaches it through the catch-up
	// poll that follows the connect; once it has arrived, the stream is up.
	first := s.Fake.PostAsUser("conformance: before the stream", "")
	c := s.startStream(t, cur)
	c.wait(t, "the catch-up poll after connecting", has(providers.Created, first))
	return first, c
}

func testStream(t *testing.T, s *suite) {
	first, c := s.streamer(t)
	second := s.Fake.PostAsUser("conformance: while streaming", "")
	c.wait(t, "a created event", has(providers.Created, second))
	newID := s.Fake.EditAsUser(second, "conformance: while streaming, edited")
	if newID != second {
		t.Logf("the network gave the edit a new ID %s", newID)
	}
	c.wait(t, "an edited event", has(providers.Edited, second))
	s.Fake.DeleteAsUser(first)
	c.wait(t, "a deleted event", has(providers.Deleted, first))

	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range c.events {
		if ev.Ref.Account != s.Provider.Account() {
			t.Errorf("event %v carries account %q, want %q", ev.Ref, ev.Ref.Account, s.Provider.Account())
		}
		if ev.Kind == providers.Edited && (ev.Post == nil || ev.Post.Text != "conformance: while streaming, edited") {
			t.Errorf("edited event carries %+v", ev.Post)
		}
		if ev.Kind == providers.Deleted && ev.Post != nil {
			t.Errorf("deleted event carries a post")
		}
	}
}

func testStreamDrop(t *testing.T, s *suite) {
	_, c := s.streamer(t)
	var ids []string
	for round := range 3 {
		s.Fake.DropStreams()
		for i := range 3 {
			ids = append(ids, s.Fake.PostAsUser(fmt.Sprintf("conformance: drop %d post %d", round, i), ""))
		}
	}
	c.wait(t, "every post made around three dropped connections", func(evs []providers.Event) bool {
		for _, id := range ids {
			if !has(providers.Created, id)(evs) {
				return false
			}
		}
		return true
	})
}

func testReconcile(t *testing.T, s *suite) {
	rc := s.caps.Reconciler
	if rc == nil {
		t.Skip("no Reconciler")
	}
	since := time.Now().Add(-time.Minute)
	parent := s.publish(t, providers.Draft{Text: "conformance: reconcile parent"})
	d := providers.Draft{Key: "reconcile-1", Text: "conformance: did this reach the network? https://example.com/a/long/path/to/check", ReplyTo: parent.ID, Visibility: providers.Public}
	p := s.publish(t, d)
	got, ok, err := rc.FindPublished(s.ctx(t), d, since)
	if err != nil {
		t.Fatalf("FindPublished: %v", err)
	}
	if !ok || got.ID != p.ID {
		t.Errorf("FindPublished = %v, %v; want the post %s", got, ok, p.ID)
	}
	other := d
	other.Text = "conformance: this one never went out"
	if got, ok, err := rc.FindPublished(s.ctx(t), other, since); err != nil || ok {
		t.Errorf("FindPublished of an unsent draft = %v, %v, %v; want not found", got, ok, err)
	}
	other = d
	other.ReplyTo = ""
	if got, ok, err := rc.FindPublished(s.ctx(t), other, since); err != nil || ok {
		t.Errorf("FindPublished of the same text as a standalone post = %v, %v, %v; want not found (the reply is another post)", got, ok, err)
	}
}
