package providers

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
)

// Options is everything a provider's constructor needs. Constructors read no
// globals and no environment.
type Options struct {
	// Account is the configured account name every Ref carries.
	Account string
	// Settings are the account's plain settings by key ("server",
	// "api_base", …), as the adapter's Info.Settings lists them.
	Settings map[string]string
	// Secrets are the account's credentials by key ("access_token", …), as
	// Info.Secrets lists them.
	Secrets map[string]Secret
	// HTTPClient carries every request; nil means a client with sane
	// timeouts. Tests inject one that reaches an httptest fake.
	HTTPClient *http.Client
	// UserAgent is sent with every request ("dualpower/1.2.3"). Some servers
	// (GoToSocial) refuse requests without one.
	UserAgent string
}

// Setting returns the named setting, or def when it is unset or empty.
func (o Options) Setting(key, def string) string {
	if v := o.Settings[key]; v != "" {
		return v
	}
	return def
}

// Info describes a network adapter to the registry.
type Info struct {
	Name        string   // the network's name in the config: "mastodon"
	Aliases     []string // other accepted names: "x" for "twitter"
	Description string
	Settings    []string // plain setting keys the adapter reads
	Required    []string // setting and secret keys that must be set
	Secrets     []string // secret keys the adapter reads
	// New makes a provider for one account. It does no I/O: credentials
	// are checked by Verify.
	New func(Options) (Provider, error)
}

var registry = struct {
	sync.RWMutex
	byName map[string]*Info
}{byName: map[string]*Info{}}

// Register makes an adapter known by its name and aliases. Adapters call it
// from init; registering a name twice panics, as it is a programming error.
func Register(info *Info) {
	registry.Lock()
	defer registry.Unlock()
	for _, n := range append([]string{info.Name}, info.Aliases...) {
		n = strings.ToLower(n)
		if _, dup := registry.byName[n]; dup {
			panic("providers: network registered twice: " + n)
		}
		registry.byName[n] = info
	}
}

// Find returns the adapter registered under name or one of its aliases.
func Find(name string) (*Info, error) {
	registry.RLock()
	defer registry.RUnlock()
	if info, ok := registry.byName[strings.ToLower(name)]; ok {
		return info, nil
	}
	return nil, fmt.Errorf("unknown network %q (known: %s)", name, strings.Join(networksLocked(), ", "))
}

// Networks lists the registered networks' names, sorted, without aliases.
func Networks() []string {
	registry.RLock()
	defer registry.RUnlock()
	return networksLocked()
}

func networksLocked() []string {
	seen := map[string]bool{}
	var names []string
	for _, info := range registry.byName {
		if !seen[info.Name] {
			seen[info.Name] = true
			names = append(names, info.Name)
		}
	}
	sort.Strings(names)
	return names
}
