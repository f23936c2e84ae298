package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/dualpower/dualpower/providers"
)

// Parse does what Load does for data already read from path: path names the
// file in problems and is the base of relative paths (secret files,
// data_dir); env looks up ${VAR} (os.LookupEnv in Load; nil means no
// variable is set).
func Parse(path string, data []byte, env func(string) (string, bool)) (*Config, error) {
	p := newParser(path, env)
	c := defaults(path)
	root := p.document(data)
	if root != nil {
		p.top(c, root)
	}
	if !p.broken && p.tooDeep == nil {
		p.validate(c, root)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// defaults is a Config before the file is read.
func defaults(path string) *Config {
	c := &Config{
		Path:          path,
		DataDir:       filepath.Join(filepath.Dir(path), "data"),
		Accounts:      map[string]*Account{},
		Links:         map[string]*Link{},
		Announcements: map[string]*Announcement{},
	}
	c.Log.Level = "info"
	c.Log.Format = "console"
	c.HTTP.Listen = "127.0.0.1:8080"
	c.Mentions.Map = map[string]string{}
	return c
}

func defaultRules() Rules {
	return Rules{
		Visibility:  []providers.Visibility{providers.Public, providers.Unlisted},
		Replies:     "self",
		Reposts:     "skip",
		Quotes:      "link",
		Sensitive:   "skip",
		ExcludeTags: []string{"nobridge"},
		Mentions:    "handle",
		Overflow:    "thread",
		Media:       true,
		Edits:       "mirror",
		Deletes:     "mirror",
	}
}

var topKeys = []string{"data_dir", "log", "http", "accounts", "links", "mentions", "announcements"}

func (p *parser) top(c *Config, root *yaml.Node) {
	if r := p.resolve(root); r != nil && !isNull(r) && r.Kind != yaml.MappingNode {
		p.broken = true
		p.add(r, "", "the file must hold keys (accounts:, links: …), not %s", kindName(r))
		return
	}
	for _, f := range p.fields(root, "") {
		switch f.key {
		case "data_dir":
			if s, ok := p.value(f, "a directory for ledger.db, like ./data"); ok {
				if !filepath.IsAbs(s) {
					s = filepath.Join(p.dir, s)
				}
				c.DataDir = s
			}
		case "log":
			for _, g := range p.fields(f.val, f.path) {
				switch g.key {
				case "level":
					if s, ok := p.enum(g, "debug", "info", "warn", "error"); ok {
						c.Log.Level = s
					}
				case "format":
					if s, ok := p.enum(g, "console", "json"); ok {
						c.Log.Format = s
					}
				default:
					p.unknown(g, []string{"level", "format"})
				}
			}
		case "http":
			for _, g := range p.fields(f.val, f.path) {
				switch g.key {
				case "listen":
					if s, ok := p.str(g); ok {
						if err := checkListen(s); err != nil {
							p.add(g.knode, g.path, "%v", err)
						} else {
							c.HTTP.Listen = s
						}
					}
				default:
					p.unknown(g, []string{"listen"})
				}
			}
		case "accounts":
			for _, g := range p.fields(f.val, f.path) {
				if p.name(g) {
					a := p.account(g)
					c.Accounts[g.key] = a
					c.AccountNames = append(c.AccountNames, g.key)
				}
			}
		case "links":
			for _, g := range p.fields(f.val, f.path) {
				if p.name(g) {
					c.Links[g.key] = p.link(g)
					c.LinkNames = append(c.LinkNames, g.key)
				}
			}
		case "mentions":
			for _, g := range p.fields(f.val, f.path) {
				switch g.key {
				case "map":
					p.mentions(c, g)
				default:
					p.unknown(g, []string{"map"})
				}
			}
		case "announcements":
			for _, g := range p.fields(f.val, f.path) {
				if p.name(g) {
					c.Announcements[g.key] = p.announcement(g)
					c.AnnouncementNames = append(c.AnnouncementNames, g.key)
				}
			}
		default:
			if strings.HasPrefix(f.key, "x-") {
				break // an extension key: a place for YAML anchors
			}
			p.unknown(f, topKeys)
		}
	}
}

// checkListen accepts "" (off) or host:port with a numeric port.
func checkListen(s string) error {
	if s == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("bad address %s: write host:port like 127.0.0.1:8080 or :8080, or \"\" to turn the server off", quote(s))
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("bad port %s in %s: use a number from 0 to 65535", quote(port), quote(s))
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("bad host %s in %s", quote(host), quote(s))
	}
	return nil
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// name checks the name of an account, link or announcement: it appears in
// logs, metrics, the ledger and on the command line.
func (p *parser) name(f field) bool {
	if !validName.MatchString(f.key) {
		p.add(f.knode, f.path, "bad name: use up to 64 letters, digits, '-', '_' and '.', starting with a letter or digit")
		return false
	}
	return true
}

var commonAccountKeys = []string{"network", "stream", "poll", "check_deletes", "limits", "budget"}

func (p *parser) account(f field) *Account {
	a := &Account{
		Name:     f.key,
		Settings: map[string]string{},
		Secrets:  map[string]providers.Secret{},
		Stream:   true,
	}
	a.Budget.PostUSD = 0.015
	a.Budget.URLPostUSD = 0.20
	fields := p.fields(f.val, f.path)
	if v := p.resolve(f.val); v != nil && !isNull(v) && v.Kind != yaml.MappingNode {
		return a // reported by fields
	}
	var info *providers.Info
	for _, g := range fields {
		if g.key != "network" {
			continue
		}
		s, ok := p.value(g, "the account's network: "+strings.Join(providers.Networks(), ", "))
		if !ok {
			return a
		}
		i, err := providers.Find(s)
		if err != nil {
			p.add(g.knode, g.path, "unknown network %s; known: %s", quote(s), strings.Join(providers.Networks(), ", "))
			return a
		}
		info = i
	}
	if info == nil {
		p.add(f.knode, join(f.path, "network"), "missing; say which network the account is on: %s", strings.Join(providers.Networks(), ", "))
		return a
	}
	a.Network = info.Name
	a.Poll = defaultPoll(info.Name)

	allowed := slices.Clone(commonAccountKeys)
	allowed = append(allowed, info.Settings...)
	for _, s := range info.Secrets {
		allowed = append(allowed, s, s+"_file")
	}
	present := map[string]field{} // secret and setting keys seen, by base key
	reported := map[string]bool{} // keys already reported: no "missing" too
	for _, g := range fields {
		switch {
		case g.key == "network":
		case g.key == "stream":
			if b, ok := p.boolean(g); ok {
				a.Stream = b
			}
		case g.key == "poll":
			if s, ok := p.schedule(g, true); ok {
				a.Poll = s
			}
		case g.key == "check_deletes":
			if s, ok := p.schedule(g, true); ok {
				a.CheckDeletes = s
			}
		case g.key == "limits":
			for _, h := range p.fields(g.val, g.path) {
				switch h.key {
				case "posts_per_day":
					a.Limits.PostsPerDay, _ = p.count(h)
				case "posts_per_month":
					a.Limits.PostsPerMonth, _ = p.count(h)
				default:
					p.unknown(h, []string{"posts_per_day", "posts_per_month"})
				}
			}
		case g.key == "budget":
			for _, h := range p.fields(g.val, g.path) {
				switch h.key {
				case "usd_per_month":
					a.Budget.USDPerMonth, _ = p.amount(h)
				case "post_usd":
					if x, ok := p.amount(h); ok {
						a.Budget.PostUSD = x
					}
				case "url_post_usd":
					if x, ok := p.amount(h); ok {
						a.Budget.URLPostUSD = x
					}
				default:
					p.unknown(h, []string{"usd_per_month", "post_usd", "url_post_usd"})
				}
			}
		case slices.Contains(info.Settings, g.key):
			present[g.key] = g
			if s, ok := p.str(g); ok {
				a.Settings[g.key] = s
			} else {
				reported[g.key] = true
			}
		case slices.Contains(info.Secrets, g.key):
			if other, both := present[g.key]; both {
				p.add(g.knode, g.path, "set either %s or %s, not both", g.key, other.key)
				continue
			}
			present[g.key] = g
			if s, ok := p.str(g); ok {
				a.Secrets[g.key] = providers.Secret(s)
			} else {
				reported[g.key] = true
			}
		case strings.HasSuffix(g.key, "_file") && slices.Contains(info.Secrets, strings.TrimSuffix(g.key, "_file")):
			base := strings.TrimSuffix(g.key, "_file")
			if other, both := present[base]; both {
				p.add(g.knode, g.path, "set either %s or %s, not both", other.key, g.key)
				continue
			}
			present[base] = g
			reported[base] = true // unless read below
			if s, ok := p.value(g, "the path of a file holding "+base); ok {
				if v, err := p.readSecret(s); err != nil {
					p.add(g.knode, g.path, "%v", err)
				} else {
					a.Secrets[base] = providers.Secret(v)
					reported[base] = false
				}
			}
		default:
			// A near miss of a required key ("acess_token") is reported
			// once, as a misspelling, not again as a missing key.
			if s := p.unknown(g, allowed); s != "" {
				reported[strings.TrimSuffix(s, "_file")] = true
			}
		}
	}
	for _, r := range info.Required {
		isSecret := slices.Contains(info.Secrets, r)
		var empty bool
		if isSecret {
			empty = a.Secrets[r] == ""
		} else {
			empty = a.Settings[r] == ""
		}
		if !empty || reported[r] {
			continue
		}
		g, set := present[r]
		switch {
		case set && isSecret && strings.HasSuffix(g.key, "_file"):
			// Read failures are reported already; an empty file is not.
			p.add(g.knode, g.path, "the file is empty; put the %s in it", r)
		case set:
			p.add(g.knode, g.path, "is empty; it is required (if it comes from ${…}, check that variable)")
		case isSecret:
			p.add(f.knode, join(f.path, r), "missing; set %s, or %s_file to a file holding it (the value may be ${VAR})", r, r)
		default:
			p.add(f.knode, join(f.path, r), "missing; the %s network needs it", info.Name)
		}
	}
	return a
}

// maxSecretSize bounds a secret file; a credential is a few hundred bytes.
const maxSecretSize = 64 << 10

// readSecret reads a secret file (relative to the config's directory) and
// trims its trailing newlines. Errors name the file, never its content.
func (p *parser) readSecret(name string) (string, error) {
	if !filepath.IsAbs(name) {
		name = filepath.Join(p.dir, name)
	}
	fail := func(err error) (string, error) {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("cannot read secret file %s: %v", quote(name), err)
	}
	f, err := os.Open(name)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretSize+1))
	if err != nil {
		return fail(err)
	}
	if len(b) > maxSecretSize {
		return "", fmt.Errorf("secret file %s is larger than %d bytes; is it the right file?", quote(name), maxSecretSize)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

var linkKeys = []string{"from", "to", "start", "active", "rules"}

func (p *parser) link(f field) *Link {
	l := &Link{Name: f.key, StartNow: true, Rules: defaultRules()}
	fields := p.fields(f.val, f.path)
	var hasFrom, hasTo bool
	for _, g := range fields {
		switch g.key {
		case "from":
			hasFrom = true
			l.From, _ = p.value(g, "the name of the account to mirror from")
		case "to":
			hasTo = true
			items, ok := p.list(g)
			for _, it := range items {
				if it.s == "" {
					p.add(it.node, it.path, "empty; name an account")
					ok = false
					continue
				}
				l.To = append(l.To, it.s)
			}
			if ok && len(l.To) == 0 {
				p.add(g.knode, g.path, "empty; list at least one account to mirror to, like to: [alice-x]")
			}
		case "start":
			s, ok := p.value(g, `"now" or a date, YYYY-MM-DD`)
			if !ok {
				break
			}
			if strings.EqualFold(s, "now") {
				l.StartNow = true
				break
			}
			t, err := parseDate(s, false)
			if err != nil {
				p.add(g.knode, g.path, `%v, or "now"`, err)
				break
			}
			l.Start, l.StartNow = t, false
		case "active":
			l.Active = p.window(g)
		case "rules":
			p.rules(&l.Rules, g)
		default:
			p.unknown(g, linkKeys)
		}
	}
	if v := p.resolve(f.val); v != nil && !isNull(v) && v.Kind != yaml.MappingNode {
		return l // reported by fields
	}
	if !hasFrom {
		p.add(f.knode, join(f.path, "from"), "missing; name the account to mirror from")
	}
	if !hasTo {
		p.add(f.knode, join(f.path, "to"), "missing; list the accounts to mirror to, like to: [alice-x]")
	}
	return l
}

var ruleKeys = []string{"visibility", "replies", "reposts", "quotes", "sensitive", "include_tags",
	"exclude_tags", "strip_tags", "exclude_words", "mentions", "overflow", "footer", "media",
	"edits", "deletes", "delay", "max_per_hour"}

func (p *parser) rules(r *Rules, f field) {
	set := func(dst *string, g field, allowed ...string) {
		if s, ok := p.enum(g, allowed...); ok {
			*dst = s
		}
	}
	for _, g := range p.fields(f.val, f.path) {
		switch g.key {
		case "visibility":
			items, ok := p.list(g)
			if !ok {
				break
			}
			var vs []providers.Visibility
			for _, it := range items {
				v := providers.Visibility(it.s)
				if !v.Valid() {
					p.add(it.node, it.path, "must be one of public | unlisted | private | direct, not %s", quote(it.s))
					ok = false
					continue
				}
				if !slices.Contains(vs, v) {
					vs = append(vs, v)
				}
			}
			if ok && len(vs) == 0 {
				p.add(g.knode, g.path, "empty: no post would be mirrored; list at least one of public, unlisted, private, direct")
				break
			}
			if ok {
				r.Visibility = vs
			}
		case "replies":
			set(&r.Replies, g, "self", "none")
		case "reposts":
			set(&r.Reposts, g, "skip", "native", "link")
		case "quotes":
			set(&r.Quotes, g, "link", "skip")
		case "sensitive":
			set(&r.Sensitive, g, "skip", "warn")
		case "include_tags":
			r.IncludeTags = p.tags(g)
		case "exclude_tags":
			r.ExcludeTags = p.tags(g)
		case "strip_tags":
			r.StripTags = p.tags(g)
		case "exclude_words":
			items, _ := p.list(g)
			r.ExcludeWords = nil
			for _, it := range items {
				if w := strings.TrimSpace(it.s); w == "" {
					p.add(it.node, it.path, "empty word; remove it")
				} else {
					r.ExcludeWords = append(r.ExcludeWords, w)
				}
			}
		case "mentions":
			set(&r.Mentions, g, "handle", "link", "drop")
		case "overflow":
			set(&r.Overflow, g, "thread", "truncate", "skip")
		case "footer":
			if s, ok := p.str(g); ok {
				r.Footer = s
			}
		case "media":
			if b, ok := p.boolean(g); ok {
				r.Media = b
			}
		case "edits":
			set(&r.Edits, g, "mirror", "ignore")
		case "deletes":
			set(&r.Deletes, g, "mirror", "ignore")
		case "delay":
			if d, ok := p.duration(g); ok {
				r.Delay = d
			}
		case "max_per_hour":
			if n, ok := p.count(g); ok {
				r.MaxPerHour = n
			}
		default:
			p.unknown(g, ruleKeys)
		}
	}
}

// tags reads a list of hashtags, written with or without "#", held without.
func (p *parser) tags(f field) []string {
	items, _ := p.list(f)
	var out []string
	for _, it := range items {
		t := strings.TrimPrefix(strings.TrimSpace(it.s), "#")
		if t == "" || strings.ContainsAny(t, " \t\n#") {
			p.add(it.node, it.path, "bad hashtag %s: write one word, with or without #", quote(it.s))
			continue
		}
		out = append(out, t)
	}
	return out
}

// handle matches "@user" (X) and "@user@host" (fediverse), "@" optional.
var handle = regexp.MustCompile(`^@?[\pL\pN_][\pL\pN_.-]{0,63}(@[\pL\pN-]+(\.[\pL\pN-]+)+)?$`)

func (p *parser) mentions(c *Config, f field) {
	for _, g := range p.fields(f.val, f.path) {
		key := strings.TrimSpace(g.key)
		if !handle.MatchString(key) {
			p.add(g.knode, g.path, `bad handle %s: write "@user" or "@user@server.example"`, quote(g.key))
			continue
		}
		v, ok := p.value(g, `the handle to write instead, like "@alice_x"`)
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if !handle.MatchString(v) {
			p.add(g.knode, g.path, `bad handle %s: write "@user" or "@user@server.example"`, quote(v))
			continue
		}
		key = "@" + strings.ToLower(strings.TrimPrefix(key, "@"))
		if _, dup := c.Mentions.Map[key]; dup {
			p.add(g.knode, g.path, "the same handle as another key (handles match without regard to case); keep one")
			continue
		}
		c.Mentions.Map[key] = "@" + strings.TrimPrefix(v, "@")
	}
}

var announcementKeys = []string{"account", "schedule", "text", "active"}

func (p *parser) announcement(f field) *Announcement {
	a := &Announcement{Name: f.key}
	var hasAccount, hasSchedule, hasText bool
	for _, g := range p.fields(f.val, f.path) {
		switch g.key {
		case "account":
			hasAccount = true
			a.Account, _ = p.value(g, "the name of the account that posts it")
		case "schedule":
			hasSchedule = true
			a.Schedule, _ = p.schedule(g, false)
		case "text":
			hasText = true
			if s, ok := p.str(g); ok {
				if strings.TrimSpace(s) == "" {
					p.add(g.knode, g.path, "empty; write the text to post")
				}
				a.Text = s
			}
		case "active":
			a.Active = p.window(g)
		default:
			p.unknown(g, announcementKeys)
		}
	}
	if v := p.resolve(f.val); v != nil && !isNull(v) && v.Kind != yaml.MappingNode {
		return a // reported by fields
	}
	for _, m := range []struct {
		has       bool
		key, hint string
	}{
		{hasAccount, "account", "name the account that posts it"},
		{hasSchedule, "schedule", `say when, like schedule: "0 10 * * MON"`},
		{hasText, "text", "write the text to post"},
	} {
		if !m.has {
			p.add(f.knode, join(f.path, m.key), "missing; %s", m.hint)
		}
	}
	return a
}
