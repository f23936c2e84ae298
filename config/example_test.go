package config_test

import (
	"fmt"

	"github.com/dualpower/dualpower/config"
)

// Every problem in the file is reported at once, each with its line and key.
func ExampleParse() {
	env := func(name string) (string, bool) {
		if name == "TOKEN" {
			return "s3cret", true
		}
		return "", false
	}
	_, err := config.Parse("config.yaml", []byte(`
accounts:
  alice-mastodon:
    network: mastodon
    server: https://social.example
    access_token: ${TOKEN}
links:
  alice-to-x:
    from: alice-mastodon
    to: [alice-bsky]
    rules: {delay: 5 minutes}
`), env)
	for _, p := range config.Problems(err) {
		fmt.Println(p)
	}
	// Output:
	// config.yaml:10: links.alice-to-x.to[0]: unknown account "alice-bsky" (defined: alice-mastodon)
	// config.yaml:11: links.alice-to-x.rules.delay: bad duration "5 minutes": write a number with a unit, like 30s, 5m or 1h30m
}

// A valid file gives typed values, with defaults filled in.
func ExampleParse_defaults() {
	cfg, err := config.Parse("/etc/dualpower/config.yaml", []byte(`
accounts:
  alice-x:
    network: x
    consumer_key: k
    consumer_secret: s
    access_token: t
    access_token_secret: ts
`), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	a := cfg.Accounts["alice-x"]
	fmt.Println(cfg.DataDir, cfg.HTTP.Listen)
	fmt.Println(a.Network, a.Poll, a.Secrets["access_token"])
	// Output:
	// /etc/dualpower/data 127.0.0.1:8080
	// twitter @every 15m <redacted>
}
