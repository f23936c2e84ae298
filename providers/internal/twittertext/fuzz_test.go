package twittertext

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

var fuzzSeeds = []string{
	"",
	"hello world",
	"Hi http://test.co",
	"example.com/path?q=1 #tag @user @user@host",
	"故人西辞黄鹤楼，烟花三月下扬州。",
	"👨\u200D👩\u200D👧\u200D👦 🇺🇸 1\u20E3 ©\uFE0F ☺\uFE0E",
	"ABC\u202A\uFFFFABC\uFFFE",
	"\u2066\u202Ahttp://foobar.پاکستان/\u202C\u2069",
	"e\u0301\uFB2C",
	"http://xn--ls8h.XN--ls8h.la/ t.co/abc https://t.co/abcdefghijklmnopqrstuvwxyz0123456789xxxxxx",
	"a\xffb\xc0",
	"(http://en.wikipedia.org/wiki/Primer_(film)) ((((((((((",
	"RT @a: #b ＃ｃ ＠ｄ",
}

// FuzzParse checks properties that hold for any text:
//   - Parse never panics; lengths and permillage are not negative;
//   - a valid text is non-blank and within the maximum;
//   - the display range spans the text as given, in UTF-16;
//   - Parse weighs a text and its NFC form alike;
//   - appending an ASCII character other than '.' to a text without '.'
//     adds exactly its weight (no URL can appear or vanish, no emoji
//     sequence can grow);
//   - appending a space and more text never weighs less than the text
//     plus the space;
//   - TrimToWeight gives a head within the limit, valid unless blank or
//     holding an invalid character, cut at a grapheme boundary, with
//     head+rest the NFC form of the text.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range []Config{V1, V2, V3} {
			r := Parse(s, c)
			if r.WeightedLength < 0 || r.Permillage < 0 {
				t.Fatalf("Parse(%+q) = %+v: negative", s, r)
			}
			if r.Valid && (r.WeightedLength > c.MaxWeightedTweetLength || r.WeightedLength == 0) {
				t.Fatalf("Parse(%+q) = %+v: valid but empty or too long", s, r)
			}
			if want := max(utf16Length(s)-1, 0); r.DisplayRangeEnd != want || r.DisplayRangeStart != 0 {
				t.Fatalf("Parse(%+q) display range %d..%d, want 0..%d", s, r.DisplayRangeStart, r.DisplayRangeEnd, want)
			}
			n := norm.NFC.String(s)
			if rn := Parse(n, c); rn.WeightedLength != r.WeightedLength || rn.Valid != r.Valid {
				t.Fatalf("Parse(%+q) = %+v but its NFC form gives %+v", s, r, rn)
			}
			// What follows a space cannot change how the text before it is
			// read: no URL, emoji sequence or composition crosses a space.
			if grown := Parse(s+" "+s, c); grown.WeightedLength*c.Scale < r.WeightedLength*c.Scale+c.weight(' ') {
				t.Fatalf("Parse(%+q) = %d but Parse(s+\" \"+s) = %d", s, r.WeightedLength, grown.WeightedLength)
			}
			if !strings.Contains(n, ".") {
				for _, x := range []string{"a", " ", "#", "1", "@"} {
					grown := Parse(s+x, c)
					if grown.WeightedLength*c.Scale != r.WeightedLength*c.Scale+c.weight(rune(x[0])) {
						t.Fatalf("Parse(%+q) = %d but with %q appended %d", s, r.WeightedLength, x, grown.WeightedLength)
					}
				}
			}
		}
		if Length(s) != Parse(s, V3).WeightedLength {
			t.Fatal("Length differs from Parse with V3")
		}
		n := norm.NFC.String(s)
		bounds := graphemeBoundaries([]rune(n))
		for _, m := range []int{0, 1, 7, 280} {
			head, rest := TrimToWeight(s, m, V3)
			if head+rest != n {
				t.Fatalf("TrimToWeight(%+q, %d) = %+q + %+q, not the NFC text", s, m, head, rest)
			}
			hr := Parse(head, V3)
			if hr.WeightedLength > m {
				t.Fatalf("TrimToWeight(%+q, %d): head %+q weighs %d", s, m, head, hr.WeightedLength)
			}
			if !hr.Valid && !blank([]rune(head)) && !strings.ContainsAny(head, "\uFFFE\uFEFF\uFFFF") {
				t.Fatalf("TrimToWeight(%+q, %d): head %+q is not valid: %+v", s, m, head, hr)
			}
			if !bounds[utf8.RuneCountInString(head)] {
				t.Fatalf("TrimToWeight(%+q, %d): head %+q ends inside a grapheme", s, m, head)
			}
			if rest == "" && Parse(n, V3).WeightedLength > m {
				t.Fatalf("TrimToWeight(%+q, %d) kept everything", s, m)
			}
		}
	})
}

// FuzzExtract checks that entities point into the text where they say, in
// bytes and UTF-16, in order and without overlap.
func FuzzExtract(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		check := func(kind string, es []Entity, lead func(string) bool) {
			prevEnd := 0
			for _, e := range es {
				if e.Start < prevEnd || e.End <= e.Start || e.End > len(s) {
					t.Fatalf("%s in %+q: bad span %+v", kind, s, e)
				}
				if e.UTF16Start != utf16Length(s[:e.Start]) || e.UTF16End != utf16Length(s[:e.End]) {
					t.Fatalf("%s in %+q: UTF-16 span %+v disagrees with bytes", kind, s, e)
				}
				if !lead(s[e.Start:e.End]) {
					t.Fatalf("%s in %+q: %q does not start as it should", kind, s, s[e.Start:e.End])
				}
				prevEnd = e.End
			}
		}
		hasPrefix := func(ps ...string) func(string) bool {
			return func(v string) bool {
				for _, p := range ps {
					if strings.HasPrefix(v, p) {
						return true
					}
				}
				return false
			}
		}
		check("mention", ExtractMentionsOrLists(s), hasPrefix("@", "＠"))
		check("hashtag", ExtractHashtags(s), hasPrefix("#", "＃"))
		check("url", ExtractURLs(s), func(string) bool { return true })
		check("cashtag", ExtractCashtags(s), hasPrefix("$"))
		check("entity", ExtractEntities(s), func(string) bool { return true })
		for _, e := range ExtractMentions(s) {
			if len(e.Value) == 0 || len(e.Value) > maxScreenNameLength || e.ListSlug != "" {
				t.Fatalf("mention %+v in %+q", e, s)
			}
		}
	})
}
