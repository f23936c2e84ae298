package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/store"
)

// section is one beat of a transcript, with its two columns and its notes
// each joined into one line of words.
type section struct {
	left, right, notes string
}

// parseTranscript splits a transcript into its beats by heading, and each
// beat's lines into the Mastodon column, the X column and the notes that
// span both.
func parseTranscript(t *testing.T, out string) map[string]section {
	t.Helper()
	secs := map[string]section{}
	var title string
	var left, right, notes []string
	flush := func() {
		if title != "" {
			secs[title] = section{strings.Join(strings.Fields(strings.Join(left, " ")), " "),
				strings.Join(strings.Fields(strings.Join(right, " ")), " "),
				strings.Join(strings.Fields(strings.Join(notes, " ")), " ")}
		}
		left, right, notes = nil, nil, nil
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "── ") {
			flush()
			title = strings.TrimSpace(strings.TrimRight(strings.TrimPrefix(line, "── "), "─ "))
			continue
		}
		if n := len([]rune(line)); n > 80 {
			t.Errorf("line of %d columns, want at most 80: %q", n, line)
		}
		// A line whose X side is empty ends at the bar.
		l, r, ok := strings.Cut(line, strings.TrimRight(gutter, " "))
		if ok {
			left, right = append(left, l), append(right, r)
		} else {
			notes = append(notes, line)
		}
	}
	flush()
	return secs
}

// syncBuffer collects the log written from the engine's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func words(s string) string { return strings.Join(strings.Fields(s), " ") }

// exactlyOnce checks the networks against the ledger without the demo's
// own bookkeeping: every live post on a network is an origin alice made or
// a part of the current mirror the ledger records, each once; no text is
// on one network twice; the networks saw no more creations than the
// mirrors need; no work is left or failed.
func exactlyOnce(sb *Sandbox) error {
	var errs []error
	live := map[string][]string{mastodonAccount: sb.Mastodon.Alice().Statuses(), xAccount: sb.X.Alice().Statuses()}
	want := map[string][]string{}
	for _, o := range sb.Origins {
		if _, ok := lookupFake(sb, o.Account, o.ID); ok {
			want[o.Account] = append(want[o.Account], o.ID)
		}
		for _, m := range mustMirrors(sb, o, &errs) {
			if m.State == store.PostPosted {
				want[m.Ref.Account] = append(want[m.Ref.Account], m.Parts...)
			}
		}
	}
	for acct, ids := range live {
		got, exp := slices.Sorted(slices.Values(ids)), slices.Sorted(slices.Values(want[acct]))
		if !slices.Equal(got, exp) {
			errs = append(errs, fmt.Errorf("%s holds %v, the story and the ledger account for %v", acct, got, exp))
		}
		texts := map[string]int{}
		for _, id := range ids {
			s, _ := lookupFake(sb, acct, id)
			if texts[s.Text]++; texts[s.Text] == 2 {
				errs = append(errs, fmt.Errorf("%s holds %q twice", acct, s.Text))
			}
		}
	}
	// Every creation on X is a mirror part or the new version of an edit;
	// on Mastodon (where alice's own posts use no API) a mirror part.
	xParts, mParts := 0, 0
	for _, o := range sb.Origins {
		for _, m := range mustMirrors(sb, o, &errs) {
			if m.Ref.Account == xAccount {
				xParts += len(m.Parts) + len(m.OldParts)
			} else {
				mParts += len(m.Parts)
			}
		}
	}
	if n := sb.X.EndpointCounts()["POST /2/tweets"]; n != xParts {
		errs = append(errs, fmt.Errorf("X answered %d post creations, the ledger records %d mirror parts and replaced versions", n, xParts))
	}
	n := 0
	for _, r := range sb.Mastodon.RequestLog() {
		if r.Method == "POST" && r.Path == "/api/v1/statuses" {
			n++
		}
	}
	if n != mParts {
		errs = append(errs, fmt.Errorf("Mastodon answered %d status creations, the ledger records %d mirror parts", n, mParts))
	}
	for _, acct := range []string{mastodonAccount, xAccount} {
		if p, err := sb.Store.Pending(acct); err != nil || len(p) > 0 {
			errs = append(errs, fmt.Errorf("%s: %d intents still pending (%v)", acct, len(p), err))
		}
		if f, err := sb.Store.Failed(acct); err != nil || len(f) > 0 {
			errs = append(errs, fmt.Errorf("%s: %d intents failed (%v)", acct, len(f), err))
		}
	}
	if probs, err := sb.Store.Verify(); err != nil || len(probs) > 0 {
		errs = append(errs, fmt.Errorf("ledger verify: %v %v", probs, err))
	}
	return errors.Join(errs...)
}

