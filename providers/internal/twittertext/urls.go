package twittertext

import (
	"regexp"
	"strings"
	"unicode"
)

// The URL extractor follows twitter-text's extractUrlsWithIndices (the
// JavaScript implementation, which parseTweet uses): one regular expression
// finds a preceding character, an optional protocol, a domain, an optional
// port, path and query; then a URL without a protocol is cut down to its
// ASCII domain(s), a t.co URL loses what follows its slug, and a URL whose
// domain labels are too long once punycode-encoded is dropped.
//
// Go's regexp has no look-ahead, so the protocol and domain parts are matched
// by hand below, reproducing the choices a backtracking engine makes (labels
// taken greedily, then given back one by one until a TLD fits). Port, path
// and query have no look-around and are matched with regexp, whose
// leftmost-first semantics are those of a backtracking engine.

const (
	maxURLLength      = 4096 // protocol + URL, in UTF-16 code units
	maxTcoSlugLength  = 40
	maxDomainLabelLen = 63
	defaultProtocol   = "https://"
)

const (
	latinAccentChars = `\x{00C0}-\x{00D6}\x{00D8}-\x{00F6}\x{00F8}-\x{00FF}\x{0100}-\x{024F}` +
		`\x{0253}\x{0254}\x{0256}\x{0257}\x{0259}\x{025B}\x{0263}\x{0268}\x{026F}\x{0272}\x{0289}\x{028B}` +
		`\x{02BB}\x{0300}-\x{036F}\x{1E00}-\x{1EFF}`
	cyrillicChars   = `\x{0400}-\x{04FF}`
	urlPathChar     = `[A-Za-z` + cyrillicChars + `0-9!*';:=+,.$/%#\[\]\-\x{2013}_~@|&` + latinAccentChars + `]`
	urlParens       = `\((?:` + urlPathChar + `+|(?:` + urlPathChar + `*\(` + urlPathChar + `+\)` + urlPathChar + `*))\)`
	urlPathEnd      = `(?:[+\-A-Za-z` + cyrillicChars + `0-9=_#/` + latinAccentChars + `]|` + urlParens + `)`
	urlPathSegment  = `(?:(?:` + urlPathChar + `*(?:` + urlParens + urlPathChar + `*)*` + urlPathEnd + `)|(?:@` + urlPathChar + `+/))`
	urlQueryChar    = `[A-Za-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]`
	urlQueryEndChar = `[A-Za-z0-9\-_&=#/]`
)

var (
	urlPathRe  = regexp.MustCompile(`^/` + urlPathSegment + `*`)
	urlQueryRe = regexp.MustCompile(`^\?` + urlQueryChar + `*` + urlQueryEndChar)
	tcoRe      = regexp.MustCompile(`^[hH][tT][tT][pP][sS]?://[tT]\.[cC][oO]/([A-Za-z0-9]+)(?:\?` + urlQueryChar + `*` + urlQueryEndChar + `)?`)
)

// isPunct is twitter-text's punctuation set for domains. It leaves out '"'
// and '`', as twitter-text does.
func isPunct(r rune) bool { return r >= 0 && r < 0x80 && asciiPunct[r] }

var asciiPunct = func() (t [128]bool) {
	for _, c := range `!'#%&()*+,\-./:;<=>?@[]^_{|}~$` {
		t[c] = true
	}
	return t
}()

// isSpace is twitter-text's set of spaces.
func isSpace(r rune) bool {
	switch {
	case r >= 0x09 && r <= 0x0D, r == 0x20, r == 0x85, r == 0xA0, r == 0x1680, r == 0x180E,
		r >= 0x2000 && r <= 0x200A, r == 0x2028, r == 0x2029, r == 0x202F, r == 0x205F, r == 0x3000:
		return true
	}
	return false
}

// isInvalidChar reports the code points twitter-text refuses in a post.
func isInvalidChar(r rune) bool { return r == 0xFFFE || r == 0xFEFF || r == 0xFFFF }

