package providers

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ParseBaseURL checks the base URL of a server as a person writes it, in a
// config or at a prompt: "https://" is assumed without a scheme; http and
// https are accepted; credentials, a query or a fragment are refused (a
// token belongs in its own setting). The path is kept without its trailing
// slash, for servers installed under one. Errors never repeat a password.
func ParseBaseURL(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("no server address given")
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, errors.New("the server address is not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%s is not an http(s) URL: want an http:// or https:// address", u.Redacted())
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("%s has no host", u.Redacted())
	case u.User != nil:
		return nil, errors.New("the address must not carry a user name or password")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("%s: leave out the query and fragment", u.Redacted())
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}
