package bridge

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// runeLength counts code points, a stand-in for a target's measure.
func runeLength(s string) int { return utf8.RuneCountInString(s) }

// cjkWeight weighs CJK characters double, as X does.
func cjkWeight(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x1100 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		max    int
		length func(string) int
		want   []string
	}{
		{"fits", "hello world", 20, runeLength, []string{"hello world"}},
		{"paragraphs first", "One two three.\n\nFour five six.", 20, runeLength, []string{"One two three.", "Four five six."}},
		{"sentences before words", "One two. Three four five six seven.", 20, runeLength, []string{"One two.", "Three four five six", "seven."}},
		{"words", "alpha beta gamma delta", 11, runeLength, []string{"alpha beta", "gamma delta"}},
		{"hard cut in a long word", "abcdefghij", 4, runeLength, []string{"abcd", "efgh", "ij"}},
		{"cjk sentences by weight", "今日は晴れ。明日は雨。", 12, cjkWeight, []string{"今日は晴れ。", "明日は雨。"}},
		{"emoji stay whole", "👩‍👩‍👧‍👦👩‍👩‍👧‍👦", 12, runeLength, []string{"👩‍👩‍👧‍👦", "👩‍👩‍👧‍👦"}},
		{"url not cut", "see https://example.com/abc now", 28, runeLength, []string{"see https://example.com/abc", "now"}},
		{"too small", "abc", 0, runeLength, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Split(tt.text, tt.max, tt.length)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("Split(%q, %d) = %q, want %q", tt.text, tt.max, got, tt.want)
			}
		})
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("One two three.\n\nFour five six. Seven eight nine ten eleven twelve.", 12)
	f.Add("今日は晴れ。明日は雨。あさっては雪かもしれません", 10)
	f.Add("👩‍👩‍👧‍👦 flags 🇫🇷🇩🇪 https://example.com/a/very/long/path?q=1 end", 15)
	f.Fuzz(func(t *testing.T, text string, max int) {
		if max < 4 || max > 600 || !utf8.ValidString(text) {
			t.Skip()
		}
		parts := Split(text, max, cjkWeight)
		if parts == nil {
			// Only when a single grapheme weighs more than max, which
			// takes a cluster of more than max/2 code points.
			if strings.TrimSpace(text) != "" && max < 40 {
				return
			}
			if strings.TrimSpace(text) != "" {
				t.Fatalf("Split(%q, %d) gave up", text, max)
			}
			return
		}
		for i, p := range parts {
			if cjkWeight(p) > max {
				t.Fatalf("part %d %q weighs %d > %d", i, p, cjkWeight(p), max)
			}
			if strings.TrimSpace(p) != p || p == "" {
				t.Fatalf("part %d %q is empty or has outer white space", i, p)
			}
		}
		if got, want := strings.Join(strings.Fields(strings.Join(parts, "")), ""), strings.Join(strings.Fields(text), ""); got != want {
			t.Fatalf("parts lost or reordered text:\n got %q\nwant %q", got, want)
		}
	})
}
