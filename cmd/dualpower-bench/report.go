package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// report is everything one bench run measured.
type report struct {
	Options options     `json:"options"`
	Machine machineInfo `json:"machine"`

	Startup time.Duration `json:"startup_ns"` // engine start until every stream is open
	Streams int           `json:"streams,omitempty"`

	Posted     int            `json:"posted"`
	Mirrored   int            `json:"mirrored"`
	Skipped    map[string]int `json:"skipped,omitempty"`
	Failed     map[string]int `json:"failed,omitempty"`
	Held       int            `json:"held"`
	Paused     int            `json:"paused"`
	TimedOut   bool           `json:"timed_out"`
	Throughput float64        `json:"throughput_per_s"` // mirrored posts a second, first post to last mirror

	Latency latencyReport `json:"latency"`
	Idle    idleReport    `json:"idle"`
	Load    loadReport    `json:"load"`

	BeforeEngine usage  `json:"before_engine"`
	Final        usage  `json:"final"`
	FakesAtStart *usage `json:"fakes_at_start,omitempty"`
	FakesAtEnd   *usage `json:"fakes_at_end,omitempty"`
	LedgerBytes  int64  `json:"ledger_bytes"`
}

// latencyReport is source-created → mirror-published, over every publish.
type latencyReport struct {
	Samples int           `json:"samples"`
	P50     time.Duration `json:"p50_ns"`
	P95     time.Duration `json:"p95_ns"`
	P99     time.Duration `json:"p99_ns"`
	Max     time.Duration `json:"max_ns"`
}

// idleReport is the quiet period before any post.
type idleReport struct {
	Seconds float64 `json:"seconds"`
	// CPUShare is the bench process's CPU (the daemon, with the
	// harness's small share) as a fraction of one core.
	CPUShare   float64        `json:"cpu_share"`
	Goroutines int            `json:"goroutines"`
	RSS        int64          `json:"rss_bytes"`
	HeapInuse  uint64         `json:"heap_inuse_bytes"`
	StackInuse uint64         `json:"stack_inuse_bytes"`
	Requests   map[string]int `json:"requests"`
	// EventsRead is how many posts the sources handed the engine while
	// nothing new was posted (each would be dropped as known).
	EventsRead int `json:"events_read"`
}

// loadReport is the posting period until the last mirror.
type loadReport struct {
	Seconds    float64        `json:"seconds"`
	CPUShare   float64        `json:"cpu_share"`
	Goroutines int            `json:"goroutines"`
	Requests   map[string]int `json:"requests"`
	// PerMirrored is Requests divided by the posts mirrored.
	PerMirrored map[string]float64 `json:"per_mirrored"`
	// WritesPerMirrored counts every POST, PUT and DELETE to either fake
	// per mirrored post.
	WritesPerMirrored float64 `json:"writes_per_mirrored"`
}

// machineInfo says where the figures come from.
type machineInfo struct {
	CPUs  int    `json:"cpus"`
	Model string `json:"cpu_model,omitempty"`
	MemKB int64  `json:"mem_kb,omitempty"`
	Go    string `json:"go"`
	OS    string `json:"os"`
}

func machine() machineInfo {
	m := machineInfo{CPUs: runtime.NumCPU(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.Model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "MemTotal:") {
				fmt.Sscanf(strings.TrimPrefix(line, "MemTotal:"), "%d", &m.MemKB)
			}
		}
	}
	return m
}

func latencyFigures(sorted []time.Duration) latencyReport {
	r := latencyReport{Samples: len(sorted)}
	if len(sorted) == 0 {
		return r
	}
	r.P50, r.P95, r.P99 = percentile(sorted, 50), percentile(sorted, 95), percentile(sorted, 99)
	r.Max = sorted[len(sorted)-1]
	return r
}

func idleFigures(from, to usage, requests map[string]int, events int) idleReport {
	return idleReport{
		Seconds:    to.At.Sub(from.At).Seconds(),
		CPUShare:   cpuShare(from, to),
		Goroutines: to.Goroutines,
		RSS:        to.RSS,
		HeapInuse:  to.HeapInuse,
		StackInuse: to.StackInuse,
		Requests:   requests,
		EventsRead: events,
	}
}

