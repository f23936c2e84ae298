package bridge

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/providers/mastodon/mastodontest"
	"github.com/dualpower/dualpower/store"
)

// TestRulesEndToEnd posts on Mastodon and checks, over both fakes, that each
// rule mirrors or skips as configured, with the reason recorded.
func TestRulesEndToEnd(t *testing.T) {
	tests := []struct {
		name   string
		rules  string
		post   mastodontest.PostOpts
		want   string // the X text, or "" when skipped
		reason string // the recorded skip reason, when skipped
	}{
		{name: "public mirrors", post: mastodontest.PostOpts{Text: "plain"}, want: "plain"},
		{name: "unlisted mirrors by default", post: mastodontest.PostOpts{Text: "quiet", Visibility: "unlisted"}, want: "quiet"},
		{name: "followers-only stays", post: mastodontest.PostOpts{Text: "private", Visibility: "private"}, reason: "visibility private"},
		{name: "direct stays", post: mastodontest.PostOpts{Text: "dm", Visibility: "direct"}, reason: "visibility direct"},
		{name: "visibility rule", rules: "visibility: [public]", post: mastodontest.PostOpts{Text: "quiet", Visibility: "unlisted"}, reason: "visibility unlisted"},
		{name: "cw skipped by default", post: mastodontest.PostOpts{Text: "spoiler", SpoilerText: "cw"}, reason: "content warning"},
		{name: "cw warned", rules: "sensitive: warn", post: mastodontest.PostOpts{Text: "spoiler", SpoilerText: "film"}, want: "CW: film\n\nspoiler"},
		{name: "nobridge by default", post: mastodontest.PostOpts{Text: "not this #nobridge"}, reason: "excluded tag #nobridge"},
		{name: "include tags", rules: "include_tags: [bridge]", post: mastodontest.PostOpts{Text: "untagged"}, reason: "none of the include_tags"},
		{name: "include tags hit, stripped", rules: "{include_tags: [bridge], strip_tags: [bridge]}", post: mastodontest.PostOpts{Text: "tagged #bridge"}, want: "tagged"},
		{name: "exclude words", rules: "exclude_words: [secret]", post: mastodontest.PostOpts{Text: "a Secret plan"}, reason: `excluded word "secret"`},
		{name: "footer", rules: `footer: "(via Mastodon)"`, post: mastodontest.PostOpts{Text: "hello"}, want: "hello\n\n(via Mastodon)"},
		{name: "overflow skip", rules: "overflow: skip", post: mastodontest.PostOpts{Text: strings.Repeat("long words here ", 30)}, reason: "too long"},
		{name: "outside the active window", rules: "{}\n    active: {until: 2020-01-01}", post: mastodontest.PostOpts{Text: "too late"}, reason: "outside the link's active window"},
		{name: "mentions as links", rules: "mentions: link", post: mastodontest.PostOpts{Text: "hi @carol@other.social"}, want: "hi https://other.social/@carol"},
		{name: "mentions dropped", rules: "mentions: drop", post: mastodontest.PostOpts{Text: "@carol@other.example hi"}, want: "hi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := tt.rules
			if rules == "" {
				rules = "{}"
			}
			if !strings.HasPrefix(rules, "{") {
				rules = "{" + rules + "}"
			}
			w := newWorld(t, worldOpt{links: fmt.Sprintf("  m2x:\n    from: alice-mastodon\n    to: [alice-x]\n    rules: %s\n", rules)})
			w.start()
			id := w.m.Alice().Post(tt.post)
			ref := providers.Ref{Account: am, ID: id}
			if tt.want != "" {
				parts := w.waitMirror(am, id, ax)
				if got := w.textOn(ax, parts[0]); got != tt.want {
					t.Errorf("X says %q, want %q", got, tt.want)
				}
				return
			}
			w.waitFor("the skip to be recorded", func() bool {
				p, ok, _ := w.st.Lookup(ref)
				return ok && p.Targets[ax].State == 3 // store.PostSkipped
			})
			p, _, _ := w.st.Lookup(ref)
			if got := p.Targets[ax].Reason; !strings.Contains(got, tt.reason) {
				t.Errorf("skip reason %q, want it to say %q", got, tt.reason)
			}
			if w.x.Posts() != 0 {
				t.Errorf("X holds %d posts", w.x.Posts())
			}
		})
	}
}

