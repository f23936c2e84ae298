package demo

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Layout of the side-by-side transcript: two columns of colWidth with a
// bar between, 80 columns in all.
const (
	colWidth = 37
	gutter   = " │ "
	indent   = "  "
)

// transcript prints the story for a person. The first write error sticks
// and ends further output; Run reports it.
type transcript struct {
	w   io.Writer
	err error
}

func (t *transcript) printf(format string, args ...any) {
	if t.err != nil {
		return
	}
	_, t.err = fmt.Fprintf(t.w, format, args...)
}

// heading starts a beat.
func (t *transcript) heading(title string) {
	line := "── " + title + " "
	if n := 2*colWidth + len(indent) + utf8.RuneCountInString(gutter) - utf8.RuneCountInString(line); n > 0 {
		line += strings.Repeat("─", n)
	}
	t.printf("\n%s\n", line)
}

// note prints a line across both columns, wrapped.
func (t *transcript) note(s string) {
	for _, l := range wrap(s, 2*colWidth+utf8.RuneCountInString(gutter)) {
		t.printf("%s%s\n", indent, l)
	}
}

// columns prints the two sides of a beat: Mastodon on the left, X on
// the right, each a list of lines that are wrapped to the column.
func (t *transcript) columns(mastodon, x []string) {
	left, right := wrapAll(mastodon), wrapAll(x)
	for i := 0; i < max(len(left), len(right)); i++ {
		var l, r string
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			r = right[i]
		}
		t.printf("%s\n", strings.TrimRight(indent+pad(l, colWidth)+gutter+r, " "))
	}
}

func pad(s string, n int) string {
	if k := n - utf8.RuneCountInString(s); k > 0 {
		return s + strings.Repeat(" ", k)
	}
	return s
}

// wrapAll wraps every line to the column; a line that starts with spaces
// keeps them on its continuation lines.
func wrapAll(lines []string) []string {
	var out []string
	for _, l := range lines {
		lead := l[:len(l)-len(strings.TrimLeft(l, " "))]
		for _, w := range wrap(strings.TrimLeft(l, " "), colWidth-len(lead)) {
			out = append(out, lead+w)
		}
	}
	return out
}

// wrap breaks s into lines of at most width runes at spaces, cutting a
// longer word; newlines in s start new lines and an empty line stays.
func wrap(s string, width int) []string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		words := strings.Fields(para)
		if len(words) == 0 {
			out = append(out, "")
			continue
		}
		line := ""
		for _, w := range words {
			for utf8.RuneCountInString(w) > width {
				if line != "" {
					out = append(out, line)
					line = ""
				}
				r := []rune(w)
				out = append(out, string(r[:width]))
				w = string(r[width:])
			}
			switch {
			case line == "":
				line = w
			case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) <= width:
				line += " " + w
			default:
				out = append(out, line)
				line = w
			}
		}
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}

// quoted is a post's text for a column, indented under its label. Zero-
// width spaces (which the renderer puts after an @ that must not ping
// anyone on X) are left out: they take no room on a screen but would throw
// the columns out of line.
func quoted(text string) []string {
	text = strings.ReplaceAll(text, "\u200b", "")
	var out []string
	for _, l := range strings.Split(text, "\n") {
		out = append(out, "  "+l)
	}
	return out
}
