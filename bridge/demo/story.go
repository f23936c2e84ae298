package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/providers/mastodon/mastodontest"
	"github.com/dualpower/dualpower/providers/providertest"
	"github.com/dualpower/dualpower/providers/twitter/twittertest"
	"github.com/dualpower/dualpower/store"
)

// The story's texts. The long toot fits Mastodon's 500 characters but
// weighs more than X's 280, so it becomes a thread there.
const (
	plainText  = "Hello from Mastodon! This toot is mirrored to X by dualpower."
	editedText = "Hello from Mastodon! This toot is mirrored to X by dualpower, and so is this edit."
	longText   = "Why mirror at all? Because the people we want to reach are spread over two networks, and most of them will not move just because we did.\n\n" +
		"So every toot goes to X as well, and every post on X comes back here. Threads stay threads, edits and deletes follow, and nothing is posted twice.\n\n" +
		"This toot is too long for one post on X, so there it becomes a thread, cut where a reader would pause."
	cwWarning     = "Finale spoilers"
	cwText        = "The butler did it, and the cat knew all along."
	mentionText   = "Thanks to @bob@other.example for the photos! Cross-posted by me, @alice@social.example."
	imageText     = "Our banner for Saturday."
	imageAlt      = "A red square on a white ground: the banner we will carry on Saturday."
	xText         = "Hello from X! Posted on X, mirrored to Mastodon."
	downTootText  = "Posted on Mastodon while the bridge was down."
	downXPostText = "Posted on X while the bridge was down."
)

// story plays every beat in order. An error ends the story: the engine did
// not settle a beat, or a fake refused alice. What the networks show that
// the story did not expect is a problem, noted and reported at the end.
func (d *demo) story(ctx context.Context) error {
	plain, err := d.toot(ctx, "1. A plain toot", mastodontest.PostOpts{Text: plainText}, nil)
	if err != nil {
		return err
	}
	if parts := d.check(plain, xAccount, "the plain toot is one post on X"); len(parts) == 1 {
		d.expectText(xAccount, parts[0], plainText)
	}

	long, err := d.toot(ctx, "2. A long toot becomes a thread on X", mastodontest.PostOpts{Text: longText}, d.weightsOnX(longText))
	if err != nil {
		return err
	}
	longParts := d.check(long, xAccount, "the long toot is on X")
	if len(longParts) < 2 {
		d.problem("the long toot became %d posts on X, want a thread of at least 2", len(longParts))
	}

	cw, err := d.toot(ctx, "3. A toot behind a content warning is skipped", mastodontest.PostOpts{Text: cwText, SpoilerText: cwWarning}, nil)
	if err != nil {
		return err
	}
	if ts := d.target(cw, xAccount); ts.State != store.PostSkipped {
		d.problem("the content-warned toot is %s on X, want skipped", ts.State)
	}

	mention, err := d.toot(ctx, "4. Mentions are rewritten, so nobody else is pinged on X", mastodontest.PostOpts{Text: mentionText}, d.mentionsOnX)
	if err != nil {
		return err
	}
	d.check(mention, xAccount, "the toot with mentions is on X")

	image, err := d.toot(ctx, "5. An image keeps its alt text", mastodontest.PostOpts{Text: imageText, Media: []mastodontest.MediaOpts{
		{Type: "image", Data: mastodontest.PNG(), ContentType: "image/png", Description: imageAlt},
	}}, nil)
	if err != nil {
		return err
	}
	if parts := d.check(image, xAccount, "the image toot is on X"); len(parts) == 1 {
		if s, ok := d.x.Lookup(parts[0]); !ok || len(s.MediaAlts) != 1 || s.MediaAlts[0] != imageAlt {
			d.problem("the image on X has alt texts %q, want %q", s.MediaAlts, imageAlt)
		}
	}

	if err := d.edit(ctx, plain); err != nil {
		return err
	}
	if err := d.remove(ctx, long, longParts); err != nil {
		return err
	}
	if _, err := d.xPost(ctx); err != nil {
		return err
	}
	return d.restart(ctx)
}

// toot posts as alice on Mastodon, waits until the engine settles it on
// X, and prints both sides; extra, when set, adds lines to X's side.
func (d *demo) toot(ctx context.Context, title string, o mastodontest.PostOpts, extra func(context.Context, []string) []string) (providers.Ref, error) {
	mark := d.obs.mark()
	id, err := d.m.Alice().TryPost(o)
	if err != nil {
		return providers.Ref{}, fmt.Errorf("%s: %w", title, err)
	}
	ref := d.origin(mastodonAccount, id)
	if _, err := d.obs.await(ctx, d.limit, mark, want{xAccount, store.Publish}); err != nil {
		return ref, fmt.Errorf("%s: %w", title, err)
	}
	left := []string{"alice toots:"}
	if o.SpoilerText != "" {
		left = []string{"alice toots, behind a content", "warning:", "  CW: " + o.SpoilerText}
	}
	left = append(left, quoted(o.Text)...)
	for _, m := range o.Media {
		left = append(left, fmt.Sprintf("  [%s] alt: %s", m.Type, m.Description))
	}
	right, parts := d.mirrorLines(ref, xAccount)
	if extra != nil && len(parts) > 0 {
		right = append(right, extra(ctx, parts)...)
	}
	d.out.heading(title)
	d.out.columns(left, right)
	return ref, nil
}

