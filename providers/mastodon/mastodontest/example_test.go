package mastodontest_test

import (
	"fmt"
	"os"

	"github.com/dualpower/dualpower/providers/mastodon/mastodontest"
)

// A program (a demo, a benchmark harness) starts the fake with Start and
// closes it itself; the Try… helpers return what the server refuses.
func ExampleStart() {
	s, err := mastodontest.Start(mastodontest.Options{Log: os.Stderr})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	id, err := s.Alice().TryPost(mastodontest.PostOpts{Text: "Hello from a program"})
	if err != nil {
		fmt.Println(err)
		return
	}
	st, _ := s.Lookup(id)
	fmt.Println(st.Text)
	_, err = s.Alice().TryReply("404", "to nothing")
	fmt.Println(err)
	// Output:
	// Hello from a program
	// mastodontest: post as alice: HTTP 404: The post you are trying to reply to does not appear to exist.
}
