// Command dualpower-bench measures the bridge against the fake Mastodon and
// X: it starts both fakes in a child process (so the daemon's memory, CPU
// and file descriptors are its own), links N account pairs, posts at a
// rate for a while in streaming or polling mode, and reports the
// source-created → mirror-published latency (p50, p95, p99), throughput,
// API requests per mirrored post by endpoint, what is read while nothing
// is new, idle CPU, peak RSS, goroutines and the ledger's size, as a table
// or with --json.
//
// Caveats: the fakes answer from memory on the same machine, so the
// figures are the bridge's own cost plus the configured answer latency,
// not a real network's; the bench process also runs the harness (the
// observer and the posting loop), a small share of its CPU and memory.
// Start-up runs without answer latency, since the engine verifies the
// accounts one after another.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/dualpower/dualpower/bridge"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if os.Getenv(fakesEnv) != "" {
		if err := serveFakes(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	// The engine side runs as `dualpower run` does.
	bridge.TuneGC()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command: 0 when every post was mirrored, 1 on a failure or
// when some were not, 2 for bad flags.
func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "dualpower-bench: %v\n", err)
		return 2
	}
	raiseFileLimit()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stopProfile, err := startCPUProfile(o.Profile)
	if err != nil {
		fmt.Fprintf(stderr, "dualpower-bench: %v\n", err)
		return 1
	}
	rep, err := bench(ctx, o, stderr)
	stopProfile()
	if err != nil {
		fmt.Fprintf(stderr, "dualpower-bench: %v\n", err)
		return 1
	}
	if o.JSON {
		err = rep.writeJSON(stdout)
	} else {
		err = rep.writeTable(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "dualpower-bench: %v\n", err)
		return 1
	}
	if rep.Mirrored < rep.Posted {
		fmt.Fprintf(stderr, "dualpower-bench: %d of %d posts were not mirrored\n", rep.Posted-rep.Mirrored, rep.Posted)
		return 1
	}
	return 0
}

// raiseFileLimit lifts the soft limit on open files to the hard one: every
// Mastodon stream holds a socket.
func raiseFileLimit() {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}
