package bridge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/providers/mastodon/mastodontest"
	"github.com/dualpower/dualpower/providers/providertest"
	"github.com/dualpower/dualpower/providers/twitter/twittertest"
)

const (
	am = "alice-mastodon"
	ax = "alice-x"
)

// mirror returns the parts of the mirror of post id of account from on
// account to, once the ledger has it.
func (w *world) mirror(from, id, to string) []string {
	w.t.Helper()
	m, ok, err := w.st.MirrorOn(providers.Ref{Account: from, ID: id}, to)
	if err != nil {
		w.t.Fatal(err)
	}
	if !ok {
		return nil
	}
	return m.Parts
}

// waitMirror waits until post id of from has a mirror on to and returns
// its parts.
func (w *world) waitMirror(from, id, to string) []string {
	w.t.Helper()
	var parts []string
	w.waitFor("the mirror of "+from+"/"+id+" on "+to, func() bool {
		parts = w.mirror(from, id, to)
		return len(parts) > 0
	})
	return parts
}

// fake is the fake network account lives on.
func (w *world) fake(account string) providertest.Fake {
	if account == am {
		return w.m
	}
	return w.x
}

// textOn returns the text the fake of account holds for id.
func (w *world) textOn(account, id string) string {
	w.t.Helper()
	if account == am {
		s, ok := w.m.Lookup(id)
		if !ok {
			w.t.Fatalf("mastodon holds no post %s", id)
		}
		return s.Text
	}
	s, ok := w.x.Lookup(id)
	if !ok {
		w.t.Fatalf("x holds no post %s", id)
	}
	return s.Text
}

func TestBothWaysNoEcho(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.start()

	mid := w.m.Alice().Post(mastodontest.PostOpts{Text: "Hello from Mastodon"})
	xid := w.x.Post(twittertest.PostOpts{Text: "Hello from X"})

	mOnX := w.waitMirror(am, mid, ax)
	xOnM := w.waitMirror(ax, xid, am)
	if got := w.textOn(ax, mOnX[0]); got != "Hello from Mastodon" {
		t.Errorf("X mirror says %q", got)
	}
	if got := w.textOn(am, xOnM[0]); got != "Hello from X" {
		t.Errorf("Mastodon mirror says %q", got)
	}
	// Each mirror comes back to the bridge from its network (the X poll,
	// the Mastodon stream) and must be dropped as our own.
	w.waitFor("the echoes to be dropped", func() bool {
		return w.obs.saw(ax, mOnX[0], true) && w.obs.saw(am, xOnM[0], true)
	})
	if w.m.Posts() != 2 || w.x.Posts() != 2 {
		t.Errorf("posts: mastodon %d, x %d; want 2 and 2", w.m.Posts(), w.x.Posts())
	}
	if n := w.obs.count("publish"); n != 2 {
		t.Errorf("%d publishes, want 2", n)
	}
}

// xLength is the X adapter's own measure.
func (w *world) xLimits() providers.Limits {
	w.t.Helper()
	l, err := w.providers()[ax].Limits(t_ctx(w.t))
	if err != nil {
		w.t.Fatal(err)
	}
	return l
}

func t_ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// xThread checks that parts are a chain of replies on X and returns their
// texts.
func (w *world) xThread(parts []string, firstParent string) []string {
	w.t.Helper()
	var texts []string
	parent := firstParent
	for i, id := range parts {
		s, ok := w.x.Lookup(id)
		if !ok {
			w.t.Fatalf("part %d (%s) is not on X", i, id)
		}
		if s.ReplyTo != parent {
			w.t.Errorf("part %d replies to %q, want %q", i, s.ReplyTo, parent)
		}
		texts = append(texts, s.Text)
		parent = id
	}
	return texts
}

