package twitter

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dualpower/dualpower/providers"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// indentJSON renders v for a golden file, without HTML escapes so URLs
// stay readable.
func indentJSON(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s", name, got)
	}
}

// TestTimelineGolden converts a real-shaped timeline page: t.co links,
// mentions and hashtags after astral emoji, HTML escapes, photos with alt
// text, a video, a GIF, a retweet, a quote, an edit, a self-reply, a reply
// to someone else with offsets X counted without escapes, a long post and a
// post with garbage entities.
func TestTimelineGolden(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "timeline.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r timelineResponse
	mustJSON(t, raw, &r)
	p := &Provider{account: "alice-x"}
	knowMe(p)
	c := p.converter(r.Includes)
	var events []providers.Event
	for _, tw := range r.Data {
		ev := c.event(tw)
		checkEntities(t, ev.Post)
		checkClean(t, ev.Post)
		events = append(events, ev)
	}
	checkGolden(t, "timeline.golden.json", indentJSON(t, events))
}

// checkEntities verifies that every entity of post points at what it
// names, in the post and in the posts it links to.
func checkEntities(t *testing.T, post *providers.Post) {
	t.Helper()
	if post == nil {
		return
	}
	text := post.Text
	in := func(s, e int) (string, bool) {
		if s < 0 || e > len(text) || s > e {
			return "", false
		}
		return text[s:e], true
	}
	for _, l := range post.Links {
		if got, ok := in(l.Start, l.End); !ok || got != l.URL {
			t.Errorf("post %s: link %+v points at %q", post.Ref.ID, l, got)
		}
	}
	for _, m := range post.Mentions {
		if got, ok := in(m.Start, m.End); !ok || !strings.EqualFold(strings.TrimLeft(got, "@＠"), m.Handle) {
			t.Errorf("post %s: mention %+v points at %q", post.Ref.ID, m, got)
		}
	}
	for _, tg := range post.Tags {
		if got, ok := in(tg.Start, tg.End); !ok || strings.TrimLeft(got, "#＃") != tg.Name {
			t.Errorf("post %s: tag %+v points at %q", post.Ref.ID, tg, got)
		}
	}
	for _, l := range []*providers.PostLink{post.ReplyTo, post.RepostOf, post.QuoteOf} {
		if l != nil {
			checkEntities(t, l.Post)
		}
	}
}

// checkClean verifies that no t.co link and no HTML escape X added is
// left in a post converted from testdata/timeline.json (whose texts hold
// neither on purpose).
func checkClean(t *testing.T, post *providers.Post) {
	t.Helper()
	if post == nil {
		return
	}
	for _, bad := range []string{"https://t.co/", "&amp;", "&lt;", "&gt;"} {
		if strings.Contains(post.Text, bad) {
			t.Errorf("post %s: %s left in %q", post.Ref.ID, bad, post.Text)
		}
	}
	for _, l := range []*providers.PostLink{post.ReplyTo, post.RepostOf, post.QuoteOf} {
		if l != nil {
			checkClean(t, l.Post)
		}
	}
}

