// Package mastodontest is an in-process fake of a Mastodon 4.x server (or,
// with Flavor GoToSocial, of GoToSocial 0.19), for testing the Mastodon
// adapter and the engine without a network.
//
// New starts it on a loopback httptest server with one user, alice. It
// answers the client API a bridge uses, with the real shapes (checked
// against the OpenAPI spec in shared/specs/mastodon-api) and the real error
// bodies:
//
//   - accounts: verify_credentials, an account, its statuses with
//     max_id/min_id/since_id paging and Link headers;
//   - instance v1 and v2 with the configured limits;
//   - statuses: create (form or JSON, Idempotency-Key), get, edit, delete,
//     reblog, unreblog;
//   - media: v2 upload (202 and 206 while video is processing), v1 upload,
//     get, update; uploaded files are served back at their URL;
//   - streaming: WebSocket and (Mastodon only) SSE user streams, health;
//   - OAuth: apps, authorize (always approved), token, revoke.
//
// Every API answer carries X-RateLimit-* headers and is subject to the
// knobs: FailNext, RateLimitNext, Revoke, SetLatency, SetFailRate,
// DropStreams, HoldStreams. RequestLog records what clients sent, without
// their tokens. *Server implements providertest.Fake for alice; User has
// the same "act in the web UI" helpers for any other account.
//
// Text typed by a user (through the API or the helpers) is rendered to
// content HTML the way the flavor renders it: paragraphs, line breaks,
// shortened links, h-card mentions, hashtags, custom emoji.
//
// Caveats: there are no follows, favourites, polls, notifications or home
// timeline; private and direct statuses are visible to their author (and,
// for direct, to those they mention) only. Every remote @user@host
// resolves to a remote account; local mentions of unknown users stay
// plain text. Language is never detected: it is what the client sent, or
// "en". Grapheme clusters are approximated for the length limit.
// GoToSocial's differences are the ones listed in shared/docs/SERVERS.md;
// its validation errors answer 400 with "Bad Request: …" bodies.
package mastodontest