func TestRepliesToOthersAndUnmirroredParentsAreSkipped(t *testing.T) {
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x]}"})
	bob := w.m.CreateUser("bob")
	w.start()
	bobs := bob.Post(mastodontest.PostOpts{Text: "bob speaks"})
	toBob := w.m.Alice().Reply(bobs, "@bob I agree")
	private := w.m.Alice().Post(mastodontest.PostOpts{Text: "followers only", Visibility: "private"})
	toPrivate := w.m.Alice().Reply(private, "a public reply to my private post")
	w.waitFor("the skips", func() bool {
		a, _, _ := w.st.Lookup(providers.Ref{Account: am, ID: toBob})
		b, _, _ := w.st.Lookup(providers.Ref{Account: am, ID: toPrivate})
		return a.Targets[ax].Reason != "" && b.Targets[ax].Reason != ""
	})
	a, _, _ := w.st.Lookup(providers.Ref{Account: am, ID: toBob})
	b, _, _ := w.st.Lookup(providers.Ref{Account: am, ID: toPrivate})
	if a.Targets[ax].Reason != "reply to someone else" || b.Targets[ax].Reason != "reply to a post that was not mirrored" {
		t.Errorf("reasons: %q, %q", a.Targets[ax].Reason, b.Targets[ax].Reason)
	}
	if w.x.Posts() != 0 {
		t.Errorf("X holds %d posts", w.x.Posts())
	}
}

func TestNativeRepostOfAMirroredPost(t *testing.T) {
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x], rules: {reposts: native}}"})
	w.start()
	id := w.m.Alice().Post(mastodontest.PostOpts{Text: "worth boosting"})
	parts := w.waitMirror(am, id, ax)
	w.m.Alice().Boost(id)
	w.waitFor("the native repost", func() bool { return w.obs.count("repost") == 1 })
	if w.x.Posts() != 2 {
		t.Errorf("X holds %d posts, want the mirror and its retweet", w.x.Posts())
	}
	ids := w.x.Alice().Statuses()
	if s, _ := w.x.Lookup(ids[len(ids)-1]); s.RepostOf != parts[0] {
		t.Errorf("the retweet reposts %q, want the mirror %s", s.RepostOf, parts[0])
	}

	// Undoing the boost undoes the retweet, and only that.
	w.m.Alice().Unboost(id)
	w.waitFor("the retweet to be undone", func() bool { return w.x.Posts() == 1 })
	if _, ok := w.x.Lookup(parts[0]); !ok {
		t.Errorf("the mirror itself went with the retweet")
	}
}

func TestRepostAsLink(t *testing.T) {
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x], rules: {reposts: link}}"})
	bob := w.m.CreateUser("bob")
	w.start()
	bobs := bob.Post(mastodontest.PostOpts{Text: "bob's news"})
	boost := w.m.Alice().Boost(bobs)
	parts := w.waitMirror(am, boost, ax)
	if got := w.textOn(ax, parts[0]); !strings.HasPrefix(got, "🔁 http") || !strings.Contains(got, bobs) {
		t.Errorf("X says %q, want a link to bob's post", got)
	}
}

func TestMaxPerHourBrake(t *testing.T) {
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x], rules: {max_per_hour: 2}}"})
	w.start()
	var ids []string
	for i := range 3 {
		ids = append(ids, w.m.Alice().Post(mastodontest.PostOpts{Text: fmt.Sprintf("post %d", i)}))
	}
	w.waitFor("two mirrors and a brake", func() bool {
		return w.obs.count("publish") == 2 && w.obs.skippedWith("safety brake")
	})
	if w.x.Posts() != 2 {
		t.Errorf("X holds %d posts, want 2", w.x.Posts())
	}

	// The brake outlasts a restart: the hour is not over, so a fourth post
	// is held back too.
	w.stop()
	w.start()
	fourth := w.m.Alice().Post(mastodontest.PostOpts{Text: "post after a restart"})
	w.waitFor("the fourth post to be judged", func() bool { return targetState(w, am, fourth, ax) != 0 })
	if got := targetState(w, am, fourth, ax); got != store.PostSkipped || w.x.Posts() != 2 {
		t.Errorf("after a restart the fourth post is %v and X holds %d posts; want skipped by the brake, 2", got, w.x.Posts())
	}
}

