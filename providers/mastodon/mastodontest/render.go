package mastodontest

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// entityKind is what a piece of typed text turned out to be.
type entityKind int

const (
	entURL entityKind = iota + 1
	entMention
	entTag
)

// entity is one URL, mention or hashtag found in the text a user typed,
// with byte offsets into that text.
type entity struct {
	kind       entityKind
	start, end int
	url        string // entURL: the URL as typed
	username   string // entMention: the user part
	domain     string // entMention: the host part, "" when none was typed
	tag        string // entTag: the name without '#'
}

// extract finds URLs (with a scheme only, as Mastodon extracts them),
// mentions and hashtags, in order and without overlaps.
func extract(text string) []entity {
	var out []entity
	for i := 0; i < len(text); {
		prev, _ := utf8.DecodeLastRuneInString(text[:i])
		if i == 0 {
			prev = ' '
		}
		if e, ok := extractURL(text, i, prev); ok {
			out = append(out, e)
			i = e.end
			continue
		}
		switch text[i] {
		case '@':
			if e, ok := extractMention(text, i, prev); ok {
				out = append(out, e)
				i = e.end
				continue
			}
		case '#':
			if e, ok := extractTag(text, i, prev); ok {
				out = append(out, e)
				i = e.end
				continue
			}
		}
		_, size := utf8.DecodeRuneInString(text[i:])
		i += size
	}
	return out
}

