// Package mastodon is the dualpower adapter for Mastodon and for the servers
// that implement its client API (GoToSocial, Akkoma, Pleroma, Sharkey…).
//
// It registers itself as the network "mastodon" with the setting "server" (the
// server's base URL, "https://social.example") and the secret "access_token".
// One Provider is one account; it is a source (Poll, Stream, Resume, Gone)
// and a target (Publish, Edit, Delete, Repost and Unrepost, UploadMedia,
// Fetch, FindPublished).
//
// It is built on github.com/mattn/go-mastodon, wrapped where that library falls
// short:
//
//   - every request goes through a RoundTripper that sets User-Agent (GoToSocial
//     answers 418 without one) and Idempotency-Key (from the context), records
//     the X-RateLimit-* headers, and turns every answer of 400 and above into an
//     error before the library sees it, so the library's own 429 retry loop
//     (which can sleep for an hour) never runs and classify sees the status,
//     the headers and the body;
//   - the user stream is a WebSocket supervised here (backoff with jitter, a
//     ping/read-deadline watchdog, a catch-up Poll after every connect, and
//     after an outage or a Resume a look at the newest page for edits and
//     deletes the stream missed), not the library's StreamingWSUser, which
//     gives up after one failed redial;
//   - reads of statuses decode into the hand-written wire types in api.go,
//     which know the 4.5 quote object and the nullable fields other servers
//     send.
//
// Caveats:
//
//   - Status IDs are opaque: Poll pages with min_id (GoToSocial ignores
//     since_id) and orders by the server's own order, never by parsing IDs.
//   - GoToSocial ignores Idempotency-Key; after a crash FindPublished finds a
//     post by its text among the account's newest statuses.
//   - The user stream also carries deletes of other people's statuses (the
//     payload is a bare ID): they are emitted as Deleted events and the engine
//     drops the ones it does not know.
//   - While the stream is down, new posts are found again by polling and
//     edits of the newest page of statuses by reading it after the
//     reconnect; deletes made while it was down are not found (the API does
//     not list them).
//   - Polling since a time (providers.SinceCursor) pages back at most 25
//     pages (1000 statuses).
//   - Length counts extended grapheme clusters with an approximation of
//     UAX #29 written here (no grapheme library is available): combining
//     marks, variation selectors, emoji modifiers, ZWJ sequences, flags and
//     Hangul syllables are handled; rarer rules (Prepend, Indic conjuncts) are
//     not.
//   - HTML is turned into text the way a reader sees it; the result is meant
//     for re-publishing, not for round-tripping the HTML.
package mastodon
