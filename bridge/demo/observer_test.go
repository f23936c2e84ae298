package demo

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/store"
)

func TestObserverAwait(t *testing.T) {
	tests := []struct {
		name    string
		report  func(o *observer) // after the mark
		wants   []want
		wantErr string // "" for success
		got     []string
	}{
		{
			name:   "a publish settles a publish",
			report: func(o *observer) { o.Mirrored("l", xAccount, store.Publish, 0) },
			wants:  []want{{xAccount, store.Publish}},
			got:    []string{"mirrored (publish) on alice-x"},
		},
		{
			name:   "a skip settles any kind",
			report: func(o *observer) { o.Skipped("l", xAccount, "visibility private") },
			wants:  []want{{xAccount, store.Edit}},
			got:    []string{"skipped on alice-x: visibility private"},
		},
		{
			name: "another kind, another target or a hold does not settle it",
			report: func(o *observer) {
				o.Mirrored("l", xAccount, store.Publish, 0)
				o.Mirrored("l", mastodonAccount, store.Edit, 0)
				o.Held("l", xAccount, "rate limited", time.Now())
			},
			wants:   []want{{xAccount, store.Edit}},
			wantErr: "nothing after",
		},
		{
			name: "each want takes its own outcome",
			report: func(o *observer) {
				o.Mirrored("l", mastodonAccount, store.Publish, 0)
				o.Failed("l", xAccount, "rejected")
			},
			wants: []want{{xAccount, store.Publish}, {mastodonAccount, store.Publish}},
			got:   []string{"failed on alice-x: rejected", "mirrored (publish) on alice-mastodon"},
		},
		{
			name:    "two wants on one target need two outcomes",
			report:  func(o *observer) { o.Mirrored("l", xAccount, store.Publish, 0) },
			wants:   []want{{xAccount, store.Publish}, {xAccount, store.Publish}},
			wantErr: "nothing after",
		},
		{
			name:    "a pause ends the wait",
			report:  func(o *observer) { o.Paused(xAccount, "token revoked") },
			wants:   []want{{xAccount, store.Publish}},
			wantErr: "account alice-x was paused: token revoked",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := newObserver()
			o.Mirrored("l", xAccount, store.Edit, 0) // before the mark: ignored
			mark := o.mark()
			tc.report(o)
			got, err := o.await(context.Background(), 50*time.Millisecond, mark, tc.wants...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("await = %v, want an error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, g := range got {
				if g.String() != tc.got[i] {
					t.Errorf("outcome %d = %q, want %q", i, g, tc.got[i])
				}
			}
		})
	}
}

// An outcome reported while await waits wakes it: no polling.
func TestObserverAwaitWakes(t *testing.T) {
	o := newObserver()
	mark := o.mark()
	done := make(chan error, 1)
	go func() {
		_, err := o.await(context.Background(), time.Minute, mark, want{xAccount, store.Delete})
		done <- err
	}()
	o.Received(xAccount, "created", refOf("1"), true) // wakes it, settles nothing
	o.Mirrored("l", xAccount, store.Delete, 0)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := o.await(ctx, time.Minute, o.mark(), want{xAccount, store.Delete}); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("await on an ended context = %v", err)
	}
	if r, k := o.counts(); r != 0 || k != 1 {
		t.Errorf("counts = %d new, %d known; want 0 and 1", r, k)
	}
}

func refOf(id string) providers.Ref { return providers.Ref{Account: xAccount, ID: id} }
