package main

import (
	"context"
	"fmt"
	"time"

	"github.com/dualpower/dualpower/providers"
)

func (c *cli) check(args []string) int {
	fs := c.flags("check")
	path := configFlag(fs)
	offline := fs.Bool("offline", false, "only validate the file; do not contact any network")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	cfg, ok := c.loadConfig(*path)
	if !ok {
		return exitUsage
	}
	// Building the adapters does no I/O, and catches the settings only an
	// adapter understands (a bad api_base, can_edit: maybe).
	provs, err := buildProviders(cfg, httpClient())
	if err != nil {
		fmt.Fprintf(c.stderr, "%s: %v\n", *path, err)
		fmt.Fprintf(c.stderr, "dualpower: %s has 1 problem\n", *path)
		return exitUsage
	}
	fmt.Fprintf(c.stdout, "%s: %s, %s, %s: valid\n", *path, count(len(cfg.AccountNames), "account"),
		count(len(cfg.LinkNames), "link"), count(len(cfg.AnnouncementNames), "announcement"))
	if *offline {
		return exitOK
	}
	failed := 0
	for _, name := range cfg.AccountNames {
		p := provs[name]
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		id, err := p.Verify(ctx)
		if err != nil {
			cancel()
			failed++
			fmt.Fprintf(c.stdout, "  %-20s FAILED: %v\n", name, err)
			continue
		}
		caps := providers.CapabilitiesOf(p)
		line := fmt.Sprintf("  %-20s ok: %s on %s", name, id.Handle, cfg.Accounts[name].Network)
		if caps.Publisher != nil {
			if l, err := p.Limits(ctx); err == nil {
				line += fmt.Sprintf(" (posts up to %d, %d media)", l.MaxLength, l.MaxMedia)
			} else {
				line += fmt.Sprintf(" (limits unknown: %v)", err)
			}
		}
		cancel()
		fmt.Fprintln(c.stdout, line)
	}
	if failed > 0 {
		fmt.Fprintf(c.stdout, "%d of %d accounts failed verification\n", failed, len(cfg.AccountNames))
		return exitFailure
	}
	return exitOK
}

// count writes n and a noun, plural when n is not 1.
func count(n int, noun string) string {
	return fmt.Sprintf("%d %s", n, plural(n, noun, noun+"s"))
}
