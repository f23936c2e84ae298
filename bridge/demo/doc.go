// Package demo is the sandbox behind `dualpower demo`: the whole bridge,
// unchanged, run against the in-process fakes of Mastodon
// (providers/mastodon/mastodontest) and X (providers/twitter/twittertest)
// on loopback, so that anyone can watch it work without an account.
//
// Run starts both fakes, writes a config that links alice's accounts both
// ways into a temporary data directory, builds the real adapters, opens the
// real ledger and runs the real engine. It then acts as alice on each
// network and plays a short story: a plain toot, a long toot that becomes
// a thread on X, a toot behind a content warning that is skipped, a toot
// whose mentions are rewritten, an image with alt text, an edit, a delete,
// a post on X mirrored to Mastodon, and a restart on the same ledger with
// posts made while the bridge was down. For each beat it prints, side by
// side, what alice did on one network and what appeared (or was skipped,
// and why, as the ledger records it) on the other. It ends by checking
// exactly-once against the fakes themselves: every live post on either
// network is a post alice made or a mirror part the ledger knows, and the
// restart wrote nothing but the mirrors of the two new posts.
//
// It waits for the engine through a bridge.Observer, never by sleeping.
//
// Caveats: this package imports the concrete adapters and the fakes,
// which the engine itself never does; it is wiring for a demonstration,
// not a library. The fakes keep the networks' rules (X's 280 weighted
// characters, Mastodon's 500) but not their latency or their failures, and
// X is polled every second, far more often than a real X account should be.
package demo
