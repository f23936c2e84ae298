// Package providers is the contract between the bridge engine and the social
// networks it bridges.
//
// It holds the network-neutral model (Post, Ref, Event), the interfaces a
// network adapter implements, the Limits a target describes, the typed errors
// every adapter returns, and a registry of adapters by network name.
//
// The core is small. A Provider can say who it is (Verify) and what it can
// take (Limits). Everything else is an optional capability, found once by a
// type assertion (see Capabilities):
//
//	source: Poller (required of a source), Streamer, Resumer (a stream told
//	        what the engine knows, to find what changed while it was
//	        stopped), Checker (deletes the network does not announce)
//	target: Publisher (required of a target), Editor, Deleter, Reposter,
//	        MediaUploader, Fetcher, Reconciler, Mentioner (optional)
//
// Adapters live in sub-packages (providers/mastodon, providers/twitter) and
// register themselves in init; providers/all imports them all. This package
// uses the standard library only, so adapters and the engine can both depend
// on it without depending on each other.
//
// Adapters log through the zerolog logger attached to the context they are
// given (zerolog.Ctx), never a global one, and never log a secret.
package providers
