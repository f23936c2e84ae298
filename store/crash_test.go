package store

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The crash test re-executes the test binary as a child (TestCrashChild)
// that runs crashScript on a fresh ledger, printing "ack …" after every
// operation that returned: what the ledger has promised. The parent kills it
// with SIGKILL as soon as the Nth ack arrives, at many N, then reopens the
// file and checks that every promise was kept and every invariant holds.
// Kill points inside phase B land while 12 goroutines' writes share batched
// commits, so the kill falls mid-batch.

const envCrashChild = "DUALPOWER_STORE_CRASH_CHILD"

// TestCrashChild is not a test: it is the child process of TestCrash.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(envCrashChild)
	if path == "" {
		t.Skip("helper process")
	}
	c := newClock()
	s, err := Open(path, Options{Now: c.Now, Rand: func() float64 { return 0.5 }})
	if err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	ack := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		// os.Stdout is unbuffered: the line reaches the parent at once.
		fmt.Fprintf(os.Stdout, "ack "+format+"\n", args...)
	}
	if err := crashScript(s, c, ack); err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(1)
	}
	_ = s.Close()
}

// crashScript is a deterministic run of every write the ledger has.
// Cursors are "account:id", naming the event that wrote them.
func crashScript(s *Store, c *clock, ack func(string, ...any)) error {
	record := func(ev Event) (Result, error) {
		res, err := s.Record(ev)
		if err != nil {
			return res, err
		}
		var ids []string
		for i, id := range res.IntentIDs {
			ids = append(ids, fmt.Sprintf("%d=%s=%s", id, ev.Intents[i].Account, ev.Intents[i].Kind))
		}
		ack("rec %s %s %v %s", ev.Ref.Account, ev.Ref.ID, res.Known, strings.Join(ids, " "))
		return res, nil
	}
	claim := func(acct string) (Intent, error) {
		in, ok, _, err := s.Claim(acct)
		if err != nil || !ok {
			return in, fmt.Errorf("claim %s: ok=%v: %v", acct, ok, err)
		}
		ack("claim %d", in.ID)
		return in, nil
	}
	complete := func(in Intent) (string, error) {
		parts := []string{fmt.Sprintf("%s-%d-a", in.Account, in.ID), fmt.Sprintf("%s-%d-b", in.Account, in.ID)}
		if in.Kind == Edit {
			parts = parts[:1]
		}
		if err := s.Complete(in.ID, Completion{Parts: parts, Spend: &Spend{Posts: 1, MicroUSD: 10}}); err != nil {
			return "", err
		}
		ack("complete %d %s %s", in.ID, in.Account, parts[0])
		return parts[0], nil
	}
	newEvent := func(kind EventKind, acct string, id string, targets ...string) Event {
		ev := Event{Kind: kind, Ref: ref(acct, id), Link: "l-" + acct, Cursor: acct + ":" + id, TextHash: "h" + id}
		ik := Publish
		if kind == Edited {
			// An edit arrives by stream: no cursor (see providers.Event).
			ik, ev.TextHash, ev.Cursor = Edit, "h2-"+id, ""
		}
		for _, t := range targets {
			ev.Intents = append(ev.Intents, NewIntent{Account: t, Kind: ik, Payload: []byte(id)})
		}
		return ev
	}

	// Phase A: one source, two targets, every kind of settlement.
	var lastPart string
	for i := 1; i <= 15; i++ {
		id := strconv.Itoa(i)
		if _, err := record(newEvent(Created, "m", id, "x1", "x2")); err != nil {
			return err
		}
		if i%2 == 0 {
			in, err := claim("x1")
			if err != nil {
				return err
			}
			if lastPart, err = complete(in); err != nil {
				return err
			}
		}
		if i%3 == 0 {
			in, err := claim("x2")
			if err != nil {
				return err
			}
			if err := s.Fail(in.ID, Failure{Reason: "503"}); err != nil {
				return err
			}
			ack("fail %d transient", in.ID)
			c.Advance(2 * time.Hour)
			if in, err = claim("x2"); err != nil {
				return err
			}
			if err := s.Release(in.ID); err != nil {
				return err
			}
			ack("release %d", in.ID)
		}
		if i%5 == 0 {
			in, err := claim("x2")
			if err != nil {
				return err
			}
			if err := s.Fail(in.ID, Failure{Permanent: true, Reason: "rejected"}); err != nil {
				return err
			}
			ack("fail %d permanent", in.ID)
		}
		if i%7 == 0 {
			in, err := claim("x2")
			if err != nil {
				return err
			}
			if err := s.Skip(in.ID, "parent not mirrored"); err != nil {
				return err
			}
			ack("skip %d", in.ID)
		}
		if i%4 == 0 {
			// The mirror comes back on x1's own timeline: an echo.
			res, err := record(newEvent(Created, "x1", lastPart, "m"))
			if err != nil {
				return err
			}
			if !res.Known {
				return fmt.Errorf("echo of x1/%s not known", lastPart)
			}
		}
		if i%6 == 0 {
			if _, err := record(newEvent(Edited, "m", strconv.Itoa(i-1), "x1")); err != nil {
				return err
			}
		}
	}

	// Phase B: 12 sources and targets at once; their writes share commits.
	ack("phase B")
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for g := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src, dst := fmt.Sprintf("s%d", g), fmt.Sprintf("y%d", g)
			for j := 1; j <= 3; j++ {
				if _, err := record(newEvent(Created, src, strconv.Itoa(j), dst)); err != nil {
					errs <- err
					return
				}
				in, err := claim(dst)
				if err != nil {
					errs <- err
					return
				}
				if _, err := complete(in); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	fmt.Printf("info batched %d\n", s.batched.Load())
	ack("phase C")

	// Phase C: drain both queues of phase A.
	for _, acct := range []string{"x1", "x2"} {
		for {
			in, ok, _, err := s.Claim(acct)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			ack("claim %d", in.ID)
			if _, err := complete(in); err != nil {
				return err
			}
		}
	}
	return nil
}

// crashRun is what the parent saw of one child.
type crashRun struct {
	acks    []string
	killed  bool
	batched int // writes of phase A and B that joined a batch
}

// runCrashChild runs the script on path, killing the child as soon as the
// killAt-th ack arrives (0: never). It returns every ack read, including
// those the child printed after the kill point before it died.
func runCrashChild(t *testing.T, path string, killAt int) crashRun {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envCrashChild+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var run crashRun
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "error ") {
			t.Errorf("child: %s", line)
		}
		if n, ok := strings.CutPrefix(line, "info batched "); ok {
			run.batched, _ = strconv.Atoi(n)
		}
		if !strings.HasPrefix(line, "ack ") {
			continue
		}
		run.acks = append(run.acks, strings.TrimPrefix(line, "ack "))
		if len(run.acks) == killAt {
			_ = cmd.Process.Kill()
			run.killed = true
		}
	}
	err = cmd.Wait()
	if !run.killed && err != nil {
		t.Fatalf("child failed: %v\n%s", err, stderr.String())
	}
	return run
}

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary ~60 times")
	}
	// A full run first: it gives the number of acks and where phase B is.
	full := runCrashChild(t, filepath.Join(t.TempDir(), "ledger.db"), 0)
	total := len(full.acks)
	var startB, endB int
	for i, a := range full.acks {
		switch a {
		case "phase B":
			startB = i + 1
		case "phase C":
			endB = i + 1
		}
	}
	if startB == 0 || endB <= startB+25 || total <= endB+10 {
		t.Fatalf("unexpected script shape: %d acks, phase B at %d..%d", total, startB, endB)
	}
	// Phase B's concurrent writes must really have shared commits, or the
	// kill points in it would not be mid-batch.
	if full.batched < 10 {
		t.Fatalf("only %d writes were batched", full.batched)
	}
	// Kill points: 32 spread over the whole run, 28 inside phase B.
	points := map[int]bool{}
	for i := range 32 {
		points[1+i*(total-1)/31] = true
	}
	for i := range 28 {
		points[startB+1+i*(endB-startB-2)/27] = true
	}
	if len(points) < 50 {
		t.Fatalf("only %d distinct kill points", len(points))
	}
	t.Logf("%d acks, phase B %d..%d with %d batched writes, %d kill points", total, startB, endB, full.batched, len(points))

	sem := make(chan struct{}, 6)
	var wg sync.WaitGroup
	for n := range points {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			path := filepath.Join(t.TempDir(), "ledger.db")
			run := runCrashChild(t, path, n)
			if err := checkAfterCrash(path, run.acks); err != nil {
				t.Errorf("killed at ack %d (%d acks read): %v", n, len(run.acks), err)
			}
		}()
	}
	wg.Wait()
}

