package twitter

import "github.com/dualpower/dualpower/providers"

// MentionSpans returns the mentions X would find in text (byte spans with
// the '@', and the username each names), as twitter-text finds them, list
// mentions included. It is the rule the last guard in Publish applies, so
// a text the engine has cleared of unmeant mentions is never refused for
// one.
func (p *Provider) MentionSpans(text string) []providers.Mention { return mentionSpans(text) }