func isWord(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func extractURL(text string, i int, prev rune) (entity, bool) {
	rest := text[i:]
	if len(rest) < 8 || rest[0] != 'h' && rest[0] != 'H' {
		return entity{}, false
	}
	lower := strings.ToLower(rest[:8])
	var scheme int
	switch {
	case strings.HasPrefix(lower, "https://"):
		scheme = 8
	case strings.HasPrefix(lower, "http://"):
		scheme = 7
	default:
		return entity{}, false
	}
	if isWord(prev) || prev == '/' || prev == '@' {
		return entity{}, false
	}
	end := i + scheme
	for end < len(text) {
		r, size := utf8.DecodeRuneInString(text[end:])
		if unicode.IsSpace(r) || r == '<' || r == '>' || r == '"' || r == utf8.RuneError {
			break
		}
		end += size
	}
	// Trailing punctuation belongs to the sentence, not the URL; a closing
	// parenthesis stays only when the URL opened one.
	opens, closes := strings.Count(text[i:end], "("), strings.Count(text[i:end], ")")
	for end > i+scheme {
		c := text[end-1]
		if strings.IndexByte(".,:;!?'*", c) >= 0 {
			end--
			continue
		}
		if c == ')' && opens < closes {
			end--
			closes--
			continue
		}
		break
	}
	host := text[i+scheme : end]
	if j := strings.IndexAny(host, "/?#"); j >= 0 {
		host = host[:j]
	}
	if host == "" || !strings.ContainsAny(host, ".:") && host != "localhost" {
		return entity{}, false
	}
	return entity{kind: entURL, start: i, end: end, url: text[i:end]}, true
}

// usernameAt matches Mastodon's USERNAME_RE, [a-z0-9_]+([.-]+[a-z0-9_]+)*,
// case-insensitively, and returns its end.
func usernameAt(text string, i int) int {
	isU := func(c byte) bool {
		return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	j := i
	for j < len(text) && isU(text[j]) {
		j++
	}
	if j == i {
		return i
	}
	for {
		k := j
		for k < len(text) && (text[k] == '.' || text[k] == '-') {
			k++
		}
		if k == j || k == len(text) || !isU(text[k]) {
			return j
		}
		for k < len(text) && isU(text[k]) {
			k++
		}
		j = k
	}
}

// domainAt matches [[:word:]]+([.-]+[[:word:]]+)* and returns its end.
func domainAt(text string, i int) int {
	word := func(j int) int {
		for j < len(text) {
			r, size := utf8.DecodeRuneInString(text[j:])
			if !isWord(r) {
				break
			}
			j += size
		}
		return j
	}
	j := word(i)
	if j == i {
		return i
	}
	for {
		k := j
		for k < len(text) && (text[k] == '.' || text[k] == '-') {
			k++
		}
		if k == j {
			return j
		}
		e := word(k)
		if e == k {
			return j
		}
		j = e
	}
}

func extractMention(text string, i int, prev rune) (entity, bool) {
	if isWord(prev) || prev == '=' || prev == '/' {
		return entity{}, false
	}
	ue := usernameAt(text, i+1)
	if ue == i+1 {
		return entity{}, false
	}
	e := entity{kind: entMention, start: i, end: ue, username: text[i+1 : ue]}
	if ue < len(text) && text[ue] == '@' {
		if de := domainAt(text, ue+1); de > ue+1 {
			e.domain = text[ue+1 : de]
			e.end = de
		}
	}
	return e, true
}

func extractTag(text string, i int, prev rune) (entity, bool) {
	if isWord(prev) || prev == '/' || prev == ')' || prev == '#' || prev == '&' {
		return entity{}, false
	}
	j := i + 1
	letter := false
	for j < len(text) {
		r, size := utf8.DecodeRuneInString(text[j:])
		if !isWord(r) && r != '·' {
			break
		}
		if unicode.IsLetter(r) {
			letter = true
		}
		j += size
	}
	for j > i+1 && strings.HasSuffix(text[i+1:j], "·") {
		j -= len("·")
	}
	if j == i+1 || !letter {
		return entity{}, false
	}
	return entity{kind: entTag, start: i, end: j, tag: text[i+1 : j]}, true
}

// emojiCodes finds the :shortcode: custom emoji in text the way Mastodon
// does: 2+ of [a-zA-Z0-9_] between colons, not glued to letters or colons.
func emojiCodes(text string) []string {
	var out []string
	for i := 0; i < len(text); i++ {
		if text[i] != ':' {
			continue
		}
		if i > 0 {
			p, _ := utf8.DecodeLastRuneInString(text[:i])
			if p == ':' || unicode.IsLetter(p) || unicode.IsDigit(p) {
				continue
			}
		}
		j := i + 1
		for j < len(text) && (text[j] == '_' || text[j] >= '0' && text[j] <= '9' || text[j] >= 'a' && text[j] <= 'z' || text[j] >= 'A' && text[j] <= 'Z') {
			j++
		}
		if j-i-1 < 2 || j >= len(text) || text[j] != ':' {
			continue
		}
		if j+1 < len(text) {
			n, _ := utf8.DecodeRuneInString(text[j+1:])
			if n == ':' || unicode.IsLetter(n) || unicode.IsDigit(n) {
				continue
			}
		}
		out = append(out, text[i+1:j])
		i = j
	}
	return out
}

// escapeHTML escapes as Rails' h() does (' becomes &#39;, " &quot;).
func escapeHTML(s string) string {
	if !strings.ContainsAny(s, `&<>"'`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&#39;")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// resolvedMention is a mention entity matched to an account.
type resolvedMention struct {
	ent  entity
	acct *account
}

// rendered is what the server makes of the text a user typed.
type rendered struct {
	content  string
	mentions []*account // distinct, in order of first appearance
	tags     []string   // distinct lower-cased names, in order
	emojis   []string   // distinct known shortcodes, in order
}

// render turns typed plain text into content HTML as the flavor's server
// does. resolve maps a mention to an account, or nil when it names nobody
// (then it stays plain text, as on Mastodon). known says whether a custom
// emoji exists.
func render(f Flavor, domain, text string, resolve func(username, domain string) *account, known func(string) bool) rendered {
	var r rendered
	ents := extract(text)
	var ms []resolvedMention
	seenAcct := map[*account]bool{}
	seenTag := map[string]bool{}
	kept := ents[:0:0]
	for _, e := range ents {
		switch e.kind {
		case entMention:
			a := resolve(e.username, e.domain)
			if a == nil {
				continue
			}
			ms = append(ms, resolvedMention{e, a})
			if !seenAcct[a] {
				seenAcct[a] = true
				r.mentions = append(r.mentions, a)
			}
		case entTag:
			n := strings.ToLower(e.tag)
			if !seenTag[n] {
				seenTag[n] = true
				r.tags = append(r.tags, n)
			}
		}
		kept = append(kept, e)
	}
	// Mastodon shows a mention as its username alone unless two mentioned
	// accounts share it; then it shows username@domain.
	sameName := map[string]int{}
	for _, a := range r.mentions {
		sameName[strings.ToLower(a.username)]++
	}
	accts := map[int]*account{}
	for _, m := range ms {
		accts[m.ent.start] = m.acct
	}
	var body strings.Builder
	pos := 0
	for _, e := range kept {
		body.WriteString(escapeHTML(text[pos:e.start]))
		switch e.kind {
		case entURL:
			body.WriteString(linkHTML(f, e.url))
		case entMention:
			a := accts[e.start]
			name := a.username
			if sameName[strings.ToLower(a.username)] > 1 {
				name = a.acct
			}
			body.WriteString(mentionHTML(f, a.url, name))
		case entTag:
			body.WriteString(tagHTML(f, domain, e.tag))
		}
		pos = e.end
	}
	body.WriteString(escapeHTML(text[pos:]))
	r.content = paragraphs(f, body.String())
	seenEmoji := map[string]bool{}
	for _, c := range emojiCodes(text) {
		if known(c) && !seenEmoji[c] {
			seenEmoji[c] = true
			r.emojis = append(r.emojis, c)
		}
	}
	return r
}

// linkHTML renders a URL. Mastodon hides the scheme (and "www.") and shows
// at most 30 characters, the rest hidden behind an ellipsis; GoToSocial
// shows the URL as typed.
func linkHTML(f Flavor, url string) string {
	if f == GoToSocial {
		return `<a href="` + escapeHTML(url) + `" rel="nofollow noreferrer noopener" target="_blank">` + escapeHTML(url) + `</a>`
	}
	prefixLen := 0
	lower := strings.ToLower(url)
	for _, p := range []string{"https://www.", "http://www.", "https://", "http://"} {
		if strings.HasPrefix(lower, p) {
			prefixLen = len(p)
			break
		}
	}
	prefix, rest := url[:prefixLen], url[prefixLen:]
	display, suffix := rest, ""
	cut := utf8.RuneCountInString(rest) > 30
	if cut {
		n := 0
		for i := range rest {
			if n == 30 {
				display, suffix = rest[:i], rest[i:]
				break
			}
			n++
		}
	}
	class := ""
	if cut {
		class = "ellipsis"
	}
	return `<a href="` + escapeHTML(url) + `" rel="nofollow noopener" translate="no" target="_blank">` +
		`<span class="invisible">` + escapeHTML(prefix) + `</span>` +
		`<span class="` + class + `">` + escapeHTML(display) + `</span>` +
		`<span class="invisible">` + escapeHTML(suffix) + `</span></a>`
}

func mentionHTML(f Flavor, url, name string) string {
	if f == GoToSocial {
		return `<span class="h-card"><a href="` + escapeHTML(url) + `" class="u-url mention" rel="nofollow noreferrer noopener" target="_blank">@<span>` + escapeHTML(name) + `</span></a></span>`
	}
	return `<span class="h-card" translate="no"><a href="` + escapeHTML(url) + `" class="u-url mention">@<span>` + escapeHTML(name) + `</span></a></span>`
}

// tagURL is the hashtag's page: lower-cased, percent-encoded.
func tagURL(domain, tag string) string {
	return "https://" + domain + "/tags/" + url.PathEscape(strings.ToLower(tag))
}

func tagHTML(f Flavor, domain, tag string) string {
	href := tagURL(domain, tag)
	if f == GoToSocial {
		return `<a href="` + escapeHTML(href) + `" class="mention hashtag" rel="tag nofollow noreferrer noopener" target="_blank">#<span>` + escapeHTML(tag) + `</span></a>`
	}
	return `<a href="` + escapeHTML(href) + `" class="mention hashtag" rel="tag">#<span>` + escapeHTML(tag) + `</span></a>`
}

// paragraphs wraps escaped text the way Rails' simple_format does for
// Mastodon (a <p> per block split at blank lines, <br /> for single line
// breaks), or GoToSocial's one <p> with <br> for every line break.
func paragraphs(f Flavor, body string) string {
	if strings.TrimSpace(body) == "" {
		return ""
	}
	if f == GoToSocial {
		return "<p>" + strings.ReplaceAll(body, "\n", "<br>") + "</p>"
	}
	var b strings.Builder
	for _, p := range splitParagraphs(body) {
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(p, "\n", "<br />"))
		b.WriteString("</p>")
	}
	return b.String()
}

// splitParagraphs splits at a line break, optional whitespace, and another
// line break (Rails: /\n\s*\n/).
func splitParagraphs(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '\n' {
			continue
		}
		j := i + 1
		for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r' || s[j] == '\f' || s[j] == '\v') {
			j++
		}
		if j < len(s) && s[j] == '\n' {
			// Swallow the whole run of blank lines.
			k := j
			for k < len(s) && (s[k] == '\n' || s[k] == ' ' || s[k] == '\t' || s[k] == '\r') {
				k++
			}
			out = append(out, s[start:i])
			start = k
			i = k - 1
		}
	}
	out = append(out, s[start:])
	kept := out[:0]
	for _, p := range out {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return kept
}

// countLength measures a status as the server's length validator does:
// text plus spoiler text in grapheme clusters, every URL as reserved, and a
// remote mention as "@user" only (Mastodon).
func countLength(f Flavor, text, spoiler string, urlLen int) int {
	var b strings.Builder
	pos := 0
	for _, e := range extract(text) {
		switch e.kind {
		case entURL:
			b.WriteString(text[pos:e.start])
			b.WriteString(strings.Repeat("x", urlLen))
			pos = e.end
		case entMention:
			if f == Mastodon {
				b.WriteString(text[pos:e.start])
				b.WriteString("@" + e.username)
				pos = e.end
			}
		}
	}
	b.WriteString(text[pos:])
	return graphemes(b.String()) + graphemes(spoiler)
}

// graphemes counts extended grapheme clusters (UAX #29), as Ruby's
// each_grapheme_cluster does for Mastodon's length validator.
func graphemes(s string) int { return uniseg.GraphemeClusterCount(s) }
