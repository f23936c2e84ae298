package main

// Commands whose work is not built yet say so plainly and exit 1, rather
// than pretending.

func (c *cli) demo(args []string) int {
	return c.fail("demo is not available yet in this build")
}
