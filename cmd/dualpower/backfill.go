package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/dualpower/dualpower/bridge"
	"github.com/dualpower/dualpower/store"
)

func (c *cli) backfill(args []string) int {
	if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
		return c.usageError("backfill needs a link name: dualpower backfill LINK (--since DATE | --last N) [--dry-run]")
	}
	link := args[0]
	fs := c.flags("backfill")
	path := configFlag(fs)
	since := fs.String("since", "", "mirror posts made on or after this date (YYYY-MM-DD or RFC 3339)")
	last := fs.Int("last", 0, "mirror the newest N posts")
	dryRun := fs.Bool("dry-run", false, "list what would be posted; post nothing")
	if code, ok := parse(fs, args[1:]); !ok {
		return code
	}
	if (*since == "") == (*last <= 0) {
		return c.usageError("backfill needs exactly one of --since DATE or --last N (N > 0)")
	}
	var from time.Time
	if *since != "" {
		t, err := parseDate(*since)
		if err != nil {
			return c.usageError("--since %q: want YYYY-MM-DD or RFC 3339", *since)
		}
		from = t
	}
	cfg, ok := c.loadConfig(*path)
	if !ok {
		return exitUsage
	}
	if _, ok := cfg.Links[link]; !ok {
		return c.usageError("no link %q in %s", link, *path)
	}
	log, st, cleanup, err := openLedger(cfg, newLogger(cfg, c.stderr), *dryRun)
	defer cleanup()
	if errors.Is(err, store.ErrLocked) {
		return c.fail("%v: stop the daemon while you backfill, then start it again", err)
	}
	if err != nil {
		return c.fail("%v", err)
	}
	defer st.Close()
	client := httpClient()
	provs, err := buildProviders(cfg, client)
	if err != nil {
		return c.fail("%v", err)
	}
	eng, err := bridge.New(bridge.Options{Config: cfg, Store: st, Providers: provs, Logger: log, HTTPClient: client, DryRun: *dryRun})
	if err != nil {
		return c.fail("%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	rep, err := eng.Backfill(ctx, bridge.BackfillOptions{Link: link, Since: from, Last: *last})
	if err != nil {
		return c.fail("backfill %s: %v", link, err)
	}
	verb := "mirrored"
	if *dryRun {
		verb = "would mirror (dry run)"
	}
	fmt.Fprintf(c.stdout, "%s: read %d, already known %d, %s %d\n", link, rep.Read, rep.Known, verb, rep.Mirrored)
	printCounts(c, "skipped", rep.Skipped)
	printCounts(c, "held (the daemon posts them when allowed)", rep.Held)
	printCounts(c, "failed", rep.Failed)
	if len(rep.Failed) > 0 {
		return exitFailure
	}
	return exitOK
}

func printCounts(c *cli, what string, m map[string]int) {
	if len(m) == 0 {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(c.stdout, "  %s:\n", what)
	for _, k := range keys {
		fmt.Fprintf(c.stdout, "    %4s  %s\n", strconv.Itoa(m[k]), k)
	}
}

// parseDate reads a date as the config does: YYYY-MM-DD (00:00 UTC) or
// RFC 3339.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}
