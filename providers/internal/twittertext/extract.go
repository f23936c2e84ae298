package twittertext

import (
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Kind says what an Entity is.
type Kind int

// The kinds of entities.
const (
	URL     Kind = iota // Value is the URL
	Mention             // Value is the screen name; ListSlug is set for a list
	Hashtag             // Value is the tag without '#'
	Cashtag             // Value is the symbol without '$'
)

var kindNames = [...]string{"url", "mention", "hashtag", "cashtag"}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Entity is something found in a text: a URL, a mention, a hashtag or a
// cashtag.
type Entity struct {
	// Kind is what the entity is.
	Kind Kind
	// Start and End are byte offsets in the text as given: text[Start:End]
	// is the entity as written, with its '@' or '#'.
	Start, End int
	// UTF16Start and UTF16End are the same span in UTF-16 code units, the
	// indices twitter-text (and the X API) report.
	UTF16Start, UTF16End int
	// Value is the URL, the screen name without '@', or the hashtag
	// without '#'.
	Value string
	// ListSlug is set for a list mention ("@user/list"): "/list", with its
	// slash, as twitter-text reports it. Value is then the list's owner.
	ListSlug string
}

func (t *text) entity(kind Kind, start, end int, value string) Entity {
	return Entity{Kind: kind, Start: t.off[start], End: t.off[end], UTF16Start: t.u16[start], UTF16End: t.u16[end], Value: value}
}

// ExtractURLs returns the URLs of text, with or without a protocol, as
// twitter-text's extractUrlsWithIndices finds them. The text is not
// normalised: offsets refer to it as given.
func ExtractURLs(text string) []Entity {
	t := newText(text)
	var out []Entity
	for _, u := range extractURLs(t) {
		out = append(out, t.entity(URL, u.start, u.end, u.value))
	}
	return out
}

// ExtractURLsWithProtocol returns only the URLs that start with http:// or
// https://, as extractUrlsWithIndices does with extractUrlsWithoutProtocol
// off. Mastodon counts these URLs, and no others, at a fixed length.
func ExtractURLsWithProtocol(text string) []Entity {
	t := newText(text)
	var out []Entity
	for _, u := range findURLs(t, false) {
		out = append(out, t.entity(URL, u.start, u.end, u.value))
	}
	return out
}

// Mentions.

func isAtSign(r rune) bool { return r == '@' || r == '＠' }

func isScreenNameChar(r rune) bool { return isASCIIAlnum(r) || r == '_' }

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

const (
	maxScreenNameLength = 20 // twitter-text's bound; X handles are at most 15
	maxListSlugLength   = 25 // letters after the slash, the first included
)

// mentionEndsBadly is twitter-text's endMentionMatch: a mention followed by
// an '@' (an e-mail or a fediverse handle), a Latin accented letter (the
// name goes on) or "://" (a URL scheme) is no mention.
func mentionEndsBadly(t *text, i int) bool {
	r := t.at(i)
	return isAtSign(r) || isLatinAccent(r) || r == ':' && t.at(i+1) == '/' && t.at(i+2) == '/'
}

// mentionAt tries validMentionOrList with the match starting at s and
// returns the index of the '@', or -1. The expression's alternatives for
// what precedes the '@' are tried in its order, each only if a name follows.
func mentionAt(t *text, s int) int {
	r := t.at(s)
	var cands [4]int
	n := 0
	add := func(at int) {
		if at >= 0 {
			cands[n] = at
			n++
		}
	}
	if s == 0 && isAtSign(r) { // ^@
		add(0)
	}
	if r >= 0 && !isScreenNameChar(r) && !isAtSign(r) && !isRune(r, "!#$%&*") && isAtSign(t.at(s+1)) {
		add(s + 1)
	}
	if s == 0 { // ^RT:?@
		add(atAfterRT(t, 0))
	}
	if r >= 0 && !isScreenNameChar(r) && !isRune(r, "+~.-") {
		add(atAfterRT(t, s+1))
	}
	for _, at := range cands[:n] {
		if isScreenNameChar(t.at(at + 1)) {
			return at
		}
	}
	return -1
}

// atAfterRT matches "RT", an optional ':' and an at sign at i (any case of
// "rt") and returns the index of the at sign, or -1.
func atAfterRT(t *text, i int) int {
	if !isRT(t, i) {
		return -1
	}
	if t.at(i+2) == ':' && isAtSign(t.at(i+3)) {
		return i + 3
	}
	if isAtSign(t.at(i + 2)) {
		return i + 2
	}
	return -1
}

func isRT(t *text, i int) bool {
	a, b := t.at(i), t.at(i+1)
	return (a == 'r' || a == 'R') && (b == 't' || b == 'T')
}

func isRune(r rune, set string) bool {
	for _, c := range set {
		if r == c {
			return true
		}
	}
	return false
}

// extractMentionsOrLists is twitter-text's extractMentionsOrListsWithIndices.
func extractMentionsOrLists(t *text) []Entity {
	var out []Entity
	nextAt := 0 // index of the next at sign at or after s
	for s := 0; s < len(t.r); {
		// A match starting at s has its at sign within s..s+4: skip ahead.
		if nextAt < s {
			nextAt = s
		}
		for nextAt < len(t.r) && !isAtSign(t.r[nextAt]) {
			nextAt++
		}
		if nextAt == len(t.r) {
			break
		}
		s = max(s, nextAt-4)
		at := mentionAt(t, s)
		if at < 0 {
			s++
			continue
		}
		name := at + 1
		end := name
		for end < len(t.r) && end-name < maxScreenNameLength && isScreenNameChar(t.r[end]) {
			end++
		}
		e := t.entity(Mention, at, end, t.slice(name, end))
		if t.at(end) == '/' && isASCIILetter(t.at(end+1)) {
			slug := end + 2
			for slug < len(t.r) && slug-(end+1) < maxListSlugLength && (isScreenNameChar(t.r[slug]) || t.r[slug] == '-') {
				slug++
			}
			e = t.entity(Mention, at, slug, e.Value)
			e.ListSlug = t.slice(end, slug)
			end = slug
		}
		if !mentionEndsBadly(t, end) {
			out = append(out, e)
		}
		s = end
	}
	return out
}

// ExtractMentionsOrLists returns the mentions ("@user") and list mentions
// ("@user/list") of text, as twitter-text's
// extractMentionsOrListsWithIndices finds them: after a character that
// cannot be part of a name (or after "RT"/"RT:"), with 1 to 20 name
// characters, and not followed by '@', a Latin accented letter or "://" —
// so "@user@host" (a fediverse handle, an e-mail) mentions nobody.
func ExtractMentionsOrLists(text string) []Entity {
	if !containsAtSign(text) {
		return nil
	}
	return extractMentionsOrLists(newText(text))
}

// ExtractMentions returns the mentions of text that are not list mentions.
func ExtractMentions(text string) []Entity {
	var out []Entity
	for _, e := range ExtractMentionsOrLists(text) {
		if e.ListSlug == "" {
			out = append(out, e)
		}
	}
	return out
}

func containsAtSign(s string) bool {
	for _, r := range s {
		if isAtSign(r) {
			return true
		}
	}
	return false
}

// ExtractReply returns the account a text replies to, as twitter-text's
// extractReplies does: a mention that comes first, after nothing but
// spaces. ok is false when the text is no reply.
func ExtractReply(text string) (e Entity, ok bool) {
	t := newText(text)
	i := 0
	for i < len(t.r) && isSpace(t.r[i]) {
		i++
	}
	if !isAtSign(t.at(i)) {
		return Entity{}, false
	}
	end := i + 1
	for end < len(t.r) && end-(i+1) < maxScreenNameLength && isScreenNameChar(t.r[end]) {
		end++
	}
	if end == i+1 || mentionEndsBadly(t, end) {
		return Entity{}, false
	}
	return t.entity(Mention, i, end, t.slice(i+1, end)), true
}

// Hashtags.

var hashtagSpecials = map[rune]bool{
	'_': true, 0x200C: true, 0x200D: true, 0xA67E: true, 0x05BE: true, 0x05F3: true, 0x05F4: true,
	0xFF5E: true, 0x301C: true, 0x309B: true, 0x309C: true, 0x30A0: true, 0x30FB: true, 0x3003: true,
	0x0F0B: true, 0x0F0C: true, 0x00B7: true,
}

// hashtagExtraLetters are code points twitter-text counts as letters though
// Go's Unicode tables do not: private-use characters that Apple platforms
// use for letters (the Java port lists them too) and two Latin letters of
// Unicode 16.
var hashtagExtraLetters = &unicode.RangeTable{
	R16: []unicode.Range16{
		{0xA7CB, 0xA7CB, 1}, {0xA7DC, 0xA7DC, 1},
		{0xF870, 0xF87F, 1}, {0xF882, 0xF882, 1}, {0xF884, 0xF89F, 1}, {0xF8B8, 0xF8B8, 1}, {0xF8C1, 0xF8D6, 1},
	},
}

// isHashtagAlpha is a letter or a mark: a hashtag needs one.
func isHashtagAlpha(r rune) bool {
	return unicode.In(r, unicode.L, unicode.M) || unicode.Is(hashtagExtraLetters, r)
}

// isHashtagAlnum is any character a hashtag may hold.
func isHashtagAlnum(r rune) bool {
	return isHashtagAlpha(r) || unicode.Is(unicode.Nd, r) || hashtagSpecials[r]
}

func isHashSign(r rune) bool { return r == '#' || r == '＃' }

// extractHashtags is twitter-text's validHashtag search, before URL
// overlaps are removed.
func extractHashtags(t *text) []Entity {
	var out []Entity
	nextHash := 0 // index of the next hash sign at or after s
	for s := 0; s < len(t.r); {
		// A match starting at s has its hash sign at s or s+1: skip ahead.
		if nextHash < s {
			nextHash = s
		}
		for nextHash < len(t.r) && !isHashSign(t.r[nextHash]) {
			nextHash++
		}
		if nextHash == len(t.r) {
			break
		}
		s = max(s, nextHash-1)
		hash, end := hashtagAt(t, s)
		if hash < 0 {
			s++
			continue
		}
		after := t.at(end)
		if !isHashSign(after) && !(after == ':' && t.at(end+1) == '/' && t.at(end+2) == '/') {
			out = append(out, t.entity(Hashtag, hash, end, t.slice(hash+1, end)))
		}
		s = end
	}
	return out
}

// hashtagAt tries validHashtag with the match starting at s: the hash sign
// at the start of the text, or after a variation selector or a character
// that cannot be part of a hashtag (nor '&'); then not U+FE0F or U+20E3;
// then hashtag characters, at least one a letter or mark. It returns the
// index of the hash sign and the end of the tag, or -1.
func hashtagAt(t *text, s int) (hash, end int) {
	r := t.at(s)
	var cands [2]int
	n := 0
	if s == 0 {
		cands[n] = 0
		n++
	}
	if r == vs15 || r == vs16 || r >= 0 && !isHashtagAlnum(r) && r != '&' {
		cands[n] = s + 1
		n++
	}
	for _, h := range cands[:n] {
		if !isHashSign(t.at(h)) {
			continue
		}
		if next := t.at(h + 1); next == vs16 || next == keycap {
			continue
		}
		end, alpha := h+1, false
		for end < len(t.r) && isHashtagAlnum(t.r[end]) {
			alpha = alpha || isHashtagAlpha(t.r[end])
			end++
		}
		if alpha {
			return h, end
		}
	}
	return -1, -1
}

// ExtractHashtags returns the hashtags of text as twitter-text's
// extractHashtagsWithIndices finds them: a '#' after a character that
// cannot be part of a hashtag, then letters, marks, digits and a few
// joiners with at least one letter or mark, not followed by '#' or "://",
// and not inside a URL.
func ExtractHashtags(text string) []Entity {
	if !containsHashSign(text) {
		return nil
	}
	t := newText(text)
	tags := extractHashtags(t)
	if len(tags) == 0 {
		return nil
	}
	var all []Entity
	for _, u := range extractURLs(t) {
		all = append(all, t.entity(URL, u.start, u.end, u.value))
	}
	if len(all) == 0 {
		return tags
	}
	var out []Entity
	for _, e := range removeOverlaps(append(tags, all...)) {
		if e.Kind == Hashtag {
			out = append(out, e)
		}
	}
	return out
}

// removeOverlaps is twitter-text's removeOverlappingEntities: entities in
// order of their start (ties keep their order), each dropped when it starts
// before the end of the last one kept.
func removeOverlaps(es []Entity) []Entity {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Start < es[j].Start })
	out := es[:0]
	for _, e := range es {
		if n := len(out); n > 0 && out[n-1].End > e.Start {
			continue
		}
		out = append(out, e)
	}
	return out
}

