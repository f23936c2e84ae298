package store

import (
	"fmt"
	"time"

	"github.com/dualpower/dualpower/providers"
)

// EventKind is what happened to a post on its source account.
type EventKind uint8

// The kinds of source events. The zero value is invalid.
const (
	Created EventKind = iota + 1
	Edited
	Deleted
)

var eventKindNames = []string{"", "created", "edited", "deleted"}

// String returns the kind's name, as in exports and logs.
func (k EventKind) String() string { return enumName(eventKindNames, uint8(k), "EventKind") }

// Valid reports whether k is one of the known kinds.
func (k EventKind) Valid() bool { return k >= Created && k <= Deleted }

// MarshalText writes the kind's name.
func (k EventKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// IntentKind is what an intent asks a target account to do.
type IntentKind uint8

// The kinds of intents. The zero value is invalid.
const (
	Publish  IntentKind = iota + 1 // publish the origin (possibly as a thread of parts)
	Edit                           // edit the mirror in place (or with new IDs, on X)
	Delete                         // delete every part of the mirror
	Repost                         // repost the mirror of a reposted post natively
	Announce                       // a scheduled announcement
)

var intentKindNames = []string{"", "publish", "edit", "delete", "repost", "announce"}

// String returns the kind's name, as in exports and logs.
func (k IntentKind) String() string { return enumName(intentKindNames, uint8(k), "IntentKind") }

// Valid reports whether k is one of the known kinds.
func (k IntentKind) Valid() bool { return k >= Publish && k <= Announce }

// MarshalText writes the kind's name.
func (k IntentKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// publishes reports whether a completed intent of kind k creates a new post
// on its target (and so a mirror record).
func (k IntentKind) publishes() bool { return k == Publish || k == Repost || k == Announce }

// IntentState is where an intent is in its life. A completed or skipped
// intent is removed, so it has no state.
type IntentState uint8

// The states of an intent. The zero value is invalid.
const (
	// Pending: waiting in its account's queue until NextAttempt.
	Pending IntentState = iota + 1
	// Claimed: handed to a worker. After a crash a claimed intent's outcome
	// is unknown; it is reconciled (see Store.Unknown), not blindly retried.
	Claimed
	// Failed: failed for good. It stays for status but no longer blocks its
	// account's queue.
	Failed
)

var intentStateNames = []string{"", "pending", "claimed", "failed"}

// String returns the state's name, as in exports and logs.
func (s IntentState) String() string { return enumName(intentStateNames, uint8(s), "IntentState") }

// Valid reports whether s is one of the known states.
func (s IntentState) Valid() bool { return s >= Pending && s <= Failed }

// MarshalText writes the state's name.
func (s IntentState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Role says whether a post record is an origin (posted by a person on its
// network) or a mirror (posted by dualpower).
type Role uint8

// The roles of a post record. The zero value is invalid.
const (
	Origin Role = iota + 1
	Mirror
)

var roleNames = []string{"", "origin", "mirror"}

// String returns the role's name, as in exports and logs.
func (r Role) String() string { return enumName(roleNames, uint8(r), "Role") }

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool { return r == Origin || r == Mirror }

// MarshalText writes the role's name.
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// PostState is the state of a post record, or of an origin on one target.
type PostState uint8

// The states of a post. The zero value is invalid.
const (
	PostPending PostState = iota + 1 // work for it is queued
	PostPosted                       // it exists (an origin on its network, a mirror on its target)
	PostSkipped                      // a rule left it out; Reason says which
	PostFailed                       // it failed for good; Reason says why
	PostDeleted                      // it was deleted
)

var postStateNames = []string{"", "pending", "posted", "skipped", "failed", "deleted"}

// String returns the state's name, as in exports and logs.
func (s PostState) String() string { return enumName(postStateNames, uint8(s), "PostState") }

// Valid reports whether s is one of the known states.
func (s PostState) Valid() bool { return s >= PostPending && s <= PostDeleted }

// MarshalText writes the state's name.
func (s PostState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

func enumName(names []string, v uint8, typ string) string {
	if v > 0 && int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", typ, v)
}

// Event is one source event as the engine has judged it: the intents it
// causes on target accounts and the targets it skips.
type Event struct {
	Kind     EventKind
	Ref      providers.Ref // the post's identity on its source account
	Link     string        // name of the configured link that produced it (for status)
	Cursor   string        // the source's position after this event; "" leaves the cursor alone
	TextHash string        // hash of the text as the engine renders it; "" when not known
	Created  time.Time     // when the post was made on its network
	Intents  []NewIntent
	Skips    []Skip
}

// NewIntent is work an event causes on one target account.
type NewIntent struct {
	Account string // the target account
	Kind    IntentKind
	// Key is the idempotency key sent with the request (Mastodon's
	// Idempotency-Key). Empty: Record generates a random one, stored with
	// the intent, so it is the same on every attempt.
	Key       string
	Payload   []byte    // opaque to the store: what the engine needs to execute it
	NotBefore time.Time // not due before this (the delay rule); zero: due now
}

// Skip is a target an event leaves out, and why (shown by status).
type Skip struct {
	Target string // target account
	Reason string // e.g. "visibility private"
}

// Result is what Record did.
type Result struct {
	// Known is true when the event was dropped as already known: an echo of
	// a post or edit dualpower made itself, or a second delivery.
	Known bool
	// IntentIDs are the IDs of the intents appended, in the order given.
	IntentIDs []uint64
}

// Intent is one durable unit of work on a target account.
type Intent struct {
	ID           uint64        `json:"id"`
	Key          string        `json:"key"`     // idempotency key, stable across attempts
	Account      string        `json:"account"` // target account
	Kind         IntentKind    `json:"kind"`
	Origin       providers.Ref `json:"origin"` // the origin post it is about
	Link         string        `json:"link,omitempty"`
	Payload      []byte        `json:"payload,omitempty"`
	State        IntentState   `json:"state"`
	Attempts     int           `json:"attempts"`               // times claimed
	FirstAttempt time.Time     `json:"first_attempt,omitzero"` // first claim; zero before
	NextAttempt  time.Time     `json:"next_attempt,omitzero"`  // not due before; zero: due now
	LastError    string        `json:"last_error,omitempty"`
	Created      time.Time     `json:"created,omitzero"`
}

// Completion is what a target answered when an intent succeeded.
type Completion struct {
	// Parts are the native IDs of what was posted on the target, in order
	// (a long post becomes a thread of parts). Required for Publish and
	// Announce; for Repost, one ID that names the repost on its account
	// (the engine uses "repost:" and the reposted post's ID, as no network
	// need give a repost an ID of its own), or none;
	// the new IDs for Edit on a network whose edits get new IDs (X), empty
	// when the edit kept the IDs; ignored for Delete.
	Parts    []string
	URL      string // permalink of the first part, when known
	TextHash string // hash of the text as posted; "" keeps the recorded one
	Spend    *Spend // added to the target account's counters, when not nil
	Note     string // e.g. "standalone: reply not allowed"; kept as the mirror's Reason
}

// Spend is what a completion cost on its account.
type Spend struct {
	Posts    int
	MicroUSD int64
}

// Failure is why an intent failed.
type Failure struct {
	// Permanent: do not retry. The intent becomes Failed and the origin
	// records the failure for that target.
	Permanent bool
	Reason    string
	// RetryAt, for a transient failure, is when to try again, as the
	// caller's retry policy decides (backoff, a rate-limit reset). Zero
	// lets the store back off by itself: 2s·2^(attempts-1), capped at an
	// hour, ±20%.
	RetryAt time.Time
}

// Post is a post record: an origin, or a mirror made by dualpower.
type Post struct {
	Ref   providers.Ref `json:"ref"`   // for a mirror: its first part, as first posted
	Group uint64        `json:"group"` // the origin and all its mirrors share a group
	Role  Role          `json:"role"`
	// Parts are the post's current native IDs on its account, in order; the
	// last is where a reply to it goes. An origin has one part, its own ID.
	Parts []string `json:"parts"`
	// OldParts are IDs the post had before an edit gave it new ones (X);
	// they stay known so that their echoes are dropped.
	OldParts []string  `json:"old_parts,omitempty"`
	State    PostState `json:"state"`
	Reason   string    `json:"reason,omitempty"` // why skipped or failed, or a note on how it was posted
	TextHash string    `json:"text_hash,omitempty"`
	Link     string    `json:"link,omitempty"`
	URL      string    `json:"url,omitempty"`
	Created  time.Time `json:"created,omitzero"`
	Updated  time.Time `json:"updated,omitzero"`
	// Targets is, for an origin, its state on each target account.
	Targets map[string]TargetState `json:"targets,omitempty"`
}

// TargetState is an origin's state on one target account.
type TargetState struct {
	State   PostState `json:"state"`
	Reason  string    `json:"reason,omitempty"`
	Updated time.Time `json:"updated,omitzero"`
}

// AccountState is what the ledger keeps per account. Day and month counters
// are in UTC; Account returns them zeroed once their day or month is over.
type AccountState struct {
	Paused         bool      `json:"paused,omitempty"`
	PausedWhy      string    `json:"paused_why,omitempty"`
	PausedAt       time.Time `json:"paused_at,omitzero"`
	RateLimitReset time.Time `json:"rate_limit_reset,omitzero"`
	Day            string    `json:"day,omitempty"` // "2006-01-02"
	DayPosts       int       `json:"day_posts,omitempty"`
	DaySpend       int64     `json:"day_spend,omitempty"` // micro-USD
	Month          string    `json:"month,omitempty"`     // "2006-01"
	MonthPosts     int       `json:"month_posts,omitempty"`
	MonthSpend     int64     `json:"month_spend,omitempty"` // micro-USD
	LastActivity   time.Time `json:"last_activity,omitzero"`
	// Events counts the source events recorded from this account.
	Events int64             `json:"events,omitempty"`
	Meta   map[string]string `json:"meta,omitempty"`
}

// LinkStats is what status shows for one link.
type LinkStats struct {
	Mirrored     int            `json:"mirrored"`          // origin × target pairs posted
	Skipped      map[string]int `json:"skipped,omitempty"` // by reason
	Failed       map[string]int `json:"failed,omitempty"`  // by reason
	Pending      int            `json:"pending"`           // intents queued (pending or claimed)
	LastActivity time.Time      `json:"last_activity,omitzero"`
}

// Stats is status for every link.
type Stats struct {
	ByLink map[string]LinkStats `json:"by_link"`
}

// Problem is one broken invariant found by Verify.
type Problem struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"` // printable form of the record's key
	What   string `json:"what"`
}

// String formats the problem for a person: bucket, key, what is wrong.
func (p Problem) String() string { return p.Bucket + " " + p.Key + ": " + p.What }
