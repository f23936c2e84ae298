package twittertext

import "unicode/utf8"

// text is a string cut into code points, with each code point's byte offset
// and UTF-16 offset, so that matchers can work on code points while results
// are reported the way callers need them. A byte that is not valid UTF-8
// counts as one code point, U+FFFD.
type text struct {
	s   string
	r   []rune
	off []int // off[i] is the byte offset of r[i]; off[len(r)] == len(s)
	u16 []int // u16[i] is the UTF-16 offset of r[i]; u16[len(r)] is the UTF-16 length
}

func newText(s string) *text {
	n := utf8.RuneCountInString(s)
	t := &text{s: s, r: make([]rune, 0, n), off: make([]int, 0, n+1), u16: make([]int, 0, n+1)}
	u := 0
	for i, c := range s {
		t.r = append(t.r, c)
		t.off = append(t.off, i)
		t.u16 = append(t.u16, u)
		u += utf16Len(c)
	}
	t.off = append(t.off, len(s))
	t.u16 = append(t.u16, u)
	return t
}

// utf16Len is how many UTF-16 code units r takes.
func utf16Len(r rune) int {
	if r >= 0x10000 && r <= utf8.MaxRune {
		return 2
	}
	return 1
}

// at returns the code point at i, or -1 outside the text.
func (t *text) at(i int) rune {
	if i < 0 || i >= len(t.r) {
		return -1
	}
	return t.r[i]
}

// slice returns the source text of code points [i, j).
func (t *text) slice(i, j int) string { return t.s[t.off[i]:t.off[j]] }

// runeAtByte returns the index of the code point that starts at byte offset
// b (b must be such an offset, or len(t.s)).
func (t *text) runeAtByte(b int) int {
	lo, hi := 0, len(t.r)
	for lo < hi {
		m := (lo + hi) / 2
		if t.off[m] < b {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// hasRune reports whether c occurs in the text.
func (t *text) hasRune(c rune) bool {
	for _, r := range t.r {
		if r == c {
			return true
		}
	}
	return false
}
