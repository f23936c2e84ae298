package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dualpower/dualpower/config"
)

// TestMain lets the test binary be the fakes process too, as the bench
// binary is: startFakes re-executes os.Executable.
func TestMain(m *testing.M) {
	if os.Getenv(fakesEnv) != "" {
		if err := serveFakes(os.Stdin, os.Stdout); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, n := range v {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one sample", ms(7), 99, 7 * time.Millisecond},
		{"median of four is the second", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p95 of 100 is the 95th", ms(seq(100)...), 95, 95 * time.Millisecond},
		{"p99 of 100 is the 99th", ms(seq(100)...), 99, 99 * time.Millisecond},
		{"p100 is the max", ms(1, 5, 9), 100, 9 * time.Millisecond},
		{"p95 of 10 is the max", ms(seq(10)...), 95, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile(%v, %g) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		peak, rss int64
	}{
		{"linux", "Name:\tbench\nVmPeak:\t  900 kB\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\nThreads:\t5\n", 2048 << 10, 1024 << 10},
		{"missing", "Name:\tbench\n", 0, 0},
		{"garbage", "VmHWM:\tlots kB\nVmRSS:\n:::\n", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			peak, rss := parseStatus([]byte(tt.in))
			if peak != tt.peak || rss != tt.rss {
				t.Errorf("parseStatus = %d, %d; want %d, %d", peak, rss, tt.peak, tt.rss)
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"defaults", nil, ""},
		{"ten thousand links", []string{"--links", "10000"}, ""},
		{"too many links", []string{"--links", "10001"}, "--links 10001"},
		{"no links", []string{"--links", "0"}, "--links 0"},
		{"bad mode", []string{"--mode", "carrier-pigeon"}, `--mode "carrier-pigeon"`},
		{"too many images", []string{"--media", "5"}, "--media 5"},
		{"zero rate", []string{"--rate", "0"}, "--rate 0"},
		{"stray argument", []string{"now"}, "unexpected arguments"},
		{"every problem at once", []string{"--links", "0", "--mode", "x"}, "--mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFlags(tt.args, &bytes.Buffer{})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("parseFlags(%q): %v", tt.args, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("parseFlags(%q) = %v, want an error with %q", tt.args, err, tt.wantErr)
			}
		})
	}
}

// TestBenchConfig checks that the generated configuration is one the
// daemon accepts, with the reads each mode asks for.
func TestBenchConfig(t *testing.T) {
	hello := fakesHello{MastodonURL: "http://127.0.0.1:1", XURL: "http://127.0.0.1:2", ConsumerKey: "ck", ConsumerSecret: "cs",
		Users: []fakeUser{{MToken: "m0", XToken: "x0", XSecret: "s0"}, {MToken: "m1", XToken: "x1", XSecret: "s1"}}}
	tests := []struct {
		name      string
		mode      string
		bothWays  bool
		links     int
		mStreams  bool
		xReads    bool
		mPollSpec string
	}{
		{"streaming one way", modeStreaming, false, 2, true, false, ""},
		{"polling one way", modePolling, false, 2, false, false, "@every 1s"},
		{"streaming both ways", modeStreaming, true, 4, true, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			o := options{Mode: tt.mode, BothWays: tt.bothWays, XPoll: "@every 1s", LogLevel: "warn"}
			yaml := benchConfig(o, dir, hello)
			cfg, err := config.Parse(filepath.Join(dir, "config.yaml"), []byte(yaml), func(string) (string, bool) { return "", false })
			if err != nil {
				t.Fatalf("%v\n%s", err, yaml)
			}
			if len(cfg.LinkNames) != tt.links {
				t.Errorf("%d links, want %d", len(cfg.LinkNames), tt.links)
			}
			m, x := cfg.Accounts["m00001"], cfg.Accounts["x00001"]
			if m == nil || x == nil {
				t.Fatalf("accounts %v", cfg.AccountNames)
			}
			if m.Streams() != tt.mStreams {
				t.Errorf("mastodon streams = %v, want %v", m.Streams(), tt.mStreams)
			}
			if tt.mPollSpec != "" && m.Poll != tt.mPollSpec {
				t.Errorf("mastodon poll = %q, want %q", m.Poll, tt.mPollSpec)
			}
			if x.Reads() != tt.xReads {
				t.Errorf("x reads = %v, want %v", x.Reads(), tt.xReads)
			}
		})
	}
}

// TestBench runs a small bench end to end in each mode: every post is
// mirrored with exactly one write, nothing is read while nothing is new,
// and the report has the figures it promises.
func TestBench(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process and runs for a few seconds")
	}
	tests := []struct {
		name string
		o    options
		// writes is the non-GET requests a mirrored post costs; perPost
		// names some endpoints' exact share.
		writes  float64
		perPost map[string]float64
	}{
		{"streaming", options{Links: 3, Rate: 6, Duration: 2 * time.Second, Latency: 20 * time.Millisecond, Idle: time.Second, Settle: 45 * time.Second, Mode: modeStreaming, LogLevel: "warn", Seed: 1},
			1, map[string]float64{"x POST /2/tweets": 1}},
		{"polling both ways", options{Links: 2, Rate: 4, Duration: 2 * time.Second, Latency: 20 * time.Millisecond, Idle: 1500 * time.Millisecond, Settle: 45 * time.Second, Mode: modePolling, BothWays: true, XPoll: "@every 1s", LogLevel: "warn", Seed: 2},
			1, nil},
		// X takes an image in one upload and its alt text in a second
		// request, so each image costs two writes there.
		{"streaming with two images", options{Links: 2, Rate: 4, Duration: 2 * time.Second, Latency: 20 * time.Millisecond, Idle: time.Second, Settle: 45 * time.Second, Mode: modeStreaming, Media: 2, LogLevel: "warn", Seed: 3},
			5, map[string]float64{"x POST /2/tweets": 1, "x POST /2/media/upload": 2, "x POST /2/media/metadata": 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each has its own fakes process, engine and ledger
			o := tt.o
			o.DataDir = t.TempDir()
			rep, err := bench(context.Background(), o, &bytes.Buffer{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Posted < 6 || rep.Mirrored != rep.Posted || rep.TimedOut {
				t.Fatalf("posted %d, mirrored %d, timed out %v", rep.Posted, rep.Mirrored, rep.TimedOut)
			}
			if rep.Load.WritesPerMirrored != tt.writes {
				t.Errorf("%.3f writes per mirrored post, want %g: %v", rep.Load.WritesPerMirrored, tt.writes, rep.Load.Requests)
			}
			for k, want := range tt.perPost {
				if got := rep.Load.PerMirrored[k]; got != want {
					t.Errorf("%s: %.3f per mirrored post, want %g", k, got, want)
				}
			}
			if rep.Idle.EventsRead != 0 {
				t.Errorf("%d posts read while nothing was new", rep.Idle.EventsRead)
			}
			if rep.Latency.Samples != rep.Mirrored || rep.Latency.P50 <= 0 || rep.Latency.P50 > rep.Latency.P99 {
				t.Errorf("latency %+v for %d mirrors", rep.Latency, rep.Mirrored)
			}
			if rep.Final.PeakRSS <= 0 || rep.Final.CPU <= 0 || rep.LedgerBytes <= 0 || rep.FakesAtEnd == nil {
				t.Errorf("resource figures missing: final %+v, ledger %d, fakes %v", rep.Final, rep.LedgerBytes, rep.FakesAtEnd)
			}
			if tt.o.Mode == modeStreaming && rep.Streams != tt.o.Links {
				t.Errorf("%d streams open, want %d", rep.Streams, tt.o.Links)
			}
			var table, js bytes.Buffer
			if err := rep.writeTable(&table); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"latency p50 / p95 / p99", "writes per mirrored post", "posts read when nothing is new", "peak RSS", "ledger"} {
				if !strings.Contains(table.String(), want) {
					t.Errorf("the table has no %q:\n%s", want, table.String())
				}
			}
			if err := rep.writeJSON(&js); err != nil {
				t.Fatal(err)
			}
			var back map[string]any
			if err := json.Unmarshal(js.Bytes(), &back); err != nil {
				t.Fatalf("the JSON does not decode: %v", err)
			}
			if back["mirrored"].(float64) != float64(rep.Mirrored) {
				t.Errorf("JSON mirrored = %v, want %d", back["mirrored"], rep.Mirrored)
			}
		})
	}
}

// TestRunExitCodes checks the command's exit codes for bad and good flags.
func TestRunExitCodes(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"--links", "0"}, &out, &errb); code != 2 {
		t.Errorf("bad flags: exit %d, want 2 (%s)", code, errb.String())
	}
	if code := run([]string{"-h"}, &out, &errb); code != 0 {
		t.Errorf("-h: exit %d, want 0", code)
	}
}
