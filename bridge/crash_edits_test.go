package bridge

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/providers/mastodon/mastodontest"
	"github.com/dualpower/dualpower/providers/twitter/twittertest"
	"github.com/dualpower/dualpower/store"
)

// TestCrashEditsAndDeletes kills the engine process while it mirrors edits
// and deletes to X, where an edit is a new post that cannot be sent twice:
// once after X made an edit but before the answer came, once before X saw
// one, once more after. Every edit must land exactly once (one new version
// each, none refused and recorded as not mirrored) and every delete must
// take its mirror, whichever process heard of it; events the killed
// process never recorded are found by the next one's catch-up (Resume).
func TestCrashEditsAndDeletes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	m := mastodontest.New(t, mastodontest.Options{})
	x := twittertest.New(t, twittertest.Options{CanEdit: true})
	signal := make(chan struct{}, 1)
	xp := newCrashProxy(t, x.URL(), signal)
	dir := t.TempDir()
	yaml := childConfig(dir, m.URL(), m.Token(), xp.srv.URL, x, "can_edit: \"true\"\npoll: \"\"", "  m2x: {from: alice-mastodon, to: [alice-x]}\n")
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	// waitX waits, on the proxy's signal, until cond holds.
	waitX := func(what string, exited <-chan struct{}, cond func() bool) {
		t.Helper()
		deadline := time.After(90 * time.Second)
		for !cond() {
			select {
			case <-signal:
			case <-exited:
				if !cond() {
					t.Fatalf("the child exited while waiting for %s; log:\n%s", what, tail(readLog(dir)))
				}
			case <-deadline:
				t.Fatalf("timed out waiting for %s: X holds %d posts; log:\n%s", what, x.Posts(), tail(readLog(dir)))
			}
		}
	}

	child := startChild(t, path, dir)
	defer func() { child.kill() }()
	var toots []string
	for i := range 6 {
		toots = append(toots, m.Alice().Post(mastodontest.PostOpts{Text: fmt.Sprintf("Toot %d as first written", i+1)}))
	}
	waitX("the six mirrors", child.exited, func() bool { return x.Posts() == 6 })

	edited := func(i int) string { return fmt.Sprintf("Toot %d, edited", i+1) }
	plans := []killPlan{{1, true}, {2, false}, {2, true}}
	for i, plan := range plans {
		killed := make(chan struct{})
		c := child
		xp.arm(&plan, func() {
			c.cmd.Process.Signal(syscall.SIGKILL)
			close(killed)
		})
		if i == 0 {
			for j := range 4 {
				m.Alice().Edit(toots[j], mastodontest.PostOpts{Text: edited(j)})
			}
			m.Alice().Delete(toots[4])
			m.Alice().Delete(toots[5])
		}
		select {
		case <-child.exited:
			<-killed
			t.Logf("killed at X write %d (after X answered: %v)", plan.n, plan.after)
		case <-time.After(60 * time.Second):
			t.Fatalf("kill %d never came; log:\n%s", i+1, tail(readLog(dir)))
		}
		child = startChild(t, path, dir)
	}
	xp.arm(nil, nil)

	mirrorText := func(j int) (providers.Ref, string, int) {
		// Read through the fake: the ledger is the child's while it runs.
		for _, id := range x.Alice().Statuses() {
			if s, ok := x.Lookup(id); ok && strings.HasPrefix(s.Text, fmt.Sprintf("Toot %d", j+1)) {
				return providers.Ref{Account: ax, ID: id}, s.Text, s.EditCount
			}
		}
		return providers.Ref{}, "", 0
	}
	waitX("every edit and delete", child.exited, func() bool {
		if x.Posts() != 4 {
			return false
		}
		for j := range 4 {
			if _, text, _ := mirrorText(j); text != edited(j) {
				return false
			}
		}
		return true
	})
	child.stop()

	for j := range 4 {
		ref, text, edits := mirrorText(j)
		if text != edited(j) || edits != 1 {
			t.Errorf("the mirror of toot %d says %q after %d edits, want %q after 1", j+1, text, edits, edited(j))
		}
		st, err := store.Open(filepath.Join(dir, "ledger.db"), store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		mirror, ok, err := st.MirrorOn(providers.Ref{Account: am, ID: toots[j]}, ax)
		st.Close()
		if err != nil || !ok || mirror.Parts[0] != ref.ID {
			t.Errorf("the ledger's mirror of toot %d is %v (%v, %v), want the current version %s", j+1, mirror.Parts, ok, err, ref.ID)
		}
	}
	st, err := store.Open(filepath.Join(dir, "ledger.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if probs, err := st.Verify(); err != nil || len(probs) > 0 {
		t.Errorf("ledger verify: %v %v", probs, err)
	}
	for j := 4; j < 6; j++ {
		if mirror, ok, _ := st.MirrorOn(providers.Ref{Account: am, ID: toots[j]}, ax); !ok || mirror.State != store.PostDeleted {
			t.Errorf("the mirror of deleted toot %d is %v in the ledger, want deleted", j+1, mirror.State)
		}
	}
	log := readLog(dir)
	if n := strings.Count(log, "reconciling work left unfinished"); n < 2 {
		t.Errorf("the restarts reconciled %d unknown outcomes, want at least 2", n)
	}
	for _, bad := range []string{"failed for good", "edit not mirrored", "cannot record the outcome"} {
		if strings.Contains(log, bad) {
			t.Errorf("the log says %q", bad)
		}
	}
	if t.Failed() {
		t.Logf("log:\n%s", tail(log))
	}
}
