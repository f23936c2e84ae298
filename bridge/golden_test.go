package bridge

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/providers/mastodon"
	"github.com/dualpower/dualpower/providers/mastodon/mastodontest"
	"github.com/dualpower/dualpower/providers/twitter"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestRenderGolden takes toots as the fake Mastodon renders them (HTML with
// shortened link displays, h-card mentions, hashtag links, custom emoji),
// reads them back through the Mastodon adapter and renders them for X with
// the X adapter's own measure, comparing the parts with golden files.
func TestRenderGolden(t *testing.T) {
	m := mastodontest.New(t, mastodontest.Options{MaxCharacters: 2000})
	m.CreateUser("bob")
	m.AddEmoji("blobcat")
	mp, err := mastodon.New(providers.Options{Account: am, Settings: map[string]string{"server": m.URL()},
		Secrets: map[string]providers.Secret{"access_token": providers.Secret(m.Token())}, UserAgent: "dualpower/test"})
	if err != nil {
		t.Fatal(err)
	}
	xp, err := twitter.New(providers.Options{Account: ax, Settings: map[string]string{"api_base": "http://127.0.0.1:1"},
		Secrets: map[string]providers.Secret{"consumer_key": "k", "consumer_secret": "s", "access_token": "t", "access_token_secret": "ts"}})
	if err != nil {
		t.Fatal(err)
	}
	limits, err := xp.Limits(t_ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	tgt := target{Network: "twitter", Limits: limits, Mentions: xp.MentionSpans}
	ids := NewIdentities(map[string]string{"@alice@social.example": "@alice_x"})

	var long strings.Builder
	for i := range 12 {
		fmt.Fprintf(&long, "Paragraph %d explains one more thing about the bridge, and why it matters to people who move. ", i)
		if i%3 == 2 {
			long.WriteString("\n\n")
		}
	}
	tests := []struct {
		name  string
		post  mastodontest.PostOpts
		rules func(*providers.Post) // unused hook for future cases
	}{
		{name: "link-and-tag", post: mastodontest.PostOpts{Text: "Read the design notes at https://example.com/a/rather/long/path/to/the/design/notes.html #dualpower #NoBridgeHere"}},
		{name: "mentions", post: mastodontest.PostOpts{Text: "Thanks @bob, @carol@other.example and me, @alice@social.example! Mail @nobody too."}},
		{name: "content-warning", post: mastodontest.PostOpts{Text: "The ending is sad.", SpoilerText: "film spoilers"}},
		{name: "line-breaks", post: mastodontest.PostOpts{Text: "First line\nsecond line\n\nA new paragraph with :blobcat: in it & <angle brackets>."}},
		{name: "long-thread", post: mastodontest.PostOpts{Text: strings.TrimSpace(long.String())}},
		{name: "cjk-and-emoji", post: mastodontest.PostOpts{Text: strings.Repeat("東京の天気は晴れです。👩‍👩‍👧‍👦 ", 12)}},
	}
	rules := defaultRules()
	rules.Sensitive = "warn"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := m.Alice().Post(tt.post)
			post, err := mp.Fetch(t_ctx(t), id)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Render(post, rules, ids, tgt)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			fmt.Fprintf(&b, "mentions meant: %q\n", r.Mentions)
			for i, p := range r.Parts {
				fmt.Fprintf(&b, "--- part %d (weight %d of %d)\n%s\n", i+1, limits.Length(p), limits.MaxLength, p)
				if limits.Length(p) > limits.MaxLength {
					t.Errorf("part %d is too heavy", i+1)
				}
				for _, sp := range xp.MentionSpans(p) {
					if !strings.EqualFold(sp.Handle, "alice_x") {
						t.Errorf("part %d would mention %q on X", i+1, sp.Handle)
					}
				}
			}
			golden(t, filepath.Join("testdata", "render", tt.name+".golden"), b.String())
		})
	}
}

// golden compares got with the file, or rewrites it with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
