package twitter

import (
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dualpower/dualpower/providers"
)

// converter turns tweets of one answer into Posts; it holds the answer's
// includes, indexed.
type converter struct {
	account string // configured account name
	meID    string // the account's user ID; "" when unknown
	meName  string // the account's username; "" when unknown
	media   map[string]media
	tweets  map[string]tweet
	users   map[string]user
}

func (p *Provider) converter(inc includes) *converter {
	c := &converter{
		account: p.account,
		media:   make(map[string]media, len(inc.Media)),
		tweets:  make(map[string]tweet, len(inc.Tweets)),
		users:   make(map[string]user, len(inc.Users)),
	}
	p.mu.Lock()
	if p.me != nil {
		c.meID, c.meName = p.me.ID, p.me.Username
	}
	p.mu.Unlock()
	for _, m := range inc.Media {
		c.media[m.MediaKey] = m
	}
	for _, t := range inc.Tweets {
		c.tweets[t.ID] = t
	}
	for _, u := range inc.Users {
		c.users[u.ID] = u
	}
	return c
}

// authorName is the username of a tweet's author, when known. Tweets of
// the account's timeline are its own even without author_id.
func (c *converter) authorName(t tweet, timeline bool) string {
	if t.AuthorID == "" {
		if timeline {
			return c.meName
		}
		return ""
	}
	if t.AuthorID == c.meID {
		return c.meName
	}
	return c.users[t.AuthorID].Username
}

// isOwn reports whether t was written by the account. Tweets of the
// account's timeline are its own even without author_id.
func (c *converter) isOwn(t tweet, timeline bool) bool {
	if t.AuthorID == "" {
		return timeline
	}
	return c.meID != "" && t.AuthorID == c.meID
}

// post converts one tweet of the account's own timeline (or a lookup).
func (c *converter) post(t tweet) *providers.Post {
	return c.convert(t, true, 1)
}

// convert converts t; depth limits how far referenced tweets are followed
// (a repost of a quote of …).
func (c *converter) convert(t tweet, timeline bool, depth int) *providers.Post {
	own := c.isOwn(t, timeline)
	author := c.authorName(t, timeline)
	p := &providers.Post{
		Visibility: providers.Public,
		Language:   language(t.Lang),
		Sensitive:  t.PossiblySensitive,
		URL:        statusURL(author, t.ID),
		Ref:        providers.Ref{ID: t.ID},
	}
	if own {
		p.Ref.Account = c.account
	}
	if ts, err := time.Parse(time.RFC3339, t.CreatedAt); err == nil {
		p.Created = ts.UTC()
		if len(t.EditHistoryTweetIDs) > 1 {
			// Each version of an edited post is a post of its own, made
			// at the time of the edit.
			p.Edited = p.Created
		}
	}

	raw, ents := t.Text, t.Entities
	if t.NoteTweet != nil && t.NoteTweet.Text != "" {
		raw, ents = t.NoteTweet.Text, t.NoteTweet.Entities
	}
	p.Text, p.Mentions, p.Links, p.Tags = renderText(raw, ents, t.ID, t.Attachments != nil && len(t.Attachments.MediaKeys) > 0)

	if t.Attachments != nil {
		for _, key := range t.Attachments.MediaKeys {
			if m, ok := c.media[key]; ok {
				if pm, ok := convertMedia(m); ok {
					pm.Sensitive = t.PossiblySensitive
					p.Media = append(p.Media, pm)
				}
			}
		}
	}

	for _, ref := range t.ReferencedTweets {
		if !validID(ref.ID) {
			continue
		}
		link := &providers.PostLink{ID: ref.ID}
		if rt, ok := c.tweets[ref.ID]; ok {
			link.Author = c.authorName(rt, false)
			link.Self = c.isOwn(rt, false)
			if depth > 0 && ref.Type != "replied_to" {
				link.Post = c.convert(rt, false, depth-1)
			}
		}
		link.URL = statusURL(link.Author, ref.ID)
		switch ref.Type {
		case "replied_to":
			if c.meID != "" && t.InReplyToUserID == c.meID && own {
				link.Self = true
				link.Author = c.meName
				link.URL = statusURL(c.meName, ref.ID)
			}
			p.ReplyTo = link
		case "retweeted":
			p.RepostOf = link
		case "quoted":
			p.QuoteOf = link
		}
	}
	return p
}

