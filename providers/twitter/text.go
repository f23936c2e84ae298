package twitter

import "github.com/dualpower/dualpower/providers/internal/twittertext"

// The two functions below are the adapter's only view of twitter-text
// (providers/internal/twittertext, a port of X's own rules).

// extractMentions returns the usernames (without '@') X would link, and so
// notify, in text: twitter-text's mentions, list mentions counted for their
// owner (stricter than X, which may not notify a list's owner, but the
// guard errs on the side of pinging nobody). "@user@host" is no mention.
func extractMentions(text string) []string {
	ents := twittertext.ExtractMentionsOrLists(text)
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		out = append(out, e.Value)
	}
	return out
}

// textLength measures text as X does: the twitter-text v3 weighted
// length (URLs as 23, weights by code-point range, emoji as 2, NFC).
func textLength(text string) int { return twittertext.Length(text) }
