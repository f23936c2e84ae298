package twitter_test

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
	"github.com/dualpower/dualpower/providers/twitter"
	"github.com/dualpower/dualpower/providers/twitter/twittertest"
)

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// noSecret fails when err's text carries one of the fake's credentials.
func noSecret(t *testing.T, fx *twittertest.Server, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range []string{fx.ConsumerSecret(), fx.TokenSecret(), fx.Token()} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error carries a credential: %v", err)
		}
	}
}

// TestReconcileAfterCrash: a publish whose answer was lost is found by a
// fresh provider (the process restarted), and publishing it again is
// refused as a duplicate, not posted twice.
func TestReconcileAfterCrash(t *testing.T) {
	fx := twittertest.New(t, twittertest.Options{})
	before := time.Now()
	first := newProvider(t, fx, nil)
	parent, err := first.Publish(ctx(t), providers.Draft{Text: "assembly notes, a thread"})
	if err != nil {
		t.Fatal(err)
	}
	d := providers.Draft{Key: "k-2", Text: "Part two: minutes at https://assembly.org/minutes?day=3&room=b and @alice thanks",
		ReplyTo: parent.ID, Mentions: []string{"alice"}}
	sent, err := first.Publish(ctx(t), d)
	if err != nil {
		t.Fatal(err)
	}

	// The process dies before recording sent; a new one reconciles.
	restarted := newProvider(t, fx, nil)
	got, ok, err := restarted.FindPublished(ctx(t), d, before)
	if err != nil || !ok || got.ID != sent.ID {
		t.Fatalf("FindPublished = %+v, %v, %v; want %s", got, ok, err, sent.ID)
	}
	if !strings.HasSuffix(got.URL, "/status/"+sent.ID) {
		t.Errorf("URL %q", got.URL)
	}
	// Blindly retrying would be refused as a duplicate.
	posts := fx.Posts()
	_, err = restarted.Publish(ctx(t), d)
	if !errors.Is(err, providers.ErrDuplicate) {
		t.Errorf("publishing again = %v, want Rejected/duplicate", err)
	}
	if fx.Posts() != posts {
		t.Error("the duplicate was posted")
	}
	noSecret(t, fx, err)
}

func TestReadsDeniedIsWriteOnly(t *testing.T) {
	fx := twittertest.New(t, twittertest.Options{ReadsDenied: true, XProblemHost: true})
	p := newProvider(t, fx, nil)
	if _, err := p.Verify(ctx(t)); err != nil {
		t.Fatalf("Verify = %v; a write-only app still knows its user", err)
	}
	before := fx.Requests()
	_, next, err := p.Poll(ctx(t), "1")
	readDenied := &providers.Error{Kind: providers.NotPermitted, Reason: providers.ReasonReadDenied}
	if !errors.Is(err, readDenied) || next != "1" {
		t.Fatalf("Poll = %q, %v; want NotPermitted/read denied", next, err)
	}
	if !strings.Contains(err.Error(), "this X app cannot read timelines; the account is write-only") {
		t.Errorf("err = %v", err)
	}
	if got := fx.Requests() - before; got != 1 {
		t.Errorf("Poll made %d requests, want 1: no retry loop", got)
	}
	if _, _, err := p.FindPublished(ctx(t), providers.Draft{Text: "x"}, time.Now()); !errors.Is(err, readDenied) {
		t.Errorf("FindPublished = %v, want NotPermitted/read denied", err)
	}
	if _, err := p.Publish(ctx(t), providers.Draft{Text: "still posting"}); err != nil {
		t.Errorf("Publish on a write-only app = %v", err)
	}
}