func TestSelfThreadStaysAThread(t *testing.T) {
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x]}"})
	w.start()
	alice := w.m.Alice()
	a := alice.Post(mastodontest.PostOpts{Text: "A thread, 1/3"})
	b := alice.Reply(a, "A thread, 2/3")
	c := alice.Reply(b, "A thread, 3/3")
	ca := w.waitMirror(am, c, ax)
	pa, pb := w.mirror(am, a, ax), w.mirror(am, b, ax)
	got := w.xThread([]string{pa[0], pb[0], ca[0]}, "")
	if strings.Join(got, "|") != "A thread, 1/3|A thread, 2/3|A thread, 3/3" {
		t.Errorf("thread on X: %q", got)
	}
}

// words returns the words of s, for checking a split kept them all in order.
func words(s string) []string { return strings.Fields(s) }

func TestLongTootBecomesAnXThread(t *testing.T) {
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x]}", mopt: mastodontest.Options{MaxCharacters: 1000}})
	w.start()
	var b strings.Builder
	for i := 0; b.Len() < 700; i++ {
		fmt.Fprintf(&b, "Sentence number %d says something worth reading. ", i)
		if i%4 == 3 {
			b.WriteString("\n\n")
		}
	}
	text := strings.TrimSpace(b.String())[:700]
	text = strings.TrimSpace(text[:strings.LastIndex(text, " ")])
	id := w.m.Alice().Post(mastodontest.PostOpts{Text: text})
	parts := w.waitMirror(am, id, ax)
	if len(parts) < 3 {
		t.Fatalf("a %d-character toot became %d X posts, want at least 3", len(text), len(parts))
	}
	l := w.xLimits()
	texts := w.xThread(parts, "")
	for i, p := range texts {
		if n := l.Length(p); n > l.MaxLength {
			t.Errorf("part %d weighs %d > %d: %q", i, n, l.MaxLength, p)
		}
	}
	if got, want := strings.Join(words(strings.Join(texts, " ")), " "), strings.Join(words(text), " "); got != want {
		t.Errorf("the thread does not keep every word in order:\n got %q\nwant %q", got, want)
	}
}

func TestCJKSplitByWeight(t *testing.T) {
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x]}"})
	w.start()
	text := strings.Repeat("日本語の文章はとても長いです。", 14)[:0]
	for len([]rune(text)) < 200 {
		text += "日本語の文章はとても長いです。"
	}
	text = string([]rune(text)[:200])
	id := w.m.Alice().Post(mastodontest.PostOpts{Text: text})
	parts := w.waitMirror(am, id, ax)
	l := w.xLimits()
	if len(parts) != 2 {
		t.Errorf("200 CJK characters (weight %d) became %d parts, want 2", l.Length(text), len(parts))
	}
	texts := w.xThread(parts, "")
	for i, p := range texts {
		if n := l.Length(p); n > l.MaxLength {
			t.Errorf("part %d weighs %d", i, n)
		}
	}
	if strings.Join(texts, "") != text {
		t.Errorf("parts do not add up to the toot")
	}
}

func TestForeignMentionNeverPingsOnX(t *testing.T) {
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x]}"})
	w.x.CreateUser("bob")
	w.start()
	id := w.m.Alice().Post(mastodontest.PostOpts{Text: "Thanks @bob@other.example and @bob for the help"})
	parts := w.waitMirror(am, id, ax)
	got, err := w.providers()[ax].(providers.Fetcher).Fetch(t_ctx(t), parts[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range got.Mentions {
		t.Errorf("the X post mentions %q: %q", m.Handle, got.Text)
	}
	if !strings.Contains(got.Text, "@bob@other.example") || !strings.Contains(got.Text, "@\u200bbob for") {
		t.Errorf("X text %q lost the fediverse handle", got.Text)
	}
}

func TestImageAltTextArrives(t *testing.T) {
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x]}"})
	w.start()
	const alt = "A red square on a white ground."
	id := w.m.Alice().Post(mastodontest.PostOpts{Text: "A picture", Media: []mastodontest.MediaOpts{
		{Type: "image", Data: mastodontest.PNG(), ContentType: "image/png", Description: alt},
	}})
	parts := w.waitMirror(am, id, ax)
	s, _ := w.x.Lookup(parts[0])
	if len(s.MediaAlts) != 1 || s.MediaAlts[0] != alt || s.MediaTypes[0] != "image" {
		t.Errorf("X post media %q alts %q, want one image with %q", s.MediaTypes, s.MediaAlts, alt)
	}
	if s.Text != "A picture" {
		t.Errorf("X text %q", s.Text)
	}
}

