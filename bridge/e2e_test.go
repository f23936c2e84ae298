package bridge

import (
	"testing"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/providers/mastodon/mastodontest"
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