// targetState is origin id's state on target in the world's ledger; zero
// while it is unknown.
func targetState(w *world, account, id, target string) store.PostState {
	p, ok, err := w.st.Lookup(providers.Ref{Account: account, ID: id})
	if err != nil || !ok {
		return 0
	}
	return p.Targets[target].State
}

func TestMaxPerHourBrakeIgnoresSecondDeliveries(t *testing.T) {
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x], rules: {max_per_hour: 2}}"})
	w.start()
	first := w.m.Alice().Post(mastodontest.PostOpts{Text: "first"})
	w.waitMirror(am, first, ax)
	// The same post delivered again (a stream and a catch-up poll both saw
	// it) is known: it must not use up the hour's allowance.
	post, err := w.eng.account(am).caps.Fetcher.Fetch(context.Background(), first)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		ev := providers.Event{Kind: providers.Created, Ref: providers.Ref{Account: am, ID: first}, Post: post}
		if err := w.eng.handleEvent(context.Background(), w.eng.account(am), ev); err != nil {
			t.Fatal(err)
		}
	}
	second := w.m.Alice().Post(mastodontest.PostOpts{Text: "second"})
	w.waitMirror(am, second, ax)
	if w.obs.skippedWith("safety brake") {
		t.Errorf("a second delivery counted against the brake: %s", w.obs.summary())
	}
}

func TestDelayLetsADeleteSettle(t *testing.T) {
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x], rules: {delay: 4s}}"})
	w.start()
	gone := w.m.Alice().Post(mastodontest.PostOpts{Text: "oops, typo"})
	w.waitFor("the post to be recorded", func() bool { return w.obs.saw(am, gone, false) })
	w.m.Alice().Delete(gone)
	w.waitFor("the delete to be recorded", func() bool {
		p, _, _ := w.st.Lookup(providers.Ref{Account: am, ID: gone})
		return p.State == store.PostDeleted
	})
	if w.obs.count("publish") > 0 {
		t.Skip("the machine is too loaded: the delete arrived after the delay ran out")
	}
	kept := w.m.Alice().Post(mastodontest.PostOpts{Text: "fixed"})
	start := time.Now()
	parts := w.waitMirror(am, kept, ax)
	if time.Since(start) < 3*time.Second {
		t.Errorf("mirrored after %v, before the 4 s delay", time.Since(start))
	}
	if w.x.Posts() != 1 || w.textOn(ax, parts[0]) != "fixed" {
		t.Errorf("X holds %d posts; the deleted one must never have been posted", w.x.Posts())
	}
	if !w.obs.skippedWith("deleted at the source before it was mirrored") {
		t.Errorf("the settled delete was not recorded: %s", w.obs.summary())
	}
}

func TestStartDateMirrorsOlderPosts(t *testing.T) {
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x], start: 2020-01-01}"})
	old := w.m.Alice().Post(mastodontest.PostOpts{Text: "made before the bridge ran"})
	w.start()
	w.waitMirror(am, old, ax)
}

func TestStartNowSkipsOlderPosts(t *testing.T) {
	var past atomic.Bool
	past.Store(true)
	clock := func() time.Time {
		if past.Load() {
			return time.Now().Add(-time.Minute)
		}
		return time.Now()
	}
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x]}", mopt: mastodontest.Options{Now: clock}})
	old := w.m.Alice().Post(mastodontest.PostOpts{Text: "made a minute before the bridge ran"})
	past.Store(false)
	w.start()
	fresh := w.m.Alice().Post(mastodontest.PostOpts{Text: "made after"})
	w.waitMirror(am, fresh, ax)
	if parts := w.mirror(am, old, ax); parts != nil {
		t.Errorf("a post made before the link started was mirrored")
	}
}
