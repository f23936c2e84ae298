package config

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// validate checks what needs the whole file: names that refer to accounts,
// and links that together would mirror a post twice.
func (p *parser) validate(c *Config, root *yaml.Node) {
	if len(c.Accounts) == 0 {
		at := root
		if n, ok := p.pos["accounts"]; ok {
			at = n
		}
		p.add(at, "accounts", "none defined; add at least one account (see config.example.yaml)")
	}
	known := func() string {
		if len(c.AccountNames) == 0 {
			return "no accounts are defined"
		}
		return "defined: " + strings.Join(c.AccountNames, ", ")
	}
	type pair struct{ from, to string }
	owner := map[pair][]*Link{}
	for _, name := range c.LinkNames {
		l := c.Links[name]
		base := "links." + name
		from, fromOK := c.Accounts[l.From]
		switch {
		case l.From == "":
		case !fromOK:
			p.addAt(base+".from", "unknown account %s (%s)", quote(l.From), known())
		case from.Network != "" && !from.Reads():
			p.addAt(base+".from", "account %s is write-only (poll: \"\") and cannot be the from of link %s; give it a poll schedule", l.From, name)
		}
		var seen []string
		for i, to := range l.To {
			ip := fmt.Sprintf("%s.to[%d]", base, i)
			switch {
			case to == l.From:
				p.addAt(ip, "%s is the link's own from; a link cannot mirror an account to itself", quote(to))
			case c.Accounts[to] == nil:
				p.addAt(ip, "unknown account %s (%s)", quote(to), known())
			case slices.Contains(seen, to):
				p.addAt(ip, "%s is listed twice; list each target once", quote(to))
			default:
				k := pair{l.From, to}
				for _, o := range owner[k] {
					if o.Active.overlaps(l.Active) {
						p.addAt(ip, "link %s already mirrors %s to %s in an overlapping active window, so every post would be mirrored twice; give the links active windows that do not overlap, or merge them", o.Name, l.From, to)
						break
					}
				}
				owner[k] = append(owner[k], l)
			}
			seen = append(seen, to)
		}
	}
	for _, name := range c.AnnouncementNames {
		a := c.Announcements[name]
		if a.Account != "" && c.Accounts[a.Account] == nil {
			p.addAt("announcements."+name+".account", "unknown account %s (%s)", quote(a.Account), known())
		}
	}
}
