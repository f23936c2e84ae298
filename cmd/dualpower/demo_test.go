package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestDemoCommand(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStderr string // a substring stderr must hold; "" means stderr stays empty
	}{
		{name: "quiet", args: []string{"demo"}},
		{name: "verbose", args: []string{"demo", "--verbose"}, wantStderr: "DBG"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			start := time.Now()
			code := Main(tc.args, strings.NewReader(""), &stdout, &stderr)
			if code != exitOK {
				t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
			}
			if d := time.Since(start); d > demoTimeout {
				t.Errorf("took %s, more than %s", d, demoTimeout)
			}
			out := stdout.String()
			for _, want := range []string{
				"── 1. A plain toot",
				"mirrored on X as a thread of 2:",
				"skipped, as the ledger records:",
				"@alice@social.example.",
				"[image] alt: A red square on a",
				"the mirror on X now says:",
				"post 2 of 2: deleted",
				"── 8. A post on X comes to Mastodon",
				"── 9. A restart: what was missed is mirrored, nothing twice",
				"✓ After the restart it created 1 post on X and 1 on Mastodon",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("stdout lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "✗") {
				t.Errorf("the demo noted a problem:\n%s", out)
			}
			if tc.wantStderr == "" && stderr.Len() > 0 {
				t.Errorf("a quiet demo wrote to stderr:\n%s", stderr.String())
			}
			if tc.wantStderr != "" && !strings.Contains(stderr.String(), tc.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantStderr, stderr.String())
			}
		})
	}
}

func TestDemoUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{name: "an argument", args: []string{"demo", "now"}, want: exitUsage},
		{name: "an unknown flag", args: []string{"demo", "--fast"}, want: exitUsage},
		{name: "help", args: []string{"demo", "-h"}, want: exitOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Main(tc.args, strings.NewReader(""), &stdout, &stderr); code != tc.want {
				t.Errorf("exit %d, want %d\nstderr:\n%s", code, tc.want, stderr.String())
			}
			if stdout.Len() > 0 {
				t.Errorf("the demo ran: %s", stdout.String())
			}
		})
	}
}