// convertMedia maps an X media object; a video without a downloadable MP4
// is left out.
func convertMedia(m media) (providers.Media, bool) {
	switch m.Type {
	case "photo":
		if m.URL == "" {
			return providers.Media{}, false
		}
		return providers.Media{Type: providers.Image, URL: m.URL, Alt: m.AltText}, true
	case "video", "animated_gif":
		best := -1
		for i, v := range m.Variants {
			if v.ContentType != "video/mp4" || v.URL == "" {
				continue
			}
			if best < 0 || v.BitRate > m.Variants[best].BitRate {
				best = i
			}
		}
		if best < 0 {
			return providers.Media{}, false
		}
		typ := providers.Video
		if m.Type == "animated_gif" {
			typ = providers.GIF
		}
		return providers.Media{Type: typ, URL: m.Variants[best].URL, PreviewURL: m.PreviewImageURL,
			ContentType: "video/mp4", Alt: m.AltText}, true
	}
	return providers.Media{}, false
}

// language keeps ISO 639-1 codes; X's own codes ("und", "qme", "zxx"…) say
// nothing about the language and become "".
func language(lang string) string {
	lang = strings.ToLower(lang)
	if i := strings.IndexAny(lang, "-_"); i > 0 {
		lang = lang[:i]
	}
	switch lang {
	case "in":
		return "id"
	case "iw":
		return "he"
	}
	if len(lang) != 2 || lang[0] < 'a' || lang[0] > 'z' || lang[1] < 'a' || lang[1] > 'z' {
		return ""
	}
	return lang
}

// span is one entity located in the text, in code points.
type span struct {
	start, end int // code points of the text as X sent it
	kind       byte
	url        urlEntity
	mention    mentionEntity
	tag        hashtagEntity
}

const (
	kindURL     = 'u'
	kindMention = 'm'
	kindTag     = 't'
)

var unescapeHTML = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

// mediaLink matches the expanded URL X gives the link to a post's own
// photo or video.
var mediaLink = regexp.MustCompile(`^https?://(?:www\.|mobile\.)?(?:x|twitter)\.com/[^/]+/status/([0-9]+)/(?:photo|video)/[0-9]+$`)

// renderText turns the text of a tweet into the Post form: t.co links
// replaced by their expanded URL, the trailing links to the tweet's own
// media removed, the HTML escapes X adds decoded, and entities with byte
// offsets into the result.
//
// X counts entity offsets in code points of the text as sent, escapes
// included. An entity whose offsets do not point at what it names (a
// hostile or changed answer) is looked for after the previous one; one
// that cannot be found is dropped.
func renderText(raw string, ents *entities, id string, hasMedia bool) (string, []providers.Mention, []providers.Link, []providers.Tag) {
	if ents == nil {
		ents = &entities{}
	}
	runes := []rune(raw)
	var spans []span
	for _, u := range ents.URLs {
		if u.URL != "" {
			spans = append(spans, span{start: u.Start, end: u.End, kind: kindURL, url: u})
		}
	}
	for _, m := range ents.Mentions {
		if usernamePattern.MatchString(m.Username) {
			spans = append(spans, span{start: m.Start, end: m.End, kind: kindMention, mention: m})
		}
	}
	for _, h := range ents.Hashtags {
		if h.Tag != "" {
			spans = append(spans, span{start: h.Start, end: h.End, kind: kindTag, tag: h})
		}
	}
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].start < spans[j].start })

	// Place every span where it really is, in order, without overlaps:
	// at its offsets in the text as sent, else at its offsets counted in
	// the unescaped text, else at the next place its literal appears.
	fromUnescaped := unescapedIndex(runes)
	at := func(s span, start, end, pos int) bool {
		return start >= pos && start < end && end <= len(runes) && s.matches(runes[start:end])
	}
	placed := spans[:0]
	pos := 0
	for _, s := range spans {
		switch {
		case at(s, s.start, s.end, pos):
		case s.start >= 0 && s.end < len(fromUnescaped) && s.start < s.end &&
			at(s, fromUnescaped[s.start], fromUnescaped[s.end], pos):
			s.start, s.end = fromUnescaped[s.start], fromUnescaped[s.end]
		default:
			found := s.find(runes, pos)
			if found < 0 {
				continue
			}
			s.start, s.end = found, found+utf8.RuneCountInString(s.literal())
		}
		placed = append(placed, s)
		pos = s.end
	}

	// Media links are dropped when nothing but whitespace and other media
	// links follow them.
	drop := make([]bool, len(placed))
	tail := len(runes)
	for i := len(placed) - 1; i >= 0; i-- {
		s := placed[i]
		if s.kind != kindURL || !isMediaLink(s.url, id, hasMedia) || strings.TrimSpace(string(runes[s.end:tail])) != "" {
			break
		}
		drop[i] = true
		tail = s.start
	}

	var b strings.Builder
	var mentions []providers.Mention
	var links []providers.Link
	var tags []providers.Tag
	pos = 0
	for i, s := range placed {
		b.WriteString(unescapeHTML.Replace(string(runes[pos:s.start])))
		pos = s.end
		if drop[i] {
			continue
		}
		start := b.Len()
		switch s.kind {
		case kindURL:
			full := s.url.ExpandedURL
			if full == "" || strings.ContainsFunc(full, unicode.IsSpace) {
				full = s.url.URL
			}
			b.WriteString(full)
			links = append(links, providers.Link{Start: start, End: b.Len(), URL: full})
		case kindMention:
			b.WriteString(string(runes[s.start:s.end]))
			mentions = append(mentions, providers.Mention{Start: start, End: b.Len(), Handle: s.mention.Username,
				URL: profileURL(s.mention.Username)})
		case kindTag:
			b.WriteString(string(runes[s.start:s.end]))
			tags = append(tags, providers.Tag{Start: start, End: b.Len(), Name: string(runes[s.start+1 : s.end])})
		}
	}
	if pos < len(runes) {
		b.WriteString(unescapeHTML.Replace(string(runes[pos:])))
	}
	text := b.String()
	trimmed := strings.TrimRightFunc(text, unicode.IsSpace)
	// Entities never end in whitespace, so trimming keeps them in range.
	return trimmed, mentions, links, tags
}

