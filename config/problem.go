package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a configuration file, located by line and
// key path so the user can go straight to it.
type Problem struct {
	File   string // the config file as given to Load or Parse
	Line   int    // 1-based; 0 when the problem belongs to no line
	Column int    // 1-based; 0 when unknown
	Key    string // path of the key: "links.alice-to-x.to[1]"; "" for the whole file
	Msg    string // what is wrong, and what to do where that helps
	Err    error  // the underlying cause, if any (a file that cannot be read)
}

// Error formats the problem as "file:line: key: message", leaving out the
// parts that are not known.
func (p *Problem) Error() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(p.Line))
		}
		b.WriteString(": ")
	}
	if p.Key != "" {
		b.WriteString(p.Key)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Unwrap returns the underlying cause, so errors.Is(err, fs.ErrNotExist)
// works on a config file that is missing.
func (p *Problem) Unwrap() error { return p.Err }

// Problems returns the problems an error from Load or Parse carries, in
// order, or nil if err carries none.
func Problems(err error) []*Problem {
	var out []*Problem
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if p, ok := e.(*Problem); ok {
			out = append(out, p)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var p *Problem
		if errors.As(e, &p) {
			out = append(out, p)
		}
	}
	walk(err)
	return out
}

// quote formats a value for a message, short enough for one line.
func quote(s string) string {
	const max = 60
	r := []rune(s)
	if len(r) > max {
		s = string(r[:max]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
