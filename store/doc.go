// Package store is dualpower's ledger: one bbolt file, <data_dir>/ledger.db,
// that remembers every post the bridge has seen or made, the work still to
// do, and where each source account was last read. It is what makes
// mirroring happen exactly once across crashes, restarts and echoes.
//
// # What it stores
//
//   - posts: every origin (a post a person made) and every mirror (a post
//     dualpower made), keyed by account and native ID: its group, role, all
//     native IDs of its parts in order (a long post becomes a thread), its
//     state (pending, posted, skipped, failed, deleted) with a reason, and
//     the hash of the text mirrored. An origin also keeps its state on each
//     target account.
//   - refs: every other native ID of a mirror (later thread parts, IDs an
//     edit on X replaced), pointing to its post, so that any of them is
//     recognised when its echo comes back.
//   - groups: one origin and its current mirror on each target account.
//   - intents and queue: the outbox. Each intent is one publish, edit,
//     delete, repost or announcement on one target account, with a stable
//     idempotency key, attempts, next attempt time and last error, queued
//     per account in the order recorded.
//   - cursors: per source account, the newest position consumed.
//   - accounts: pause (and why), rate-limit reset, posts and spend per UTC
//     day and month, event count, and small key/values for the engine.
//   - marks: set-once markers (an announcement that fired).
//   - meta: the schema version (see SchemaVersion) and forward migrations.
//
// # The exactly-once protocol
//
//  1. Record writes a source event, the intents it causes, its skips and the
//     cursor advance in one transaction. An event whose ref is already a
//     known origin or any part of a known mirror is dropped (Result.Known):
//     that stops echo loops and double delivery.
//  2. Claim hands a worker the head of an account's queue only after
//     durably marking it claimed, so work is never executed before it is on
//     disk. The worker sends Intent.Key as the idempotency key.
//  3. Complete records the mirror's IDs and removes the intent in one
//     transaction. Fail schedules a retry with backoff (transient) or
//     records the failure (permanent); Skip drops work a rule no longer
//     wants.
//  4. After a crash, Unknown lists the intents left claimed: their outcome
//     is unknown. The engine reconciles each (same idempotency key on
//     Mastodon; the account's newest posts on X) and calls Complete, or
//     Release when it was not posted. Claim refuses to go past a claimed
//     head (ErrInFlight), so nothing behind it runs first.
//  5. Per-account order: Claim is strictly FIFO per target account; the
//     engine runs one worker per account, and holds a target's own events
//     while it has a publish in flight, so that a mirror delivered by a
//     stream before step 3 commits is not mistaken for an origin.
//
// Scheduled announcements are recorded as events of a pseudo source
// account (e.g. Ref{Account: "announcement:moving", ID: "2027-01-04T10:00:00Z"}):
// they get a group, a dedupe check and a mirror record like any post, so
// their echo is dropped too.
//
// # Concurrency and durability
//
// A Store is safe for concurrent use. Reads run in parallel. A write made
// while another is in flight joins bbolt's Batch, so concurrent callers
// share one commit and one fsync; a lone write commits at once. Every write
// is fsynced before the call returns, unless Options.NoSync.
//
// # Caveats
//
//   - One process at a time: bbolt locks the file. A second Open, in this or
//     another process, fails after about a second with ErrLocked and a
//     message naming the file. A ReadOnly open (for status or export) is
//     also refused while the daemon runs, because bbolt's exclusive lock
//     excludes readers: the daemon serves status over HTTP instead. The
//     other way round, a daemon started while such a tool has the file
//     open waits up to a second, then fails the same way.
//   - Open refuses, without writing to it, a file that is not a bbolt
//     database, a bbolt file of another program, a truncated file, and a
//     file from a newer dualpower. An empty (0-byte) file is initialised:
//     it is what a crash during the very first Open leaves.
//   - A damaged file is caught where it can be: Open reads every key once
//     under recover (and with faults turned into panics), so most damage is
//     an ErrCorrupt error at startup; later reads and lone writes recover
//     the same way. Verify's bbolt page check runs in bbolt's own goroutine
//     and cannot be guarded; run it on a file that opened cleanly.
//   - No value returned holds memory owned by bbolt: everything read is
//     copied out of its transaction.
//   - Account names and native IDs may hold any bytes, NUL included: keys
//     are length-prefixed, never joined with a separator.
//   - Stats, Failed, Export and Verify scan the whole file; they are for
//     status and tooling, not for hot paths.
//   - Claim does not consult the account's pause or rate-limit state; the
//     engine does, with Account.
package store