func TestMediaWithAltText(t *testing.T) {
	fx := twittertest.New(t, twittertest.Options{ProcessingPolls: 3})
	p := newProvider(t, fx, nil)
	var waited []time.Duration
	twitter.SetAfter(p, func(d time.Duration) <-chan time.Time {
		waited = append(waited, d)
		c := make(chan time.Time, 1)
		c <- time.Now()
		return c
	})
	img := redSquare(t)
	imgID, err := p.UploadMedia(ctx(t), providers.Upload{Type: providers.Image, ContentType: "image/png", Filename: "sq.png",
		Size: int64(len(img)), Body: bytes.NewReader(img), Alt: "a red square"})
	if err != nil {
		t.Fatal(err)
	}
	video := bytes.Repeat([]byte("not really an mp4 "), 5000)
	vidID, err := p.UploadMedia(ctx(t), providers.Upload{Type: providers.Video, ContentType: "video/mp4", Filename: "v.mp4",
		Size: int64(len(video)), Body: bytes.NewReader(video), Alt: strings.Repeat("long alt ", 200)})
	if err != nil {
		t.Fatal(err)
	}
	if len(waited) != 3 {
		t.Errorf("waited %v, want one wait per STATUS check (3)", waited)
	}
	// X takes up to 4 photos, or one video: two posts.
	pic, err := p.Publish(ctx(t), providers.Draft{Text: "a picture", MediaIDs: []string{imgID}})
	if err != nil {
		t.Fatal(err)
	}
	film, err := p.Publish(ctx(t), providers.Draft{Text: "a film", MediaIDs: []string{vidID}})
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := fx.Lookup(pic.ID); !ok || len(st.MediaAlts) != 1 || st.MediaAlts[0] != "a red square" || st.MediaTypes[0] != "image" {
		t.Errorf("the network holds %+v", st)
	}
	if st, ok := fx.Lookup(film.ID); !ok || len(st.MediaAlts) != 1 || len([]rune(st.MediaAlts[0])) != 1000 || st.MediaTypes[0] != "video" {
		t.Errorf("the network holds %+v; want the video with its alt text cut to 1000", st)
	}
	post, err := p.Fetch(ctx(t), pic.ID)
	if err != nil {
		t.Fatal(err)
	}
	if post.Text != "a picture" || len(post.Media) != 1 || post.Media[0].Type != providers.Image || post.Media[0].Alt != "a red square" {
		t.Errorf("Fetch = %q %+v", post.Text, post.Media)
	}
	post, err = p.Fetch(ctx(t), film.ID)
	if err != nil {
		t.Fatal(err)
	}
	if post.Text != "a film" || len(post.Media) != 1 || post.Media[0].Type != providers.Video || post.Media[0].ContentType != "video/mp4" ||
		!strings.HasPrefix(post.Media[0].URL, "http") {
		t.Errorf("Fetch = %q %+v", post.Text, post.Media)
	}

	// Sensitive media are marked before the post is made.
	img2 := redSquare(t)
	sensID, err := p.UploadMedia(ctx(t), providers.Upload{Type: providers.Image, ContentType: "image/png", Size: int64(len(img2)), Body: bytes.NewReader(img2), Alt: "cw"})
	if err != nil {
		t.Fatal(err)
	}
	cw, err := p.Publish(ctx(t), providers.Draft{Text: "CW: flashing", Sensitive: true, MediaIDs: []string{sensID}})
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := fx.Lookup(cw.ID); !ok || !st.Sensitive || len(st.MediaAlts) != 1 || st.MediaAlts[0] != "cw" {
		t.Errorf("the network holds %+v; want sensitive media keeping their alt text", st)
	}
	if post, err := p.Fetch(ctx(t), cw.ID); err != nil || !post.Sensitive || !post.Media[0].Sensitive {
		t.Errorf("Fetch = %+v, %v; want it sensitive", post, err)
	}

	fx.SetMediaProcessingFails(true)
	_, err = p.UploadMedia(ctx(t), providers.Upload{Type: providers.Video, ContentType: "video/mp4", Size: int64(len(video)), Body: bytes.NewReader(video)})
	if !errors.Is(err, &providers.Error{Kind: providers.Rejected, Reason: providers.ReasonInvalid}) {
		t.Errorf("a video X cannot process = %v, want Rejected/invalid", err)
	}
}

