package config

import (
	"fmt"
	"net/http"

	"github.com/dualpower/dualpower/providers"
)

// Providers makes one provider per configured account through the
// registry (the adapters must be registered: import providers/all, or the
// adapter packages). It does no I/O. client carries every request (nil: the
// adapter's default); userAgent is sent with each ("dualpower/1.2.3").
func (c *Config) Providers(client *http.Client, userAgent string) (map[string]providers.Provider, error) {
	out := make(map[string]providers.Provider, len(c.AccountNames))
	for _, name := range c.AccountNames {
		a := c.Accounts[name]
		info, err := providers.Find(a.Network)
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", name, err)
		}
		p, err := info.New(providers.Options{Account: name, Settings: a.Settings, Secrets: a.Secrets, HTTPClient: client, UserAgent: userAgent})
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", name, err)
		}
		out[name] = p
	}
	return out, nil
}