// weightsOnX returns the extra lines of a thread's beat: what text weighs
// by X's own measure (twitter-text, through the X adapter's limits) and
// what each part weighs. A part over the limit is a problem.
func (d *demo) weightsOnX(text string) func(context.Context, []string) []string {
	return func(ctx context.Context, parts []string) []string {
		l, err := d.xp.Limits(ctx)
		if err != nil || l.Length == nil {
			d.problem("reading X's limits: %v", err)
			return nil
		}
		var ws []string
		for i, id := range parts {
			w := l.Length(d.text(xAccount, id))
			if w > l.MaxLength {
				d.problem("part %d on X weighs %d, over X's %d", i+1, w, l.MaxLength)
			}
			ws = append(ws, fmt.Sprint(w))
		}
		return []string{fmt.Sprintf("The toot weighs %d by X's count, over its %d; the parts weigh %s.",
			l.Length(text), l.MaxLength, strings.Join(ws, " and "))}
	}
}

// mentionsOnX says whom the first part of a mirror on X mentions, as X's
// own entities say (read back through the X adapter).
func (d *demo) mentionsOnX(ctx context.Context, parts []string) []string {
	f, ok := d.xp.(providers.Fetcher)
	if !ok {
		return nil
	}
	p, err := f.Fetch(ctx, parts[0])
	if err != nil {
		d.problem("reading the mirror back from X: %v", err)
		return nil
	}
	var handles []string
	for _, m := range p.Mentions {
		h := "@" + strings.TrimPrefix(m.Handle, "@")
		handles = append(handles, h)
		if !strings.EqualFold(h, "@alice") {
			d.problem("the mirror on X mentions %s, who is not alice", h)
		}
	}
	if len(handles) == 0 {
		return []string{"X links no mention in it: nobody is pinged."}
	}
	return []string{"X links only " + strings.Join(handles, ", ") + ", alice herself, through the identity map; @bob@other.example stays plain text, so no bob on X is pinged."}
}

// edit changes the plain toot and waits for its mirror on X to follow.
func (d *demo) edit(ctx context.Context, plain providers.Ref) error {
	const title = "6. An edit follows"
	before, _ := d.mirrorParts(plain, xAccount)
	mark := d.obs.mark()
	if err := d.m.Alice().TryEdit(plain.ID, mastodontest.PostOpts{Text: editedText}); err != nil {
		return fmt.Errorf("%s: %w", title, err)
	}
	if _, err := d.obs.await(ctx, d.limit, mark, want{xAccount, store.Edit}); err != nil {
		return fmt.Errorf("%s: %w", title, err)
	}
	left := append([]string{"alice edits toot 1 to:"}, quoted(editedText)...)
	right, parts := d.mirrorLines(plain, xAccount)
	if len(parts) == 1 {
		right[0] = "the mirror on X now says:"
		d.expectText(xAccount, parts[0], editedText)
		if len(before) == 1 && before[0] != parts[0] {
			right = append(right, "(X gives an edited post a new ID; the ledger knows both.)")
		}
	}
	d.out.heading(title)
	d.out.columns(left, right)
	return nil
}

// remove deletes the long toot and waits until every part of its thread is
// gone from X.
func (d *demo) remove(ctx context.Context, long providers.Ref, parts []string) error {
	const title = "7. A delete follows, every part of the thread"
	mark := d.obs.mark()
	if err := d.m.Alice().TryDelete(long.ID); err != nil {
		return fmt.Errorf("%s: %w", title, err)
	}
	if _, err := d.obs.await(ctx, d.limit, mark, want{xAccount, store.Delete}); err != nil {
		return fmt.Errorf("%s: %w", title, err)
	}
	var right []string
	for i, id := range parts {
		state := "deleted"
		if _, ok := d.x.Lookup(id); ok {
			state = "still there"
			d.problem("part %d of the long toot's thread is still on X", i+1)
		}
		right = append(right, fmt.Sprintf("post %d of %d: %s", i+1, len(parts), state))
	}
	d.out.heading(title)
	d.out.columns([]string{"alice deletes toot 2."}, right)
	return nil
}