func TestEditWithEditOptions(t *testing.T) {
	fx := twittertest.New(t, twittertest.Options{CanEdit: true})
	p := newProvider(t, fx, map[string]string{"can_edit": "true"})
	_, cur, err := p.Poll(ctx(t), "")
	if err != nil {
		t.Fatal(err)
	}
	orig, err := p.Publish(ctx(t), providers.Draft{Text: "meeting on Tuesday"})
	if err != nil {
		t.Fatal(err)
	}
	ed, err := p.Edit(ctx(t), orig.ID, providers.Draft{Text: "meeting on Thursday"})
	if err != nil {
		t.Fatal(err)
	}
	if ed.ID == orig.ID {
		t.Fatal("an X edit keeps its ID")
	}
	st, ok := fx.Lookup(ed.ID)
	if !ok || st.Text != "meeting on Thursday" || st.EditCount != 1 {
		t.Errorf("the network holds %+v", st)
	}
	evs, _, err := p.Poll(ctx(t), cur)
	if err != nil {
		t.Fatal(err)
	}
	var edited *providers.Event
	for i := range evs {
		if evs[i].Kind == providers.Edited {
			edited = &evs[i]
		}
	}
	if edited == nil || edited.Ref.ID != orig.ID || edited.Post.Ref.ID != ed.ID || edited.Post.Text != "meeting on Thursday" {
		t.Errorf("Poll after the edit = %+v; want an Edited event keyed on %s carrying %s", evs, orig.ID, ed.ID)
	}

	// Without can_edit nothing is sent.
	plain := newProvider(t, fx, nil)
	before := fx.Requests()
	if _, err := plain.Edit(ctx(t), ed.ID, providers.Draft{Text: "x"}); !errors.Is(err, &providers.Error{Kind: providers.NotPermitted, Reason: providers.ReasonEditDenied}) {
		t.Errorf("Edit without can_edit = %v", err)
	}
	if fx.Requests() != before {
		t.Error("Edit without can_edit sent a request")
	}
}

func TestRefusalsFromX(t *testing.T) {
	fx := twittertest.New(t, twittertest.Options{})
	p := newProvider(t, fx, nil)
	bob := fx.CreateUser("bob")
	theirs := bob.Post(twittertest.PostOpts{Text: "a post by bob"})

	fx.SetReplyNotAllowed(true)
	_, err := p.Publish(ctx(t), providers.Draft{Text: "a reply", ReplyTo: theirs})
	if !errors.Is(err, providers.ErrReplyRefused) {
		t.Errorf("reply refused = %v, want Rejected/reply not allowed", err)
	}
	fx.SetReplyNotAllowed(false)

	bob.Delete(theirs)
	_, err = p.Publish(ctx(t), providers.Draft{Text: "a reply to a gone post", ReplyTo: theirs})
	if !errors.Is(err, providers.ErrReplyRefused) {
		t.Errorf("reply to a deleted post = %v, want Rejected/reply not allowed", err)
	}

	_, err = p.Publish(ctx(t), providers.Draft{Text: strings.Repeat("long ", 60)})
	if !errors.Is(err, &providers.Error{Kind: providers.Rejected, Reason: providers.ReasonInvalid}) {
		t.Errorf("too long = %v, want Rejected/invalid", err)
	}

	fx.SetUsageCapped(true)
	_, err = p.Publish(ctx(t), providers.Draft{Text: "over the cap"})
	if !errors.Is(err, providers.ErrQuota) || providers.ResetOf(err).Before(time.Now()) {
		t.Errorf("usage capped = %v, want Quota with a future reset", err)
	}
	fx.SetUsageCapped(false)

	if _, err := p.Publish(ctx(t), providers.Draft{Text: "counted"}); err != nil {
		t.Fatal(err)
	}
	if rem, reset := p.RateLimit(); rem < 0 || reset.IsZero() {
		t.Errorf("RateLimit = %d, %v after answers with rate headers", rem, reset)
	}
	fx.Revoke()
	_, err = p.Publish(ctx(t), providers.Draft{Text: "revoked"})
	if !errors.Is(err, providers.ErrAuth) {
		t.Errorf("revoked = %v, want Auth", err)
	}
	noSecret(t, fx, err)
}

