package twitter

import (
	"github.com/dualpower/dualpower/providers"
)

// MentionSpans returns the mentions X would find in text (see
// mentionSpans): what the engine must not leave in a post unless it means
// them.
func (p *Provider) MentionSpans(text string) []providers.Mention { return mentionSpans(text) }

var _ providers.Mentioner = (*Provider)(nil)
