package bridge

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"

	"github.com/dualpower/dualpower/providers"
)

// boundary kinds, best first: a thread reads best cut between paragraphs,
// then between sentences, then between words; a cut inside a word (only
// for text with no spaces, such as Chinese or Japanese without
// punctuation, or one enormous URL-less token) is the last resort.
const (
	cutParagraph = iota
	cutLine
	cutSentence
	cutWord
	cutGrapheme
	cutInURL // a URL longer than a whole part: no choice left
	cutKinds
)

// Split cuts text into parts that each measure at most max by length,
// preferring paragraph, then line, then sentence, then word boundaries, and
// cutting inside a word only where no boundary fits. It never cuts inside a
// grapheme cluster (an emoji sequence, a letter with its accents) or a URL
// when a cut outside one fits. The white space at a cut is dropped; the
// parts, joined by single spaces and compared word by word, hold every word
// of text in order.
//
// It returns nil when max is too small for even one grapheme.
func Split(text string, max int, length providers.LengthFunc) []string {
	text = strings.TrimSpace(text)
	var parts []string
	for text != "" {
		if length(text) <= max {
			return append(parts, text)
		}
		cut := bestCut(text, max, length)
		if cut <= 0 {
			return nil
		}
		part := strings.TrimRightFunc(text[:cut], unicode.IsSpace)
		parts = append(parts, part)
		text = strings.TrimLeftFunc(text[cut:], unicode.IsSpace)
	}
	return parts
}

// bestCut returns the byte offset at which to end the next part: the
// largest offset of the best boundary kind whose head fits in max.
func bestCut(text string, max int, length providers.LengthFunc) int {
	cands := candidates(text)
	for kind := range cutKinds {
		// Candidates are in increasing order; try the largest first.
		c := cands[kind]
		for i := len(c) - 1; i >= 0; i-- {
			head := strings.TrimRightFunc(text[:c[i]], unicode.IsSpace)
			if head != "" && length(head) <= max {
				return c[i]
			}
		}
	}
	return 0
}

// candidates lists the offsets where text may be cut, by kind. An offset is
// where the next part would begin before its leading space is trimmed.
func candidates(text string) [cutKinds][]int {
	var c [cutKinds][]int
	urls := urlSpans(text)
	inURL := func(i int) bool {
		for _, s := range urls {
			if i > s[0] && i < s[1] {
				return true
			}
		}
		return false
	}
	// Grapheme boundaries, outside URLs.
	state := -1
	rest := text
	off := 0
	for rest != "" {
		var cluster string
		cluster, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		off += len(cluster)
		switch {
		case rest == "":
		case inURL(off):
			c[cutInURL] = append(c[cutInURL], off)
		default:
			c[cutGrapheme] = append(c[cutGrapheme], off)
		}
	}
	for i, r := range text {
		if i == 0 {
			continue
		}
		prev, _ := utf8.DecodeLastRuneInString(text[:i])
		switch {
		case r == '\n' && strings.HasPrefix(text[i:], "\n\n"):
			c[cutParagraph] = append(c[cutParagraph], i)
		case r == '\n':
			c[cutLine] = append(c[cutLine], i)
		}
		if unicode.IsSpace(r) && !unicode.IsSpace(prev) && !inURL(i) {
			c[cutWord] = append(c[cutWord], i)
			if isSentenceEnd(text[:i]) {
				c[cutSentence] = append(c[cutSentence], i)
			}
		}
		// Scripts written without spaces end sentences with full-width
		// marks; the next sentence may begin at once.
		if strings.ContainsRune("。！？", prev) && !unicode.IsSpace(r) {
			c[cutSentence] = append(c[cutSentence], i)
		}
	}
	return c
}

// isSentenceEnd reports whether head ends a sentence: with . ! ? or …,
// perhaps followed by closing quotes or brackets.
func isSentenceEnd(head string) bool {
	head = strings.TrimRight(head, "\"'”’»)]")
	if head == "" {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(head)
	return strings.ContainsRune(".!?…。！？", r)
}

// urlSpans finds the byte spans of URLs written out in text, so a cut never
// breaks one. It only needs to be good enough to protect what the length
// rules count as a URL.
func urlSpans(text string) [][2]int {
	var spans [][2]int
	for i := 0; i < len(text); {
		j := indexScheme(text[i:])
		if j < 0 {
			break
		}
		start := i + j
		end := start
		for end < len(text) {
			r, size := utf8.DecodeRuneInString(text[end:])
			if unicode.IsSpace(r) {
				break
			}
			end += size
		}
		spans = append(spans, [2]int{start, end})
		i = end
	}
	return spans
}

func indexScheme(s string) int {
	a, b := strings.Index(s, "http://"), strings.Index(s, "https://")
	switch {
	case a < 0:
		return b
	case b < 0:
		return a
	}
	return min(a, b)
}
