package twittertext

import (
	"golang.org/x/text/unicode/norm"
)

// Result is what Parse finds, as twitter-text's parseTweet reports it.
// Ranges are inclusive and in UTF-16 code units of the text as given (not of
// its normalised form).
type Result struct {
	// WeightedLength is the text's length as X counts it: the sum of the
	// weights divided by the scale.
	WeightedLength int
	// Permillage is WeightedLength per mille of the maximum (1000 = full).
	Permillage int
	// Valid is true when the text is not blank, holds no invalid character
	// and weighs no more than the maximum.
	Valid bool
	// DisplayRangeStart and DisplayRangeEnd span the whole text.
	DisplayRangeStart, DisplayRangeEnd int
	// ValidRangeStart and ValidRangeEnd span the longest prefix that is
	// within the maximum and before any invalid character.
	ValidRangeStart, ValidRangeEnd int
}

// unit is one weighed piece of the normalised text: a URL, an emoji
// sequence or one code point, in code point indices.
type unit struct {
	start, end int
	end16      int // UTF-16 end; inside r[end-1] in one odd case (see weigh)
	weight     int // in scale units
}

// parsed is the outcome of weighing a normalised text.
type parsed struct {
	t       *text
	units   []unit
	total   int  // sum of weights, in scale units
	invalid bool // an invalid character was met
	// validEnd16 is the UTF-16 index, in the normalised text, of the last
	// code unit of the longest valid prefix (0 when there is none).
	validEnd16 int
}

// weigh walks the normalised text the way parseTweet does: a URL weighs
// TransformedURLLength × Scale, an emoji sequence DefaultWeight (when
// EmojiParsingEnabled), any other code point its range's weight.
func weigh(t *text, c Config, keepUnits bool) parsed {
	p := parsed{t: t}
	urls := extractURLs(t)
	var emoji []emojiSpan
	if c.EmojiParsingEnabled {
		emoji = extractEmoji(t.r)
	}
	scale := max(c.Scale, 1)
	limit := c.MaxWeightedTweetLength * scale
	ui, ei := 0, 0
	for i := 0; i < len(t.r); {
		for ui < len(urls) && urls[ui].start < i {
			ui++
		}
		for ei < len(emoji) && emoji[ei].start < i {
			ei++
		}
		u := unit{start: i, end: i + 1}
		switch {
		case ui < len(urls) && urls[ui].start == i:
			// parseTweet skips a URL by the length of the URL it reports,
			// which is shorter than its span when an ASCII domain stood for
			// a longer one ("é.coméİ1⃣.jp/x" reports "é.com/x"); the rest of
			// the span is then weighed as text, as parseTweet does.
			u.end16 = t.u16[i] + urls[ui].len16()
			u.end = i
			for t.u16[u.end] < u.end16 {
				u.end++
			}
			u.weight = c.TransformedURLLength * scale
			if t.u16[u.end] > u.end16 {
				// The skip ends inside an astral code point: parseTweet
				// weighs its low surrogate alone next.
				low := rune(0xDC00 + (t.r[u.end-1]-0x10000)&0x3FF)
				p.add(u, limit, keepUnits)
				u = unit{start: u.end - 1, end: u.end, end16: t.u16[u.end], weight: c.weight(low)}
			}
		case ei < len(emoji) && emoji[ei].start == i:
			u.end = emoji[ei].end
			u.weight = c.DefaultWeight
		default:
			u.weight = c.weight(t.r[i])
		}
		if u.end16 == 0 {
			u.end16 = t.u16[u.end]
		}
		p.add(u, limit, keepUnits)
		i = u.end
	}
	return p
}

// add counts one unit.
func (p *parsed) add(u unit, limit int, keepUnits bool) {
	p.total += u.weight
	// parseTweet looks for an invalid character at the last code unit of
	// each piece only; invalid characters are single code points, so a URL
	// or emoji never hides one.
	if !p.invalid && u.end16 == p.t.u16[u.end] && isInvalidChar(p.t.r[u.end-1]) {
		p.invalid = true
	}
	if !p.invalid && p.total <= limit {
		p.validEnd16 = u.end16 - 1
	}
	if keepUnits {
		p.units = append(p.units, u)
	}
}

// Parse weighs text as X does, following twitter-text's parseTweet: the
// text is NFC-normalised, URLs count TransformedURLLength, emoji sequences
// DefaultWeight (with EmojiParsingEnabled), other code points the weight of
// their range. It never panics, whatever the text or configuration.
func Parse(text string, c Config) Result {
	normalized := norm.NFC.String(text)
	t := newText(normalized)
	p := weigh(t, c, false)
	return p.result(text, c)
}

func (p parsed) result(original string, c Config) Result {
	origLen16 := utf16Length(original)
	scale := max(c.Scale, 1)
	res := Result{WeightedLength: p.total / scale}
	if c.MaxWeightedTweetLength > 0 {
		res.Permillage = int(int64(p.total) * 1000 / (int64(c.MaxWeightedTweetLength) * int64(scale)))
	}
	res.Valid = !p.invalid && res.WeightedLength <= c.MaxWeightedTweetLength && !blank(p.t.r)
	if origLen16 > 0 {
		res.DisplayRangeEnd = origLen16 - 1
	}
	res.ValidRangeEnd = p.validEnd16 + origLen16 - p.t.u16[len(p.t.r)]
	return res
}

// blank reports whether the text is empty or only spaces and controls.
func blank(r []rune) bool {
	for _, c := range r {
		if c > ' ' && !isSpace(c) {
			return false
		}
	}
	return true
}

func utf16Length(s string) int {
	n := 0
	for _, r := range s {
		n += utf16Len(r)
	}
	return n
}

// Length is the weighted length of text under V3, the measure X applies to
// a post. It is what providers.Limits.Length points at for X.
func Length(text string) int {
	return Parse(text, V3).WeightedLength
}
