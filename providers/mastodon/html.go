package mastodon

import (
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/dualpower/dualpower/providers"
)

// rendered is a status's HTML content as plain text with its entities, the
// way providers.Post holds them.
type rendered struct {
	Text     string
	Mentions []providers.Mention
	Links    []providers.Link
	Tags     []providers.Tag
}

// htmlContext is what the conversion needs besides the HTML: the status's
// mentions (to name mentioned accounts by their acct, not by the display
// text) and the local domain added to local accounts.
type htmlContext struct {
	Mentions    []mention
	LocalDomain string
}

// htmlToText turns a status's HTML content into plain text, the way a reader
// of the status sees it:
//
//   - paragraphs (<p>, and other blocks) are separated by a blank line, <br>
//     is a line break (so GoToSocial's <br><br> is a blank line too);
//   - a link is written as its full href, never the shortened display with
//     its "invisible" and "ellipsis" spans; a link whose text is not its URL
//     (Markdown from Akkoma) is written "text (href)";
//   - a mention (an <a> with class "mention" or "u-url", or whose href is a
//     mentioned account's URL) is written "@user@host", local accounts
//     getting ctx.LocalDomain;
//   - a hashtag is written "#name";
//   - a custom emoji <img> (Akkoma) is written as its ":code:" alt text;
//   - other tags are dropped and their text kept, HTML entities decoded,
//     <script>/<style> dropped whole, and Mastodon's "quote-inline" fallback
//     paragraph dropped (the quote is carried as Post.QuoteOf).
//
// Entities carry byte offsets into the text. Invalid UTF-8 in the input
// becomes U+FFFD. It never fails: whatever the input, the output is text.
func htmlToText(content string, ctx htmlContext) rendered {
	content = strings.ToValidUTF8(content, "\uFFFD")
	context := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(content), context)
	if err != nil {
		// The parser fails only when reading fails, which a string reader
		// does not; keep the text rather than lose the post.
		return rendered{Text: strings.TrimSpace(content)}
	}
	c := &converter{ctx: ctx}
	for _, n := range nodes {
		c.walk(n)
	}
	return c.finish()
}

type converter struct {
	ctx     htmlContext
	b       strings.Builder
	pending int // line breaks owed before the next text
	pre     int // depth of <pre> elements
	out     rendered
}

func (c *converter) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		c.text(n.Data)
		return
	case html.ElementNode:
	default:
		c.children(n)
		return
	}
	if hasClass(n, "invisible") || hasClass(n, "quote-inline") {
		return
	}
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Template, atom.Head, atom.Title, atom.Noscript, atom.Iframe, atom.Object:
		return
	case atom.Br:
		c.pending++
		return
	case atom.Img:
		if alt := attr(n, "alt"); isEmojiCode(alt) {
			c.text(alt)
		}
		return
	case atom.A:
		c.link(n)
		return
	case atom.Li, atom.Tr, atom.Dt, atom.Dd:
		c.breakAtLeast(1)
		c.children(n)
		c.breakAtLeast(1)
		return
	case atom.P, atom.Div, atom.Blockquote, atom.Pre, atom.Ul, atom.Ol, atom.Dl, atom.Table,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Hr, atom.Section, atom.Article,
		atom.Header, atom.Footer, atom.Figure, atom.Details, atom.Summary:
		c.breakAtLeast(2)
		if n.DataAtom == atom.Pre {
			c.pre++
			defer func() { c.pre-- }()
		}
		c.children(n)
		c.breakAtLeast(2)
		return
	}
	c.children(n)
}

func (c *converter) children(n *html.Node) {
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		c.walk(ch)
	}
}

// breakAtLeast owes at least k line breaks before the next text.
func (c *converter) breakAtLeast(k int) {
	if c.pending < k {
		c.pending = k
	}
}

// atLineStart reports whether the next text starts a line.
func (c *converter) atLineStart() bool {
	if c.pending > 0 || c.b.Len() == 0 {
		return true
	}
	s := c.b.String()
	return s[len(s)-1] == '\n'
}

