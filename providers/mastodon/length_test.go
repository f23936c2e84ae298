package mastodon

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestStatusLength(t *testing.T) {
	tests := []struct {
		name string
		text string
		want int
	}{
		{"empty", "", 0},
		{"ascii", "hello", 5},
		{"url counts as 23", "see https://example.com/a/very/long/path/indeed/yes", 4 + 23},
		{"short url counts as 23 too", "https://a.io", 23},
		{"url without scheme is text", "example.com/path", 16},
		{"trailing period is not url", "go https://example.com.", 3 + 23 + 1},
		{"url in parens", "(https://example.com/x)", 1 + 23 + 1},
		{"url with balanced parens", "https://en.wikipedia.org/wiki/Go_(language)", 23},
		{"trailing at-sign and tilde", "https://example.com/a~@ x", 23 + len("~@ x")},
		{"query may end in equals", "https://example.com/?a=", 23},
		{"case-changing letter before url", "İ HTTPS://example.com/x", 2 + 23},
		{"two urls", "https://a.example/1 https://b.example/2", 23 + 1 + 23},
		{"remote mention counts as user", "@bob@other.example hi", len("@bob hi")},
		{"local mention", "@bob hi", 7},
		{"email is not a mention", "mail a@b.example", 16},
		{"mention in url is url", "https://social.example/@bob", 23},
		{"combining accent", "e\u0301", 1},
		{"zwj family", "👨\u200d👩\u200d👧", 1},
		{"flag", "🇩🇪🇫🇷", 2},
		{"skin tone", "👍🏽", 1},
		{"variation selector", "❤️", 1},
		{"cjk", "日本語", 3},
		{"hangul jamo", "\u1112\u1161\u11ab", 1},
		{"crlf", "a\r\nb", 3},
		{"newlines count", "a\n\nb", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusLength(tt.text, 23); got != tt.want {
				t.Errorf("statusLength(%q) = %d, want %d (countable %q)", tt.text, got, tt.want, countableText(tt.text, 23))
			}
		})
	}
}

func TestFindMentions(t *testing.T) {
	tests := []struct {
		text string
		want []string // user@host or user
	}{
		{"hi @bob", []string{"bob"}},
		{"hi @bob@other.example!", []string{"bob@other.example"}},
		{"@a.b-c_d@x.example.", []string{"a.b-c_d@x.example"}},
		{"mail a@b.example", nil},
		{"x=@bob /@bob", nil},
		{"https://social.example/@bob", nil},
		{"@bob. @carol,", []string{"bob", "carol"}},
		{"@_ @.x", []string{"_"}},
		{"@bob@x", []string{"bob"}}, // a one-character domain is not one
		{"(@bob@host.example)", []string{"bob@host.example"}},
		{"@Bob@Host.Example", []string{"Bob@Host.Example"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			var got []string
			for _, m := range findMentions(tt.text) {
				h := m.user
				if m.host != "" {
					h += "@" + m.host
				}
				if tt.text[m.start:m.end] != "@"+h {
					t.Errorf("span %q does not match %q", tt.text[m.start:m.end], "@"+h)
				}
				got = append(got, h)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("findMentions(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestUnexpectedMentions(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		allowed []string
		want    []string
	}{
		{"none", "no mentions here", nil, nil},
		{"allowed remote", "hi @bob@other.example", []string{"bob@other.example"}, nil},
		{"allowed with at and case", "hi @Bob@Other.Example", []string{"@bob@other.example"}, nil},
		{"local matches full handle", "hi @bob", []string{"bob@social.example"}, nil},
		{"local matches bare", "hi @bob", []string{"bob"}, nil},
		{"full local matches bare", "hi @bob@social.example", []string{"bob"}, nil},
		{"other host refused", "hi @bob@evil.example", []string{"bob@other.example"}, []string{"@bob@evil.example"}},
		{"unlisted refused", "hi @carol and @bob", []string{"bob"}, []string{"@carol"}},
		{"email fine", "write to me@mail.example", nil, nil},
		{"url fine", "https://social.example/@carol", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := unexpectedMentions(tt.text, tt.allowed, "social.example")
			if !slices.Equal(got, tt.want) {
				t.Errorf("unexpectedMentions(%q, %q) = %q, want %q", tt.text, tt.allowed, got, tt.want)
			}
		})
	}
}

func TestCutRunes(t *testing.T) {
	if got := cutRunes("héllo wörld", 4); got != "héll" {
		t.Errorf("cutRunes = %q", got)
	}
	if got := cutRunes("short", 10); got != "short" {
		t.Errorf("cutRunes = %q", got)
	}
	long := strings.Repeat("ä", 2000)
	if got := cutRunes(long, 1500); utf8.RuneCountInString(got) != 1500 || !utf8.ValidString(got) {
		t.Errorf("cutRunes of 2000 runes to 1500 gave %d runes", utf8.RuneCountInString(got))
	}
}

// FuzzStatusLength checks the counter never panics, never counts more than
// the characters a text has after rewriting, counts a non-empty text as
// more than nothing, and that every URL and mention found is a sound span
// of the text.
func FuzzStatusLength(f *testing.F) {
	for _, s := range []string{"", "hi @a@b.c https://x.y/z", "👨\u200d👩", "🇩🇪🇩", "e\u0301\u0301", "\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := statusLength(s, 23)
		c := countableText(s, 23)
		if n < 0 || n > utf8.RuneCountInString(c) {
			t.Fatalf("statusLength(%q) = %d, countable %q has %d runes", s, n, c, utf8.RuneCountInString(c))
		}
		if c != "" && n == 0 {
			t.Fatalf("statusLength(%q) = 0 for non-empty countable text", s)
		}
		last := 0
		for _, u := range findURLs(s) {
			if u.start < last || u.end <= u.start || u.end > len(s) || schemeAt(s[u.start:u.end], 0) != 0 {
				t.Fatalf("findURLs(%q) gave a bad span %v", s, u)
			}
			last = u.end
		}
		for _, m := range findMentions(s) {
			if m.end > len(s) || s[m.start] != '@' || s[m.start+1:m.start+1+len(m.user)] != m.user {
				t.Fatalf("findMentions(%q) gave a bad span %+v", s, m)
			}
		}
	})
}
