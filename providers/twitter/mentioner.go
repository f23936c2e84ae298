package twitter

import (
	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/providers/internal/twittertext"
)

// MentionSpans returns the mentions X would find in text, as twitter-text
// finds them: list mentions too, since they name their owner.
func (p *Provider) MentionSpans(text string) []providers.Mention {
	var out []providers.Mention
	for _, e := range twittertext.ExtractMentionsOrLists(text) {
		out = append(out, providers.Mention{Start: e.Start, End: e.End, Handle: e.Value, URL: "https://x.com/" + e.Value})
	}
	return out
}

var _ providers.Mentioner = (*Provider)(nil)
