package twitter

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The two functions below are the adapter's only view of twitter-text.
// They stand in for providers/internal/twittertext (ExtractMentions,
// Length) until that package is committed, and then call it.

// extractMentions returns the usernames (without '@') X would link, and so
// notify, in text. It follows twitter-text's mention rule: '@' or '＠' not
// preceded by a word character or one of !#$%&*@＠, then 1–20 of
// [A-Za-z0-9_], not followed by '@', '＠', a letter or "://" (so
// "@user@host" is not a mention on X).
func extractMentions(text string) []string {
	var out []string
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if r != '@' && r != '＠' {
			i += size
			continue
		}
		if i > 0 {
			prev, _ := utf8.DecodeLastRuneInString(text[:i])
			if isHandleRune(prev) || strings.ContainsRune("!#$%&*@＠", prev) {
				i += size
				continue
			}
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
		if next == '@' || next == '＠' || strings.HasPrefix(rest, "://") || (rest != "" && unicode.IsLetter(next)) {
			i = j
			continue
		}
		out = append(out, text[i+size:j])
		i = j
	}
	return out
}

func isHandleRune(r rune) bool {
	return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
}

// textLength measures text as X does. Stand-in: code points, with each
// http(s) URL counted as 23, and code points outside the Latin ranges that
// X weighs 1 counted as 2.
func textLength(text string) int {
	n := 0
	for i := 0; i < len(text); {
		rest := text[i:]
		if (strings.HasPrefix(rest, "https://") || strings.HasPrefix(rest, "http://")) && (i == 0 || !isHandleRune(rune(text[i-1]))) {
			j := i
			for j < len(text) {
				r, size := utf8.DecodeRuneInString(text[j:])
				if unicode.IsSpace(r) {
					break
				}
				j += size
			}
			n += urlLength
			i = j
			continue
		}
		r, size := utf8.DecodeRuneInString(rest)
		i += size
		if light(r) {
			n++
		} else {
			n += 2
		}
	}
	return n
}

// light reports whether X weighs r as 1 (twitter-text v3 ranges).
func light(r rune) bool {
	return (r >= 0 && r <= 4351) || (r >= 8192 && r <= 8205) || (r >= 8208 && r <= 8223) || (r >= 8242 && r <= 8247)
}