// text writes a text node. Outside <pre>, a whitespace-only node that holds
// a line break is source formatting and is dropped, and a raw line break
// right after a block or <br> is swallowed with the indentation after it;
// other raw line breaks are line breaks (Mastodon shows content pre-wrapped).
func (c *converter) text(s string) {
	if s == "" {
		return
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	if c.pre > 0 {
		for i, seg := range strings.Split(s, "\n") {
			if i > 0 {
				c.pending++
			}
			c.write(seg)
		}
		return
	}
	if strings.TrimSpace(s) == "" && strings.Contains(s, "\n") {
		return
	}
	for i, seg := range strings.Split(s, "\n") {
		if i > 0 {
			if !c.atLineStart() {
				c.pending++
			}
			seg = strings.TrimLeft(seg, " \t")
		}
		c.write(seg)
	}
}

// write appends s after the line breaks owed, and returns the byte offset
// where s starts. Line breaks owed before the first text are dropped.
func (c *converter) write(s string) int {
	if s == "" {
		return c.b.Len()
	}
	if c.pending > 0 && c.b.Len() > 0 {
		c.b.WriteString(strings.Repeat("\n", c.pending))
	}
	c.pending = 0
	start := c.b.Len()
	c.b.WriteString(s)
	return start
}

func (c *converter) link(n *html.Node) {
	href := strings.TrimSpace(attr(n, "href"))
	full := strings.TrimSpace(textOf(n, false))
	if name, ok := hashtagName(n, href, full); ok {
		start := c.write("#" + name)
		c.out.Tags = append(c.out.Tags, providers.Tag{Start: start, End: start + 1 + len(name), Name: name})
		return
	}
	if handle, profile, ok := c.mentionOf(n, href, full); ok {
		start := c.write("@" + handle)
		c.out.Mentions = append(c.out.Mentions, providers.Mention{Start: start, End: start + 1 + len(handle), Handle: handle, URL: profile})
		return
	}
	if !isWebURL(href) {
		c.children(n)
		return
	}
	if display := strings.TrimSpace(textOf(n, true)); !displaysURL(display, full, href) {
		c.write(display)
		c.write(" (")
		start := c.write(href)
		c.out.Links = append(c.out.Links, providers.Link{Start: start, End: start + len(href), URL: href})
		c.write(")")
		return
	}
	start := c.write(href)
	c.out.Links = append(c.out.Links, providers.Link{Start: start, End: start + len(href), URL: href})
}

// hashtagName tells a hashtag link and its name: by class "hashtag" or
// rel="tag", or by text "#name" linking to a /tags/ page.
func hashtagName(n *html.Node, href, full string) (string, bool) {
	isTag := hasClass(n, "hashtag") || slices.Contains(strings.Fields(attr(n, "rel")), "tag") ||
		(strings.HasPrefix(full, "#") && strings.Contains(href, "/tags/"))
	if !isTag {
		return "", false
	}
	name := strings.TrimPrefix(full, "#")
	if !isWord(name) {
		name = ""
		if i := strings.LastIndex(href, "/tags/"); i >= 0 {
			if u, err := url.PathUnescape(href[i+len("/tags/"):]); err == nil {
				name = u
			}
		}
	}
	if !isWord(name) {
		return "", false
	}
	return name, true
}

// mentionOf tells a mention link and names the account: by its entry in the
// status's mentions (matched by URL), else by the text and the href's host.
func (c *converter) mentionOf(n *html.Node, href, full string) (handle, profile string, ok bool) {
	var known *mention
	for i := range c.ctx.Mentions {
		if m := &c.ctx.Mentions[i]; m.URL != "" && m.URL == href {
			known = m
			break
		}
	}
	looksLike := hasClass(n, "mention") || hasClass(n, "u-url")
	if known == nil && (!looksLike || !strings.HasPrefix(full, "@")) {
		return "", "", false
	}
	if known == nil {
		// A mention the status does not list: match its username and host.
		user, host, _ := strings.Cut(strings.TrimPrefix(full, "@"), "@")
		for i := range c.ctx.Mentions {
			m := &c.ctx.Mentions[i]
			if strings.EqualFold(m.Username, user) && (host == "" || strings.EqualFold(acctHost(m.Acct, c.ctx.LocalDomain), host)) && sameHost(m.URL, href) {
				known = m
				break
			}
		}
	}
	if known != nil {
		handle = fullAcct(known.Acct, c.ctx.LocalDomain)
		profile = known.URL
	} else {
		handle = strings.TrimPrefix(full, "@")
		if !strings.Contains(handle, "@") {
			if u, err := url.Parse(href); err == nil && u.Host != "" {
				handle += "@" + u.Host
			} else if c.ctx.LocalDomain != "" {
				handle += "@" + c.ctx.LocalDomain
			}
		}
		profile = href
	}
	if !isHandle(handle) {
		return "", "", false
	}
	return handle, profile, true
}

func (c *converter) finish() rendered {
	text := strings.TrimRightFunc(c.b.String(), unicode.IsSpace)
	out := c.out
	out.Text = text
	// Entities never end in white space, so trimming cuts none; keep the
	// invariant explicit anyway.
	out.Mentions = slices.DeleteFunc(out.Mentions, func(m providers.Mention) bool { return m.End > len(text) })
	out.Links = slices.DeleteFunc(out.Links, func(l providers.Link) bool { return l.End > len(text) })
	out.Tags = slices.DeleteFunc(out.Tags, func(t providers.Tag) bool { return t.End > len(text) })
	return out
}

// textOf is the text inside n; visibleOnly leaves out "invisible" spans and
// marks an "ellipsis" span with "…", as a browser shows it.
func textOf(n *html.Node, visibleOnly bool) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			b.WriteString(n.Data)
			return
		case n.Type != html.ElementNode:
		case n.DataAtom == atom.Script || n.DataAtom == atom.Style:
			return
		case visibleOnly && hasClass(n, "invisible"):
			return
		case n.DataAtom == atom.Img:
			if alt := attr(n, "alt"); isEmojiCode(alt) {
				b.WriteString(alt)
			}
			return
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch)
		}
		if visibleOnly && n.Type == html.ElementNode && hasClass(n, "ellipsis") {
			b.WriteString("…")
		}
	}
	walk(n)
	return b.String()
}