// TestPollRepostsQuotesAndEscapes reads back what the owner did in X's app:
// a retweet, a quote, a self-reply, and text X escapes.
func TestPollRepostsQuotesAndEscapes(t *testing.T) {
	fx := twittertest.New(t, twittertest.Options{})
	p := newProvider(t, fx, nil)
	_, cur, err := p.Poll(ctx(t), "")
	if err != nil {
		t.Fatal(err)
	}
	bob := fx.CreateUser("bob")
	theirs := bob.Post(twittertest.PostOpts{Text: "bread & roses, https://union.org/a"})
	rt := fx.Retweet(theirs)
	quote := fx.Post(twittertest.PostOpts{Text: "yes <this> & more, cc @bob #solidarity", QuoteOf: theirs})
	reply := fx.Post(twittertest.PostOpts{Text: "and one more thing", ReplyTo: quote})

	evs, next, err := p.Poll(ctx(t), cur)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[0].Ref.ID != rt || evs[1].Ref.ID != quote || evs[2].Ref.ID != reply || next != reply {
		t.Fatalf("Poll = %+v (next %s); want %s, %s, %s", evs, next, rt, quote, reply)
	}
	r := evs[0].Post.RepostOf
	if r == nil || r.ID != theirs || r.Author != "bob" || r.Self || r.Post == nil ||
		r.Post.Text != "bread & roses, https://union.org/a" || len(r.Post.Links) != 1 {
		t.Errorf("retweet: %+v post %+v", r, r.Post)
	}
	q := evs[1].Post
	if q.Text != "yes <this> & more, cc @bob #solidarity" || q.QuoteOf == nil || q.QuoteOf.ID != theirs ||
		len(q.Mentions) != 1 || q.Mentions[0].Handle != "bob" || len(q.Tags) != 1 {
		t.Errorf("quote: %q %+v %+v %+v", q.Text, q.QuoteOf, q.Mentions, q.Tags)
	}
	if m := q.Mentions; len(m) == 1 && q.Text[m[0].Start:m[0].End] != "@bob" {
		t.Errorf("mention points at %q", q.Text[m[0].Start:m[0].End])
	}
	if tg := q.Tags; len(tg) == 1 && q.Text[tg[0].Start:tg[0].End] != "#solidarity" {
		t.Errorf("tag points at %q", q.Text[tg[0].Start:tg[0].End])
	}
	if rp := evs[2].Post.ReplyTo; rp == nil || rp.ID != quote || !rp.Self {
		t.Errorf("self-reply: %+v", rp)
	}
	for _, ev := range evs {
		if ev.Post.Visibility != providers.Public || ev.Post.Created.IsZero() || !strings.Contains(ev.Post.URL, "/status/"+ev.Ref.ID) {
			t.Errorf("event %s: %+v", ev.Ref.ID, ev.Post)
		}
	}
}