func TestDeleteRemovesEveryPart(t *testing.T) {
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x]}", mopt: mastodontest.Options{MaxCharacters: 1000}})
	w.start()
	var b strings.Builder
	for i := range 14 {
		fmt.Fprintf(&b, "Part of sentence %d goes when the toot goes. ", i)
	}
	text := strings.TrimSpace(b.String())
	id := w.m.Alice().Post(mastodontest.PostOpts{Text: text})
	parts := w.waitMirror(am, id, ax)
	if len(parts) < 2 {
		t.Fatalf("want a thread, got %d parts", len(parts))
	}
	w.m.Alice().Delete(id)
	w.waitFor("every part to be deleted", func() bool {
		for _, p := range parts {
			if _, ok := w.x.Lookup(p); ok {
				return false
			}
		}
		return true
	})
	if w.x.Posts() != 0 {
		t.Errorf("X still holds %d posts", w.x.Posts())
	}
}

// TestDeleteDuringStreamOutage: a toot deleted while the Mastodon stream is
// cut (no delete message ever comes) still takes its mirror with it, found
// after the reconnect.
func TestDeleteDuringStreamOutage(t *testing.T) {
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x]}"})
	w.start()
	kept := w.m.Alice().Post(mastodontest.PostOpts{Text: "This toot stays"})
	gone := w.m.Alice().Post(mastodontest.PostOpts{Text: "This toot goes while the stream is down"})
	keptParts := w.waitMirror(am, kept, ax)
	goneParts := w.waitMirror(am, gone, ax)
	w.m.HoldStreams()
	w.m.DropStreams()
	w.m.Alice().Delete(gone)
	w.m.ReleaseStreams()
	w.waitFor("the mirror of the toot deleted during the outage to go", func() bool {
		_, ok := w.x.Lookup(goneParts[0])
		return !ok
	})
	if _, ok := w.x.Lookup(keptParts[0]); !ok || w.x.Posts() != 1 {
		t.Errorf("X holds %d posts; the mirror of the toot that stayed must be one of them (%v)", w.x.Posts(), ok)
	}
}

// TestRestartFindsEditsAndDeletesMadeWhileStopped: a toot edited and one
// deleted while the daemon was stopped are edited and deleted on X after
// the restart (the ledger tells the stream what it knows).
func TestRestartFindsEditsAndDeletesMadeWhileStopped(t *testing.T) {
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x]}", xExtra: `can_edit: "true"`,
		xopt: twittertest.Options{CanEdit: true}})
	w.start()
	edited := w.m.Alice().Post(mastodontest.PostOpts{Text: "Before the stop"})
	gone := w.m.Alice().Post(mastodontest.PostOpts{Text: "Deleted while stopped"})
	w.waitMirror(am, edited, ax)
	goneParts := w.waitMirror(am, gone, ax)
	w.stop()
	w.m.Alice().Edit(edited, mastodontest.PostOpts{Text: "Edited while stopped"})
	w.m.Alice().Delete(gone)
	w.start()
	w.waitFor("the edit and the delete made while stopped", func() bool {
		_, stillThere := w.x.Lookup(goneParts[0])
		now := w.mirror(am, edited, ax)
		return !stillThere && len(now) == 1 && w.textOn(ax, now[0]) == "Edited while stopped"
	})
	if w.x.Posts() != 1 {
		t.Errorf("X holds %d posts, want the edited mirror only", w.x.Posts())
	}
}

