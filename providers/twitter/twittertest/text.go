package twittertest

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// weightedLength measures text as X does before accepting a post: the
// twitter-text v3 weighted count (shared/specs/twitter-text/v3.json), where
// a URL counts 23, code points in the Latin-ish ranges count 1 and every
// other code point 2, and an emoji (with its modifiers and joiners) counts
// 2 as a whole. The text is NFC-normalized first.
//
// This is a local approximation until providers/internal/twittertext lands
// (its Length is the real V3 counter); everything in the fake that needs
// the weighted count goes through this one function so the switch is one
// line. The approximation finds URLs with the fake's own linker (scheme
// URLs only) and emoji by code-point ranges.
func weightedLength(text string) int {
	text = norm.NFC.String(text)
	total := 0
	last := 0
	for _, m := range urlRE.FindAllStringIndex(text, -1) {
		start, end := trimURL(text, m[0], m[1])
		if start < last {
			continue
		}
		total += weighRunes(text[last:start])
		total += 23 * 100
		last = end
	}
	total += weighRunes(text[last:])
	return (total + 99) / 100
}

// weighRunes weighs plain text, in hundredths. An emoji sequence (an emoji
// with variation selectors, skin tones, tags, or other emoji joined by
// U+200D, or a flag of two regional indicators) weighs 2 as a whole.
func weighRunes(s string) int {
	w := 0
	inEmoji, joined, halfFlag := false, false, false
	for _, r := range s {
		switch {
		case r == 0x200D && inEmoji:
			joined = true
			continue
		case inEmoji && (r >= 0xFE00 && r <= 0xFE0F || r >= 0x1F3FB && r <= 0x1F3FF || r >= 0xE0020 && r <= 0xE007F):
			continue
		case r >= 0x1F1E6 && r <= 0x1F1FF:
			if halfFlag {
				halfFlag = false
				continue
			}
			halfFlag = true
			w += 200
			inEmoji, joined = true, false
			continue
		case isEmoji(r):
			halfFlag = false
			if inEmoji && joined {
				joined = false
				continue
			}
			w += 200
			inEmoji, joined = true, false
			continue
		}
		inEmoji, joined, halfFlag = false, false, false
		w += runeWeight(r)
	}
	return w
}

func runeWeight(r rune) int {
	switch {
	case r <= 4351, r >= 8192 && r <= 8205, r >= 8208 && r <= 8223, r >= 8242 && r <= 8247:
		return 100
	}
	return 200
}

// isEmoji approximates Unicode's Emoji_Presentation ranges.
func isEmoji(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF, r >= 0x2600 && r <= 0x27BF, r >= 0x1F1E6 && r <= 0x1F1FF:
		return true
	}
	return false
}

var (
	// urlRE finds the URLs the fake shortens: http and https URLs, up to
	// the next space.
	urlRE = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"]+`)
	// mentionRE finds @handles; the character before is checked by hand.
	mentionRE = regexp.MustCompile(`[@＠]([A-Za-z0-9_]{1,15})`)
	hashtagRE = regexp.MustCompile(`[#＃]([\p{L}\p{M}\p{N}_]+)`)
)

// trimURL drops the punctuation that usually ends a sentence, not a URL.
func trimURL(text string, start, end int) (int, int) {
	for end > start {
		r, size := utf8.DecodeLastRuneInString(text[start:end])
		if strings.ContainsRune(".,:;!?'\")]}", r) {
			if r == ')' && strings.Contains(text[start:end-size], "(") {
				break
			}
			end -= size
			continue
		}
		break
	}
	return start, end
}

// span is an entity found in a text, as byte offsets.
type span struct {
	start, end int
	value      string // the URL, the handle without '@', the tag without '#'
}

func findURLs(text string) []span {
	var out []span
	for _, m := range urlRE.FindAllStringIndex(text, -1) {
		s, e := trimURL(text, m[0], m[1])
		if e-s > len("https://") {
			out = append(out, span{s, e, text[s:e]})
		}
	}
	return out
}

// findMentions finds @handles that X links: not glued to a word before them,
// and not followed by '@' (so "@bob@host.example", a fediverse handle, is
// no mention) or by more handle characters.
func findMentions(text string) []span {
	var out []span
	for _, m := range mentionRE.FindAllStringSubmatchIndex(text, -1) {
		if m[0] > 0 {
			r, _ := utf8.DecodeLastRuneInString(text[:m[0]])
			if r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || r == '@' || r == '＠' {
				continue
			}
		}
		if m[1] < len(text) {
			r, _ := utf8.DecodeRuneInString(text[m[1]:])
			if r == '@' || r == '＠' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) {
				continue
			}
		}
		out = append(out, span{m[0], m[1], text[m[2]:m[3]]})
	}
	return out
}

// findHashtags finds #tags that are not glued to a word and not all digits.
func findHashtags(text string) []span {
	var out []span
	for _, m := range hashtagRE.FindAllStringSubmatchIndex(text, -1) {
		if m[0] > 0 {
			r, _ := utf8.DecodeLastRuneInString(text[:m[0]])
			if r == '_' || r == '&' || unicode.IsLetter(r) || unicode.IsDigit(r) {
				continue
			}
		}
		tag := text[m[2]:m[3]]
		if strings.TrimFunc(tag, unicode.IsDigit) == "" {
			continue
		}
		out = append(out, span{m[0], m[1], tag})
	}
	return out
}

// inside reports whether [start,end) overlaps any of spans.
func inside(spans []span, start, end int) bool {
	for _, s := range spans {
		if start < s.end && end > s.start {
			return true
		}
	}
	return false
}

// cp converts a byte offset into text to a code-point offset, the unit of
// X's entity indices.
func cp(text string, byteOff int) int { return utf8.RuneCountInString(text[:byteOff]) }

// escapeText escapes text the way X's v2 API does in a post's "text": '&',
// '<' and '>' become HTML entities.
func escapeText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// displayURL is the short form X shows for a URL: no scheme, no "www.",
// and at most 23 characters before an ellipsis.
func displayURL(u string) string {
	d := u
	if i := strings.Index(d, "://"); i >= 0 {
		d = d[i+3:]
	}
	d = strings.TrimPrefix(d, "www.")
	if utf8.RuneCountInString(d) > 23 {
		r := []rune(d)
		d = string(r[:23]) + "…"
	}
	return d
}
