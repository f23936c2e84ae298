package bridge

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dualpower/dualpower/config"
	"github.com/dualpower/dualpower/providers"
)

// Rendered is a source post as one target will take it: the text of each
// part of the thread it becomes, what the text mentions on purpose, and the
// media to attach to the first part.
type Rendered struct {
	Parts          []string
	Mentions       []string // handles in the target's form, without '@'
	ContentWarning string
	Sensitive      bool
	Visibility     providers.Visibility
	Language       string
	Media          []providers.Media // to upload, in order, with the first part
	LeftOut        []providers.Media // media the target cannot take
}

// target describes the account a post is rendered for.
type target struct {
	Network string
	Limits  providers.Limits
	// Mentions finds what the target network would take as mentions in a
	// text; nil where the network notifies nobody by text alone.
	Mentions func(string) []providers.Mention
}

// skipError is a rule's decision not to mirror; its text is the reason
// recorded in the ledger and shown by status.
type skipError struct{ reason string }

func (e *skipError) Error() string { return e.reason }

func skip(format string, args ...any) error { return &skipError{fmt.Sprintf(format, args...)} }

// isFediverse tells a fediverse handle ("bob@host") from an X one ("bob").
func isFediverse(handle string) bool { return strings.Contains(handle, "@") }

// xHost is the host written after an X handle on the fediverse, so that
// "@bob" from X becomes "@bob@x.com" there and never pings a local "bob".
const xHost = "x.com"

// Render turns a source post into what tgt can take under rules. It
// returns a *skipError when a rule (overflow: skip) leaves the post out.
func Render(p *providers.Post, rules config.Rules, ids *Identities, tgt target) (*Rendered, error) {
	r := &Rendered{Visibility: p.Visibility, Language: p.Language}
	if tgt.Network == "twitter" || r.Visibility == "" {
		r.Visibility = providers.Public
	}
	text, mentions := rewriteMentions(p, rules.Mentions, ids, tgt.Network)
	r.Mentions = mentions
	text = stripTags(text, p.Tags, rules.StripTags)

	// A repost rendered as a link, a quote as text plus a link.
	if p.RepostOf != nil {
		text = "🔁 " + repostURL(p.RepostOf)
	} else if p.QuoteOf != nil && p.QuoteOf.URL != "" && !strings.Contains(text, p.QuoteOf.URL) {
		text = joinParagraphs(text, p.QuoteOf.URL)
	}

	// Content warning: where the target has none, it heads the text.
	if p.ContentWarning != "" || p.Sensitive || anySensitive(p.Media) {
		r.Sensitive = true
		if p.ContentWarning != "" {
			if tgt.Network == "twitter" {
				text = joinParagraphs("CW: "+p.ContentWarning, text)
			} else {
				r.ContentWarning = p.ContentWarning
			}
		}
	}

	// Media the target can take go along; the others become a link to the
	// original post.
	if rules.Media {
		r.Media, r.LeftOut = fitMedia(p.Media, tgt.Limits)
	} else {
		r.LeftOut = p.Media
	}
	if len(r.LeftOut) > 0 && p.URL != "" && !strings.Contains(text, p.URL) {
		text = joinParagraphs(text, p.URL)
	}

	// Last, nothing the text names may ping someone it did not mean: the
	// footer's mentions are the config author's, meant; any other name the
	// target would take as a mention is defused.
	if tgt.Mentions != nil {
		for _, m := range tgt.Mentions(rules.Footer) {
			r.Mentions = append(r.Mentions, m.Handle)
		}
		text = defuseMentions(text, r.Mentions, tgt.Mentions)
	}

	max := tgt.Limits.MaxLength
	length := tgt.Limits.Length
	if tgt.Limits.WarningCounts && r.ContentWarning != "" {
		max -= length(r.ContentWarning)
	}
	footer := strings.TrimSpace(rules.Footer)
	whole := joinParagraphs(text, footer)
	if strings.TrimSpace(whole) == "" && len(r.Media) == 0 {
		return nil, skip("nothing to post: no text and no media the target takes")
	}
	if length(whole) <= max {
		r.Parts = []string{whole}
		return r, nil
	}
	switch rules.Overflow {
	case "skip":
		return nil, skip("too long for %s (%d > %d)", tgt.Network, length(whole), max)
	case "truncate":
		tail := "…"
		if p.URL != "" {
			tail = "… " + p.URL
		}
		if footer != "" {
			tail = joinParagraphs(tail, footer)
		}
		room := max - length("x"+tail) + 1
		head := Split(text, room, length)
		if len(head) == 0 {
			return nil, skip("too long for %s and cannot be cut to fit", tgt.Network)
		}
		r.Parts = []string{strings.TrimRightFunc(head[0], isCutPunct) + tail}
		return r, nil
	}
	parts := Split(text, max, length)
	if len(parts) == 0 {
		return nil, skip("too long for %s and cannot be split", tgt.Network)
	}
	if footer != "" {
		last := joinParagraphs(parts[len(parts)-1], footer)
		if length(last) <= max {
			parts[len(parts)-1] = last
		} else {
			parts = append(parts, footer)
		}
	}
	r.Parts = parts
	return r, nil
}