// xPost posts as alice on X and waits for its mirror on Mastodon.
func (d *demo) xPost(ctx context.Context) (providers.Ref, error) {
	const title = "8. A post on X comes to Mastodon"
	mark := d.obs.mark()
	id, err := d.x.Alice().TryPost(twittertest.PostOpts{Text: xText})
	if err != nil {
		return providers.Ref{}, fmt.Errorf("%s: %w", title, err)
	}
	ref := d.origin(xAccount, id)
	if _, err := d.obs.await(ctx, d.limit, mark, want{mastodonAccount, store.Publish}); err != nil {
		return ref, fmt.Errorf("%s: %w", title, err)
	}
	left, parts := d.mirrorLines(ref, mastodonAccount)
	if len(parts) == 1 {
		d.expectText(mastodonAccount, parts[0], xText)
	} else {
		d.problem("the post on X became %d toots, want 1", len(parts))
	}
	d.out.heading(title)
	d.out.columns(left, append([]string{"alice posts on X:"}, quoted(xText)...))
	return ref, nil
}

// origin records a post alice made and returns its ref.
func (d *demo) origin(account, id string) providers.Ref {
	ref := providers.Ref{Account: account, ID: id}
	d.origins = append(d.origins, ref)
	return ref
}

// target is an origin's state on a target account, as the ledger has it.
func (d *demo) target(origin providers.Ref, target string) store.TargetState {
	p, ok, err := d.st.Lookup(origin)
	if err != nil {
		d.problem("ledger: %v", err)
	}
	if !ok {
		return store.TargetState{}
	}
	return p.Targets[target]
}

// mirrorParts returns the native IDs of origin's live mirror on target.
func (d *demo) mirrorParts(origin providers.Ref, target string) ([]string, error) {
	m, ok, err := d.st.MirrorOn(origin, target)
	if err != nil || !ok || m.State != store.PostPosted {
		return nil, err
	}
	return m.Parts, nil
}

// check returns the parts of origin's mirror on target, noting a problem
// (what) when there is none.
func (d *demo) check(origin providers.Ref, target, what string) []string {
	parts, err := d.mirrorParts(origin, target)
	if err != nil {
		d.problem("ledger: %v", err)
	}
	if len(parts) == 0 {
		ts := d.target(origin, target)
		d.problem("%s: it is %s there (%s)", what, ts.State, ts.Reason)
	}
	return parts
}

// expectText notes a problem unless the post holds text.
func (d *demo) expectText(account, id, text string) {
	if got := d.text(account, id); got != text {
		d.problem("%s post %s says %q, want %q", account, id, got, text)
	}
}

// text is what the fake of account holds for post id; "" when gone.
func (d *demo) text(account, id string) string {
	s, _ := d.lookup(account, id)
	return s.Text
}

// lookup is what the fake of account holds for post id.
func (d *demo) lookup(account, id string) (providertest.Stored, bool) {
	if account == xAccount {
		return d.x.Lookup(id)
	}
	return d.m.Lookup(id)
}

// mirrorLines describes what origin became on target, from the ledger and
// the fake network: the parts and their text and media, or the skip or
// failure and its reason. It also returns the parts.
func (d *demo) mirrorLines(origin providers.Ref, target string) ([]string, []string) {
	ts := d.target(origin, target)
	switch ts.State {
	case store.PostSkipped:
		return []string{"skipped, as the ledger records:", "  " + ts.Reason}, nil
	case store.PostFailed:
		return []string{"failed, as the ledger records:", "  " + ts.Reason}, nil
	case store.PostPosted:
	default:
		return []string{fmt.Sprintf("not mirrored: %s", ts.State)}, nil
	}
	parts, err := d.mirrorParts(origin, target)
	if err != nil || len(parts) == 0 {
		return []string{"the ledger has no mirror of it"}, nil
	}
	network := "X"
	if target == mastodonAccount {
		network = "Mastodon"
	}
	var out []string
	if len(parts) == 1 {
		out = append(out, "mirrored on "+network+":")
	} else {
		out = append(out, fmt.Sprintf("mirrored on %s as a thread of %d:", network, len(parts)))
	}
	for i, id := range parts {
		s, ok := d.lookup(target, id)
		if !ok {
			out = append(out, fmt.Sprintf("  (post %s is missing)", id))
			d.problem("the ledger's mirror part %s is not on %s", id, network)
			continue
		}
		if len(parts) > 1 {
			label := fmt.Sprintf("post %d of %d", i+1, len(parts))
			if i > 0 && s.ReplyTo == parts[i-1] {
				label += fmt.Sprintf(", a reply to %d", i)
			}
			out = append(out, label+":")
		}
		if s.ContentWarning != "" {
			out = append(out, "  CW: "+s.ContentWarning)
		}
		out = append(out, quoted(s.Text)...)
		for j, alt := range s.MediaAlts {
			typ := "media"
			if j < len(s.MediaTypes) {
				typ = s.MediaTypes[j]
			}
			out = append(out, fmt.Sprintf("  [%s] alt: %s", typ, alt))
		}
	}
	return out, parts
}

func (d *demo) problem(format string, args ...any) {
	err := fmt.Errorf(format, args...)
	d.problems = append(d.problems, err)
	d.out.note("✗ " + err.Error())
}