// checkAfterCrash reopens a ledger whose writer was killed and checks it
// kept every acknowledged promise, then recovers and drains it.
func checkAfterCrash(path string, acks []string) error {
	s, err := Open(path, Options{Rand: func() float64 { return 0.5 }, NoSync: true}) // the parent's own writes need no fsync
	if err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	defer s.Close()
	if ps, err := s.Verify(); err != nil || len(ps) > 0 {
		return fmt.Errorf("verify after crash: %v %v", ps, err)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	lastCursor := map[string]int{} // source account → highest acked numeric id
	for _, a := range acks {
		f := strings.Fields(a)
		switch f[0] {
		case "rec":
			r := ref(f[1], f[2])
			if _, ok, err := s.Lookup(r); !ok || err != nil {
				bad("acked event %s lost (%v)", r, err)
			}
			if n, err := strconv.Atoi(f[2]); err == nil && f[1] != "x1" {
				lastCursor[f[1]] = max(lastCursor[f[1]], n)
			}
			for _, field := range f[4:] {
				spec := strings.Split(field, "=")
				id, _ := strconv.ParseUint(spec[0], 10, 64)
				acct, kind := spec[1], spec[2]
				in, ok, err := s.Intent(id)
				if err != nil {
					bad("intent %d: %v", id, err)
					continue
				}
				if ok {
					if !in.State.Valid() || in.Origin != r || in.Account != acct || in.Kind.String() != kind {
						bad("intent %d of %s: %+v", id, r, in)
					}
					continue
				}
				// Gone: it was completed or skipped, and the ledger says so.
				o, _, _ := s.Lookup(r)
				ts := o.Targets[acct]
				switch kind {
				case "publish":
					m, mok, _ := s.MirrorOn(r, acct)
					if !(ts.State == PostSkipped || ts.State == PostPosted && mok && m.Role == Mirror) {
						bad("publish %d of %s on %s gone without a trace: %+v", id, r, acct, ts)
					}
				case "edit":
					if _, eok, _ := s.Lookup(ref(acct, fmt.Sprintf("%s-%d-a", acct, id))); !eok {
						bad("edit %d of %s on %s gone without a trace", id, r, acct)
					}
				}
			}
		case "claim":
			id, _ := strconv.ParseUint(f[1], 10, 64)
			if in, ok, _ := s.Intent(id); ok && in.Attempts == 0 {
				bad("acked claim of intent %d not durable: %+v", id, in)
			}
		case "complete":
			id, _ := strconv.ParseUint(f[1], 10, 64)
			if _, ok, _ := s.Intent(id); ok {
				bad("completed intent %d still queued", id)
			}
			m, ok, err := s.Lookup(ref(f[2], f[3]))
			if !ok || err != nil || m.Role != Mirror || !slices.Contains(m.Parts, f[3]) && !slices.Contains(m.OldParts, f[3]) {
				bad("acked mirror %s/%s lost: %+v %v", f[2], f[3], m, err)
			}
		case "fail":
			id, _ := strconv.ParseUint(f[1], 10, 64)
			in, ok, _ := s.Intent(id)
			if f[2] == "permanent" && (!ok || in.State != Failed) {
				bad("acked permanent failure of %d lost: %+v", id, in)
			}
			if f[2] == "transient" && ok && in.LastError != "503" && in.Attempts < 2 {
				bad("acked transient failure of %d lost: %+v", id, in)
			}
		case "skip":
			id, _ := strconv.ParseUint(f[1], 10, 64)
			if _, ok, _ := s.Intent(id); ok {
				bad("skipped intent %d still there", id)
			}
		}
	}
	// Cursors: never ahead of the events recorded, never behind an ack.
	accts, err := s.Accounts()
	if err != nil {
		return err
	}
	for _, acct := range accts {
		cur, err := s.Cursor(acct)
		if err != nil || cur == "" {
			if lastCursor[acct] > 0 {
				bad("cursor of %s lost", acct)
			}
			continue
		}
		a, id, _ := strings.Cut(cur, ":")
		if a != acct {
			bad("cursor %q on %s", cur, acct)
			continue
		}
		if _, ok, _ := s.Lookup(ref(acct, id)); !ok {
			bad("cursor %q ahead of the events recorded", cur)
		}
		if n, err := strconv.Atoi(id); err == nil && acct != "x1" {
			if n < lastCursor[acct] {
				bad("cursor %q behind acked event %d", cur, lastCursor[acct])
			}
			for j := 1; j < n; j++ {
				if _, ok, _ := s.Lookup(ref(acct, strconv.Itoa(j))); !ok {
					bad("cursor %q but event %d missing", cur, j)
				}
			}
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	// Recover as the engine would: release what was in flight, drain all.
	for _, acct := range accts {
		unknown, err := s.Unknown(acct)
		if err != nil {
			return err
		}
		for _, in := range unknown {
			if err := s.Release(in.ID); err != nil {
				return err
			}
		}
		for {
			in, ok, _, err := s.Claim(acct)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			parts := []string{fmt.Sprintf("r-%d", in.ID)}
			if err := s.Complete(in.ID, Completion{Parts: parts}); err != nil {
				return fmt.Errorf("drain: %w", err)
			}
		}
	}
	if ps, err := s.Verify(); err != nil || len(ps) > 0 {
		return fmt.Errorf("verify after recovery: %v %v", ps, err)
	}
	return nil
}