// isDirectional reports the bidirectional formatting marks twitter-text
// lets precede a URL.
func isDirectional(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r == 0x061C || r == 0x200E || r == 0x200F || r >= 0x2066 && r <= 0x2069
}

// isDomainChar is a character a domain label may hold: anything but
// punctuation, spaces, invalid characters and directional marks.
func isDomainChar(r rune) bool {
	if r < 0x80 {
		return r >= 0 && !asciiPunct[r] && !(r >= 0x09 && r <= 0x0D) && r != ' '
	}
	return !isSpace(r) && !isInvalidChar(r) && !isDirectional(r)
}

func isASCIIAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// isURLPreceding is a character that may stand just before a URL.
func isURLPreceding(r rune) bool {
	return !isASCIIAlnum(r) && r != '@' && r != '＠' && r != '$' && r != '#' && r != '＃' && !isInvalidChar(r)
}

// tldFollows is the look-ahead after a TLD: the end of the text or a
// character that cannot continue a host name.
func tldFollows(r rune) bool {
	return r < 0 || !(isASCIIAlnum(r) || r == '@' || r == '+' || r == '-')
}

func isLatinAccent(r rune) bool {
	switch {
	case r >= 0xC0 && r <= 0xD6, r >= 0xD8 && r <= 0xF6, r >= 0xF8 && r <= 0x24F,
		r == 0x253, r == 0x254, r == 0x256, r == 0x257, r == 0x259, r == 0x25B, r == 0x263, r == 0x268,
		r == 0x26F, r == 0x272, r == 0x289, r == 0x28B, r == 0x2BB, r >= 0x300 && r <= 0x36F,
		r >= 0x1E00 && r <= 0x1EFF:
		return true
	}
	return false
}

// isASCIIDomainChar is a character of validAsciiDomain's labels.
func isASCIIDomainChar(r rune) bool { return isASCIIAlnum(r) || r == '-' || isLatinAccent(r) }

// tldSet holds a list of TLDs: those written in ASCII in a set, matched
// whole against the run of ASCII letters and digits at a position (the
// look-ahead after a TLD forbids the run to go on), and the others by their
// first code point (upper-cased by canonicalCase), longest first.
type tldSet struct {
	ascii    map[string]bool
	maxASCII int
	other    map[rune][][]rune
}

func newTLDSet(list []string) tldSet {
	set := tldSet{ascii: map[string]bool{}, other: map[rune][][]rune{}}
	for _, tld := range list { // the list is sorted longest first
		if isASCIIString(tld) {
			set.ascii[tld] = true
			set.maxASCII = max(set.maxASCII, len(tld))
			continue
		}
		rs := []rune(tld)
		k := canonicalCase(rs[0])
		set.other[k] = append(set.other[k], rs)
	}
	return set
}

func isASCIIString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

var (
	genericTLDSet = newTLDSet(genericTLDs)
	countryTLDSet = newTLDSet(countryTLDs)
)

// foldEq compares two code points ignoring case as JavaScript's
// case-insensitive regular expressions do: both are upper-cased, and a
// non-ASCII code point whose upper case is ASCII ('ı', 'ſ') stays as it is.
func foldEq(a, b rune) bool {
	if a == b {
		return true
	}
	if a < 0x80 && b < 0x80 {
		return a|0x20 == b|0x20 && a|0x20 >= 'a' && a|0x20 <= 'z'
	}
	return canonicalCase(a) == canonicalCase(b)
}

func canonicalCase(r rune) rune {
	u := unicode.ToUpper(r)
	if r >= 0x80 && u < 0x80 {
		return r
	}
	return u
}

