// Package twittertext is a Go port of twitter-text, the rules X uses to
// measure a post and to find the URLs, mentions and hashtags in it.
package twittertext
