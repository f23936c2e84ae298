package bridge

import (
	"slices"
	"strings"
	"time"

	"github.com/dualpower/dualpower/config"
	"github.com/dualpower/dualpower/providers"
)

// decide applies a link's rules to a new source post. It returns nil to
// mirror it, or a *skipError saying which rule left it out. now is when
// the event is handled; the date window is checked against it.
func decide(l *config.Link, p *providers.Post, now time.Time) error {
	r := l.Rules
	if !l.Active.Contains(now) {
		return skip("outside the link's active window")
	}
	vis := p.Visibility
	if vis == "" {
		vis = providers.Public
	}
	if !slices.Contains(r.Visibility, vis) {
		return skip("visibility %s", vis)
	}
	if p.ReplyTo != nil {
		switch {
		case r.Replies == "none":
			return skip("reply (replies: none)")
		case !p.ReplyTo.Self:
			return skip("reply to someone else")
		}
	}
	if p.RepostOf != nil && r.Reposts == "skip" {
		return skip("repost (reposts: skip)")
	}
	if p.QuoteOf != nil && r.Quotes == "skip" {
		return skip("quote (quotes: skip)")
	}
	if (p.ContentWarning != "" || p.Sensitive || anySensitive(p.Media)) && r.Sensitive == "skip" {
		return skip("content warning or sensitive media (sensitive: skip)")
	}
	tags := tagSet(p)
	if len(r.IncludeTags) > 0 && !anyTag(tags, r.IncludeTags) {
		return skip("none of the include_tags")
	}
	for _, t := range r.ExcludeTags {
		if tags[strings.ToLower(t)] {
			return skip("excluded tag #%s", t)
		}
	}
	if w := excludedWord(p, r.ExcludeWords); w != "" {
		return skip("excluded word %q", w)
	}
	return nil
}

func tagSet(p *providers.Post) map[string]bool {
	set := map[string]bool{}
	for _, t := range p.Tags {
		set[strings.ToLower(t.Name)] = true
	}
	return set
}

func anyTag(set map[string]bool, tags []string) bool {
	for _, t := range tags {
		if set[strings.ToLower(t)] {
			return true
		}
	}
	return false
}

// excludedWord returns the first excluded word found in the post's text or
// content warning as a whole word, without regard to case.
func excludedWord(p *providers.Post, words []string) string {
	if len(words) == 0 {
		return ""
	}
	fields := strings.FieldsFunc(strings.ToLower(p.Text+" "+p.ContentWarning), func(r rune) bool {
		return !(r == '\'' || r == '-' || r == '_' || isWordRune(r))
	})
	have := map[string]bool{}
	for _, f := range fields {
		have[f] = true
	}
	for _, w := range words {
		lw := strings.ToLower(w)
		if have[lw] || (strings.ContainsAny(lw, " ") && strings.Contains(strings.ToLower(p.Text), lw)) {
			return w
		}
	}
	return ""
}

func isWordRune(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 127 && !isSpaceOrPunct(r)
}

func isSpaceOrPunct(r rune) bool {
	return strings.ContainsRune(" \t\n\r.,;:!?()[]{}\"«»“”‘’…。、！？", r)
}
