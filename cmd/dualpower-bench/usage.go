package main

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// usage is what a process has used so far.
type usage struct {
	PeakRSS    int64         `json:"peak_rss_bytes"` // VmHWM
	RSS        int64         `json:"rss_bytes"`      // VmRSS
	CPU        time.Duration `json:"cpu_ns"`         // user + system
	Goroutines int           `json:"goroutines"`
	// HeapInuse and StackInuse split the Go runtime's share of RSS:
	// heap spans in use (live objects and garbage not yet swept) and
	// goroutine stacks.
	HeapInuse  uint64    `json:"heap_inuse_bytes"`
	StackInuse uint64    `json:"stack_inuse_bytes"`
	At         time.Time `json:"at"`
}

// readUsage reads the calling process's memory from /proc/self/status and
// its CPU time from getrusage. Where /proc is missing (not Linux) the
// memory figures stay 0.
func readUsage() usage {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	u := usage{Goroutines: runtime.NumGoroutine(), HeapInuse: ms.HeapInuse, StackInuse: ms.StackInuse, At: time.Now()}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		u.PeakRSS, u.RSS = parseStatus(b)
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		u.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return u
}

// parseStatus finds VmHWM and VmRSS (in kB) in a /proc/PID/status file and
// returns them in bytes.
func parseStatus(b []byte) (peak, rss int64) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		f := strings.Fields(val)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		if len(f) > 1 && f[1] == "kB" {
			n *= 1024
		}
		switch key {
		case "VmHWM":
			peak = n
		case "VmRSS":
			rss = n
		}
	}
	return peak, rss
}

// cpuShare is the CPU used between two readings as a fraction of one core.
func cpuShare(from, to usage) float64 {
	wall := to.At.Sub(from.At)
	if wall <= 0 {
		return 0
	}
	return float64(to.CPU-from.CPU) / float64(wall)
}

// percentile is the p-th percentile (0 < p ≤ 100) of sorted, by the
// nearest-rank method; 0 for no samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted)) + 0.999999999)
	if rank < 1 {
		rank = 1
	}
	if rank > len(sorted) {
		rank = len(sorted)
	}
	return sorted[rank-1]
}

// sortedCopy returns the durations in ascending order.
func sortedCopy(d []time.Duration) []time.Duration {
	out := append([]time.Duration(nil), d...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
