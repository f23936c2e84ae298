package twittertext

import "golang.org/x/text/unicode/norm"

// maxTrimTries bounds how many cut points TrimToWeight re-measures when
// cutting makes a URL appear at the end of the head.
const maxTrimTries = 64

// TrimToWeight cuts text in two: head is the longest prefix of its NFC form
// whose weighted length under c is at most max, and rest is what follows,
// so head+rest is the NFC form of text. It never cuts inside a URL, an emoji
// sequence or a grapheme cluster, so head may be shorter than max allows,
// and empty when the first of these already weighs more than max.
//
// It measures nothing but weight: a head may still be invalid for other
// reasons (an invalid character, only spaces). The engine splits at
// paragraphs, sentences and words first; this is the last resort for one
// word too long for a post.
func TrimToWeight(text string, max int, c Config) (head, rest string) {
	normalized := norm.NFC.String(text)
	if max < 0 {
		return "", normalized
	}
	t := newText(normalized)
	p := weigh(t, c, true)
	limit := max * maxInt(c.Scale, 1)
	if p.total <= limit {
		return normalized, ""
	}
	boundary := graphemeBoundaries(t.r)
	// Cut points at the end of a unit and of a grapheme cluster, with the
	// weight of everything before them, in text order.
	var cuts []int
	cum := 0
	for _, u := range p.units {
		cum += u.weight
		if cum > limit {
			break
		}
		if boundary[u.end] {
			cuts = append(cuts, u.end)
		}
	}
	// The weight of a prefix is not always that of the same units inside
	// the whole text: a cut can turn the end of a long word into a URL
	// ("example.comx" → "example.com"). Measure each candidate, longest
	// first.
	for k, tries := len(cuts)-1, 0; k >= 0 && tries < maxTrimTries; k, tries = k-1, tries+1 {
		end := cuts[k]
		if weigh(newText(t.slice(0, end)), c, false).total <= limit {
			return t.slice(0, end), t.slice(end, len(t.r))
		}
	}
	return "", normalized
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}