func mustMirrors(sb *Sandbox, o providers.Ref, errs *[]error) []store.Post {
	ms, err := sb.Store.Mirrors(o)
	if err != nil {
		*errs = append(*errs, err)
	}
	return ms
}

func lookupFake(sb *Sandbox, account, id string) (struct{ Text string }, bool) {
	if account == xAccount {
		s, ok := sb.X.Lookup(id)
		return struct{ Text string }{s.Text}, ok
	}
	s, ok := sb.Mastodon.Lookup(id)
	return struct{ Text string }{s.Text}, ok
}

func TestRunTellsTheStoryExactlyOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	logs := &syncBuffer{}
	var sb *Sandbox
	var cwReason string
	start := time.Now()
	err := Run(ctx, &out, Options{Log: logs, Inspect: func(s *Sandbox) error {
		sb = s
		if len(s.Origins) != 8 {
			return fmt.Errorf("%d origins, want 8", len(s.Origins))
		}
		p, ok, err := s.Store.Lookup(s.Origins[2])
		if err != nil || !ok {
			return fmt.Errorf("the content-warned toot is not in the ledger: %v", err)
		}
		cwReason = p.Targets[xAccount].Reason
		return exactlyOnce(s)
	}})
	if err != nil {
		t.Fatalf("Run: %v\ntranscript:\n%s\nlog:\n%s", err, out.String(), logs.String())
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the demo took %s; `dualpower demo` allows 30 s", d)
	}
	if sb == nil {
		t.Fatal("Inspect was not called")
	}
	if _, err := os.Stat(sb.Config.DataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the temporary data dir %s is still there: %v", sb.Config.DataDir, err)
	}
	if strings.Contains(out.String(), "✗") {
		t.Errorf("the transcript notes a problem:\n%s", out.String())
	}
	if l := logs.String(); strings.Contains(l, "ERR") || strings.Contains(l, sb.X.Token()) {
		t.Errorf("the quiet log has errors or a token:\n%s", l)
	}
	secs := parseTranscript(t, out.String())
	if t.Failed() {
		t.Logf("transcript:\n%s", out.String())
	}
	paras := strings.Split(longText, "\n\n")
	tests := []struct {
		beat        string
		left, right []string // each must appear in that column, words joined
		notes       []string
	}{
		{beat: "1. A plain toot", left: []string{"alice toots: " + plainText}, right: []string{"mirrored on X: " + plainText}},
		{beat: "2. A long toot becomes a thread on X",
			left:  []string{"alice toots: " + words(paras[0]), words(paras[2])},
			right: []string{"mirrored on X as a thread of 2: post 1 of 2: " + words(paras[0]), "post 2 of 2, a reply to 1:", words(paras[2]), "by X's count, over its 280; the parts weigh"}},
		{beat: "3. A toot behind a content warning is skipped",
			left:  []string{"CW: " + cwWarning + " " + cwText},
			right: []string{"skipped, as the ledger records: " + cwReason, "content warning"}},
		{beat: "4. Mentions are rewritten, so nobody else is pinged on X",
			left:  []string{mentionText},
			right: []string{"Cross-posted by me, @alice. X links only @alice,", "@bob@other.example for the photos!"}},
		{beat: "5. An image keeps its alt text",
			left:  []string{imageText + " [image] alt: " + imageAlt},
			right: []string{"mirrored on X: " + imageText + " [image] alt: " + imageAlt}},
		{beat: "6. An edit follows", left: []string{"alice edits toot 1 to: " + editedText}, right: []string{"the mirror on X now says: " + editedText, "new ID"}},
		{beat: "7. A delete follows, every part of the thread", left: []string{"alice deletes toot 2."}, right: []string{"post 1 of 2: deleted post 2 of 2: deleted"}},
		{beat: "8. A post on X comes to Mastodon", left: []string{"mirrored on Mastodon: " + xText}, right: []string{"alice posts on X: " + xText}},
		{beat: "9. A restart: what was missed is mirrored, nothing twice",
			left:  []string{"alice toots while it is down: " + downTootText, "mirrored on Mastodon: " + downXPostText},
			right: []string{"mirrored on X: " + downTootText, "alice posts on X while it is down: " + downXPostText},
			notes: []string{"starts again on the same ledger"}},
		{beat: "Exactly once", notes: []string{
			"✓ Mastodon holds 7 posts: 5 alice wrote there and 2 mirror posts of her posts on X.",
			"✓ X holds 6 posts: 2 alice wrote there and 4 mirror posts of her posts on Mastodon.",
			"nothing is there twice",
			"✓ After the restart it created 1 post on X and 1 on Mastodon",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.beat, func(t *testing.T) {
			s, ok := secs[tc.beat]
			if !ok {
				t.Fatalf("no beat %q in the transcript:\n%s", tc.beat, out.String())
			}
			for _, w := range tc.left {
				if !strings.Contains(s.left, w) {
					t.Errorf("Mastodon's side %q lacks %q", s.left, w)
				}
			}
			for _, w := range tc.right {
				if !strings.Contains(s.right, w) {
					t.Errorf("X's side %q lacks %q", s.right, w)
				}
			}
			for _, w := range tc.notes {
				if !strings.Contains(s.notes, w) {
					t.Errorf("the notes %q lack %q", s.notes, w)
				}
			}
		})
	}
	if cwReason == "" {
		t.Error("the ledger records no reason for the skipped toot")
	}
}

func TestRunKeepsAGivenDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	var out bytes.Buffer
	if err := Run(context.Background(), &out, Options{DataDir: dir, Log: &syncBuffer{}}); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	st, err := store.Open(filepath.Join(dir, "ledger.db"), store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("the ledger is not kept: %v", err)
	}
	defer st.Close()
	stats, err := st.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if m := stats.ByLink["mastodon-to-x"]; m.Mirrored != 5 || m.Skipped["content warning or sensitive media (sensitive: skip)"] != 1 {
		t.Errorf("mastodon-to-x stats %+v: want 5 toots mirrored (the deleted one counts) and the content-warned one skipped", m)
	}
	if x := stats.ByLink["x-to-mastodon"]; x.Mirrored != 2 {
		t.Errorf("x-to-mastodon stats %+v: want 2 posts mirrored", x)
	}
	st.Close()
	out.Reset()
	if err := Run(context.Background(), &out, Options{DataDir: dir, Log: &syncBuffer{}}); err == nil || !strings.Contains(err.Error(), "already holds a ledger") {
		t.Errorf("a second run in the same dir: %v, want it refused", err)
	}
}

// failingWriter refuses every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRunFails(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		opt     Options
		wantErr string
		wantOut string // the transcript must say it
		out     bool   // write to a failing writer instead
	}{
		{name: "context already ended", ctx: cancelled, wantErr: "context canceled"},
		{name: "inspect finds a problem", ctx: context.Background(),
			opt: Options{Inspect: func(*Sandbox) error { return errors.New("a planted problem") }}, wantErr: "inspect: a planted problem"},
		{name: "the transcript cannot be written", ctx: context.Background(), out: true, wantErr: "disk full"},
		{name: "a beat not settled in time", ctx: context.Background(), opt: Options{WaitLimit: time.Nanosecond}, wantErr: "nothing after 1ns",
			wantOut: "✗ the demo stopped: 1. A plain toot: waiting for a publish on alice-x: nothing after 1ns"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opt.Log = &syncBuffer{}
			var out bytes.Buffer
			var err error
			if tc.out {
				err = Run(tc.ctx, failingWriter{}, tc.opt)
			} else {
				err = Run(tc.ctx, &out, tc.opt)
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Run = %v, want an error with %q\n%s", err, tc.wantErr, out.String())
			}
			if !strings.HasPrefix(err.Error(), "demo: ") {
				t.Errorf("error %q lacks the demo: prefix", err)
			}
			if !strings.Contains(words(out.String()), tc.wantOut) {
				t.Errorf("the transcript lacks %q:\n%s", tc.wantOut, out.String())
			}
		})
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		width int
		want  []string
	}{
		{name: "fits", in: "a b c", width: 5, want: []string{"a b c"}},
		{name: "breaks at spaces", in: "aa bb cc", width: 5, want: []string{"aa bb", "cc"}},
		{name: "cuts a long word", in: "abcdefgh ij", width: 3, want: []string{"abc", "def", "gh", "ij"}},
		{name: "keeps paragraphs", in: "a\n\nb", width: 5, want: []string{"a", "", "b"}},
		{name: "counts runes, not bytes", in: "ééé ééé", width: 7, want: []string{"ééé ééé"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := wrap(tc.in, tc.width); !slices.Equal(got, tc.want) {
				t.Errorf("wrap(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
			}
		})
	}
}
