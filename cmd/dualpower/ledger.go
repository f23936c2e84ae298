package main

import (
	"bufio"
	"fmt"
)

func (c *cli) ledger(args []string) int {
	if len(args) == 0 || (args[0] != "export" && args[0] != "verify") {
		return c.usageError("ledger needs export or verify")
	}
	sub := args[0]
	fs := c.flags("ledger " + sub)
	path := configFlag(fs)
	if code, ok := parse(fs, args[1:]); !ok {
		return code
	}
	cfg, ok := c.loadConfig(*path)
	if !ok {
		return exitUsage
	}
	st, err := openStore(cfg, true)
	if err != nil {
		return c.fail("%v", err)
	}
	defer st.Close()
	if sub == "export" {
		w := bufio.NewWriter(c.stdout)
		if err := st.Export(w); err != nil {
			return c.fail("export: %v", err)
		}
		if err := w.Flush(); err != nil {
			return c.fail("export: %v", err)
		}
		return exitOK
	}
	probs, err := st.Verify()
	if err != nil {
		return c.fail("verify: %v", err)
	}
	for _, p := range probs {
		fmt.Fprintln(c.stdout, p.String())
	}
	if len(probs) > 0 {
		fmt.Fprintf(c.stdout, "%s: %d %s\n", st.Path(), len(probs), plural(len(probs), "problem", "problems"))
		return exitFailure
	}
	fmt.Fprintf(c.stdout, "%s: ok\n", st.Path())
	return exitOK
}
