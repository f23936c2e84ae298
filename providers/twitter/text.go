package twitter

import (
	"strings"
	"unicode/utf8"

	"github.com/dualpower/dualpower/providers/internal/twittertext"
)

// The two functions below are the adapter's only view of twitter-text
// (providers/internal/twittertext). extractMentions stands in for
// twittertext.ExtractMentionsOrLists until that part of the package is
// committed.

// extractMentions returns the usernames (without '@') X would link, and so
// notify, in text. It follows twitter-text's mention rule: '@' or '＠' not
// preceded by a name character or one of !#$%&*@＠ (but allowed right after
// "RT" or "RT:"), then 1–20 of [A-Za-z0-9_], not followed by '@', '＠', a
// Latin accented letter or "://" (so "@user@host" is not a mention on X).
func extractMentions(text string) []string {
	var out []string
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if r != '@' && r != '＠' {
			i += size
			continue
		}
		if !mentionMayStart(text[:i]) {
			i += size
			continue
		}
		j := i + size
		for j < len(text) && j-(i+size) < 20 && isHandleRune(rune(text[j])) {
			j++
		}
		if j == i+size {
			i = j
			continue
		}
		rest := text[j:]
		next, _ := utf8.DecodeRuneInString(rest)
		if next == '@' || next == '＠' || strings.HasPrefix(rest, "://") || (rest != "" && isLatinAccent(next)) {
			// Skip the whole run, so its tail is not taken for a name.
			for j < len(text) && isHandleRune(rune(text[j])) {
				j++
			}
			i = j
			continue
		}
		out = append(out, text[i+size:j])
		i = j
	}
	return out
}

// mentionMayStart reports whether an '@' after before can start a mention.
func mentionMayStart(before string) bool {
	if before == "" {
		return true
	}
	prev, _ := utf8.DecodeLastRuneInString(before)
	if !isHandleRune(prev) && !strings.ContainsRune("!#$%&*@＠", prev) {
		return true
	}
	// "RT@user" and "RT:@user" mention user.
	b := strings.TrimSuffix(before, ":")
	if len(b) < 2 || !strings.EqualFold(b[len(b)-2:], "rt") {
		return false
	}
	b = b[:len(b)-2]
	if b == "" {
		return true
	}
	p, _ := utf8.DecodeLastRuneInString(b)
	return !isHandleRune(p) && !strings.ContainsRune("+~.-", p)
}

// isLatinAccent reports whether r is one of the accented Latin letters
// twitter-text does not let a name run into.
func isLatinAccent(r rune) bool {
	return (r >= 0xC0 && r <= 0xD6) || (r >= 0xD8 && r <= 0xF6) || (r >= 0xF8 && r <= 0xFF) ||
		(r >= 0x100 && r <= 0x24F) || r == 0x253 || r == 0x254 || r == 0x256 || r == 0x257 || r == 0x259 ||
		r == 0x25B || r == 0x263 || r == 0x268 || r == 0x26F || r == 0x272 || r == 0x289 || r == 0x28B ||
		r == 0x2BB || (r >= 0x300 && r <= 0x36F) || (r >= 0x1E00 && r <= 0x1EFF)
}

func isHandleRune(r rune) bool {
	return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
}

// textLength measures text as X does: the twitter-text v3 weighted
// length (URLs as 23, weights by code-point range, emoji as 2, NFC).
func textLength(text string) int { return twittertext.Length(text) }