func TestRenderText(t *testing.T) {
	tests := []struct {
		name     string
		raw      string
		ents     *entities
		hasMedia bool
		want     string
	}{
		{
			name: "no entities, escapes decoded",
			raw:  "a &lt;b&gt; &amp;amp; c", want: "a <b> &amp; c",
		},
		{
			name: "link after an astral emoji",
			raw:  "🌧 https://t.co/x", ents: &entities{URLs: []urlEntity{{Start: 2, End: 16, URL: "https://t.co/x", ExpandedURL: "https://example.org/ü"}}},
			want: "🌧 https://example.org/ü",
		},
		{
			name: "trailing media links dropped, the link before them kept",
			raw:  "look https://t.co/a https://t.co/m",
			ents: &entities{URLs: []urlEntity{
				{Start: 5, End: 19, URL: "https://t.co/a", ExpandedURL: "https://a.example"},
				{Start: 20, End: 34, URL: "https://t.co/m", ExpandedURL: "https://x.com/u/status/9/photo/1", MediaKey: "3_1"},
			}},
			hasMedia: true, want: "look https://a.example",
		},
		{
			name: "a media link in the middle is kept, expanded",
			raw:  "https://t.co/m then text",
			ents: &entities{URLs: []urlEntity{{Start: 0, End: 14, URL: "https://t.co/m", ExpandedURL: "https://x.com/u/status/9/photo/1", MediaKey: "3_1"}}},
			want: "https://x.com/u/status/9/photo/1 then text",
		},
		{
			name: "a link to another post's photo without own media is kept",
			raw:  "see https://t.co/p",
			ents: &entities{URLs: []urlEntity{{Start: 4, End: 18, URL: "https://t.co/p", ExpandedURL: "https://x.com/u/status/1/photo/1"}}},
			want: "see https://x.com/u/status/1/photo/1",
		},
		{
			name: "offsets past the end are searched for",
			raw:  "x &amp; @bob",
			ents: &entities{Mentions: []mentionEntity{{Start: 40, End: 44, Username: "bob"}}},
			want: "x & @bob",
		},
		{
			name: "a handle is not found inside a longer one",
			raw:  "@bobby and @bob",
			ents: &entities{Mentions: []mentionEntity{{Start: 99, End: 100, Username: "bob"}}},
			want: "@bobby and @bob",
		},
		{
			name: "an expanded URL with a space is not trusted",
			raw:  "go https://t.co/s",
			ents: &entities{URLs: []urlEntity{{Start: 3, End: 17, URL: "https://t.co/s", ExpandedURL: "https://evil.example/ x"}}},
			want: "go https://t.co/s",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, mentions, links, tags := renderText(tt.raw, tt.ents, "9", tt.hasMedia)
			if text != tt.want {
				t.Errorf("text = %q, want %q", text, tt.want)
			}
			checkEntities(t, &providers.Post{Text: text, Mentions: mentions, Links: links, Tags: tags})
		})
	}
}

// TestRenderTextUnescapedOffsets: X (and the fake) may count offsets in
// the unescaped text; the entity must land on its own occurrence, not on
// an earlier one with the same literal.
func TestRenderTextUnescapedOffsets(t *testing.T) {
	text, _, _, tags := renderText("#a &amp; #a", &entities{Hashtags: []hashtagEntity{{Start: 5, End: 7, Tag: "a"}}}, "1", false)
	if text != "#a & #a" || len(tags) != 1 || tags[0].Start != 5 || tags[0].End != 7 {
		t.Errorf("renderText = %q, %+v; want the second #a tagged", text, tags)
	}
	text, _, _, tags = renderText("#a &amp; #a", &entities{Hashtags: []hashtagEntity{{Start: 9, End: 11, Tag: "a"}}}, "1", false)
	if text != "#a & #a" || len(tags) != 1 || tags[0].Start != 5 {
		t.Errorf("renderText = %q, %+v; want the second #a tagged (escaped offsets)", text, tags)
	}
}

func TestLanguage(t *testing.T) {
	for in, want := range map[string]string{"en": "en", "EN-gb": "en", "und": "", "qme": "", "zxx": "", "in": "id", "iw": "he", "": "", "x1": ""} {
		if got := language(in); got != want {
			t.Errorf("language(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzRenderText checks that no text and no entity offsets make the
// conversion panic or produce entities that point elsewhere.
func FuzzRenderText(f *testing.F) {
	f.Add("Rain 🌧 &amp; @bob #tag https://t.co/x", 7, 11, 14, 18, 19, 33)
	f.Add("", 0, 0, 0, 0, 0, 0)
	f.Add("&amp;&lt;&gt;@b#t", -1, 99, 3, 2, 0, 1)
	f.Fuzz(func(t *testing.T, raw string, ms, me, hs, he, us, ue int) {
		ents := &entities{
			Mentions: []mentionEntity{{Start: ms, End: me, Username: "bob"}},
			Hashtags: []hashtagEntity{{Start: hs, End: he, Tag: "tag"}},
			URLs:     []urlEntity{{Start: us, End: ue, URL: "https://t.co/x", ExpandedURL: "https://example.org/x", MediaKey: "3_1"}},
		}
		text, mentions, links, tags := renderText(raw, ents, "1", true)
		checkEntities(t, &providers.Post{Text: text, Mentions: mentions, Links: links, Tags: tags})
	})
}

// BenchmarkTimelinePage decodes and converts the golden timeline page
// (11 posts with includes), the work of one poll answer.
func BenchmarkTimelinePage(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "timeline.json"))
	if err != nil {
		b.Fatal(err)
	}
	p := &Provider{account: "alice-x"}
	knowMe(p)
	b.ReportAllocs()
	for b.Loop() {
		var r timelineResponse
		if err := json.Unmarshal(raw, &r); err != nil {
			b.Fatal(err)
		}
		c := p.converter(r.Includes)
		for _, tw := range r.Data {
			_ = c.event(tw)
		}
	}
}
