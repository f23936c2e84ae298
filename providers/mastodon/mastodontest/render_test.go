package mastodontest

import (
	"unicode/utf8"

	"flag"
	"fmt"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// renderCases are texts as users type them.
var renderCases = []struct{ name, text string }{
	{"plain", "Hello world"},
	{"escaping", `a < b & "c" > 'd'`},
	{"line break", "line one\nline two"},
	{"paragraphs", "first paragraph\n\nsecond paragraph\nwith a break\n\n\n\nthird"},
	{"crlf and surrounding space", "  \r\none\r\ntwo\r\n\r\nthree  \n"},
	{"blank line with spaces", "a\n   \nb"},
	{"short link", "see https://example.com/x"},
	{"link with www", "see https://www.example.com/"},
	{"long link", "read https://example.com/a/very/long/path/that/goes/on/and/on?q=1&r=2 now"},
	{"link exactly 30", "https://example.com/123456789012345678"},
	{"link trailing punctuation", "look: https://example.com/page. And (https://example.com/wiki/A_(b)), ok?"},
	{"http link", "http://example.org/path"},
	{"local mention", "hi @bob how are you"},
	{"local mention with domain", "hi @bob@social.example"},
	{"unknown local mention", "hi @nobody here"},
	{"remote mention", "cc @carol@other.example."},
	{"same username twice", "@bob and @bob@elsewhere.example"},
	{"email is not a mention", "mail me at me@example.com"},
	{"hashtags", "#Go and #golang2 but not #123 nor a#b; (#tag) #CamelCase"},
	{"unicode hashtag", "#café and #日本語"},
	{"emoji", "so :blobcat: much :nonexistent: and :mastodon:"},
	{"emoji glued", "a:blobcat:b"},
	{"everything", "Hi @bob!\n\nNew post on #Go: https://go.dev/blog/some-very-long-article-title-here :blobcat:\nBye @carol@other.example"},
}

func renderGolden(t *testing.T, f Flavor) string {
	s := New(t, Options{Flavor: f})
	s.CreateUser("bob")
	var b strings.Builder
	for _, c := range renderCases {
		id := s.Post(PostOpts{Text: c.text})
		if id == "" {
			t.Fatalf("%s: not posted", c.name)
		}
		fmt.Fprintf(&b, "=== %s\n%s\n--- content\n%s\n", c.name, c.text, s.Content(id))
		st, _ := s.Lookup(id)
		fmt.Fprintf(&b, "--- stored text\n%s\n", st.Text)
	}
	return b.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if string(want) != got {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s\n(run with -update if the change is right)", path, i+1, g, w)
			}
		}
	}
}

func TestRenderGolden(t *testing.T) {
	for _, f := range []Flavor{Mastodon, GoToSocial} {
		t.Run(f.String(), func(t *testing.T) {
			checkGolden(t, "render_"+f.String()+".golden", renderGolden(t, f))
		})
	}
}

func TestRenderEntities(t *testing.T) {
	s := New(t, Options{})
	s.CreateUser("bob")
	id := s.Post(PostOpts{Text: "@bob @carol@other.example @Bob #Go #go :blobcat: :blobcat: :nope:"})
	r := do(t, s, "GET", "/api/v1/statuses/"+id, s.Token(), nil)
	mustStatus(t, r, 200)
	var st apiStatus
	r.json(t, &st)
	if len(st.Mentions) != 2 {
		t.Fatalf("mentions %+v, want bob and carol once each", st.Mentions)
	}
	if st.Mentions[0].Acct != "bob" || st.Mentions[0].URL != "https://social.example/@bob" {
		t.Errorf("local mention %+v, want acct bob", st.Mentions[0])
	}
	if st.Mentions[1].Acct != "carol@other.example" || st.Mentions[1].URL != "https://other.example/@carol" || st.Mentions[1].Username != "carol" {
		t.Errorf("remote mention %+v", st.Mentions[1])
	}
	if len(st.Tags) != 1 || st.Tags[0].Name != "go" || st.Tags[0].URL != "https://social.example/tags/go" {
		t.Errorf("tags %+v, want one: go", st.Tags)
	}
	if len(st.Emojis) != 1 || st.Emojis[0].Shortcode != "blobcat" {
		t.Errorf("emojis %+v, want blobcat once", st.Emojis)
	}
	s.AddEmoji("nope")
	id = s.Post(PostOpts{Text: ":nope:"})
	r = do(t, s, "GET", "/api/v1/statuses/"+id, s.Token(), nil)
	r.json(t, &st)
	if len(st.Emojis) != 1 || st.Emojis[0].Shortcode != "nope" {
		t.Errorf("emojis after AddEmoji %+v", st.Emojis)
	}
}

