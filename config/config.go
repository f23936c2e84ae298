package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/dualpower/dualpower/providers"
)

// Config is a whole configuration file, decoded, expanded, defaulted and
// validated. Treat it as read-only once Load returns it: a reload makes a
// new Config, and Diff tells what changed.
type Config struct {
	// Path is the file the configuration was read from, as given.
	Path string
	// DataDir holds ledger.db. Default "./data"; a relative path is taken
	// from the config file's directory and held here already joined to it.
	DataDir string
	// Log is how the daemon logs.
	Log struct {
		Level  string // debug | info | warn | error; default info
		Format string // console | json; default console
	}
	// HTTP is the health and metrics server (/healthz /readyz /metrics).
	HTTP struct {
		// Listen is host:port; default "127.0.0.1:8080". An explicit ""
		// (or a key without a value) turns the server off.
		Listen string
	}
	// Accounts by name; AccountNames lists the names in file order.
	Accounts     map[string]*Account
	AccountNames []string
	// Links by name; LinkNames lists the names in file order.
	Links     map[string]*Link
	LinkNames []string
	// Mentions holds the handle map the renderer uses to rewrite a mention
	// on one network into the same person's handle on another.
	Mentions struct {
		// Map goes from a handle as it appears in a source post to the
		// handle to write on the target: "@alice@social.example" ->
		// "@alice_x". Keys are lowercased (handles match without regard
		// to case) and always start with "@"; values are kept as written,
		// with an "@" added in front if it was left out.
		Map map[string]string
	}
	// Announcements by name; AnnouncementNames lists them in file order.
	Announcements     map[string]*Announcement
	AnnouncementNames []string
}

// Account is one account on one network.
type Account struct {
	// Name is the account's key under accounts.
	Name string
	// Network is the canonical registry name: "x" in the file becomes
	// "twitter".
	Network string
	// Settings are the plain settings the adapter reads (server, api_base,
	// can_edit …), exactly the keys its providers.Info lists. Every value
	// is a string as written, after ${VAR} expansion.
	Settings map[string]string
	// Secrets are the adapter's credentials (access_token, consumer_key …),
	// from the value, ${VAR}, or the file named by <key>_file.
	Secrets map[string]providers.Secret
	// Stream reads the account through its network's stream where it has
	// one. Default true; ignored where the network does not stream.
	Stream bool
	// Poll is a robfig/cron spec for reading the account, and for catching
	// up after a stream reconnects. Default "@every 1m" on mastodon,
	// "@every 15m" on twitter, "@every 5m" elsewhere. "" means the account
	// is never polled; see Reads.
	Poll string
	// CheckDeletes is a robfig/cron spec for looking up the account's
	// mirrored posts of the last two days, to find deletes its network does
	// not announce (X lists none; a polled Mastodon account none either).
	// "" (the default) never checks: on X every post looked up is billed
	// as a read.
	CheckDeletes string
	// Limits cap what the bridge posts to this account; 0 is no limit.
	Limits struct{ PostsPerDay, PostsPerMonth int }
	// Budget caps what posting to this account may cost (X bills per
	// post). USDPerMonth 0 is no budget. PostUSD (default 0.015) and
	// URLPostUSD (default 0.20, a post with a URL) are the prices counted.
	Budget struct {
		USDPerMonth float64
		PostUSD     float64
		URLPostUSD  float64
	}
}

// streamingNetworks are the networks whose adapters read through a stream.
// The registry's Info does not say, so the config keeps the list.
var streamingNetworks = map[string]bool{"mastodon": true}

// defaultPoll is the poll spec of an account that does not set one.
func defaultPoll(network string) string {
	switch network {
	case "mastodon":
		return "@every 1m"
	case "twitter":
		return "@every 15m"
	}
	return "@every 5m"
}

// Streams reports whether the account is read through a stream: stream is
// on and its network has one.
func (a *Account) Streams() bool { return a.Stream && streamingNetworks[a.Network] }

// Reads reports whether the bridge reads the account at all, by polling or
// through a stream. An account that is not read is write-only and cannot be
// the from of a link.
func (a *Account) Reads() bool { return a.Poll != "" || a.Streams() }

