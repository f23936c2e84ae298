package bridge

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/providers/mastodon/mastodontest"
	"github.com/dualpower/dualpower/providers/twitter/twittertest"
	"github.com/dualpower/dualpower/store"
)

// xAccount is a config entry for another account on the fake X.
func xAccount(name string, x *twittertest.Server, u *twittertest.User, extra string) string {
	return fmt.Sprintf(`  %s:
    network: twitter
    api_base: %s
    consumer_key: %s
    consumer_secret: %s
    access_token: %s
    access_token_secret: %s
    poll: ""
%s`, name, x.URL(), x.ConsumerKey(), x.ConsumerSecret(), u.Token(), u.TokenSecret(), indent(extra, "    "))
}

// TestRevokedTokenPausesOnlyThatAccount: alice's X token is revoked; her
// account pauses with the reason and holds its work, bob's goes on; once
// the config carries working credentials and the engine restarts (as on
// SIGHUP), the held work goes out.
func TestRevokedTokenPausesOnlyThatAccount(t *testing.T) {
	var bob *twittertest.User
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x, bob-x]}",
		setup: func(w *world) {
			bob = w.x.CreateUser("bob")
			w.accts = xAccount("bob-x", w.x, bob, "")
		}})
	w.start()
	w.x.Revoke()
	id := w.m.Alice().Post(mastodontest.PostOpts{Text: "for everyone"})
	w.waitMirror(am, id, "bob-x")
	w.waitFor("alice-x to pause", func() bool {
		st, _ := w.st.Account(ax)
		return st.Paused
	})
	st, _ := w.st.Account(ax)
	if !strings.Contains(st.PausedWhy, "auth") {
		t.Errorf("paused because %q", st.PausedWhy)
	}
	if pending, _ := w.st.Pending(ax); len(pending) != 1 {
		t.Errorf("alice-x holds %d intents, want 1", len(pending))
	}
	// bob goes on while alice is paused.
	id2 := w.m.Alice().Post(mastodontest.PostOpts{Text: "still for everyone"})
	w.waitMirror(am, id2, "bob-x")
	w.stop()

	// The fix: alice-x now has working credentials (a new account on the
	// fake stands in for a new token).
	alice2 := w.x.CreateUser("alice_two")
	w.cfg.Accounts[ax].Secrets["access_token"] = providers.Secret(alice2.Token())
	w.cfg.Accounts[ax].Secrets["access_token_secret"] = providers.Secret(alice2.TokenSecret())
	w.start()
	w.waitMirror(am, id, ax)
	w.waitMirror(am, id2, ax)
	if st, _ := w.st.Account(ax); st.Paused {
		t.Errorf("alice-x is still paused: %q", st.PausedWhy)
	}
	if n := alice2.PostCount(); n != 2 {
		t.Errorf("the fixed account holds %d posts, want 2", n)
	}
}

// TestDailyCapHoldsWork: posts_per_day 2 lets two posts out and holds the
// third with the reason; spend is counted at X's prices.
func TestDailyCapHoldsWork(t *testing.T) {
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x]}", xExtra: "limits: {posts_per_day: 2}"})
	w.start()
	for i := range 2 {
		w.m.Alice().Post(mastodontest.PostOpts{Text: fmt.Sprintf("post %d", i)})
	}
	w.m.Alice().Post(mastodontest.PostOpts{Text: "a link costs more: https://example.com/"})
	w.waitFor("two posts out", func() bool { return w.obs.count("publish") == 2 })
	w.waitFor("the third held", func() bool {
		p, _ := w.st.Pending(ax)
		return len(p) == 1 && strings.Contains(p[0].LastError, "posts_per_day")
	})
	p, _ := w.st.Pending(ax)
	if !p[0].NextAttempt.After(time.Now().Add(-time.Minute)) || p[0].NextAttempt.Hour() != 0 {
		t.Errorf("held until %v, want the next UTC midnight", p[0].NextAttempt)
	}
	st, _ := w.st.Account(ax)
	if st.DayPosts != 2 || st.MonthSpend != 30000 {
		t.Errorf("counted %d posts and %d µ$ today, want 2 and 30000 (2 × $0.015)", st.DayPosts, st.MonthSpend)
	}
	if w.x.Posts() != 2 {
		t.Errorf("X holds %d posts", w.x.Posts())
	}
}