// match returns the end of the first TLD of the set found at r[i:] whose
// next character passes tldFollows within r[:limit], or -1.
func (set tldSet) match(r []rune, i, limit int) int {
	if i >= limit {
		return -1
	}
	for _, tld := range set.other[canonicalCase(r[i])] {
		end := i + len(tld)
		if end > limit {
			continue
		}
		ok := true
		for k, c := range tld {
			if !foldEq(r[i+k], c) {
				ok = false
				break
			}
		}
		next := rune(-1)
		if end < limit {
			next = r[end]
		}
		if ok && tldFollows(next) {
			return end
		}
	}
	// An ASCII TLD must take the whole run of ASCII letters and digits,
	// and be followed by none of '@', '+', '-'.
	var buf [32]byte
	end := i
	for end < limit && isASCIIAlnum(r[end]) {
		if end-i >= set.maxASCII {
			return -1
		}
		buf[end-i] = byte(r[end]) | 0x20
		if r[end] <= '9' {
			buf[end-i] = byte(r[end])
		}
		end++
	}
	if end == i || end < limit && !tldFollows(r[end]) || !set.ascii[string(buf[:end-i])] {
		return -1
	}
	return end
}

// matchPunycodeTLD matches `xn--[-0-9a-z]+` (any case) at r[i:limit].
func matchPunycodeTLD(r []rune, i, limit int) int {
	if i+4 >= limit || !foldEq(r[i], 'x') || !foldEq(r[i+1], 'n') || r[i+2] != '-' || r[i+3] != '-' {
		return -1
	}
	j := i + 4
	for j < limit && (isASCIIAlnum(r[j]) || r[j] == '-') {
		j++
	}
	if j == i+4 {
		return -1
	}
	return j
}

// matchTLD tries the generic TLDs, then the country ones, then punycode.
func matchTLD(r []rune, i, limit int) int {
	if end := genericTLDSet.match(r, i, limit); end >= 0 {
		return end
	}
	if end := countryTLDSet.match(r, i, limit); end >= 0 {
		return end
	}
	return matchPunycodeTLD(r, i, limit)
}

// isLabelChar is a character of a domain label: a domain character, '-' or
// '_'.
func isLabelChar(r rune) bool { return isDomainChar(r) || r == '-' || r == '_' }

// labelDot returns the '.' that ends the label at r[i:] — a run of domain
// characters, '-' and '_' that starts and ends with a domain character —
// or -1 when no label starts at i.
func (m *urlMatcher) labelDot(i int) int {
	r := m.t.r
	if i >= len(r) || !isDomainChar(r[i]) {
		return -1
	}
	j := int(m.runEnd[i])
	if j >= len(r) || r[j] != '.' || !isDomainChar(r[j-1]) {
		return -1
	}
	return j
}

// tldAt is matchTLD at i, remembered.
func (m *urlMatcher) tldAt(i int) int {
	if m.tld[i] == unknown {
		m.tld[i] = int32(matchTLD(m.t.r, i, len(m.t.r)))
	}
	return int(m.tld[i])
}

const unknown = -2

// matchDomain matches twitter-text's validDomain at r[i:]:
// subdomain* domainName (gTLD | ccTLD | punycode), where subdomains may hold
// '_' and the domain name may not. It returns the end of the domain or -1.
//
// A backtracking engine takes every label it can as a subdomain, then gives
// them back one at a time until a label without '_' is followed by a TLD:
// the domain name is the last label of the chain that qualifies. That label
// is remembered per position (m.best), so scanning a long chain of labels
// from each of its positions stays linear.
func (m *urlMatcher) matchDomain(i int) int {
	// Walk the chain of labels from i up to its end or to a position
	// already solved.
	chain := m.chain[:0]
	for p := i; ; {
		if m.best[p] != unknown {
			break
		}
		dot := m.labelDot(p)
		if dot < 0 {
			m.best[p] = -1
			break
		}
		chain = append(chain, int32(p))
		p = dot + 1
	}
	m.chain = chain
	// Solve it backwards: a later label wins over this one.
	for k := len(chain) - 1; k >= 0; k-- {
		p := int(chain[k])
		dot := m.labelDot(p)
		switch {
		case m.best[dot+1] >= 0:
			m.best[p] = m.best[dot+1]
		case m.under[dot] == m.under[p] && m.tldAt(dot+1) >= 0:
			m.best[p] = int32(dot)
		default:
			m.best[p] = -1
		}
	}
	if m.best[i] < 0 {
		return -1
	}
	return m.tldAt(int(m.best[i]) + 1)
}

