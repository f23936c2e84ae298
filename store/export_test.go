package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func TestExportGolden(t *testing.T) {
	s, c := openTest(t)
	ev := created(ref("alice-mastodon", "109"), "109", "alice-x")
	ev.Intents[0].Key = "key-1"
	ev.Created = c.Now().Add(-time.Minute)
	ev.Skips = []Skip{{Target: "alice-bsky", Reason: "visibility private"}}
	mustRecord(t, s, ev)
	in := mustClaim(t, s, "alice-x")
	c.Advance(time.Second)
	if err := s.Complete(in.ID, Completion{Parts: []string{"1880", "1881"}, URL: "https://x.com/alice/status/1880", Spend: &Spend{Posts: 2, MicroUSD: 20000}}); err != nil {
		t.Fatal(err)
	}
	ev2 := created(ref("alice-mastodon", "110\x00"), "110", "alice-x")
	ev2.Intents[0].Key = "key-2"
	mustRecord(t, s, ev2)
	in = mustClaim(t, s, "alice-x")
	if err := s.Fail(in.ID, Failure{Permanent: true, Reason: "rejected: duplicate content"}); err != nil {
		t.Fatal(err)
	}
	ev3 := created(ref("alice-mastodon", "111"), "111", "alice-x")
	ev3.Intents[0].Key = "key-3"
	mustRecord(t, s, ev3)
	_ = s.Pause("alice-x", "auth: token revoked")
	_ = s.SetMeta("alice-x", "link:alice-to-x:started", "2027-01-04T10:00:00Z")
	_, _ = s.Mark("moving@2027-01-04T10:00Z")

	var buf bytes.Buffer
	if err := s.Export(&buf); err != nil {
		t.Fatal(err)
	}
	// Every line is a JSON object with a bucket and a type.
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var l struct{ Bucket, Type string }
		if err := json.Unmarshal([]byte(line), &l); err != nil || l.Bucket == "" || l.Type == "" || l.Type == "damaged" {
			t.Errorf("line %s: %+v %v", line, l, err)
		}
	}
	golden := filepath.Join("testdata", "export.golden.jsonl")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("export differs from %s (run with -update if the change is intended):\n%s", golden, buf.String())
	}
}

func TestExportShowsDamage(t *testing.T) {
	s, _ := openTest(t)
	mustRecord(t, s, created(ref("m", "1"), "", "x"))
	_ = s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketIntents).Put(u64(1), []byte("junk")) })
	var buf bytes.Buffer
	if err := s.Export(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"type":"damaged"`) || !strings.Contains(buf.String(), `"type":"post"`) {
		t.Errorf("export of a damaged intent:\n%s", buf.String())
	}
}

// TestConcurrentUse runs records, claims, completes (some conflicting) and
// reads from many goroutines at once; with -race this checks the locking,
// and the end state checks that batched commits lost or doubled nothing.
func TestConcurrentUse(t *testing.T) {
	s, _ := openTest(t)
	const workers, perWorker = 8, 6
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker*4)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src, dst := "src", string(rune('a'+w))
			for j := range perWorker {
				id := string(rune('A'+w)) + string(rune('0'+j))
				res, err := s.Record(created(ref(src, id), "", dst))
				if err != nil {
					errs <- err
					return
				}
				in, ok, _, err := s.Claim(dst)
				if err != nil || !ok || in.ID != res.IntentIDs[0] {
					errs <- fmt.Errorf("worker %d claim: %v %v %d", w, ok, err, in.ID)
					return
				}
				// The first complete of each worker takes "shared" on its
				// account; every later one tries it again and conflicts, and
				// must leave no trace although its commit may be batched
				// with other workers' successes.
				err = s.Complete(in.ID, Completion{Parts: []string{id + "-1", "shared"}})
				if (err == nil) != (j == 0) || j > 0 && !errors.Is(err, ErrConflict) {
					errs <- fmt.Errorf("worker %d complete %d: %v", w, j, err)
					return
				}
				if j > 0 {
					if _, ok, _ := s.Lookup(ref(dst, id+"-1")); ok {
						errs <- fmt.Errorf("conflicting complete left %s-1 behind", id)
					}
					if err := s.Complete(in.ID, Completion{Parts: []string{id + "-1", id + "-2"}}); err != nil {
						errs <- err
						return
					}
				}
				if _, _, err := s.Lookup(ref(src, id)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if got := st.ByLink["l"].Mirrored; got != workers*perWorker {
		t.Errorf("mirrored %d, want %d", got, workers*perWorker)
	}
	mustVerify(t, s)
}
