package demo

import (
	"context"
	"fmt"
	"slices"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/providers/mastodon/mastodontest"
	"github.com/dualpower/dualpower/providers/twitter/twittertest"
	"github.com/dualpower/dualpower/store"
)

// writes counts the posts the bridge created on each fake network, from
// the fakes' own request logs: POST /api/v1/statuses on Mastodon, POST
// /2/tweets on X (an edit on X is such a post too).
type writes struct{ mastodon, x int }

func (d *demo) writes() writes {
	var w writes
	for _, r := range d.m.RequestLog() {
		if r.Method == "POST" && r.Path == "/api/v1/statuses" {
			w.mastodon++
		}
	}
	w.x = d.x.EndpointCounts()["POST /2/tweets"]
	return w
}

// restartState is what the ledger and the networks held when the engine
// stopped for the restart.
type restartState struct {
	mirrors map[providers.Ref][]string // each origin's mirror parts on the other network
	writes  writes
	known   int // source events dropped as known before the restart
	toot    providers.Ref
	xPost   providers.Ref
}

// restart stops the engine and closes the ledger, as stopping the daemon
// does; posts on both networks while it is down; starts it again on the
// same ledger; and waits for those two posts to be mirrored.
func (d *demo) restart(ctx context.Context) error {
	const title = "9. A restart: what was missed is mirrored, nothing twice"
	rs := &restartState{mirrors: map[providers.Ref][]string{}}
	for _, o := range d.origins {
		parts, err := d.mirrorParts(o, other(o.Account))
		if err != nil {
			return fmt.Errorf("%s: %w", title, err)
		}
		rs.mirrors[o] = parts
	}
	if err := d.stop(); err != nil {
		return fmt.Errorf("%s: stopping: %w", title, err)
	}
	rs.writes = d.writes()
	_, rs.known = d.obs.counts()

	id, err := d.m.Alice().TryPost(mastodontest.PostOpts{Text: downTootText})
	if err != nil {
		return fmt.Errorf("%s: %w", title, err)
	}
	rs.toot = d.origin(mastodonAccount, id)
	if id, err = d.x.Alice().TryPost(twittertest.PostOpts{Text: downXPostText}); err != nil {
		return fmt.Errorf("%s: %w", title, err)
	}
	rs.xPost = d.origin(xAccount, id)

	mark := d.obs.mark()
	if err := d.start(ctx); err != nil {
		return fmt.Errorf("%s: starting again: %w", title, err)
	}
	if _, err := d.obs.await(ctx, d.limit, mark, want{xAccount, store.Publish}, want{mastodonAccount, store.Publish}); err != nil {
		return fmt.Errorf("%s: %w", title, err)
	}
	d.restarted = rs
	d.out.heading(title)
	d.out.note("The bridge stops and closes its ledger. While it is down, alice toots once and posts once on X. Then the bridge starts again on the same ledger and catches up from where it stopped reading.")
	left := append([]string{"alice toots while it is down:"}, quoted(downTootText)...)
	right, _ := d.mirrorLines(rs.toot, xAccount)
	d.out.columns(left, right)
	d.out.columns([]string{""}, []string{""})
	left, _ = d.mirrorLines(rs.xPost, mastodonAccount)
	right = append([]string{"alice posts on X while it is down:"}, quoted(downXPostText)...)
	d.out.columns(left, right)
	return nil
}

// other is the account an origin of account is mirrored to.
func other(account string) string {
	if account == mastodonAccount {
		return xAccount
	}
	return mastodonAccount
}

// verify checks, with the engine stopped, that the networks hold exactly
// what the story made: each post alice made, and one mirror of each, and
// that the restart wrote nothing but the mirrors of the two new posts.
func (d *demo) verify() {
	d.out.heading("Exactly once")
	origins := map[providers.Ref]bool{}
	for _, o := range d.origins {
		origins[o] = true
	}
	clean := true
	for _, n := range []struct {
		account, network, other string
		ids                     []string
	}{
		{mastodonAccount, "Mastodon", "X", d.m.Alice().Statuses()},
		{xAccount, "X", "Mastodon", d.x.Alice().Statuses()},
	} {
		own, mirrored, stray := 0, 0, 0
		for _, id := range n.ids {
			ref := providers.Ref{Account: n.account, ID: id}
			if origins[ref] {
				own++
				continue
			}
			p, ok, err := d.st.Lookup(ref)
			if err == nil && ok && p.Role == store.Mirror && p.State == store.PostPosted && slices.Contains(p.Parts, id) {
				mirrored++
				continue
			}
			stray++
			d.problem("%s post %s is neither a post alice made nor a part of a mirror the ledger records", n.network, id)
		}
		want := 0
		for _, o := range d.origins {
			if parts, err := d.mirrorParts(o, n.account); err == nil && o.Account != n.account {
				want += len(parts)
			}
		}
		if mirrored != want {
			d.problem("%s holds %d mirror posts, the ledger records %d", n.network, mirrored, want)
		}
		if stray == 0 && mirrored == want {
			d.out.note(fmt.Sprintf("✓ %s holds %d posts: %d alice wrote there and %d %s of her posts on %s.",
				n.network, len(n.ids), own, mirrored, plural(mirrored, "mirror post", "mirror posts"), n.other))
		}
		clean = clean && stray == 0 && mirrored == want
	}
	if clean {
		d.out.note("✓ Every post on either network is one alice wrote or a part of the one mirror the ledger records for it: nothing is there twice.")
	}

	rs := d.restarted
	if rs == nil {
		return
	}
	changed := 0
	for o, before := range rs.mirrors {
		now, err := d.mirrorParts(o, other(o.Account))
		if err != nil || !slices.Equal(now, before) {
			changed++
			d.problem("after the restart %v has mirror %v on %s, before it had %v", o, now, other(o.Account), before)
		}
	}
	after := d.writes()
	newX, _ := d.mirrorParts(rs.toot, xAccount)
	newM, _ := d.mirrorParts(rs.xPost, mastodonAccount)
	dx, dm := after.x-rs.writes.x, after.mastodon-rs.writes.mastodon
	if dx != len(newX) || dm != len(newM) {
		d.problem("after the restart the bridge created %d posts on X and %d on Mastodon, want %d and %d (the new mirrors)", dx, dm, len(newX), len(newM))
	} else if changed == 0 {
		d.out.note(fmt.Sprintf("✓ After the restart it created %d %s on X and %d on Mastodon, the mirrors of the two posts made while it was down; nothing of the %d posts from before was posted again.",
			dx, plural(dx, "post", "posts"), dm, len(rs.mirrors)))
	}
	_, known := d.obs.counts()
	d.out.note(fmt.Sprintf("Each mirror also came back to the bridge from its own network and was recognised as its own: %d events were dropped as already known, %d of them after the restart.", known, known-rs.known))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