// matchProtocol matches `https?://` (any case) at r[i:] and returns its end
// or -1.
func matchProtocol(r []rune, i int) int {
	if i+7 > len(r) || !foldEq(r[i], 'h') || !foldEq(r[i+1], 't') || !foldEq(r[i+2], 't') || !foldEq(r[i+3], 'p') {
		return -1
	}
	j := i + 4
	if foldEq(r[j], 's') {
		j++
	}
	if j+3 <= len(r) && r[j] == ':' && r[j+1] == '/' && r[j+2] == '/' {
		return j + 3
	}
	return -1
}

// rawURL is one match of the URL expression, in code point indices.
type rawURL struct {
	before                 int // index of the preceding character, -1 at the start of the text
	start, end             int // the URL
	protoEnd               int // == start when there is no protocol
	domainStart, domainEnd int
	hasPath                bool
	// split is set when the URL starts at the second half (the low
	// surrogate) of the astral code point r[start]; see next.
	split bool
}

// urlMatcher holds what one extraction computes once per position.
type urlMatcher struct {
	t      *text
	runEnd []int32 // runEnd[i]: end of the run of label characters at i (i when none)
	under  []int32 // under[i]: how many '_' precede i
	best   []int32 // best[i]: the '.' ending the domain name of a domain at i, -1 for none, unknown
	tld    []int32 // tld[i]: tldAt(i), or unknown
	chain  []int32 // scratch
}

func newURLMatcher(t *text) *urlMatcher {
	n := len(t.r)
	buf := make([]int32, 4*(n+1))
	m := &urlMatcher{t: t, runEnd: buf[:n+1], under: buf[n+1 : 2*(n+1)], best: buf[2*(n+1) : 3*(n+1)], tld: buf[3*(n+1):]}
	for i := range m.best {
		m.best[i], m.tld[i] = unknown, unknown
	}
	m.runEnd[n] = int32(n)
	for i := n - 1; i >= 0; i-- {
		switch {
		case !isLabelChar(t.r[i]):
			m.runEnd[i] = int32(i)
		case i+1 < n && isLabelChar(t.r[i+1]):
			m.runEnd[i] = m.runEnd[i+1]
		default:
			m.runEnd[i] = int32(i + 1)
		}
	}
	for i, c := range t.r {
		m.under[i+1] = m.under[i]
		if c == '_' {
			m.under[i+1]++
		}
	}
	return m
}

// matchAt tries the URL expression with the URL starting at u.
func (m *urlMatcher) matchAt(u int, protocol bool) (rawURL, bool) {
	r := m.t.r
	res := rawURL{start: u, protoEnd: u, domainStart: u}
	var end int
	if p := matchProtocol(r, u); protocol && p >= 0 {
		if end = m.matchDomain(p); end >= 0 {
			res.protoEnd, res.domainStart = p, p
		}
	}
	if res.protoEnd == u {
		if end = m.matchDomain(u); end < 0 {
			return rawURL{}, false
		}
	}
	res.domainEnd = end
	// Port.
	if end+1 < len(r) && r[end] == ':' && r[end+1] >= '0' && r[end+1] <= '9' {
		end += 2
		for end < len(r) && r[end] >= '0' && r[end] <= '9' {
			end++
		}
	}
	// Path.
	if end < len(r) && r[end] == '/' {
		n := len(urlPathRe.FindString(m.t.s[m.t.off[end]:]))
		end = m.t.runeAtByte(m.t.off[end] + n)
		res.hasPath = true
	}
	// Query.
	if end < len(r) && r[end] == '?' {
		if n := len(urlQueryRe.FindString(m.t.s[m.t.off[end]:])); n > 0 {
			end = m.t.runeAtByte(m.t.off[end] + n)
		}
	}
	res.end = end
	return res, true
}