// TestCheckDeletesFindsXDeletes: X announces no deletes; with
// check_deletes the bridge looks its mirrored tweets up and deletes the
// mirror of the one that is gone, and only that one.
func TestCheckDeletesFindsXDeletes(t *testing.T) {
	w := newWorld(t, worldOpt{links: "  x2m: {from: alice-x, to: [alice-mastodon]}", xExtra: `check_deletes: "@every 1s"`})
	w.start()
	kept := w.x.Post(twittertest.PostOpts{Text: "This tweet stays"})
	gone := w.x.Post(twittertest.PostOpts{Text: "This tweet goes"})
	keptParts := w.waitMirror(ax, kept, am)
	goneParts := w.waitMirror(ax, gone, am)
	w.x.Delete(gone)
	w.waitFor("the mirror of the deleted tweet to go", func() bool {
		_, ok := w.m.Lookup(goneParts[0])
		return !ok
	})
	if _, ok := w.m.Lookup(keptParts[0]); !ok || w.m.Posts() != 1 {
		t.Errorf("Mastodon holds %d posts; the mirror of the tweet that stayed must be one of them (%v)", w.m.Posts(), ok)
	}
}

func TestXEditUpdatesMastodonInPlace(t *testing.T) {
	w := newWorld(t, worldOpt{links: "  x2m: {from: alice-x, to: [alice-mastodon]}"})
	w.start()
	xid := w.x.Post(twittertest.PostOpts{Text: "Before the edit"})
	mparts := w.waitMirror(ax, xid, am)
	newID := w.x.Edit(xid, "After the edit")
	if newID == xid {
		t.Fatal("the fake X kept the ID on edit")
	}
	w.waitFor("the Mastodon mirror to be edited", func() bool {
		s, ok := w.m.Lookup(mparts[0])
		return ok && s.Text == "After the edit"
	})
	s, _ := w.m.Lookup(mparts[0])
	if s.EditCount != 1 || w.m.Posts() != 1 {
		t.Errorf("mastodon: %d edits, %d posts; want the one mirror edited once", s.EditCount, w.m.Posts())
	}
}

func TestXReplyRefusedFallsBackToStandalone(t *testing.T) {
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x]}"})
	w.start()
	a := w.m.Alice().Post(mastodontest.PostOpts{Text: "The first post"})
	w.waitMirror(am, a, ax)
	w.x.SetReplyNotAllowed(true)
	b := w.m.Alice().Reply(a, "A reply X will refuse")
	parts := w.waitMirror(am, b, ax)
	s, _ := w.x.Lookup(parts[0])
	if s.ReplyTo != "" || s.Text != "A reply X will refuse" {
		t.Errorf("fallback post: reply to %q, text %q; want a standalone post", s.ReplyTo, s.Text)
	}
	m, _, _ := w.st.MirrorOn(providers.Ref{Account: am, ID: b}, ax)
	if !strings.Contains(m.Reason, "standalone") {
		t.Errorf("the ledger does not record the fallback: %+v", m)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x]}"})
	w.dryRun = true
	w.start()
	id := w.m.Alice().Post(mastodontest.PostOpts{Text: "only pretend to mirror this", Media: []mastodontest.MediaOpts{
		{Type: "image", Data: mastodontest.PNG(), ContentType: "image/png", Description: "a square"},
	}})
	parts := w.waitMirror(am, id, ax)
	if !strings.HasPrefix(parts[0], "dry-run-") {
		t.Errorf("dry run recorded %q", parts[0])
	}
	if w.x.Posts() != 0 || w.x.WriteCount() != 0 {
		t.Errorf("a dry run wrote to X: %d posts, %d writes", w.x.Posts(), w.x.WriteCount())
	}
	if !strings.Contains(w.logs.String(), `"text":"only pretend to mirror this"`) || !strings.Contains(w.logs.String(), "dry run: would upload media") {
		t.Errorf("the dry run did not log what it would post")
	}
}

