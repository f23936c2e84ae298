package twittertest

import (
	"strings"
	"unicode/utf8"

	"github.com/dualpower/dualpower/providers/internal/twittertext"
)

// weightedLength measures text as X does before accepting a post: the
// twitter-text v3 weighted count (NFC, URLs count 23, code points outside
// the Latin-ish ranges and emoji count 2).
func weightedLength(text string) int { return twittertext.Length(text) }

// span is an entity found in a text, as byte offsets.
type span struct {
	start, end int
	value      string // the URL, the handle without '@', the tag without '#'
}

// findURLs finds the URLs X links (and shortens), with or without a
// scheme, by twitter-text's rules.
func findURLs(text string) []span {
	var out []span
	for _, e := range twittertext.ExtractURLs(text) {
		out = append(out, span{e.Start, e.End, e.Value})
	}
	return out
}

// findMentions finds the @handles X links, by twitter-text's rules: not
// glued to a word before, and not followed by '@' (so
// "@bob@host.example", a fediverse handle, is no mention).
func findMentions(text string) []span {
	var out []span
	for _, e := range twittertext.ExtractMentions(text) {
		out = append(out, span{e.Start, e.End, e.Value})
	}
	return out
}

// findHashtags finds the #tags X links, by twitter-text's rules.
func findHashtags(text string) []span {
	var out []span
	for _, e := range twittertext.ExtractHashtags(text) {
		out = append(out, span{e.Start, e.End, e.Value})
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