// next finds the first match of the URL expression that starts at or after
// code point from, as a global regular expression search would.
func (m *urlMatcher) next(from int) (rawURL, bool) {
	r := m.t.r
	for s := from; s <= len(r); s++ {
		if s < len(r) && r[s] > 0xFFFF {
			// twitter-text's expression runs on UTF-16: the high surrogate
			// of an astral code point may be the preceding character, and
			// the low one, a domain character, the start of the URL.
			if res, ok := m.matchAt(s, false); ok {
				res.before, res.split = s, true
				return res, true
			}
		}
		if s < len(r) && isURLPreceding(r[s]) {
			if res, ok := m.matchAt(s+1, true); ok {
				res.before = s
				return res, true
			}
		}
		if s == 0 {
			if res, ok := m.matchAt(0, true); ok {
				res.before = -1
				return res, true
			}
		}
	}
	return rawURL{}, false
}

// urlEntity is an extracted URL: Value as twitter-text reports it, and its
// code point indices in the text.
type urlEntity struct {
	start, end int
	value      string
}

// len16 is the URL's length as twitter-text reports it, in UTF-16 code
// units. It is the length of its span, except when an ASCII domain found
// inside a longer domain stands for it (see findURLs).
func (u urlEntity) len16() int { return utf16Length(u.value) }

// extractURLs finds the URLs of t as twitter-text's extractUrlsWithIndices
// does, with URLs without a protocol included.
func extractURLs(t *text) []urlEntity { return findURLs(t, true) }

// findURLs is extractUrlsWithIndices with its extractUrlsWithoutProtocol
// option.
func findURLs(t *text, withoutProtocol bool) []urlEntity {
	if !t.hasRune('.') || !withoutProtocol && !t.hasRune(':') {
		return nil
	}
	m := newURLMatcher(t)
	var urls []urlEntity
	for pos := 0; pos <= len(t.r); {
		raw, ok := m.next(pos)
		if !ok {
			break
		}
		pos = raw.end
		domain := t.r[raw.domainStart:raw.domainEnd]
		protoLen := raw.protoEnd - raw.start
		if protoLen == 0 {
			protoLen = len(defaultProtocol)
		}
		if !validURLLength(t, raw, protoLen) || !validDomainLabels(domain) {
			continue
		}
		if raw.protoEnd == raw.start {
			if !withoutProtocol || raw.before >= 0 && strings.ContainsRune("-_./", t.r[raw.before]) {
				continue
			}
			found := asciiDomains(domain)
			if len(found) == 0 {
				continue
			}
			prevEnd := 0
			for k, d := range found {
				// twitter-text places each ASCII domain at the first copy of
				// its text from the end of the previous one, which is not
				// always where it was found ("t.co0…t.co").
				at := indexRunes(domain, domain[d[0]:d[1]], prevEnd)
				prevEnd = at + d[1] - d[0]
				e := urlEntity{start: raw.domainStart + at, end: raw.domainStart + prevEnd}
				e.value = t.slice(e.start, e.end)
				if k == len(found)-1 && raw.hasPath {
					// twitter-text puts the ASCII domain in place of the whole
					// domain and keeps what followed it.
					e.value += t.slice(raw.domainEnd, raw.end)
					e.end = raw.end
				}
				urls = append(urls, e)
			}
			continue
		}
		e := urlEntity{start: raw.start, end: raw.end, value: t.slice(raw.start, raw.end)}
		if loc := tcoRe.FindStringSubmatchIndex(e.value); loc != nil {
			if loc[3]-loc[2] > maxTcoSlugLength {
				continue
			}
			e.value = e.value[:loc[1]]
			e.end = t.runeAtByte(t.off[e.start] + loc[1])
		}
		urls = append(urls, e)
	}
	return urls
}