// unescapedIndex maps each code-point index of the unescaped text (and its
// end) to the index of the same character in runes, the text with X's
// escapes.
func unescapedIndex(runes []rune) []int {
	idx := make([]int, 0, len(runes)+1)
	for i := 0; i < len(runes); {
		idx = append(idx, i)
		switch {
		case hasRunes(runes[i:], "&amp;"):
			i += 5
		case hasRunes(runes[i:], "&lt;"), hasRunes(runes[i:], "&gt;"):
			i += 4
		default:
			i++
		}
	}
	return append(idx, len(runes))
}

func hasRunes(r []rune, prefix string) bool {
	for _, c := range prefix {
		if len(r) == 0 || r[0] != c {
			return false
		}
		r = r[1:]
	}
	return true
}

// isMediaLink reports whether u is the link X appends to a tweet for its
// own media.
func isMediaLink(u urlEntity, id string, hasMedia bool) bool {
	if u.MediaKey != "" {
		return true
	}
	m := mediaLink.FindStringSubmatch(u.ExpandedURL)
	return m != nil && (m[1] == id || hasMedia)
}

// literal is the text an entity names.
func (s span) literal() string {
	switch s.kind {
	case kindURL:
		return s.url.URL
	case kindMention:
		return "@" + s.mention.Username
	default:
		return "#" + s.tag.Tag
	}
}

// matches reports whether the runes at the entity's offsets are what the
// entity names (case-insensitively for handles, with the full-width '@'
// and '#' X also accepts).
func (s span) matches(r []rune) bool {
	got := string(r)
	switch s.kind {
	case kindURL:
		return got == s.url.URL
	case kindMention:
		return len(r) > 1 && (r[0] == '@' || r[0] == '＠') && strings.EqualFold(string(r[1:]), s.mention.Username)
	default:
		return len(r) > 1 && (r[0] == '#' || r[0] == '＃') && string(r[1:]) == s.tag.Tag
	}
}

// find looks for the entity's literal in r from code point from on, and
// returns where it starts, or -1. A handle or tag must not run on into
// more word characters.
func (s span) find(r []rune, from int) int {
	lit := []rune(s.literal())
	for at := from; at+len(lit) <= len(r); at++ {
		if !s.matches(r[at : at+len(lit)]) {
			continue
		}
		if s.kind != kindURL && at+len(lit) < len(r) {
			next := r[at+len(lit)]
			if next == '_' || unicode.IsLetter(next) || unicode.IsDigit(next) {
				continue
			}
		}
		return at
	}
	return -1
}