// TestEditRefusedByX: an account configured as able to edit, on an app X
// does not let edit, gets a refusal it can act on; editing a deleted post
// is NotFound.
func TestEditRefusedByX(t *testing.T) {
	fx := twittertest.New(t, twittertest.Options{})
	p := newProvider(t, fx, map[string]string{"can_edit": "true"})
	pub, err := p.Publish(ctx(t), providers.Draft{Text: "typo hree"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Edit(ctx(t), pub.ID, providers.Draft{Text: "typo here"})
	if !errors.Is(err, &providers.Error{Kind: providers.Rejected, Reason: providers.ReasonEditDenied}) {
		t.Errorf("Edit on an app that cannot edit = %v, want Rejected/edit denied", err)
	}

	fx2 := twittertest.New(t, twittertest.Options{CanEdit: true})
	p2 := newProvider(t, fx2, map[string]string{"can_edit": "true"})
	gone := fx2.PostAsUser("soon deleted", "")
	fx2.DeleteAsUser(gone)
	if _, err := p2.Edit(ctx(t), gone, providers.Draft{Text: "too late"}); !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("Edit of a deleted post = %v, want NotFound", err)
	}
}

// TestRequestsAreSignedInHeaders: every request is signed with OAuth 1.0a
// HMAC-SHA1 in the Authorization header, and no credential travels in a
// URL.
func TestRequestsAreSignedInHeaders(t *testing.T) {
	fx := twittertest.New(t, twittertest.Options{})
	p := newProvider(t, fx, nil)
	if _, err := p.Verify(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Poll(ctx(t), ""); err != nil {
		t.Fatal(err)
	}
	img := redSquare(t)
	id, err := p.UploadMedia(ctx(t), providers.Upload{Type: providers.Image, ContentType: "image/png", Size: int64(len(img)), Body: bytes.NewReader(img), Alt: "sq"})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := p.Publish(ctx(t), providers.Draft{Text: "signed", MediaIDs: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Delete(ctx(t), pub.ID); err != nil {
		t.Fatal(err)
	}
	log := fx.RequestLog()
	if len(log) < 6 {
		t.Fatalf("%d requests logged", len(log))
	}
	for _, r := range log {
		if r.Status >= 400 {
			t.Errorf("%s %s answered %d", r.Method, r.Path, r.Status)
		}
		for _, q := range r.Query {
			if strings.HasPrefix(q, "oauth_") {
				t.Errorf("%s %s carries %s in its URL", r.Method, r.Path, q)
			}
		}
		for _, want := range []string{"oauth_consumer_key", "oauth_nonce", "oauth_signature", "oauth_signature_method", "oauth_timestamp", "oauth_token"} {
			if !slices.Contains(r.OAuthParams, want) {
				t.Errorf("%s %s: Authorization lacks %s (has %v)", r.Method, r.Path, want, r.OAuthParams)
			}
		}
		if !slices.Contains(r.Headers, "User-Agent") {
			t.Errorf("%s %s: no User-Agent", r.Method, r.Path)
		}
	}
}

// TestPollSinceTime: a first read from a time returns every post since
// then, even more than the newest page holds, oldest first.
func TestPollSinceTime(t *testing.T) {
	var mu sync.Mutex
	clock := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	tick := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	fx := twittertest.New(t, twittertest.Options{Now: now})
	p := newProvider(t, fx, nil)
	old := fx.PostAsUser("before the link started", "")
	tick(300 * time.Millisecond)
	since := now() // in the same second as old: only created_at tells them apart
	tick(time.Millisecond)
	var ids []string
	for i := range 12 {
		ids = append(ids, fx.PostAsUser(fmt.Sprintf("burst %d", i), ""))
		tick(time.Second)
	}
	evs, next, err := p.Poll(ctx(t), providers.SinceCursor(since))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		if ev.Ref.ID == old {
			t.Errorf("a post from before since was read: %s", old)
		}
		got = append(got, ev.Ref.ID)
	}
	if !slices.Equal(got, ids) || next != ids[len(ids)-1] {
		t.Errorf("Poll = %v next %s, want %v", got, next, ids)
	}
}

// TestEditRetriedAfterALostAnswer: an edit whose answer was lost made a
// new version; the retry, still naming the old ID, gets that version back
// without editing again, and a retry with other text edits the newest
// version rather than failing.
func TestEditRetriedAfterALostAnswer(t *testing.T) {
	fx := twittertest.New(t, twittertest.Options{CanEdit: true})
	p := newProvider(t, fx, map[string]string{"can_edit": "true"})
	orig, err := p.Publish(ctx(t), providers.Draft{Text: "meeting on Tuesday"})
	if err != nil {
		t.Fatal(err)
	}
	first, err := p.Edit(ctx(t), orig.ID, providers.Draft{Text: "meeting on Thursday"})
	if err != nil {
		t.Fatal(err)
	}
	// The answer above is "lost": the retry names the original again.
	again, err := p.Edit(ctx(t), orig.ID, providers.Draft{Text: "meeting on Thursday"})
	if err != nil || again.ID != first.ID {
		t.Fatalf("retried edit = %+v, %v; want the version the first attempt made, %s", again, err, first.ID)
	}
	if st, _ := fx.Lookup(first.ID); st.EditCount != 1 {
		t.Errorf("%d edits, want 1: the retry edited again", st.EditCount)
	}
	// A later edit that still names the original goes to the newest version.
	later, err := p.Edit(ctx(t), orig.ID, providers.Draft{Text: "meeting on Friday"})
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := fx.Lookup(later.ID); !ok || st.Text != "meeting on Friday" || st.EditCount != 2 {
		t.Errorf("the later edit made %+v (%v), want the third version saying Friday", st, ok)
	}
}