func TestBackfillMirrorsOlderPostsOnce(t *testing.T) {
	var past atomic.Bool
	past.Store(true)
	clock := func() time.Time {
		if past.Load() {
			return time.Now().Add(-48 * time.Hour)
		}
		return time.Now()
	}
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x]}", mopt: mastodontest.Options{Now: clock}})
	var ids []string
	for i := range 3 {
		ids = append(ids, w.m.Alice().Post(mastodontest.PostOpts{Text: fmt.Sprintf("an old post %d", i)}))
	}
	w.m.Alice().Post(mastodontest.PostOpts{Text: "an old private post", Visibility: "private"})
	past.Store(false)
	eng, err := New(Options{Config: w.cfg, Store: w.st, Providers: w.providers(), Observer: w.obs, RetryBase: 50 * time.Millisecond,
		Logger: zerolog.New(w.logs)})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := eng.Backfill(t_ctx(t), BackfillOptions{Link: "m2x", Last: 3})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Read != 3 || rep.Mirrored != 2 || rep.Skipped["visibility private"] != 1 {
		t.Errorf("report %+v, want the last 3 read: 2 mirrored, the private one skipped", rep)
	}
	for _, id := range ids[1:] {
		if parts := w.mirror(am, id, ax); len(parts) != 1 {
			t.Errorf("post %s has no mirror", id)
		}
	}
	// Again: nothing twice.
	rep, err = eng.Backfill(t_ctx(t), BackfillOptions{Link: "m2x", Since: time.Now().Add(-72 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Read != 4 || rep.Known != 3 || rep.Mirrored != 1 {
		t.Errorf("second backfill %+v: want 4 read, the 3 known left alone, the oldest mirrored", rep)
	}
	if w.x.Posts() != 3 {
		t.Errorf("X holds %d posts, want 3", w.x.Posts())
	}
}

// TestEditThatChangesThePartCount: an edit that needs more parts edits the
// ones there are and adds the rest as replies; one that needs fewer edits
// and deletes the rest, last first. On X (edits give new IDs, can_edit) and
// on Mastodon (edits keep IDs).
func TestEditThatChangesThePartCount(t *testing.T) {
	long := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "Sentence number %d of the edited post. ", i+1)
		}
		return strings.TrimSpace(b.String())
	}
	// checkThread asserts that parts form one reply chain on f, under no
	// parent, and hold words in order that add up to text.
	checkThread := func(t *testing.T, w *world, to string, parts []string, text string) {
		t.Helper()
		var got []string
		for i, id := range parts {
			s, ok := w.fake(to).Lookup(id)
			if !ok {
				t.Fatalf("part %d (%s) is not on %s", i, id, to)
			}
			if want := ""; i > 0 {
				want = parts[i-1]
				if s.ReplyTo != want {
					t.Errorf("part %d replies to %q, want %q", i, s.ReplyTo, want)
				}
			} else if s.ReplyTo != "" {
				t.Errorf("the first part replies to %q", s.ReplyTo)
			}
			got = append(got, strings.Fields(strings.ReplaceAll(s.Text, "…", ""))...)
		}
		if g, want := strings.Join(got, " "), strings.Join(strings.Fields(text), " "); g != want {
			t.Errorf("the parts say\n%s\nwant\n%s", g, want)
		}
	}

	t.Run("mastodon to x", func(t *testing.T) {
		w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x]}", xExtra: `can_edit: "true"`,
			xopt: twittertest.Options{CanEdit: true}, mopt: mastodontest.Options{MaxCharacters: 1000}})
		w.start()
		id := w.m.Alice().Post(mastodontest.PostOpts{Text: "A short first version."})
		first := w.waitMirror(am, id, ax)
		if len(first) != 1 {
			t.Fatalf("%d parts, want 1", len(first))
		}
		w.m.Alice().Edit(id, mastodontest.PostOpts{Text: long(14)})
		w.waitFor("the edit that grows the thread", func() bool { return w.obs.count("edit") == 1 })
		grown := w.mirror(am, id, ax)
		if len(grown) < 2 {
			t.Fatalf("%d parts after the edit, want a thread", len(grown))
		}
		checkThread(t, w, ax, grown, long(14))
		if w.x.Posts() != len(grown) {
			t.Errorf("X holds %d posts, want the %d parts", w.x.Posts(), len(grown))
		}
		w.m.Alice().Edit(id, mastodontest.PostOpts{Text: "Short again."})
		w.waitFor("the edit that shrinks the thread", func() bool { return w.obs.count("edit") == 2 })
		shrunk := w.mirror(am, id, ax)
		if len(shrunk) != 1 {
			t.Fatalf("%d parts after the second edit, want 1", len(shrunk))
		}
		checkThread(t, w, ax, shrunk, "Short again.")
		if w.x.Posts() != 1 {
			t.Errorf("X holds %d posts, want 1: the parts the text no longer needs are deleted", w.x.Posts())
		}
		if w.m.Posts() != 1 {
			t.Errorf("Mastodon holds %d posts: something was echoed", w.m.Posts())
		}
	})

	t.Run("x to mastodon", func(t *testing.T) {
		w := newWorld(t, worldOpt{links: "  x2m: {from: alice-x, to: [alice-mastodon]}", mopt: mastodontest.Options{MaxCharacters: 100}})
		w.start()
		xid := w.x.Post(twittertest.PostOpts{Text: "A short first version."})
		first := w.waitMirror(ax, xid, am)
		if len(first) != 1 {
			t.Fatalf("%d parts, want 1", len(first))
		}
		w.x.Edit(xid, long(6))
		w.waitFor("the edit that grows the thread", func() bool { return w.obs.count("edit") == 1 })
		grown := w.mirror(ax, xid, am)
		if len(grown) < 2 || grown[0] != first[0] {
			t.Fatalf("parts %v after the edit, want a thread that starts with the edited %s", grown, first[0])
		}
		checkThread(t, w, am, grown, long(6))
	})
}

