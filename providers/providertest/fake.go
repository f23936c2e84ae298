// Package providertest is the conformance suite every network adapter runs
// against its fake network. An adapter's whole conformance test is a few
// lines:
//
//	func TestConformance(t *testing.T) {
//		providertest.Run(t, providertest.Opt{Setup: func(t *testing.T) providertest.Env {…}})
//	}
//
// Capabilities an adapter lacks are skipped, not failed.
package providertest

import (
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
)

// Fake is what the suite needs from an adapter's in-process fake network:
// acting as the account's owner in the network's own app, reading back what
// the network holds, and misbehaving on demand. Every fake (mastodontest,
// twittertest, …) implements it. All methods are safe for concurrent use.
type Fake interface {
	// PostAsUser publishes a post on the test account as the network's own
	// app would (not through the adapter) and returns its native ID. A
	// non-empty replyTo makes it a reply to that post.
	PostAsUser(text, replyTo string) string
	// EditAsUser edits a post as the owner would and returns the post's
	// current ID (X gives an edited post a new ID; Mastodon keeps it).
	EditAsUser(id, text string) string
	// DeleteAsUser deletes a post as the owner would.
	DeleteAsUser(id string)
	// Lookup returns what the network holds for post id; ok is false for
	// an unknown or deleted post.
	Lookup(id string) (s Stored, ok bool)
	// Posts counts the live posts of the test account.
	Posts() int

	// FailNext makes the next n API requests answer with HTTP status and
	// the network's real error body for it (401, 404, 500, 502, 503…).
	FailNext(status, n int)
	// RateLimitNext makes the next API request answer 429 with the
	// network's rate-limit headers saying reset.
	RateLimitNext(reset time.Time)
	// Revoke invalidates the test account's token: every request with it
	// is refused with 401 from now on.
	Revoke()
	// DropStreams cuts every open streaming connection.
	DropStreams()
	// SetLatency delays every answer by d.
	SetLatency(d time.Duration)
	// Requests counts the API requests the fake has received.
	Requests() int
}

// Stored is a post as the fake network holds it.
type Stored struct {
	ID             string
	Text           string // plain text as the author wrote it
	ReplyTo        string // native ID of the parent, "" when none
	RepostOf       string // native ID of the reposted post, "" when none
	ContentWarning string
	Sensitive      bool
	Visibility     string   // "public", "unlisted", "private", "direct"; X: "public"
	Language       string   // "" when unset
	MediaAlts      []string // alt text of each attachment, in order
	MediaTypes     []string // "image", "gif", "video", "audio"
	EditCount      int      // times edited
}

// Env is one fresh fake network with one test account, and a provider for
// that account.
type Env struct {
	Provider providers.Provider
	Fake     Fake
	// Secrets are credential values that must never appear in an error
	// string, a log line or a URL in an error.
	Secrets []string
	// Image is a small valid image file the network accepts, with its
	// content type.
	Image            []byte
	ImageContentType string
}

// Opt configures Run.
type Opt struct {
	// Setup starts a fresh fake and a provider for its account; both are
	// cleaned up with t.
	Setup func(t *testing.T) Env
}
