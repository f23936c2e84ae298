package store

import (
	"fmt"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Benchmarks: go test -bench . -run '^$' ./store/
// Each reports ops/s besides ns/op. Writes are fsynced (the real setting)
// unless the name says otherwise.

// cpuTime is the CPU time this process has used so far, all threads.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchCPU marks the start of the measured part for reportRate.
var benchCPU time.Duration

// startBench resets the timer and notes the CPU time used so far.
func startBench(b *testing.B) {
	b.ResetTimer()
	benchCPU = cpuTime()
}

// reportRate adds ops/s (wall clock) and cpu-µs/op: on a machine shared
// with other work the first swings with the load, the second much less.
func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(float64(cpuTime()-benchCPU)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
}

func openBench(b *testing.B, path string, noSync bool) *Store {
	b.Helper()
	s, err := Open(path, Options{NoSync: noSync})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// lookupLedger makes a ledger of n origins, each mirrored as a two-part
// thread, and returns the IDs to look up: origin, first and second part.
func lookupLedger(b *testing.B, n int) (*Store, []string) {
	s := openBench(b, filepath.Join(b.TempDir(), "ledger.db"), true)
	b.Cleanup(func() { _ = s.Close() })
	for i := range n {
		if _, err := s.Record(created(ref("m", fmt.Sprint(i)), "", "x")); err != nil {
			b.Fatal(err)
		}
		in, _, _, err := s.Claim("x")
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Complete(in.ID, Completion{Parts: []string{fmt.Sprint("a", i), fmt.Sprint("b", i)}}); err != nil {
			b.Fatal(err)
		}
	}
	refs := make([]string, 0, 3*n)
	for i := range n {
		refs = append(refs, fmt.Sprint(i), fmt.Sprint("a", i), fmt.Sprint("b", i))
	}
	return s, refs
}

// BenchmarkLookup looks refs up in a ledger of 10,000 origins, each
// mirrored as a two-part thread, from one goroutine.
func BenchmarkLookup(b *testing.B) {
	s, refs := lookupLedger(b, 10000)
	startBench(b)
	for i := 0; b.Loop(); i++ {
		acct := "m"
		if i%3 != 0 {
			acct = "x"
		}
		if _, ok, err := s.Lookup(ref(acct, refs[i%len(refs)])); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
	reportRate(b)
}

// BenchmarkRecord2Intents records one event with two intents per call, one
// caller at a time: one fsynced commit each.
func BenchmarkRecord2Intents(b *testing.B) {
	s := openBench(b, filepath.Join(b.TempDir(), "ledger.db"), false)
	defer s.Close()
	startBench(b)
	for i := 0; b.Loop(); i++ {
		if _, err := s.Record(created(ref("m", fmt.Sprint(i)), fmt.Sprint(i), "x", "b")); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

// BenchmarkRecord2IntentsParallel is the same with 64 concurrent callers,
// whose commits are batched.
func BenchmarkRecord2IntentsParallel(b *testing.B) {
	s := openBench(b, filepath.Join(b.TempDir(), "ledger.db"), false)
	defer s.Close()
	var seq atomic.Int64
	b.SetParallelism(32)
	startBench(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			if _, err := s.Record(created(ref("m", fmt.Sprint(i)), "", "x", "b")); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b)
}

// BenchmarkCompleteParallel completes claimed intents from 64 concurrent
// callers (GOMAXPROCS × 32), each a two-part mirror with spend counters.
// The intents are made and claimed beforehand without fsync; the
// completes are fsynced, and share commits through Batch.
func BenchmarkCompleteParallel(b *testing.B) {
	path := filepath.Join(b.TempDir(), "ledger.db")
	setup := openBench(b, path, true)
	ids := make([]uint64, 0, b.N)
	for i := range b.N {
		acct := fmt.Sprint("t", i)
		if _, err := setup.Record(created(ref("m", fmt.Sprint(i)), "", acct)); err != nil {
			b.Fatal(err)
		}
		in, ok, _, err := setup.Claim(acct)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
		ids = append(ids, in.ID)
	}
	if err := setup.Close(); err != nil {
		b.Fatal(err)
	}
	s := openBench(b, path, false)
	defer s.Close()
	var next atomic.Int64
	b.SetParallelism(32)
	startBench(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			c := Completion{Parts: []string{fmt.Sprint("a", i), fmt.Sprint("b", i)}, Spend: &Spend{Posts: 1, MicroUSD: 10000}}
			if err := s.Complete(ids[i], c); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b)
}

// BenchmarkFsyncTx is the floor under every lone write: one read-write
// transaction with one small put, committed and fsynced.
func BenchmarkFsyncTx(b *testing.B) {
	s := openBench(b, filepath.Join(b.TempDir(), "ledger.db"), false)
	defer s.Close()
	startBench(b)
	for i := 0; b.Loop(); i++ {
		if err := s.SetCursor("m", fmt.Sprint(i)); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}
