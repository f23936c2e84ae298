// Command dualpower keeps accounts on Mastodon and X in step, both ways.
//
// See the README for how to run it, and `dualpower help` for its commands.
package main

import "os"

func main() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
