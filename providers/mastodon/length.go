package mastodon

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text measuring and mention finding, as Mastodon does them.
//
// Mastodon's StatusLengthValidator counts the spoiler text and the text
// together in grapheme clusters, after rewriting every URL (with its scheme)
// to characters_reserved_per_url characters and every mention "@user@host"
// to "@user". Mentions are found with Account::MENTION_RE:
//
//	(?<![=/[:word:]])@((USERNAME)(?:@[[:word:].-]+[[:word:]]+)?)
//	USERNAME = [a-z0-9_]+([a-z0-9_.-]+[a-z0-9_]+)?   (case-insensitive)
//
// URLs take precedence where a URL and a mention overlap (a profile URL
// "https://host/@bob" is a URL, not a mention).

// span is a half-open byte range of a text.
type span struct{ start, end int }

// urlSchemes are the schemes Mastodon links in plain text.
var urlSchemes = []string{"https://", "http://", "dat://", "dweb://", "ipfs://", "ipns://", "gopher://", "gemini://", "ssb://"}

// findURLs returns the URLs Mastodon would link in text: a known scheme at
// a word start followed by non-space characters, without trailing
// punctuation or an unbalanced closing bracket.
func findURLs(text string) []span {
	var out []span
	for i := 0; i < len(text); {
		j := schemeAt(text, i)
		if j < 0 {
			break
		}
		if j > 0 {
			if r, _ := utf8.DecodeLastRuneInString(text[:j]); isWordRune(r) || r == '/' || r == '=' {
				i = j + 1
				continue
			}
		}
		end := j
		for end < len(text) {
			r, size := utf8.DecodeRuneInString(text[end:])
			if unicode.IsSpace(r) || r == '<' || r == '>' || r == '"' {
				break
			}
			end += size
		}
		end = trimURLEnd(text, j, end)
		schemeEnd := strings.Index(text[j:], ":") + j
		if end-schemeEnd > 3 { // something after "://"
			out = append(out, span{j, end})
		}
		i = max(end, j+1)
	}
	return out
}

// schemeAt returns the first offset at or after i where a URL scheme
// starts (in any case), or -1. It compares in place: lowering the whole text
// first would move byte offsets (some characters change length).
func schemeAt(text string, i int) int {
	for ; i < len(text); i++ {
		switch text[i] | 0x20 { // every scheme starts with one of these letters
		case 'h', 'd', 'i', 'g', 's':
		default:
			continue
		}
		for _, s := range urlSchemes {
			if len(text)-i >= len(s) && strings.EqualFold(text[i:i+len(s)], s) {
				return i
			}
		}
	}
	return -1
}

// trimURLEnd drops what Mastodon's URL pattern does not end a URL with:
// punctuation ('&' and '=' may end a query), and unbalanced closing
// brackets.
func trimURLEnd(text string, start, end int) int {
	inQuery := strings.Contains(text[start:end], "?")
	for end > start {
		r, size := utf8.DecodeLastRuneInString(text[start:end])
		switch r {
		case '.', ',', ':', ';', '!', '?', '\'', '"', '*', '$', '%', '~', '|', '@', '[', '「', '」':
			end -= size
			continue
		case '&', '=':
			if !inQuery {
				end -= size
				continue
			}
		case ')', ']', '}':
			open := map[rune]rune{')': '(', ']': '[', '}': '{'}[r]
			if strings.Count(text[start:end], string(open)) < strings.Count(text[start:end], string(r)) {
				end -= size
				continue
			}
		}
		break
	}
	return end
}

// mentionSpan is one mention found in text: span covers "@user" or
// "@user@host"; user and host are what it names (host "" for a local one).
type mentionSpan struct {
	span
	user, host string
}

// findMentions returns the mentions Mastodon would link in text, outside
// the URLs.
func findMentions(text string) []mentionSpan {
	urls := findURLs(text)
	inURL := func(i int) bool {
		for _, u := range urls {
			if i >= u.start && i < u.end {
				return true
			}
		}
		return false
	}
	var out []mentionSpan
	for i := 0; i < len(text); i++ {
		if text[i] != '@' || inURL(i) {
			continue
		}
		if i > 0 {
			if r, _ := utf8.DecodeLastRuneInString(text[:i]); isWordRune(r) || r == '/' || r == '=' {
				continue
			}
		}
		userEnd := matchUsername(text, i+1)
		if userEnd <= i+1 {
			continue
		}
		m := mentionSpan{span: span{i, userEnd}, user: text[i+1 : userEnd]}
		if hostEnd := matchDomain(text, userEnd); hostEnd > userEnd {
			m.end = hostEnd
			m.host = text[userEnd+1 : hostEnd]
		}
		out = append(out, m)
		i = m.end - 1
	}
	return out
}

// matchUsername matches [a-z0-9_]+([a-z0-9_.-]+[a-z0-9_]+)? at i and returns
// its end (i when nothing matches).
func matchUsername(text string, i int) int {
	end := i
	lastGood := i
	for end < len(text) {
		c := text[end]
		if isUserChar(c) {
			end++
			lastGood = end
			continue
		}
		if (c == '.' || c == '-') && end > i {
			end++
			continue
		}
		break
	}
	return lastGood
}

// matchDomain matches @[[:word:].-]+[[:word:]]+ at i and returns its end (i
// when nothing matches).
func matchDomain(text string, i int) int {
	if i >= len(text) || text[i] != '@' {
		return i
	}
	end, lastGood := i+1, i
	for end < len(text) {
		r, size := utf8.DecodeRuneInString(text[end:])
		if isWordRune(r) {
			end += size
			lastGood = end
			continue
		}
		if r == '.' || r == '-' {
			end += size
			continue
		}
		break
	}
	// [[:word:].-]+ then [[:word:]]+: at least two characters, the last a
	// word character.
	if lastGood == i || utf8.RuneCountInString(text[i+1:lastGood]) < 2 {
		return i
	}
	return lastGood
}

func isUserChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isWordRune is Ruby's [[:word:]]: letters, marks, digits and connectors.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r) || unicode.Is(unicode.Pc, r)
}

// countableText rewrites text as Mastodon does before counting: every URL
// becomes urlLength characters, every "@user@host" becomes "@user".
func countableText(text string, urlLength int) string {
	urls := findURLs(text)
	mentions := findMentions(text)
	var b strings.Builder
	last := 0
	ui, mi := 0, 0
	for ui < len(urls) || mi < len(mentions) {
		if mi >= len(mentions) || ui < len(urls) && urls[ui].start < mentions[mi].start {
			u := urls[ui]
			ui++
			b.WriteString(text[last:u.start])
			b.WriteString(strings.Repeat("x", urlLength))
			last = u.end
			continue
		}
		m := mentions[mi]
		mi++
		b.WriteString(text[last:m.start])
		b.WriteString("@" + m.user)
		last = m.end
	}
	b.WriteString(text[last:])
	return b.String()
}

// statusLength measures text as Mastodon's StatusLengthValidator does.
func statusLength(text string, urlLength int) int {
	return graphemeCount(countableText(text, urlLength))
}

// graphemeCount counts extended grapheme clusters, approximating UAX #29:
// CR LF, combining marks and other Extend characters, spacing marks, ZWJ
// sequences, emoji modifiers, regional-indicator pairs and Hangul syllable
// sequences join; Prepend and Indic conjunct rules are not implemented.
func graphemeCount(s string) int {
	n := 0
	var prev rune = -1
	riRun := 0 // regional indicators in the current run
	for _, r := range s {
		if prev >= 0 && !graphemeBreak(prev, r, riRun) {
			if isRegional(r) {
				riRun++
			}
			prev = r
			continue
		}
		n++
		if isRegional(r) {
			riRun = 1
		} else {
			riRun = 0
		}
		prev = r
	}
	return n
}

// graphemeBreak reports whether there is a cluster boundary between a and b.
func graphemeBreak(a, b rune, riRun int) bool {
	if a < 0x80 && b < 0x80 { // ASCII: only CR LF holds together
		return a != '\r' || b != '\n'
	}
	switch {
	case a == '\r' && b == '\n':
		return false
	case a == '\r' || a == '\n' || unicode.IsControl(a) || b == '\r' || b == '\n' || unicode.IsControl(b):
		return true
	case isExtend(b) || b == 0x200D || unicode.Is(unicode.Mc, b):
		return false
	case a == 0x200D && isPictographic(b):
		return false
	case isRegional(a) && isRegional(b):
		return riRun%2 == 0
	}
	return !hangulJoins(a, b)
}

func isExtend(r rune) bool {
	return unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) ||
		r >= 0xFE00 && r <= 0xFE0F || r >= 0xE0100 && r <= 0xE01EF || // variation selectors
		r >= 0x1F3FB && r <= 0x1F3FF || // emoji modifiers
		r >= 0xE0020 && r <= 0xE007F || // tags
		r == 0x200C
}

func isRegional(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

func isPictographic(r rune) bool {
	return r >= 0x1F000 && r <= 0x1FAFF || r >= 0x2600 && r <= 0x27BF || r >= 0x2190 && r <= 0x21FF ||
		r >= 0x2300 && r <= 0x23FF || r >= 0x2B00 && r <= 0x2BFF || r == 0x00A9 || r == 0x00AE || r == 0x203C || r == 0x2049
}

// Hangul jamo classes for the syllable rules GB6-GB8.
func hangulClass(r rune) byte {
	switch {
	case r >= 0x1100 && r <= 0x115F, r >= 0xA960 && r <= 0xA97C:
		return 'L'
	case r >= 0x1160 && r <= 0x11A7, r >= 0xD7B0 && r <= 0xD7C6:
		return 'V'
	case r >= 0x11A8 && r <= 0x11FF, r >= 0xD7CB && r <= 0xD7FB:
		return 'T'
	case r >= 0xAC00 && r <= 0xD7A3:
		if (r-0xAC00)%28 == 0 {
			return 'v' // LV
		}
		return 't' // LVT
	}
	return 0
}

func hangulJoins(a, b rune) bool {
	ca, cb := hangulClass(a), hangulClass(b)
	switch ca {
	case 'L':
		return cb == 'L' || cb == 'V' || cb == 'v' || cb == 't'
	case 'V', 'v':
		return cb == 'V' || cb == 'T'
	case 'T', 't':
		return cb == 'T'
	}
	return false
}

// unexpectedMentions returns the mentions in text that name no handle in
// allowed. A mention "@user" names a local account: it matches "user" and
// "user@localDomain"; "@user@host" matches "user@host" (and "user" when host
// is the local domain). Comparison ignores case.
func unexpectedMentions(text string, allowed []string, localDomain string) []string {
	ok := map[string]bool{}
	norm := func(user, host string) string {
		if host == "" || strings.EqualFold(host, localDomain) {
			return strings.ToLower(user)
		}
		return strings.ToLower(user + "@" + host)
	}
	for _, a := range allowed {
		user, host, _ := strings.Cut(strings.TrimPrefix(a, "@"), "@")
		ok[norm(user, host)] = true
	}
	var bad []string
	for _, m := range findMentions(text) {
		if !ok[norm(m.user, m.host)] {
			bad = append(bad, text[m.start:m.end])
		}
	}
	return bad
}
