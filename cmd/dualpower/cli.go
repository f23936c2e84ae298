package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/dualpower/dualpower/config"
	_ "github.com/dualpower/dualpower/providers/all" // every network adapter
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // a runtime failure
	exitUsage   = 2 // bad usage or a bad config
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// cli is one invocation's input and output.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	dryRun         bool // run --dry-run: write to no network
}

type command struct {
	name, args, summary string
	run                 func(c *cli, args []string) int
}

func commands() []command {
	return []command{
		{"demo", "[--verbose]", "the whole bridge against built-in simulated networks: no accounts needed", (*cli).demo},
		{"run", "[-c config.yaml] [--dry-run]", "run the bridge", (*cli).run},
		{"check", "[-c config.yaml] [--offline]", "validate the config; online, verify every account", (*cli).check},
		{"login", "mastodon --server URL | twitter --consumer-key K --consumer-secret S", "get tokens for an account", (*cli).login},
		{"status", "[-c config.yaml] [--json]", "what each link mirrored, skipped, failed and spent", (*cli).status},
		{"backfill", "LINK (--since DATE | --last N) [--dry-run]", "mirror a link's older posts", (*cli).backfill},
		{"ledger", "export|verify [-c config.yaml]", "dump the ledger as JSON lines, or check its invariants", (*cli).ledger},
		{"version", "", "print the version", (*cli).version},
		{"help", "", "this help", (*cli).help},
		{"healthcheck", "[-c config.yaml]", "", (*cli).healthcheck}, // no summary: hidden
	}
}

// Main runs the command line and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		c.usage(stderr)
		return exitUsage
	}
	name := args[0]
	if name == "-h" || name == "--help" {
		name = "help"
	}
	for _, cmd := range commands() {
		if cmd.name == name {
			return cmd.run(c, args[1:])
		}
	}
	fmt.Fprintf(stderr, "dualpower: unknown command %q\n\n", name)
	c.usage(stderr)
	return exitUsage
}

func (c *cli) usage(w io.Writer) {
	fmt.Fprintln(w, "dualpower keeps your Mastodon and X accounts in step, both ways.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage:")
	for _, cmd := range commands() {
		if cmd.summary == "" {
			continue // hidden: the container's HEALTHCHECK, not for people
		}
		fmt.Fprintf(w, "  dualpower %-9s %s\n", cmd.name, cmd.args)
		fmt.Fprintf(w, "      %s\n", cmd.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "-c defaults to $DUALPOWER_CONFIG, then ./config.yaml.")
	fmt.Fprintln(w, "Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad config.")
}

func (c *cli) help(args []string) int {
	c.usage(c.stdout)
	return exitOK
}

func (c *cli) version(args []string) int {
	fmt.Fprintln(c.stdout, "dualpower", version)
	return exitOK
}

// flags makes a flag set for a command that prints its errors to stderr.
func (c *cli) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("dualpower "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	return fs
}

// configFlag adds -c with its default.
func configFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("DUALPOWER_CONFIG")
	if def == "" {
		def = "config.yaml"
	}
	return fs.String("c", def, "config file")
}

// parse parses flags; on error it returns the exit code to use.
func parse(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	return 0, true
}

// loadConfig loads and validates the config, printing every problem.
func (c *cli) loadConfig(path string) (*config.Config, bool) {
	cfg, err := config.Load(path)
	if err != nil {
		probs := config.Problems(err)
		if len(probs) == 0 {
			fmt.Fprintf(c.stderr, "dualpower: %v\n", err)
			return nil, false
		}
		for _, p := range probs {
			fmt.Fprintln(c.stderr, p.Error())
		}
		fmt.Fprintf(c.stderr, "dualpower: %s has %d %s\n", path, len(probs), plural(len(probs), "problem", "problems"))
		return nil, false
	}
	return cfg, true
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// fail prints a runtime failure and returns its exit code.
func (c *cli) fail(format string, args ...any) int {
	fmt.Fprintf(c.stderr, "dualpower: "+format+"\n", args...)
	return exitFailure
}

func (c *cli) usageError(format string, args ...any) int {
	fmt.Fprintf(c.stderr, "dualpower: "+format+"\n", args...)
	return exitUsage
}