// displaysURL reports whether a link's text is its URL (whole or shortened),
// so that writing the href alone loses nothing.
func displaysURL(display, full, href string) bool {
	if display == "" || full == href {
		return true
	}
	d := strings.TrimSuffix(strings.TrimSuffix(display, "…"), "...")
	d = stripScheme(d)
	if d == "" {
		return true
	}
	if strings.HasPrefix(stripScheme(href), d) {
		return true
	}
	u, err := url.PathUnescape(href)
	return err == nil && strings.HasPrefix(stripScheme(u), d)
}

func stripScheme(s string) string {
	lower := strings.ToLower(s)
	for _, p := range []string{"https://", "http://"} {
		if strings.HasPrefix(lower, p) {
			s = s[len(p):]
			lower = lower[len(p):]
			break
		}
	}
	if strings.HasPrefix(lower, "www.") {
		s = s[len("www."):]
	}
	return s
}

// isWebURL reports whether href is an absolute http(s) URL that can stand in
// the text as one token.
func isWebURL(href string) bool {
	if href == "" || strings.IndexFunc(href, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return false
	}
	u, err := url.Parse(href)
	if err != nil || u.Host == "" {
		return false
	}
	return u.Scheme == "http" || u.Scheme == "https"
}

// isHandle reports whether h can be written "@h" as one token.
func isHandle(h string) bool {
	user, host, _ := strings.Cut(h, "@")
	return isWord(user) && !strings.Contains(host, "@") &&
		strings.IndexFunc(host, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '<' || r == '>' }) < 0
}

// isWord reports whether s is non-empty and holds no white space, control
// characters, '@', '#' or angle brackets.
func isWord(s string) bool {
	return s != "" && utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '@' || r == '#' || r == '<' || r == '>'
	}) < 0
}

// isEmojiCode reports whether s is a custom emoji's ":code:".
func isEmojiCode(s string) bool {
	if len(s) < 3 || s[0] != ':' || s[len(s)-1] != ':' {
		return false
	}
	for _, r := range s[1 : len(s)-1] {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	if n.Type != html.ElementNode {
		return false
	}
	return slices.Contains(strings.Fields(attr(n, "class")), class)
}

// fullAcct gives a local acct ("bob") the local domain.
func fullAcct(acct, localDomain string) string {
	if acct == "" || strings.Contains(acct, "@") || localDomain == "" {
		return acct
	}
	return acct + "@" + localDomain
}

func acctHost(acct, localDomain string) string {
	if _, host, ok := strings.Cut(acct, "@"); ok {
		return host
	}
	return localDomain
}

func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Host != "" && strings.EqualFold(ua.Host, ub.Host)
}
