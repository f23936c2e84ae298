package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/dualpower/dualpower/bridge/demo"
)

// demoTimeout bounds the whole demo: it takes about a second.
const demoTimeout = 30 * time.Second

// demo runs the bridge against the built-in simulated networks and prints
// what happened on each (bridge/demo). It needs no config and no account.
func (c *cli) demo(args []string) int {
	fs := c.flags("demo")
	verbose := fs.Bool("verbose", false, "log what the engine does, at debug level, to stderr")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return c.usageError("demo takes no arguments, only --verbose")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, demoTimeout)
	defer cancel()
	if err := demo.Run(ctx, c.stdout, demo.Options{Verbose: *verbose, Log: c.stderr}); err != nil {
		return c.fail("%v", err)
	}
	return exitOK
}