// indexRunes returns the index of the first sub in s at or after from, or
// -1.
func indexRunes(s, sub []rune, from int) int {
	for i := from; i+len(sub) <= len(s); i++ {
		if equalRunes(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

func equalRunes(a, b []rune) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// validURLLength is twitter-text's bound on protocol plus URL, in UTF-16
// code units. (twitter-text meant to count the punycode form of the domain
// but its encoder returns the domain unchanged, so the URL as written is
// what counts.)
func validURLLength(t *text, raw rawURL, protoLen int) bool {
	start := t.u16[raw.start]
	if raw.split {
		start++
	}
	return protoLen+t.u16[raw.end]-start <= maxURLLength
}

// validDomainLabels is twitter-text's idna.toAscii check: a domain written
// with "xn--" must hold an ASCII domain, and every label must be 1 to 63
// characters once punycode-encoded.
func validDomainLabels(domain []rune) bool {
	if len(domain) >= 4 && string(domain[:4]) == "xn--" && len(asciiDomains(domain)) == 0 {
		return false
	}
	start := 0
	for i := 0; i <= len(domain); i++ {
		if i < len(domain) && domain[i] != '.' {
			continue
		}
		n := asciiLabelLength(domain[start:i])
		if n < 1 || n > maxDomainLabelLen {
			return false
		}
		start = i + 1
	}
	return true
}

// asciiLabelLength is the length of punycode.toASCII(label): the label
// itself when it is ASCII, else "xn--" and its punycode encoding.
func asciiLabelLength(label []rune) int {
	ascii := true
	for _, r := range label {
		if r > 0x7E {
			ascii = false
			break
		}
	}
	if ascii {
		return len(label)
	}
	if len(label) > maxDomainLabelLen {
		// Every code point yields at least one output character.
		return len(label) + 4
	}
	enc, ok := punycodeEncode(label)
	if !ok {
		return maxDomainLabelLen + 1
	}
	return len("xn--") + len(enc)
}

// asciiDomains finds twitter-text's validAsciiDomain in domain:
// ("name.")+ (gTLD | ccTLD | punycode) with names of ASCII letters, digits,
// '-' and Latin accented letters. It returns [start, end) pairs, left to
// right and not overlapping, as a global search finds them.
func asciiDomains(domain []rune) [][2]int {
	n := len(domain)
	// runEnd[i]: end of the run of name characters at i; best[i]: for a
	// match starting at i, the '.' after which its TLD starts (the last one
	// that works, as backtracking finds it), -1 for none.
	runEnd := make([]int32, n+1)
	best := make([]int32, n+1)
	runEnd[n], best[n] = int32(n), -1
	for i := n - 1; i >= 0; i-- {
		runEnd[i] = int32(i)
		if isASCIIDomainChar(domain[i]) {
			runEnd[i] = int32(i + 1)
			if i+1 < n && isASCIIDomainChar(domain[i+1]) {
				runEnd[i] = runEnd[i+1]
			}
		}
	}
	for i := n - 1; i >= 0; i-- {
		best[i] = -1
		dot := int(runEnd[i])
		if dot == i || dot >= n || domain[dot] != '.' {
			continue
		}
		if best[dot+1] >= 0 {
			best[i] = best[dot+1]
		} else if matchTLD(domain, dot+1, n) >= 0 {
			best[i] = int32(dot)
		}
	}
	var out [][2]int
	for a := 0; a < n; {
		if best[a] < 0 {
			a++
			continue
		}
		end := matchTLD(domain, int(best[a])+1, n)
		out = append(out, [2]int{a, end})
		a = end
	}
	return out
}
