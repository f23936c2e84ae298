package providers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestErrorIs(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", &Error{Kind: Rejected, Reason: ReasonDuplicate, Network: "twitter", Op: "publish", Message: "dup"})
	tests := []struct {
		target error
		want   bool
	}{
		{ErrRejected, true},
		{ErrDuplicate, true},
		{ErrReplyRefused, false},
		{ErrNotFound, false},
		{&Error{Kind: Rejected, Network: "twitter"}, false}, // not a sentinel
	}
	for _, tt := range tests {
		if got := errors.Is(err, tt.target); got != tt.want {
			t.Errorf("errors.Is(%v, %v) = %v, want %v", err, tt.target, got, tt.want)
		}
	}
	if KindOf(err) != Rejected || KindOf(errors.New("plain")) != Transient || KindOf(nil) != -1 {
		t.Error("KindOf")
	}
	if !Permanent(err) || Permanent(&Error{Kind: RateLimited}) {
		t.Error("Permanent")
	}
	reset := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := ResetOf(&Error{Kind: RateLimited, Reset: reset}); !got.Equal(reset) {
		t.Errorf("ResetOf = %v", got)
	}
	msg := (&Error{Kind: RateLimited, Network: "mastodon", Op: "poll", Status: 429, Reset: reset, Message: "slow down"}).Error()
	if msg != "mastodon: poll: rate limited: HTTP 429: slow down (until 2027-01-01T00:00:00Z)" {
		t.Errorf("Error() = %q", msg)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("hunter2")
	b, _ := json.Marshal(struct{ S Secret }{s})
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %s %q %+v %#v", s, s, s, s, s), string(b)} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("secret printed: %s", out)
		}
	}
	if s.Reveal() != "hunter2" || Secret("").String() != "" {
		t.Error("Reveal or empty")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		v    string
		want time.Time
	}{
		{"30", now.Add(30 * time.Second)},
		{"Wed, 25 Nov 2026 12:05:00 GMT", now.Add(5 * time.Minute)},
		{"-1", time.Time{}},
		{"soon", time.Time{}},
		{"", time.Time{}},
	} {
		h := http.Header{}
		if tt.v != "" {
			h.Set("Retry-After", tt.v)
		}
		if got := ParseRetryAfter(h, now); !got.Equal(tt.want) {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

func TestServerReset(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	date := func(t time.Time) string { return t.Format(http.TimeFormat) }
	for _, tt := range []struct {
		name  string
		date  string
		reset time.Time
		want  time.Time
	}{
		{"clocks agree", date(now), now.Add(90 * time.Second), now.Add(90 * time.Second)},
		{"server 10 min ahead", date(now.Add(10 * time.Minute)), now.Add(11 * time.Minute), now.Add(time.Minute)},
		{"server 10 min behind", date(now.Add(-10 * time.Minute)), now.Add(-9 * time.Minute), now.Add(time.Minute)},
		{"no Date", "", now.Add(time.Minute), now.Add(time.Minute)},
		{"malformed Date", "yesterday", now.Add(time.Minute), now.Add(time.Minute)},
		{"reset passed on the server's clock", date(now), now.Add(-time.Second), now.Add(MinRateLimitWait)},
		{"reset passed without Date", "", now.Add(-time.Hour), now.Add(MinRateLimitWait)},
		{"reset less than the floor away", date(now), now.Add(100 * time.Millisecond), now.Add(MinRateLimitWait)},
		{"reset next year", date(now), now.AddDate(1, 0, 0), now.Add(MaxRateLimitWait)},
		{"Date in 1970 is ignored", date(time.Unix(0, 0)), now.Add(time.Minute), now.Add(time.Minute)},
		{"Date two days ahead is ignored", date(now.Add(48 * time.Hour)), now.Add(time.Minute), now.Add(time.Minute)},
	} {
		h := http.Header{}
		if tt.date != "" {
			h.Set("Date", tt.date)
		}
		if got := ServerReset(h, tt.reset, now); !got.Equal(tt.want) {
			t.Errorf("%s: ServerReset = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSinceCursor(t *testing.T) {
	at := time.Date(2027, 1, 1, 9, 30, 0, 5, time.FixedZone("x", 3600))
	got, ok := ParseSinceCursor(SinceCursor(at))
	if !ok || !got.Equal(at) {
		t.Errorf("round trip: %v %v", got, ok)
	}
	for _, c := range []string{"", "117677676274465846", "since:", "since:yesterday"} {
		if _, ok := ParseSinceCursor(c); ok {
			t.Errorf("ParseSinceCursor(%q) accepted", c)
		}
	}
}

func TestRegistry(t *testing.T) {
	Register(&Info{Name: "testnet", Aliases: []string{"TN"}})
	for _, n := range []string{"testnet", "tn", "TestNet"} {
		if info, err := Find(n); err != nil || info.Name != "testnet" {
			t.Errorf("Find(%q) = %v, %v", n, info, err)
		}
	}
	if _, err := Find("nonet"); err == nil || !strings.Contains(err.Error(), "testnet") {
		t.Errorf("Find of an unknown network: %v (should list the known ones)", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("registering a name twice did not panic")
		}
	}()
	Register(&Info{Name: "tn"})
}
