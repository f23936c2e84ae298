// Package mastodontest is an in-process fake of a Mastodon 4.x server (or,
// with Flavor GoToSocial, of GoToSocial 0.19), for testing the Mastodon
// adapter and the engine without a network.
//
// New starts it on a loopback httptest server with one user, alice, closed
// when the test ends; Start does the same for a program (the demo, a
// benchmark harness), which closes it with Close. It
// answers the client API a bridge uses, with the real shapes (checked
// against the OpenAPI spec in shared/specs/mastodon-api) and the real error
// bodies:
//
//   - accounts: verify_credentials, an account, lookup by acct, its
//     statuses with max_id/min_id/since_id paging and Link headers;
//   - instance v1 and v2 with the configured limits;
//   - statuses: create (form or JSON, Idempotency-Key), get, source,
//     history, edit, delete, reblog, unreblog;
//   - media: v2 upload (202 and 206 while video is processing), v1 upload,
//     get, update; uploaded files are served back at their URL;
//   - streaming: WebSocket and (Mastodon only) SSE user streams, health;
//   - OAuth: apps, apps/verify_credentials, authorize (always approved),
//     token, revoke.
//
// Every API answer carries X-RateLimit-* headers and is subject to the
// knobs: FailNext, RateLimitNext, Revoke (which also closes the token's
// streams), SetLatency (a timer that ends with the request's context),
// SetFailRate, DropStreams (closes the TCP connections), HoldStreams and
// ReleaseStreams. Requests and RequestLog record what clients sent,
// without their tokens. FinishProcessing ends media processing at once;
// Options.MediaPolls and Options.MediaProcessing end it by polls or by the
// fake clock. *Server implements providertest.Fake for alice; User has the
// same "act in the web UI" helpers (Post, Reply, Boost, Edit, Delete and
// the Fake methods) for any other account, and CreateUser scales to tens
// of thousands of accounts (every lookup is a map access or a binary
// search in one user's statuses). A helper the server refuses reports the
// error on the test (New) or writes it to Options.Log (Start) and returns
// ""; each has a Try… variant (TryPost, TryReply, TryBoost, TryUnboost,
// TryEdit, TryDelete) that returns the error instead.
//
// The tests check every answer against the OpenAPI document in
// shared/specs/mastodon-api twice: with a small validator of their own and
// with kin-openapi (spec_kin_test.go), in every test run.
//
// until the module's go.sum carries kin-openapi's dependencies.
//
// Text typed by a user (through the API or the helpers) is rendered to
// content HTML the way the flavor renders it: paragraphs, line breaks,
// shortened links, h-card mentions, hashtags, custom emoji.
//
// Rate limits: one budget per token (GoToSocial: per client IP) covers
// every request; Options.StrictRateLimits adds Mastodon's stricter budgets
// for paging, uploads and deletes.
//
// Caveats: there are no follows, favourites, polls, notifications or home
// timeline. Private and direct statuses are visible to their
// author (and, for direct, to those they mention) only. Every remote
// @user@host resolves to a remote account; local mentions of unknown
// users stay plain text. Language is never detected: it is what the
// client sent, or "en". GoToSocial's differences are the ones listed in
// shared/docs/SERVERS.md; its validation errors answer 400 with
// "Bad Request: …" bodies.
package mastodontest