// TestBudgetPricesURLs: a post with a URL is priced at the URL price and a
// budget that cannot cover it holds it.
func TestBudgetPricesURLs(t *testing.T) {
	w := newWorld(t, worldOpt{links: "  m2x: {from: alice-mastodon, to: [alice-x]}", xExtra: "budget: {usd_per_month: 0.25}"})
	w.start()
	w.m.Alice().Post(mastodontest.PostOpts{Text: "see https://example.com/one"})
	w.m.Alice().Post(mastodontest.PostOpts{Text: "see https://example.com/two"})
	w.waitFor("one out, one held", func() bool {
		p, _ := w.st.Pending(ax)
		return w.obs.count("publish") == 1 && len(p) == 1 && strings.Contains(p[0].LastError, "budget")
	})
	st, _ := w.st.Account(ax)
	if st.MonthSpend != 200000 {
		t.Errorf("spent %d µ$, want 200000 ($0.20 for a post with a URL)", st.MonthSpend)
	}
}

// TestEditsWhereXCannotAreRecorded: without can_edit an edit is recorded as
// not mirrored; with it, the X post is edited through edit_options and the
// new version's echo is dropped.
func TestEditsOnX(t *testing.T) {
	for _, canEdit := range []bool{false, true} {
		t.Run(fmt.Sprint("can_edit=", canEdit), func(t *testing.T) {
			w := newWorld(t, worldOpt{links: bothWays, xExtra: fmt.Sprintf("can_edit: %q", fmt.Sprint(canEdit)),
				xopt: twittertest.Options{CanEdit: canEdit}})
			w.start()
			id := w.m.Alice().Post(mastodontest.PostOpts{Text: "first version"})
			parts := w.waitMirror(am, id, ax)
			w.m.Alice().Edit(id, mastodontest.PostOpts{Text: "second version"})
			if !canEdit {
				w.waitFor("the edit to be recorded as not mirrored", func() bool { return w.obs.skippedWith("cannot edit") })
				if got := w.textOn(ax, parts[0]); got != "first version" {
					t.Errorf("X says %q", got)
				}
				return
			}
			w.waitFor("the X edit", func() bool { return w.obs.count("edit") == 1 })
			now := w.mirror(am, id, ax)
			if now[0] == parts[0] {
				t.Fatalf("the mirror's ID did not change; X edits make a new ID")
			}
			if got := w.textOn(ax, now[0]); got != "second version" {
				t.Errorf("X says %q", got)
			}
			// The new version comes back through the X poll as an edit of
			// a mirror: dropped, and nothing is echoed to Mastodon.
			w.waitFor("the echo of the edit", func() bool { return w.obs.saw(ax, parts[0], true) })
			if s, _ := w.m.Lookup(id); s.EditCount != 1 || w.m.Posts() != 1 {
				t.Errorf("mastodon: %d edits, %d posts", s.EditCount, w.m.Posts())
			}
		})
	}
}

// TestAnnouncementOncePerFiring: a scheduled announcement is posted once
// per firing, and a restart within the same firing does not repeat it.
func TestAnnouncementOncePerFiring(t *testing.T) {
	fixed := time.Date(2027, 1, 4, 10, 0, 0, 0, time.UTC)
	w := newWorld(t, worldOpt{
		links: "  m2x: {from: alice-mastodon, to: [alice-x]}",
		extra: "announcements:\n  moving:\n    account: alice-x\n    schedule: \"@every 1s\"\n    text: \"We are moving: follow us at @alice@social.example\"\n",
	})
	w.now = func() time.Time { return fixed }
	w.start()
	w.waitFor("the announcement", func() bool { return w.obs.count("announce") == 1 })
	w.stop()
	w.start()
	// Later firings in the same (frozen) minute are the same firing.
	w.waitFor("a later firing to be dropped as known", func() bool {
		return w.obs.saw("announcement:moving", fixed.Format(time.RFC3339), true)
	})
	if n := w.x.Posts(); n != 1 {
		t.Errorf("X holds %d announcements, want 1", n)
	}
	ids := w.x.Alice().Statuses()
	if got := w.textOn(ax, ids[0]); !strings.HasPrefix(got, "We are moving") {
		t.Errorf("X says %q", got)
	}
	_ = store.Announce
}
