package metrics

import "strings"

// The categories a skip or failure reason is counted under. The set is
// fixed so that the reason label of dualpower_skipped_total and
// dualpower_failed_total has a bounded number of values, whatever text the
// engine or a network writes.
const (
	CategoryVisibility      = "visibility"       // visibility rule
	CategoryReply           = "reply"            // replies rule, or a reply the network refused
	CategoryRepost          = "repost"           // reposts rule, or a repost that cannot be made
	CategoryQuote           = "quote"            // quotes rule
	CategorySensitive       = "sensitive"        // content warning or sensitive media
	CategoryTag             = "tag"              // include_tags / exclude_tags
	CategoryWord            = "word"             // exclude_words
	CategoryWindow          = "window"           // outside the link's active window
	CategoryBrake           = "brake"            // max_per_hour safety brake
	CategoryTooLong         = "too_long"         // too long for the target and not split
	CategoryNoMirror        = "no_mirror"        // what it replies to, reposts or edits has no mirror there
	CategoryEditUnsupported = "edit_unsupported" // the target cannot apply the edit
	CategoryDuplicate       = "duplicate"        // the network already had this exact post
	CategoryInvalid         = "invalid"          // the network refused the content as invalid
	CategoryNotPermitted    = "not_permitted"    // the app or account may not do this
	CategoryOther           = "other"            // anything else
)

// Categories lists every category, CategoryOther last.
var Categories = []string{
	CategoryVisibility, CategoryReply, CategoryRepost, CategoryQuote, CategorySensitive,
	CategoryTag, CategoryWord, CategoryWindow, CategoryBrake, CategoryTooLong, CategoryNoMirror,
	CategoryEditUnsupported, CategoryDuplicate, CategoryInvalid, CategoryNotPermitted, CategoryOther,
}

// editPrefix starts the reasons the engine gives for an edit it did not
// apply: "edit not mirrored: <why>".
const editPrefix = "edit not mirrored: "

// rules map a reason to its category by its beginning or by a phrase in
// it, first match wins. They follow the reasons the engine writes
// (bridge/rules.go, render.go, worker.go, intake.go) and the reason
// prefixes of providers.Error ("duplicate", "reply not allowed", …).
var rules = []struct {
	prefix, contains string
	category         string
}{
	{contains: "has no mirror here", category: CategoryNoMirror},
	{contains: "was not mirrored", category: CategoryNoMirror},
	{prefix: "outside the link's active window", category: CategoryWindow},
	{prefix: "visibility", category: CategoryVisibility},
	{prefix: "reply", category: CategoryReply}, // also providers' "reply not allowed"
	{prefix: "repost", category: CategoryRepost},
	{prefix: "quote", category: CategoryQuote},
	{prefix: "content warning", category: CategorySensitive},
	{prefix: "sensitive", category: CategorySensitive},
	{prefix: "none of the include_tags", category: CategoryTag},
	{prefix: "excluded tag", category: CategoryTag},
	{prefix: "excluded word", category: CategoryWord},
	{prefix: "safety brake", category: CategoryBrake},
	{prefix: "too long", category: CategoryTooLong},
	{prefix: "edit denied", category: CategoryEditUnsupported},
	{prefix: "duplicate", category: CategoryDuplicate},
	{prefix: "invalid", category: CategoryInvalid},
	{prefix: "not permitted", category: CategoryNotPermitted},
	{prefix: "read denied", category: CategoryNotPermitted},
}

// Category maps a free-text skip or failure reason to one of Categories.
// An edit the engine did not mirror ("edit not mirrored: …") counts under
// the category of its cause when that is a rule (an edit that became too
// long is too_long), and under edit_unsupported otherwise.
func Category(reason string) string {
	r := strings.ToLower(strings.TrimSpace(reason))
	if rest, ok := strings.CutPrefix(r, editPrefix); ok {
		if c := Category(rest); c != CategoryOther && c != CategoryNotPermitted && c != CategoryInvalid {
			return c
		}
		return CategoryEditUnsupported
	}
	for _, rule := range rules {
		if rule.prefix != "" && strings.HasPrefix(r, rule.prefix) {
			return rule.category
		}
		if rule.contains != "" && strings.Contains(r, rule.contains) {
			return rule.category
		}
	}
	return CategoryOther
}

// The categories work held back is counted under (dualpower_held_total).
const (
	HeldPostsPerDay   = "posts_per_day"   // the account's limits.posts_per_day
	HeldPostsPerMonth = "posts_per_month" // the account's limits.posts_per_month
	HeldBudget        = "budget"          // the account's budget.usd_per_month
	HeldUsageCap      = "usage_cap"       // the network's own usage cap (a Quota error)
	HeldOther         = "other"           // anything else
)

// HeldCategories lists every held category, HeldOther last.
var HeldCategories = []string{HeldPostsPerDay, HeldPostsPerMonth, HeldBudget, HeldUsageCap, HeldOther}

// HeldCategory maps the reason the engine gives for holding work back
// ("held: posts_per_day (100) reached", "usage cap reached", …) to one of
// HeldCategories.
func HeldCategory(reason string) string {
	r := strings.ToLower(reason)
	switch {
	case strings.Contains(r, "posts_per_day"):
		return HeldPostsPerDay
	case strings.Contains(r, "posts_per_month"):
		return HeldPostsPerMonth
	case strings.Contains(r, "budget"):
		return HeldBudget
	case strings.Contains(r, "usage cap"):
		return HeldUsageCap
	}
	return HeldOther
}
