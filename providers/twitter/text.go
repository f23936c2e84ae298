package twitter

import (
	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/providers/internal/twittertext"
)

// The functions below are the adapter's only view of twitter-text
// (providers/internal/twittertext, a port of X's own rules).

// mentionSpans returns the mentions X would link, and so notify, in text:
// twitter-text's mentions, with list mentions ("@owner/list") counted for
// their owner (stricter than X, which may not notify a list's owner, but
// erring on the side of pinging nobody). "@user@host" is no mention.
//
// A name inside a URL ("https://host/@user") is part of the link, not a
// mention: X's entity extraction drops entities that overlap a URL.
func mentionSpans(text string) []providers.Mention {
	var out []providers.Mention
	var urls []twittertext.Entity
	for _, e := range twittertext.ExtractMentionsOrLists(text) {
		if urls == nil {
			urls = append(twittertext.ExtractURLs(text), twittertext.Entity{Start: -1, End: -1})
		}
		if insideAny(e, urls) {
			continue
		}
		out = append(out, providers.Mention{Start: e.Start, End: e.End, Handle: e.Value, URL: profileURL(e.Value)})
	}
	return out
}

func insideAny(e twittertext.Entity, spans []twittertext.Entity) bool {
	for _, s := range spans {
		if e.Start < s.End && s.Start < e.End {
			return true
		}
	}
	return false
}

// extractMentions returns the usernames (without '@') of mentionSpans.
func extractMentions(text string) []string {
	var out []string
	for _, m := range mentionSpans(text) {
		out = append(out, m.Handle)
	}
	return out
}

// textLength measures text as X does: the twitter-text v3 weighted
// length (URLs as 23, weights by code-point range, emoji as 2, NFC).
func textLength(text string) int { return twittertext.Length(text) }