func TestCountLength(t *testing.T) {
	tests := []struct {
		name    string
		flavor  Flavor
		text    string
		spoiler string
		want    int
	}{
		{"ascii", Mastodon, "hello", "", 5},
		{"spoiler counts", Mastodon, "hello", "cw", 7},
		{"url is 23", Mastodon, "a https://example.com/" + strings.Repeat("x", 100), "", 2 + 23},
		{"url is 25 on gts", GoToSocial, "https://example.com/", "", 25},
		{"remote mention counts user only", Mastodon, "@bob@very.long.example.org hi", "", len("@bob hi")},
		{"remote mention counts whole on gts", GoToSocial, "@bob@x.example", "", len("@bob@x.example")},
		{"combining mark", Mastodon, "e\u0301", "", 1},
		{"zwj family", Mastodon, "👨‍👩‍👧", "", 1},
		{"flags", Mastodon, "🇫🇷🇩🇪", "", 2},
		{"skin tone", Mastodon, "👍🏽", "", 1},
		{"cjk", Mastodon, "日本語", "", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := 23
			if tt.flavor == GoToSocial {
				url = 25
			}
			if got := countLength(tt.flavor, tt.text, tt.spoiler, url); got != tt.want {
				t.Errorf("countLength(%q, %q) = %d, want %d", tt.text, tt.spoiler, got, tt.want)
			}
		})
	}
}

func TestLengthLimit(t *testing.T) {
	tests := []struct {
		name   string
		flavor Flavor
		max    int
		text   string
		ok     bool
	}{
		{"at limit", Mastodon, 10, strings.Repeat("a", 10), true},
		{"over limit", Mastodon, 10, strings.Repeat("a", 11), false},
		{"long url fits", Mastodon, 30, "x https://example.com/" + strings.Repeat("p", 200), true},
		{"gts default 5000", GoToSocial, 0, strings.Repeat("a", 5000), true},
		{"gts over", GoToSocial, 0, strings.Repeat("a", 5001), false},
		{"mastodon default 500", Mastodon, 0, strings.Repeat("a", 501), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t, Options{Flavor: tt.flavor, MaxCharacters: tt.max})
			r := do(t, s, "POST", "/api/v1/statuses", s.Token(), map[string]any{"status": tt.text})
			if tt.ok {
				mustStatus(t, r, 200)
				return
			}
			if tt.flavor == GoToSocial {
				mustStatus(t, r, 400)
				if e := r.errorText(t); !strings.HasPrefix(e, "Bad Request: status too long") {
					t.Errorf("error %q", e)
				}
				return
			}
			mustStatus(t, r, 422)
			want := fmt.Sprintf("Validation failed: Text character limit of %d exceeded", max(tt.max, 500)*boolInt(tt.max == 0)+tt.max*boolInt(tt.max != 0))
			if e := r.errorText(t); e != want {
				t.Errorf("error %q, want %q", e, want)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestExtractEdges(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // kind:text
	}{
		{"url in parens", "(https://a.example/x)", []string{"url:https://a.example/x"}},
		{"url with balanced parens", "https://en.example/wiki/A_(b)", []string{"url:https://en.example/wiki/A_(b)"}},
		{"no scheme no url", "example.com and www.example.com", nil},
		{"mention after slash", "https://a.example/@bob", []string{"url:https://a.example/@bob"}},
		{"mention with dots", "@first.last@host.example", []string{"mention:@first.last@host.example"}},
		{"mention trailing dot", "@bob.", []string{"mention:@bob"}},
		{"tag needs letter", "#1 #a1", []string{"tag:#a1"}},
		{"tag after word", "x#y", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range extract(tt.text) {
				k := map[entityKind]string{entURL: "url", entMention: "mention", entTag: "tag"}[e.kind]
				got = append(got, k+":"+tt.text[e.start:e.end])
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("extract(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

// textOf reads rendered content back as plain text: text nodes, <br> as a
// line break, a paragraph boundary as a blank line.
func textOf(t *testing.T, content string) string {
	nodes, err := html.ParseFragment(strings.NewReader(content), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			b.WriteString(n.Data)
		case n.Type == html.ElementNode && n.DataAtom == atom.Br:
			b.WriteString("\n")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for i, n := range nodes {
		if i > 0 && n.DataAtom == atom.P {
			b.WriteString("\n\n")
		}
		walk(n)
	}
	return b.String()
}

// FuzzRender checks that rendered content reads back as the typed text
// (Mastodon's blank-line runs becoming one paragraph break), so no
// character is lost or left unescaped, whatever the text.
func FuzzRender(f *testing.F) {
	for _, c := range renderCases {
		f.Add(c.text)
	}
	f.Add("<script>alert(1)</script> & @a@b.c #x https://e.x/<b>")
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) || strings.ContainsRune(text, 0) {
			return
		}
		norm := normalizeText(text)
		for _, fl := range []Flavor{Mastodon, GoToSocial} {
			// Mentions of lower-case local names resolve (and show as
			// typed); the rest stay text. Golden files cover the others.
			accts := map[string]*account{}
			r := render(fl, "social.example", norm, func(u, d string) *account {
				if d != "" || u != strings.ToLower(u) {
					return nil
				}
				if accts[u] == nil {
					accts[u] = &account{username: u, acct: u, url: "https://social.example/@" + u}
				}
				return accts[u]
			}, func(string) bool { return true })
			want := norm
			if fl == Mastodon {
				want = strings.Join(splitParagraphs(norm), "\n\n")
			}
			if strings.TrimSpace(norm) == "" {
				want = ""
			}
			if got := textOf(t, r.content); got != want {
				t.Fatalf("%s: %q renders as %q, reads back as %q", fl, norm, r.content, got)
			}
			_ = countLength(fl, norm, "", 23)
		}
	})
}
