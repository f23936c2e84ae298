package store_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/store"
)

// A post made on Mastodon is recorded with the intent to publish it on X,
// claimed by the X worker, published, and completed; when X's own timeline
// later shows the mirror, Record recognises it as an echo.
func Example() {
	dir, err := os.MkdirTemp("", "ledger")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	s, err := store.Open(filepath.Join(dir, "ledger.db"), store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	origin := providers.Ref{Account: "alice-mastodon", ID: "109"}
	res, err := s.Record(store.Event{
		Kind:    store.Created,
		Ref:     origin,
		Link:    "alice-to-x",
		Cursor:  "109",
		Intents: []store.NewIntent{{Account: "alice-x", Kind: store.Publish, Payload: []byte(`{"text":"hello"}`)}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("known:", res.Known, "intents:", len(res.IntentIDs))

	in, ok, _, err := s.Claim("alice-x")
	if err != nil || !ok {
		log.Fatal(ok, err)
	}
	fmt.Println("claimed:", in.Kind, "of", in.Origin, "attempt", in.Attempts)

	// … publish on X with in.Payload; X answers with two parts (a thread).
	if err := s.Complete(in.ID, store.Completion{Parts: []string{"1880", "1881"}}); err != nil {
		log.Fatal(err)
	}

	last, _, _ := s.LastPart(providers.Ref{Account: "alice-x", ID: "1880"})
	fmt.Println("reply to:", last)

	echo, _ := s.Record(store.Event{Kind: store.Created, Ref: providers.Ref{Account: "alice-x", ID: "1881"}})
	fmt.Println("echo known:", echo.Known)

	o, _, _ := s.OriginOf(providers.Ref{Account: "alice-x", ID: "1881"})
	fmt.Println("origin:", o)
	// Output:
	// known: false intents: 1
	// claimed: publish of alice-mastodon/109 attempt 1
	// reply to: 1881
	// echo known: true
	// origin: alice-mastodon/109
}