// TestEditGrowthSurvivesALostAnswer: the answer to the publish of a part an
// edit adds is lost after X made the post; the retry finds that post rather
// than posting the part again.
func TestEditGrowthSurvivesALostAnswer(t *testing.T) {
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x]}", xExtra: `can_edit: "true"`,
		xopt: twittertest.Options{CanEdit: true}, mopt: mastodontest.Options{MaxCharacters: 1000}})
	u, _ := url.Parse(w.x.URL())
	rp := httputil.NewSingleHostReverseProxy(u)
	var armed, lost atomic.Bool
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method == http.MethodPost && resp.Request.URL.Path == "/2/tweets" &&
			resp.Request.Header.Get("X-Test-Edit") == "" && armed.Load() && lost.CompareAndSwap(false, true) {
			return errors.New("the answer is lost on the way back")
		}
		return nil
	}
	proxy := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/2/tweets" {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if bytes.Contains(body, []byte(`"edit_options"`)) {
				r.Header.Set("X-Test-Edit", "1") // marks the edit itself, which is let through
			}
		}
		rp.ServeHTTP(rw, r)
	}))
	t.Cleanup(proxy.Close)
	w.cfg.Accounts[ax].Settings["api_base"] = proxy.URL
	w.start()

	id := w.m.Alice().Post(mastodontest.PostOpts{Text: "A short first version."})
	w.waitMirror(am, id, ax)
	var b strings.Builder
	for i := range 14 {
		fmt.Fprintf(&b, "Sentence number %d of the edited post. ", i+1)
	}
	armed.Store(true)
	w.m.Alice().Edit(id, mastodontest.PostOpts{Text: strings.TrimSpace(b.String())})
	w.waitFor("the edit that grows the thread", func() bool { return w.obs.count("edit") == 1 })
	if !lost.Load() {
		t.Fatal("no answer was lost: the test did not test anything")
	}
	parts := w.mirror(am, id, ax)
	if len(parts) < 2 || w.x.Posts() != len(parts) {
		t.Errorf("X holds %d posts for a mirror of %d parts: a part was posted twice", w.x.Posts(), len(parts))
	}
}