func isCutPunct(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == ';' || r == ':' }

func joinParagraphs(a, b string) string {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n\n" + b
}

func repostURL(l *providers.PostLink) string {
	if l.URL != "" {
		return l.URL
	}
	if l.Post != nil {
		return l.Post.URL
	}
	return ""
}

func anySensitive(ms []providers.Media) bool {
	for _, m := range ms {
		if m.Sensitive {
			return true
		}
	}
	return false
}

// fitMedia keeps the media the target can take, in order, up to its count,
// and returns the rest. A size the source did not state is checked again
// when the file is downloaded.
func fitMedia(ms []providers.Media, l providers.Limits) (keep, leftOut []providers.Media) {
	for _, m := range ms {
		limit := sizeLimit(m.Type, l)
		switch {
		case len(keep) >= l.MaxMedia, limit < 0, m.Size > 0 && m.Size > limit:
			leftOut = append(leftOut, m)
		default:
			keep = append(keep, m)
		}
	}
	return keep, leftOut
}

// sizeLimit is the most bytes the target takes for a media type; -1 when it
// takes none of that type.
func sizeLimit(t providers.MediaType, l providers.Limits) int64 {
	switch t {
	case providers.Image:
		return l.MaxImageSize
	case providers.GIF:
		if l.MaxGIFSize > 0 {
			return l.MaxGIFSize
		}
		return l.MaxVideoSize
	case providers.Video:
		return l.MaxVideoSize
	}
	return -1
}

// rewriteMentions writes every mention of p for the target network: mapped
// through the identity map when the person is known there, otherwise as
// the rule says. It returns the text and the handles it mentions on
// purpose.
func rewriteMentions(p *providers.Post, mode string, ids *Identities, network string) (string, []string) {
	ms := append([]providers.Mention(nil), p.Mentions...)
	sort.Slice(ms, func(i, j int) bool { return ms[i].Start > ms[j].Start })
	text := p.Text
	var allowed []string
	for _, m := range ms {
		if m.Start < 0 || m.End > len(text) || m.Start > m.End {
			continue // a broken entity is left as text
		}
		var repl string
		if h, ok := ids.Map(m.Handle, network); ok {
			repl = "@" + h
			allowed = append(allowed, h)
		} else {
			switch mode {
			case "link":
				repl = m.URL
				if repl == "" {
					repl = profileURL(m.Handle)
				}
			case "drop":
				repl = ""
			default: // handle
				h := m.Handle
				if !isFediverse(h) {
					h += "@" + xHost
				}
				repl = "@" + h
				if network != "twitter" {
					// On the fediverse "@bob@host" names exactly that
					// person: it is meant.
					allowed = append(allowed, h)
				}
			}
		}
		text = text[:m.Start] + repl + text[m.End:]
	}
	if mode == "drop" {
		text = tidySpaces(text)
	}
	return text, allowed
}

func profileURL(handle string) string {
	if user, host, ok := strings.Cut(handle, "@"); ok {
		return "https://" + host + "/@" + user
	}
	return "https://" + xHost + "/" + handle
}

// stripTags removes marker hashtags (matched without regard to case).
func stripTags(text string, tags []providers.Tag, strip []string) string {
	if len(strip) == 0 {
		return text
	}
	drop := map[string]bool{}
	for _, s := range strip {
		drop[strings.ToLower(strings.TrimPrefix(s, "#"))] = true
	}
	ts := append([]providers.Tag(nil), tags...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Start > ts[j].Start })
	changed := false
	for _, tg := range ts {
		if drop[strings.ToLower(tg.Name)] && tg.Start >= 0 && tg.End <= len(text) && tg.Start < tg.End {
			text = text[:tg.Start] + text[tg.End:]
			changed = true
		}
	}
	if changed {
		text = tidySpaces(text)
	}
	return text
}

// tidySpaces folds the runs of spaces a removal leaves and trims each line,
// keeping line and paragraph breaks.
func tidySpaces(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.FieldsFunc(l, func(r rune) bool { return r == ' ' || r == '\t' }), " ")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// cutRunes cuts s to at most n characters, for alt texts.
func cutRunes(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// zwsp keeps "@name" from being a mention: twitter-text wants a name
// character right after the '@'. Readers see the same text.
const zwsp = "\u200b"

// defuseMentions breaks every mention find sees in text whose handle is not
// in allowed.
func defuseMentions(text string, allowed []string, find func(string) []providers.Mention) string {
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[normHandle(a)] = true
	}
	spans := find(text)
	for i := len(spans) - 1; i >= 0; i-- {
		m := spans[i]
		if ok[normHandle(m.Handle)] || m.Start < 0 || m.End > len(text) || m.Start >= m.End {
			continue
		}
		_, at := utf8.DecodeRuneInString(text[m.Start:])
		text = text[:m.Start+at] + zwsp + text[m.Start+at:]
	}
	return text
}