// ExtractEntities returns the URLs, mentions (and list mentions), hashtags
// and cashtags of text in text order, as twitter-text's
// extractEntitiesWithIndices does: where two overlap, the one that starts
// first is kept (on a tie, a URL before a mention before a hashtag before a
// cashtag). This is what X links in a post: "https://host/@user" is a URL,
// not a mention.
func ExtractEntities(text string) []Entity {
	t := newText(text)
	var all []Entity
	for _, u := range extractURLs(t) {
		all = append(all, t.entity(URL, u.start, u.end, u.value))
	}
	if containsAtSign(text) {
		all = append(all, extractMentionsOrLists(t)...)
	}
	if containsHashSign(text) {
		all = append(all, extractHashtags(t)...)
	}
	all = append(all, ExtractCashtags(text)...)
	if len(all) == 0 {
		return nil
	}
	return removeOverlaps(all)
}

func containsHashSign(s string) bool {
	for _, r := range s {
		if isHashSign(r) {
			return true
		}
	}
	return false
}

// Cashtags.

// isJSSpace is JavaScript's \s.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// cashtagAt matches `\$[a-z]{1,6}(?:[._][a-z]{1,2})?` (any case) at the '$'
// at i, followed by the end, a space or punctuation, taking the longest
// form a backtracking engine would try first. It returns the end or -1.
func cashtagAt(t *text, i int) int {
	letters := 0
	for letters < 6 && isASCIILetter(t.at(i+1+letters)) {
		letters++
	}
	follows := func(j int) bool { r := t.at(j); return r < 0 || isJSSpace(r) || isPunct(r) }
	for n := letters; n >= 1; n-- {
		end := i + 1 + n
		if sep := t.at(end); sep == '.' || sep == '_' {
			for k := 2; k >= 1; k-- {
				ok := true
				for j := 1; j <= k; j++ {
					ok = ok && isASCIILetter(t.at(end+j))
				}
				if ok && follows(end+1+k) {
					return end + 1 + k
				}
			}
		}
		if follows(end) {
			return end
		}
	}
	return -1
}

// ExtractCashtags returns the cashtags of text ("$TWTR", "$BRK.A") as
// twitter-text's extractCashtagsWithIndices finds them: a '$' at the start
// or after a space, 1 to 6 letters, optionally '.' or '_' and 1 or 2 more,
// then the end, a space or punctuation. Value is the symbol without '$'.
func ExtractCashtags(text string) []Entity {
	if !strings.Contains(text, "$") {
		return nil
	}
	t := newText(text)
	var out []Entity
	for s := 0; s < len(t.r); {
		dollar := -1
		switch {
		case s == 0 && t.r[0] == '$':
			dollar = 0
		case isSpace(t.r[s]) && t.at(s+1) == '$':
			dollar = s + 1
		}
		if dollar < 0 {
			s++
			continue
		}
		end := cashtagAt(t, dollar)
		if end < 0 {
			s++
			continue
		}
		out = append(out, t.entity(Cashtag, dollar, end, t.slice(dollar+1, end)))
		s = end
	}
	return out
}
