package twittertest_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/dualpower/dualpower/providers/twitter/twittertest"
)

// A program (a demo, a benchmark harness) starts the fake with Start and
// closes it itself; the Try… helpers return what X would refuse.
func ExampleStart() {
	s, err := twittertest.Start(twittertest.Options{Seed: "example", Log: os.Stderr})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	id, err := s.Alice().TryPost(twittertest.PostOpts{Text: "Hello from a program"})
	if err != nil {
		fmt.Println(err)
		return
	}
	p, _ := s.Lookup(id)
	fmt.Println(p.Text)
	_, err = s.Alice().TryPost(twittertest.PostOpts{Text: strings.Repeat("x", 281)})
	fmt.Println(err != nil)
	// Output:
	// Hello from a program
	// true
}
