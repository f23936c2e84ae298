package config

import (
	"reflect"
	"strings"
)

// Changes is what a reload changes, by name, for the engine to restart only
// what it must (SIGHUP). Each list is in the new file's order, removals in
// the old file's order. Nothing in it carries a value, so it may be logged.
type Changes struct {
	AccountsAdded, AccountsRemoved, AccountsChanged                []string
	LinksAdded, LinksRemoved, LinksChanged                         []string
	AnnouncementsAdded, AnnouncementsRemoved, AnnouncementsChanged []string
	// Settings lists the other keys whose value changed: "data_dir",
	// "log.level", "log.format", "http.listen", "mentions.map".
	Settings []string
}

// Empty reports whether nothing changed.
func (ch Changes) Empty() bool { return reflect.ValueOf(ch).IsZero() }

// String summarises the changes for a log line: "accounts +new -old ~changed;
// links …". It prints names only.
func (ch Changes) String() string {
	if ch.Empty() {
		return "no changes"
	}
	var parts []string
	group := func(what string, added, removed, changed []string) {
		var b []string
		for _, n := range added {
			b = append(b, "+"+n)
		}
		for _, n := range removed {
			b = append(b, "-"+n)
		}
		for _, n := range changed {
			b = append(b, "~"+n)
		}
		if len(b) > 0 {
			parts = append(parts, what+" "+strings.Join(b, " "))
		}
	}
	group("accounts", ch.AccountsAdded, ch.AccountsRemoved, ch.AccountsChanged)
	group("links", ch.LinksAdded, ch.LinksRemoved, ch.LinksChanged)
	group("announcements", ch.AnnouncementsAdded, ch.AnnouncementsRemoved, ch.AnnouncementsChanged)
	if len(ch.Settings) > 0 {
		parts = append(parts, "settings "+strings.Join(ch.Settings, " "))
	}
	return strings.Join(parts, "; ")
}

// Diff tells what changed from old to c. Accounts, links and announcements
// are compared by value, secrets included, so a rotated token shows as a
// changed account. A nil old counts as an empty configuration.
func (c *Config) Diff(old *Config) Changes {
	if old == nil {
		old = &Config{}
	}
	var ch Changes
	ch.AccountsAdded, ch.AccountsRemoved, ch.AccountsChanged = diffNamed(old.AccountNames, c.AccountNames, old.Accounts, c.Accounts)
	ch.LinksAdded, ch.LinksRemoved, ch.LinksChanged = diffNamed(old.LinkNames, c.LinkNames, old.Links, c.Links)
	ch.AnnouncementsAdded, ch.AnnouncementsRemoved, ch.AnnouncementsChanged = diffNamed(old.AnnouncementNames, c.AnnouncementNames, old.Announcements, c.Announcements)
	if old.DataDir != c.DataDir {
		ch.Settings = append(ch.Settings, "data_dir")
	}
	if old.Log.Level != c.Log.Level {
		ch.Settings = append(ch.Settings, "log.level")
	}
	if old.Log.Format != c.Log.Format {
		ch.Settings = append(ch.Settings, "log.format")
	}
	if old.HTTP.Listen != c.HTTP.Listen {
		ch.Settings = append(ch.Settings, "http.listen")
	}
	if len(old.Mentions.Map) != len(c.Mentions.Map) || (len(c.Mentions.Map) > 0 && !reflect.DeepEqual(old.Mentions.Map, c.Mentions.Map)) {
		ch.Settings = append(ch.Settings, "mentions.map")
	}
	return ch
}

func diffNamed[T any](oldNames, newNames []string, old, cur map[string]*T) (added, removed, changed []string) {
	for _, n := range newNames {
		o, ok := old[n]
		switch {
		case !ok:
			added = append(added, n)
		case !reflect.DeepEqual(o, cur[n]):
			changed = append(changed, n)
		}
	}
	for _, n := range oldNames {
		if _, ok := cur[n]; !ok {
			removed = append(removed, n)
		}
	}
	return added, removed, changed
}
