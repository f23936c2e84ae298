package mastodon

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/dualpower/dualpower/providers"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testProvider is a provider for pure conversions (no server is reached).
func testProvider(t testing.TB) *Provider {
	t.Helper()
	p, err := New(providers.Options{
		Account:  "alice-mastodon",
		Settings: map[string]string{"server": "https://social.example"},
		Secrets:  map[string]providers.Secret{"access_token": "s3cr3t-token-value"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestStatusGolden turns real-shaped statuses (testdata/status/*.json:
// Mastodon, GoToSocial and Akkoma shapes) into Posts and compares them with
// the golden files next to them. Run with -update to rewrite those.
func TestStatusGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "status", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases int
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden.json") {
			continue
		}
		cases++
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			var s status
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatal(err)
			}
			p := testProvider(t)
			self := s.Account
			dom := hostOf(s.Account.URL)
			post := p.toPost(&s, self, dom)
			checkEntities(t, post)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(post); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			golden := filepath.Join("testdata", "status", name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("post differs from %s (run with -update to accept):\n got: %s\nwant: %s", golden, got, want)
			}
		})
	}
	if cases < 5 {
		t.Fatalf("found %d golden cases, want at least 5", cases)
	}
}

// checkEntities asserts every entity of post (and of the posts it carries)
// points at what it claims.
func checkEntities(t *testing.T, post *providers.Post) {
	t.Helper()
	if post == nil {
		return
	}
	at := func(s, e int) string {
		if s < 0 || e > len(post.Text) || s > e {
			t.Fatalf("entity [%d:%d] out of range of %q", s, e, post.Text)
		}
		return post.Text[s:e]
	}
	for _, m := range post.Mentions {
		if got := at(m.Start, m.End); got != "@"+m.Handle {
			t.Errorf("mention [%d:%d] = %q, want %q", m.Start, m.End, got, "@"+m.Handle)
		}
	}
	for _, l := range post.Links {
		if got := at(l.Start, l.End); got != l.URL {
			t.Errorf("link [%d:%d] = %q, want %q", l.Start, l.End, got, l.URL)
		}
	}
	for _, g := range post.Tags {
		if got := at(g.Start, g.End); got != "#"+g.Name {
			t.Errorf("tag [%d:%d] = %q, want %q", g.Start, g.End, got, "#"+g.Name)
		}
	}
	for _, l := range []*providers.PostLink{post.RepostOf, post.QuoteOf} {
		if l != nil {
			checkEntities(t, l.Post)
		}
	}
}

func TestHTMLToText(t *testing.T) {
	ctx := htmlContext{LocalDomain: "social.example", Mentions: []mention{
		{ID: "2", Username: "bob", Acct: "bob", URL: "https://social.example/@bob"},
		{ID: "3", Username: "carol", Acct: "carol@other.example", URL: "https://other.example/@carol"},
	}}
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain text", "just text", "just text"},
		{"paragraphs", "<p>a</p><p>b</p>", "a\n\nb"},
		{"br", "<p>a<br>b<br/>c</p>", "a\nb\nc"},
		{"gotosocial double br", "<p>a<br><br>b</p>", "a\n\nb"},
		{"trailing br dropped", "<p>a<br></p>", "a"},
		{"leading breaks dropped", "<br><p></p><p>a</p>", "a"},
		{"entities decoded", "<p>&amp; &lt;b&gt; &#x1F600; &nbsp;x</p>", "& <b> 😀 \u00a0x"},
		{"shortened link is full href", `<p><a href="https://example.com/a/very/long/path"><span class="invisible">https://</span><span class="ellipsis">example.com/a/very</span><span class="invisible">/long/path</span></a></p>`, "https://example.com/a/very/long/path"},
		{"markdown link keeps its text", `<a href="https://example.org/">the docs</a>`, "the docs (https://example.org/)"},
		{"relative link is its text", `<a href="/about">about</a>`, "about"},
		{"javascript link is its text", `<a href="javascript:x()">click</a>`, "click"},
		{"local mention gets domain", `<span class="h-card"><a href="https://social.example/@bob" class="u-url mention">@<span>bob</span></a></span>`, "@bob@social.example"},
		{"remote mention", `<a href="https://other.example/@carol" class="u-url mention">@<span>carol</span></a>`, "@carol@other.example"},
		{"mention by class with extra attrs", `<a href="https://x.example/@zed" class="mention" rel="nofollow noreferrer noopener" target="_blank">@<span>zed</span></a>`, "@zed@x.example"},
		{"mention matched by href alone", `<a href="https://other.example/@carol">@carol</a>`, "@carol@other.example"},
		{"hashtag", `<a href="https://social.example/tags/go" class="mention hashtag" rel="tag">#<span>Go</span></a>`, "#Go"},
		{"hashtag name from href", `<a href="https://social.example/tags/caf%C3%A9" rel="tag"># </a>`, "#café"},
		{"emoji img", `hi <img class="emoji" alt=":blob:" src="x.png">`, "hi :blob:"},
		{"other img dropped", `hi <img alt="a photo" src="x.png">`, "hi"},
		{"script dropped", `a<script>alert(1)</script>b`, "ab"},
		{"invisible outside link dropped", `a<span class="invisible">hidden</span>b`, "ab"},
		{"quote-inline dropped", `<p class="quote-inline">RE: <a href="https://x.example/1">x</a></p><p>body</p>`, "body"},
		{"list items", `<ul><li>one</li><li>two</li></ul>`, "one\ntwo"},
		{"pre keeps newlines", "<pre>a\n  b</pre>", "a\n  b"},
		{"formatting newline dropped", "<p>a</p>\n<p>b</p>", "a\n\nb"},
		{"raw newline in text", "a\nb", "a\nb"},
		{"invalid utf8", "a\xffb", "a\uFFFDb"},
		{"unclosed tags", "<p><b>a<i>b", "ab"},
		{"tag-like text", "&lt;script&gt;", "<script>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := htmlToText(tt.in, ctx)
			if got.Text != tt.want {
				t.Errorf("htmlToText(%q) = %q, want %q", tt.in, got.Text, tt.want)
			}
			checkEntities(t, &providers.Post{Text: got.Text, Mentions: got.Mentions, Links: got.Links, Tags: got.Tags})
		})
	}
}

// FuzzHTMLToText checks, for any input: no panic, valid UTF-8 out, every
// entity in range and pointing at what it claims, and no markup made up:
// the converter writes only text it decoded (text nodes, href and alt
// values) and its own "@", "#", " (", ")" and line breaks, so the output
// holds no more '<' than the decoded text of the input does. (An input
// "&lt;b&gt;" decodes to the text "<b>", which may and must come out.)
func FuzzHTMLToText(f *testing.F) {
	seeds := []string{
		"", "<p>a</p><p>b</p>", "a<br><br>b", "&lt;b&gt;bold&lt;/b&gt;", "<a href=\"https://x.example/@a\" class=\"mention\">@a</a>",
		"<a href=\"https://x/tags/t\" class=\"hashtag\">#t</a>", "<pre>\n</pre>", "<a href=\"https://e.com\"><span class=\"invisible\">https://</span>e.com</a>",
		"<img class=\"emoji\" alt=\":a:\">", "\xff<p>\x00</p>", "<a href=\"https://a.b/\">&lt;x&gt;</a>", "<p class=quote-inline>x</p>y",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	ctx := htmlContext{LocalDomain: "social.example", Mentions: []mention{{ID: "1", Username: "a", Acct: "a", URL: "https://x.example/@a"}}}
	f.Fuzz(func(t *testing.T, in string) {
		got := htmlToText(in, ctx)
		if !utf8.ValidString(got.Text) {
			t.Fatalf("invalid UTF-8 out of %q: %q", in, got.Text)
		}
		checkEntities(t, &providers.Post{Text: got.Text, Mentions: got.Mentions, Links: got.Links, Tags: got.Tags})
		if n, max := strings.Count(got.Text, "<"), decodedLessThans(in); n > max {
			t.Fatalf("output of %q has %d '<', decoded input text only %d: %q", in, n, max, got.Text)
		}
	})
}

// decodedLessThans counts the '<' in the decoded text of s: its text nodes
// and the href and alt attributes the converter may write.
func decodedLessThans(s string) int {
	s = strings.ToValidUTF8(s, "\uFFFD")
	nodes, err := html.ParseFragment(strings.NewReader(s), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return strings.Count(s, "<")
	}
	n := 0
	var walk func(*html.Node)
	walk = func(x *html.Node) {
		if x.Type == html.TextNode {
			n += strings.Count(x.Data, "<")
		}
		for _, a := range x.Attr {
			if a.Key == "href" || a.Key == "alt" {
				n += strings.Count(a.Val, "<")
			}
		}
		for c := x.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, x := range nodes {
		walk(x)
	}
	return n
}

// FuzzStatusJSON feeds arbitrary JSON to the status decoding and
// conversion: a hostile answer never panics, and what converts has sound
// entities.
func FuzzStatusJSON(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "status", "*.json"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil && !strings.HasSuffix(name, ".golden.json") {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"id":"1","quote":{"state":"accepted","quoted_status":{"id":"2","reblog":{"id":"3"}}}}`))
	f.Add([]byte(`{"id":"1","media_attachments":[{"type":"image","url":null,"meta":{"focus":{"x":9}}}]}`))
	p := testProvider(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var s status
		if json.Unmarshal(b, &s) != nil {
			return
		}
		post := p.toPost(&s, account{ID: "1", Acct: "alice"}, "social.example")
		checkEntities(t, post)
		for _, m := range post.Media {
			if m.URL == "" || m.FocusX < -1 || m.FocusX > 1 || m.FocusY < -1 || m.FocusY > 1 {
				t.Fatalf("media %+v", m)
			}
		}
	})
}
