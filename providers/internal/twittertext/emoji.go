package twittertext

import (
	"sort"
	"unicode"
)

// The emoji matcher reproduces the rules of twemoji-parser's expression,
// which twitter-text's parseTweet uses, from the Unicode emoji data instead
// of a fixed list. At each position, in this order:
//
//  1. the longest RGI ZWJ sequence (a family, "woman astronaut", …), or
//     the legacy form of "eye in speech bubble" twemoji also knows;
//  2. a keycap: # * or 0-9, an optional U+FE0F, then U+20E3;
//  3. © ® ™ ♟ only when followed by U+FE0F (they are common as plain text);
//  4. an RGI tag sequence (England, Scotland, Wales), an RGI flag (a pair of
//     regional indicators), or a lone regional indicator;
//  5. an emoji with text presentation by default, or one of the emoji with
//     emoji presentation that had variation sequences before Unicode 14
//     (legacyPresentationVariants), takes an optional U+FE0F and is no
//     emoji when U+FE0E follows;
//  6. any other emoji stands alone: a U+FE0F after it is not taken, a
//     U+FE0E does not matter;
//  7. a modifier base then takes an optional skin tone;
//  8. a stray U+FE0F on its own.
//
// Everything else is not an emoji. Where the Unicode data is newer than
// twemoji's list, newer emoji count as emoji too.

const (
	vs15   = 0xFE0E // VARIATION SELECTOR-15: text presentation
	vs16   = 0xFE0F // VARIATION SELECTOR-16: emoji presentation
	keycap = 0x20E3 // COMBINING ENCLOSING KEYCAP
)

// sequenceIndex maps a first code point to the sequences starting with it,
// longest first.
type sequenceIndex map[rune][][]rune

func newSequenceIndex(lists ...[]string) sequenceIndex {
	idx := sequenceIndex{}
	for _, list := range lists {
		for _, s := range list {
			rs := []rune(s)
			idx[rs[0]] = append(idx[rs[0]], rs)
		}
	}
	for _, seqs := range idx {
		sort.SliceStable(seqs, func(i, j int) bool { return len(seqs[i]) > len(seqs[j]) })
	}
	return idx
}

// match returns the length of the longest sequence found at r[i:], or 0.
func (idx sequenceIndex) match(r []rune, i int) int {
	for _, seq := range idx[r[i]] {
		if i+len(seq) > len(r) {
			continue
		}
		ok := true
		for k, c := range seq {
			if r[i+k] != c {
				ok = false
				break
			}
		}
		if ok {
			return len(seq)
		}
	}
	return 0
}

// legacyZWJSequences are ZWJ sequences twemoji knows in a form that is no
// longer RGI: "eye in speech bubble" as first published, without U+FE0F.
var legacyZWJSequences = []string{"\U0001F441\u200D\U0001F5E8"}

var (
	zwjIndex  = newSequenceIndex(zwjSequences, legacyZWJSequences)
	flagIndex = newSequenceIndex(tagSequences, flagSequences)
)

// legacyPresentationVariants are the emoji-presentation code points whose
// variation sequences predate Unicode 14 (mostly the Japanese carrier set);
// twemoji-parser lets them take U+FE0F. Unicode 14 gave variation
// sequences to a hundred more (🌍, 👍, …), which twemoji's list predates:
// those stand alone, as in twemoji.
var legacyPresentationVariants = &unicode.RangeTable{
	R16: []unicode.Range16{
		{0x231A, 0x231B, 1}, {0x25FD, 0x25FE, 1}, {0x2614, 0x2615, 1}, {0x2648, 0x2653, 1},
		{0x267F, 0x267F, 1}, {0x2693, 0x2693, 1}, {0x26A1, 0x26A1, 1}, {0x26AA, 0x26AB, 1},
		{0x26BD, 0x26BE, 1}, {0x26C4, 0x26C5, 1}, {0x26D4, 0x26D4, 1}, {0x26EA, 0x26EA, 1},
		{0x26F2, 0x26F3, 1}, {0x26F5, 0x26F5, 1}, {0x26FA, 0x26FA, 1}, {0x26FD, 0x26FD, 1},
		{0x2757, 0x2757, 1}, {0x2B1B, 0x2B1C, 1}, {0x2B50, 0x2B50, 1}, {0x2B55, 0x2B55, 1},
	},
	R32: []unicode.Range32{
		{0x1F004, 0x1F004, 1}, {0x1F21A, 0x1F21A, 1}, {0x1F22F, 0x1F22F, 1},
	},
}

func isSkinTone(r rune) bool { return r >= 0x1F3FB && r <= 0x1F3FF }

func isRegionalIndicator(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

// emojiAt returns how many code points the emoji at r[i] spans, or 0 when
// no emoji starts there.
func emojiAt(r []rune, i int) int {
	c := r[i]
	next := func(k int) rune {
		if i+k < len(r) {
			return r[i+k]
		}
		return -1
	}
	if c < 0x80 && c != '#' && c != '*' && (c < '0' || c > '9') {
		return 0 // the common case: plain ASCII
	}
	if n := zwjIndex.match(r, i); n > 0 {
		return n
	}
	switch {
	case c == '#' || c == '*' || c >= '0' && c <= '9':
		if next(1) == keycap {
			return 2
		}
		if next(1) == vs16 && next(2) == keycap {
			return 3
		}
		return 0
	case c == 0xA9 || c == 0xAE || c == 0x2122 || c == 0x265F:
		if next(1) == vs16 {
			return 2
		}
		return 0
	case c == vs16:
		return 1
	}
	if n := flagIndex.match(r, i); n > 0 {
		return n
	}
	if !unicode.Is(emojiTable, c) {
		return 0
	}
	n := 1
	if !unicode.Is(emojiPresentationTable, c) || unicode.Is(legacyPresentationVariants, c) {
		switch next(1) {
		case vs16:
			n = 2
		case vs15:
			return 0
		}
	}
	if unicode.Is(emojiModifierBaseTable, c) && isSkinTone(next(n)) {
		n++
	}
	return n
}

// emojiSpan is an emoji sequence, in code point indices.
type emojiSpan struct{ start, end int }

// extractEmoji finds the emoji sequences of r, left to right.
func extractEmoji(r []rune) []emojiSpan {
	var out []emojiSpan
	for i := 0; i < len(r); {
		if n := emojiAt(r, i); n > 0 {
			out = append(out, emojiSpan{i, i + n})
			i += n
			continue
		}
		i++
	}
	return out
}
