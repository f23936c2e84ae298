// Package twitter is the X (Twitter) adapter: a thin client of the X API
// v2 on net/http, signing every request with OAuth 1.0a (HMAC-SHA1, user
// context) through github.com/dghubble/oauth1.
//
// It registers itself as "twitter" (alias "x") with the settings api_base
// (default https://api.x.com; point it at any compatible server, such as
// the fake in twittertest) and can_edit, and the secrets consumer_key,
// consumer_secret, access_token and access_token_secret.
//
// A Provider is a source (Poller: GET /2/users/:id/tweets from a since_id
// cursor; Checker: GET /2/tweets?ids=) and a target (Publisher, Editor,
// Deleter, Reposter, MediaUploader, Fetcher, Reconciler, Mentioner). It is
// not a Streamer: X has no user stream for this kind of app.
//
// Every outcome X answers is mapped by one function, classify, onto a
// *providers.Error: 429 is RateLimited with the reset X states
// (x-rate-limit-reset, or the 24-hour user or app reset when that allowance
// is spent); a usage-capped Problem is Quota until the period ends, and a
// 402 (pay-per-use credits spent) is Quota with no known end; 401 is
// Auth; duplicate content and refused replies are Rejected with their
// Reason; an app that may not read timelines (client-not-enrolled) gets
// NotPermitted/ReasonReadDenied on reads, which makes the account
// write-only rather than broken; 404 is NotFound; 5xx and network errors
// are Transient. The adapter never retries: the retry policy is the
// engine's. RateLimit reports the last allowance X stated, for metrics.
//
// Caveats, all from X's 2026 terms and the v2 spec:
//   - X has no content warning and no sensitive flag on create: the engine
//     renders a warning into the text and Draft.ContentWarning is ignored;
//     Draft.Sensitive sets X's sensitive-media warning on the post's media
//     (one metadata request each), so a post without media cannot be
//     marked. Posts are always public.
//   - Publish refuses (Rejected/ReasonInvalid, nothing sent) a text that
//     would mention an X user not listed in Draft.Mentions: X notifies
//     everyone a post mentions.
//   - Edits work only for eligible accounts within X's edit window; set
//     can_edit: true for those. An edit is a new post with a new ID: Poll
//     reports it as an Edited event keyed on the first ID. X edits only a
//     post's latest version, so an edit refused for naming an older one
//     (a retry whose first answer was lost) reads the edit history and
//     takes the newest version as done if it says the same, else edits it.
//   - X deduplicates by content, not by key: after a crash, FindPublished
//     looks for the draft among the account's newest posts (X's
//     duplicate-content rejection is the other half of the answer).
//   - Reads cost money under pay-per-use pricing: a poll with nothing new
//     is one request, and the account's identity is read once and kept.
//   - Polling cannot see deletes: X's timeline simply stops listing a
//     deleted post, so Poll reports Created and Edited events only. Gone
//     (providers.Checker) looks posts up by ID for the engine's
//     check_deletes; each post found is billed as a read.
//   - Quote posts need an enterprise plan and are not made here; quotes
//     read from X are reported in Post.QuoteOf.
package twitter
