package providers

import (
	"strings"
	"testing"
)

// The base URL of a server, as a person writes it (config, login prompt).
func TestParseBaseURL(t *testing.T) {
	for _, tt := range []struct {
		name, in, want, err string
	}{
		{name: "bare host", in: "social.example", want: "https://social.example"},
		{name: "trailing slash", in: " https://social.example/ ", want: "https://social.example"},
		{name: "sub path", in: "https://example.org/masto/", want: "https://example.org/masto"},
		{name: "plain http and port", in: "http://127.0.0.1:3000", want: "http://127.0.0.1:3000"},
		{name: "empty", in: "  ", err: "no server address"},
		{name: "other scheme", in: "ftp://social.example", err: "want an http:// or https://"},
		{name: "no host", in: "https://", err: "has no host"},
		{name: "credentials", in: "https://alice:pw@social.example", err: "user name or password"},
		{name: "query", in: "https://social.example/?a=b", err: "leave out the query"},
		{name: "fragment", in: "https://social.example/#top", err: "leave out the query"},
		{name: "not a URL", in: "https://social example", err: "not a URL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u, err := ParseBaseURL(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseBaseURL(%q) = %v, %v; want an error mentioning %q", tt.in, u, err, tt.err)
				}
				if strings.Contains(err.Error(), "pw") {
					t.Errorf("error repeats the password: %v", err)
				}
				return
			}
			if err != nil || u.String() != tt.want {
				t.Fatalf("ParseBaseURL(%q) = %v, %v; want %s", tt.in, u, err, tt.want)
			}
		})
	}
}
