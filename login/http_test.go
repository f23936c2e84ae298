package login

import (
	"net/url"
	"strings"
	"testing"
)

func TestIsLoopback(t *testing.T) {
	for in, want := range map[string]bool{
		"http://127.0.0.1:80": true, "http://localhost": true, "http://[::1]:8080": true,
		"http://social.example": false, "http://10.0.0.1": false,
	} {
		u, _ := url.Parse(in)
		if got := IsLoopback(u); got != want {
			t.Errorf("IsLoopback(%s) = %v, want %v", in, got, want)
		}
	}
}

func TestMessage(t *testing.T) {
	for _, tt := range []struct {
		name, body, want string
	}{
		{"oauth error", `{"error":"invalid_grant","error_description":"The grant is invalid."}`, "invalid_grant: The grant is invalid."},
		{"mastodon error", `{"error":"Record not found"}`, "Record not found"},
		{"x v1 errors", `{"errors":[{"code":32,"message":"Could not authenticate you."}]}`, "Could not authenticate you."},
		{"x problem", `{"title":"Unauthorized","detail":"Unauthorized","type":"about:blank"}`, "Unauthorized: Unauthorized"},
		{"plain text", "Invalid request token.\nmore", "Invalid request token."},
		{"html", "  <!DOCTYPE html><p>hi</p>", ""},
		{"broken json", `{"error":`, ""},
		{"error object", `{"error":{"nested":true}}`, ""},
		{"control characters", "bad\x1b[31m\x00thing", "bad\uFFFD[31m\uFFFDthing"},
		{"long", strings.Repeat("é", 400), strings.Repeat("é", 300) + "…"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := message([]byte(tt.body)); got != tt.want {
				t.Errorf("message(%q) = %q, want %q", tt.body, got, tt.want)
			}
		})
	}
}

func FuzzMessage(f *testing.F) {
	f.Add([]byte(`{"error":"x","error_description":"y"}`))
	f.Add([]byte("plain\x1b text"))
	f.Add([]byte{0xff, 0xfe, '{'})
	f.Fuzz(func(t *testing.T, b []byte) {
		m := message(b)
		for _, r := range m {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("message(%q) = %q keeps a control character", b, m)
			}
		}
		if n := len([]rune(m)); n > 301 {
			t.Fatalf("message is %d runes long", n)
		}
	})
}