// Link mirrors posts from one account to one or more others.
type Link struct {
	// Name is the link's key under links.
	Name string
	// From is the source account's name.
	From string
	// To are the target accounts' names, in file order, never empty.
	To []string
	// StartNow (the default, "start: now") mirrors only posts made after
	// the link first runs; otherwise Start is the earliest post time
	// mirrored (a date means 00:00 UTC of it).
	Start    time.Time
	StartNow bool
	// Active is the window in which the link mirrors; zero is always.
	Active Window
	// Rules decide what is mirrored and how.
	Rules Rules
}

// Window is a span of time; a zero From or Until leaves that side open.
// When written as dates, From is 00:00 UTC of its day and Until is the end
// of its day (its last nanosecond), so both days are inside the window.
type Window struct{ From, Until time.Time }

// Contains reports whether t is inside the window, both ends included.
func (w Window) Contains(t time.Time) bool {
	if !w.From.IsZero() && t.Before(w.From) {
		return false
	}
	if !w.Until.IsZero() && t.After(w.Until) {
		return false
	}
	return true
}

// IsZero reports whether the window is open on both sides.
func (w Window) IsZero() bool { return w.From.IsZero() && w.Until.IsZero() }

// overlaps reports whether two windows share at least one instant.
func (w Window) overlaps(o Window) bool {
	lo, hi := w, o
	if !lo.Until.IsZero() && !hi.From.IsZero() && lo.Until.Before(hi.From) {
		return false
	}
	if !hi.Until.IsZero() && !lo.From.IsZero() && hi.Until.Before(lo.From) {
		return false
	}
	return true
}

// Rules decide, per link, which posts are mirrored and how they are
// rendered. The allowed values of each string rule are listed beside it;
// the first is the default except where noted.
type Rules struct {
	Visibility []providers.Visibility // which source posts; default [public, unlisted]
	Replies    string                 // self | none: mirror self-replies (threads) or no replies
	Reposts    string                 // skip | native | link
	Quotes     string                 // link | skip
	Sensitive  string                 // skip | warn: posts with a content warning or sensitive media
	// IncludeTags, if set, mirror only posts with one of these hashtags.
	// ExcludeTags (default [nobridge]; setting it replaces the default)
	// skip posts with any of them. StripTags are removed from mirrored
	// text. Tags may be written with or without "#" and are held without.
	IncludeTags, ExcludeTags, StripTags []string
	// ExcludeWords skip posts containing any of these words.
	ExcludeWords []string
	Mentions     string // handle | link | drop: an unmapped mention
	Overflow     string // thread | truncate | skip: a post too long for the target
	Footer       string // appended to every mirrored post; default ""
	Media        bool   // mirror media; default true
	Edits        string // mirror | ignore
	Deletes      string // mirror | ignore
	// Delay waits this long before mirroring, so quick edits and deletes
	// settle; default 0.
	Delay time.Duration
	// MaxPerHour is a safety brake on posts mirrored per hour; 0 is none.
	MaxPerHour int
}

// Announcement is a post made on a schedule, such as "we moved" reminders.
type Announcement struct {
	Name     string // the announcement's key under announcements
	Account  string // the account that posts it
	Schedule string // robfig/cron spec
	Text     string // never empty
	Active   Window // zero is always
}

// Source returns the links whose from is the named account, in file order.
func (c *Config) Source(name string) []*Link {
	var out []*Link
	for _, n := range c.LinkNames {
		if l := c.Links[n]; l.From == name {
			out = append(out, l)
		}
	}
	return out
}

// maxFileSize bounds what Load reads; a configuration is a few kilobytes.
const maxFileSize = 4 << 20

// Load reads, parses, expands, defaults and validates the configuration at
// path, taking ${VAR} from the process environment. On any problem it
// returns nil and an errors.Join of every *Problem found.
func Load(path string) (*Config, error) {
	cannotRead := func(err error) error {
		cause := err
		var pe *fs.PathError
		if errors.As(err, &pe) {
			cause = pe.Err // the path is in the problem already
		}
		return &Problem{File: path, Msg: fmt.Sprintf("cannot read the config file: %v", cause), Err: err}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, cannotRead(err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, cannotRead(err)
	}
	if len(data) > maxFileSize {
		return nil, &Problem{File: path, Msg: fmt.Sprintf("file is larger than %d bytes; is it the right file?", maxFileSize)}
	}
	return Parse(path, data, os.LookupEnv)
}
