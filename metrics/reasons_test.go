package metrics

import (
	"slices"
	"testing"
)

func TestCategory(t *testing.T) {
	tests := []struct {
		name, reason, want string
	}{
		// Skips the link rules give (bridge/rules.go).
		{"window", "outside the link's active window", CategoryWindow},
		{"visibility private", "visibility private", CategoryVisibility},
		{"visibility direct", "visibility direct", CategoryVisibility},
		{"replies none", "reply (replies: none)", CategoryReply},
		{"reply to others", "reply to someone else", CategoryReply},
		{"reposts skip", "repost (reposts: skip)", CategoryRepost},
		{"quotes skip", "quote (quotes: skip)", CategoryQuote},
		{"sensitive skip", "content warning or sensitive media (sensitive: skip)", CategorySensitive},
		{"include tags", "none of the include_tags", CategoryTag},
		{"exclude tag", "excluded tag #nobridge", CategoryTag},
		{"exclude word", `excluded word "crypto"`, CategoryWord},
		{"brake", "safety brake: more than 5 posts in an hour", CategoryBrake},
		// Rendering (bridge/render.go).
		{"too long counted", "too long for twitter (312 > 280)", CategoryTooLong},
		{"too long uncuttable", "too long for mastodon and cannot be cut to fit", CategoryTooLong},
		{"too long unsplittable", "too long for twitter and cannot be split", CategoryTooLong},
		{"nothing to post", "nothing to post: no text and no media the target takes", CategoryOther},
		// The worker (bridge/worker.go).
		{"reply parent unmirrored", "reply to a post that was not mirrored", CategoryNoMirror},
		{"edit without mirror", "edit of a post that has no mirror here", CategoryNoMirror},
		{"repost without mirror", "repost of a post that has no mirror here", CategoryNoMirror},
		{"repost of a mirror", "repost of a mirror: nothing to repost", CategoryRepost},
		{"repost unsupported", "repost not mirrored: bsky adapter cannot repost", CategoryRepost},
		{"edit cannot edit", "edit not mirrored: twitter cannot edit this account's posts", CategoryEditUnsupported},
		{"edit changes parts", "edit not mirrored: it changes the thread from 2 to 3 parts", CategoryEditUnsupported},
		{"edit denied", "edit not mirrored: edit denied: this post can no longer be edited", CategoryEditUnsupported},
		{"edit not permitted", "edit not mirrored: not permitted: needs a paid plan", CategoryEditUnsupported},
		{"edit too long", "edit not mirrored: too long for twitter (300 > 280)", CategoryTooLong},
		{"edit without mirror nested", "edit not mirrored: reply to a post that was not mirrored", CategoryNoMirror},
		{"deleted before mirrored", "deleted at the source before it was mirrored", CategoryOther},
		{"link gone", "link alice-to-x is no longer configured", CategoryOther},
		{"delete unsupported", "delete not mirrored: bsky adapter cannot delete", CategoryOther},
		// Failures: reason(err) of a *providers.Error.
		{"duplicate", "duplicate: Status is a duplicate.", CategoryDuplicate},
		{"reply not allowed", "reply not allowed: you are not allowed to reply", CategoryReply},
		{"invalid", "invalid: Validation failed: Text character limit of 500 exceeded", CategoryInvalid},
		{"read denied", "read denied", CategoryNotPermitted},
		{"not permitted", "not permitted: client-not-enrolled", CategoryNotPermitted},
		{"edit denied failure", "edit denied: too late", CategoryEditUnsupported},
		{"not found", "not found: Record not found", CategoryOther},
		{"rejected bare", "rejected: HTTP 422", CategoryOther},
		// Whatever else.
		{"case and space", "  Visibility PRIVATE ", CategoryVisibility},
		{"empty", "", CategoryOther},
		{"free text", "the network said something new", CategoryOther},
		{"nul and junk", "\x00\xff\xfe", CategoryOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Category(tt.reason); got != tt.want {
				t.Errorf("Category(%q) = %q, want %q", tt.reason, got, tt.want)
			}
		})
	}
}

// Every category is reachable and the list has no duplicates, so the
// label's values are exactly Categories.
func TestCategoriesAreTheLabelValues(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Categories {
		if seen[c] {
			t.Errorf("category %q listed twice", c)
		}
		seen[c] = true
	}
	if Categories[len(Categories)-1] != CategoryOther {
		t.Errorf("other is not last: %v", Categories)
	}
	reach := map[string]string{
		CategoryVisibility: "visibility x", CategoryReply: "reply x", CategoryRepost: "repost x",
		CategoryQuote: "quote x", CategorySensitive: "sensitive x", CategoryTag: "excluded tag #x",
		CategoryWord: "excluded word x", CategoryWindow: "outside the link's active window",
		CategoryBrake: "safety brake", CategoryTooLong: "too long", CategoryNoMirror: "x has no mirror here",
		CategoryEditUnsupported: "edit denied", CategoryDuplicate: "duplicate", CategoryInvalid: "invalid",
		CategoryNotPermitted: "not permitted", CategoryOther: "x",
	}
	for _, c := range Categories {
		r, ok := reach[c]
		if !ok {
			t.Errorf("no example reason for category %q", c)
			continue
		}
		if got := Category(r); got != c {
			t.Errorf("Category(%q) = %q, want %q", r, got, c)
		}
	}
}

// FuzzCategory: whatever the text, the category is one of the fixed set.
func FuzzCategory(f *testing.F) {
	for _, s := range []string{"", "visibility private", "edit not mirrored: edit not mirrored: x", "EDIT NOT MIRRORED: too long", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, reason string) {
		if c := Category(reason); !slices.Contains(Categories, c) {
			t.Fatalf("Category(%q) = %q, not in Categories", reason, c)
		}
	})
}

func TestHeldCategory(t *testing.T) {
	tests := []struct{ name, reason, want string }{
		{"day cap", "held: posts_per_day (100) reached", HeldPostsPerDay},
		{"month cap", "held: posts_per_month (3000) reached", HeldPostsPerMonth},
		{"budget", "held: budget of $10.00 a month would be exceeded ($9.990 spent)", HeldBudget},
		{"usage cap", "usage cap reached", HeldUsageCap},
		{"counters unreadable", "cannot read the spend counters: store: account \"x\": ledger damaged", HeldOther},
		{"empty", "", HeldOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HeldCategory(tt.reason); got != tt.want {
				t.Errorf("HeldCategory(%q) = %q, want %q", tt.reason, got, tt.want)
			}
		})
	}
}
