// Package twittertest is an in-process fake of the X (Twitter) API v2, for
// testing the X adapter (providers/twitter) and the engine without the
// network.
//
// New starts it on 127.0.0.1 with one user, "alice", closed when the test
// ends; Start does the same for a program (the demo, a benchmark harness),
// which closes it with Close. More users come from CreateUser. Every /2/ request must be signed with OAuth 1.0a user context
// (HMAC-SHA1, checked by the fake's own RFC 5849 code, not the client's
// signer) with the app's consumer key and a user's access token; a missing
// or bad signature, an unknown or revoked token, or a replayed nonce answers
// 401 with X's body.
//
// The fake serves what an adapter needs, shaped as in
// shared/specs/x-api/openapi-2.159.json and as X answers in practice:
//
//	GET    /2/users/me
//	GET    /2/users/{id}/tweets          since_id, until_id, max_results 5–100, pagination_token, exclude, start_time, end_time
//	GET    /2/tweets/{id}, GET /2/tweets?ids=
//	POST   /2/tweets                     text, reply, quote_tweet_id, media, poll, edit_options, …
//	DELETE /2/tweets/{id}
//	POST   /2/users/{id}/retweets, DELETE /2/users/{id}/retweets/{source_tweet_id}
//	POST   /2/media/upload (one shot), /2/media/upload/initialize, /{id}/append, /{id}/finalize
//	GET    /2/media/upload?command=STATUS&media_id=…
//	POST   /2/media/metadata
//	POST   /oauth/request_token, GET /oauth/authorize (or authenticate), POST /oauth/access_token (PIN flow)
//	GET    /media/…                      downloads of uploaded media (no auth)
//
// X's current documentation (docs.x.com) decides where the brief and older
// pages differ: quote_tweet_id needs the Enterprise plan (CanQuote), and
// video on a post may be 8 GB (16 GB with Premium), a DM video 512 MB.
//
// Requests are checked as X checks them: unknown JSON members and query
// parameters, bad IDs and out-of-range values answer 400 invalid-request
// with one message per problem; a text over the weighted limit answers 400;
// a duplicate of a live post by the same user 403; a reply to a deleted post
// or outside the conversation's reply settings 403; an edit without
// CanEdit, outside the window, after five edits, or of a poll, a repost or a
// reply to someone else 403; any write by a ReadOnly app 403. Every
// authenticated answer carries x-access-level and
// x-rate-limit-limit/-remaining/-reset per endpoint and user (X's
// documented per-user windows), POST /2/tweets also x-user-limit-24hour-*
// and x-app-limit-24hour-*.
//
// Knobs make it misbehave on demand (FailNext, RateLimitNext, Revoke,
// SetLatency, SetFailRate, SetReplyNotAllowed, SetReadsDenied,
// SetUsageCapped, SetRateLimit, SetMediaProcessingFails); counters
// (Requests, ReadCount, WriteCount, EndpointCounts, Downloads) and
// RequestLog say what a client sent. The User helpers (Post, Retweet, Edit,
// Delete, and Server's for alice) act as the owner would in X's own app: no
// OAuth, no rate limit, but X's rules. A refusal fails the test (New) or is
// written to Options.Log (Start); the Try… variants (TryPost, TryEdit,
// TryRetweet, TryDelete, TryCreateUser, TryAuthorizeAs) return it instead. *Server implements providertest.Fake
// for alice.
//
// Caveats, where X's behaviour is not documented and the fake had to choose:
//
//   - A post's "text" is HTML-escaped (&amp; &lt; &gt;) as X sends it; entity
//     indices count code points of the unescaped text.
//   - DELETE /2/tweets/{id} of an unknown or deleted post answers 404 with a
//     resource-not-found problem; GET of one answers 200 with the problem in
//     "errors" (that one is documented behaviour).
//   - Retweeting what the user already retweeted answers 200 "retweeted":
//     true again; "id" in the answer is the retweet's own ID.
//   - A retweet's text is "RT @user: " and the original, cut to 140
//     characters with "…".
//   - Media upload answers carry "data" but no "meta", as X sends them,
//     although the spec's MediaUploadResponse lists meta as required.
//   - Reads denied answers the client-forbidden problem with reason
//     client-not-enrolled (the spec's discriminator has no separate
//     client-not-enrolled type).
//   - Lengths, URLs (with or without a scheme), mentions and hashtags
//     follow twitter-text (providers/internal/twittertext), as X's do.
//   - A text over the weighted limit answers 400 invalid-request (X's v1.1
//     answered 403 code 186; v2's answer is not documented).
//   - Reply settings are kept and enforced from the conversation's first
//     post: its author may always reply, with mentionedUsers so may the
//     users it mentions; following, subscribers and verified need
//     relations the fake does not model, so nobody else may.
//   - SetReplyNotAllowed refuses every reply made through the API,
//     self-replies included, so a test can make any thread meet it;
//     SetUsageCapped caps every /2/ endpoint.
//   - Videos are not decoded: they report 1280×720 and 10 s.
package twittertest