func loadFigures(from, to usage, requests map[string]int, mirrored int) loadReport {
	r := loadReport{
		Seconds:     to.At.Sub(from.At).Seconds(),
		CPUShare:    cpuShare(from, to),
		Goroutines:  to.Goroutines,
		Requests:    requests,
		PerMirrored: map[string]float64{},
	}
	if mirrored == 0 {
		return r
	}
	writes := 0
	for k, v := range requests {
		r.PerMirrored[k] = float64(v) / float64(mirrored)
		if f := strings.Fields(k); len(f) >= 2 && f[1] != "GET" {
			writes += v
		}
	}
	r.WritesPerMirrored = float64(writes) / float64(mirrored)
	return r
}

// writeJSON prints the report as one indented JSON object.
func (r *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// writeTable prints the report for people.
func (r *report) writeTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	o := r.Options
	dirs := "Mastodon → X"
	if o.BothWays {
		dirs = "both ways"
	}
	row := func(k, format string, a ...any) { fmt.Fprintf(tw, "%s\t"+format+"\n", append([]any{k}, a...)...) }
	row("run", "%d links %s, %s, %g posts/s for %v, %d image(s) a post, answer latency %v", o.Links, dirs, o.Mode, o.Rate, o.Duration, o.Media, o.Latency)
	row("machine", "%d CPUs, %s, %s, %s", r.Machine.CPUs, r.Machine.Model, r.Machine.Go, r.Machine.OS)
	row("start-up", "%v (engine start until every stream is open, without answer latency)", r.Startup.Round(time.Millisecond))
	row("posts", "%d posted, %d mirrored, %d skipped, %d failed, %d held%s", r.Posted, r.Mirrored, sum(r.Skipped), sum(r.Failed), r.Held, timedOut(r.TimedOut))
	row("latency p50 / p95 / p99", "%v / %v / %v (max %v, %d samples)", ms(r.Latency.P50), ms(r.Latency.P95), ms(r.Latency.P99), ms(r.Latency.Max), r.Latency.Samples)
	row("throughput", "%.2f mirrored posts/s", r.Throughput)
	row("writes per mirrored post", "%.3f", r.Load.WritesPerMirrored)
	for _, k := range sortedKeys(r.Load.PerMirrored) {
		row("  "+k, "%.3f per mirrored post (%d)", r.Load.PerMirrored[k], r.Load.Requests[k])
	}
	row("idle", "%.1f s: CPU %.1f%% of one core, %d goroutines, RSS %s (Go heap in use %s, stacks %s)", r.Idle.Seconds, 100*r.Idle.CPUShare, r.Idle.Goroutines, mb(r.Idle.RSS), mb(int64(r.Idle.HeapInuse)), mb(int64(r.Idle.StackInuse)))
	row("  posts read when nothing is new", "%d", r.Idle.EventsRead)
	for _, k := range sortedKeys(r.Idle.Requests) {
		row("  "+k, "%.2f/s (%d)", float64(r.Idle.Requests[k])/r.Idle.Seconds, r.Idle.Requests[k])
	}
	row("load", "%.1f s: CPU %.1f%% of one core, %d goroutines", r.Load.Seconds, 100*r.Load.CPUShare, r.Load.Goroutines)
	row("bench process", "peak RSS %s, RSS %s at end, %.2f CPU s in all (%.2f CPU s before the engine)", mb(r.Final.PeakRSS), mb(r.Final.RSS), r.Final.CPU.Seconds(), r.BeforeEngine.CPU.Seconds())
	if r.FakesAtEnd != nil {
		row("fakes process", "peak RSS %s, %.2f CPU s (not in the figures above)", mb(r.FakesAtEnd.PeakRSS), r.FakesAtEnd.CPU.Seconds())
	}
	row("ledger", "%s", mb(r.LedgerBytes))
	return tw.Flush()
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func timedOut(t bool) string {
	if t {
		return " (TIMED OUT waiting for the rest)"
	}
	return ""
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
