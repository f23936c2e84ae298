package twittertext

import "unicode"

// Extended grapheme clusters (Unicode Standard Annex #29, Unicode 15.0), so
// TrimToWeight never cuts a user-perceived character in two.

type gcbProp uint8

const (
	gcbOther gcbProp = iota
	gcbCR
	gcbLF
	gcbControl
	gcbExtend
	gcbZWJ
	gcbRI
	gcbPrepend
	gcbSpacingMark
	gcbL
	gcbV
	gcbT
	gcbLV
	gcbLVT
)

var gcbTables = []struct {
	prop  gcbProp
	table *unicode.RangeTable
}{
	{gcbCR, gcbCRTable}, {gcbLF, gcbLFTable}, {gcbControl, gcbControlTable},
	{gcbExtend, gcbExtendTable}, {gcbZWJ, gcbZWJTable}, {gcbRI, gcbRegionalIndicatorTable},
	{gcbPrepend, gcbPrependTable}, {gcbSpacingMark, gcbSpacingMarkTable},
	{gcbL, gcbLTable}, {gcbV, gcbVTable}, {gcbT, gcbTTable}, {gcbLV, gcbLVTable}, {gcbLVT, gcbLVTTable},
}

func graphemeProp(r rune) gcbProp {
	if r < 0x7F && r >= 0x20 {
		return gcbOther
	}
	for _, t := range gcbTables {
		if unicode.Is(t.table, r) {
			return t.prop
		}
	}
	return gcbOther
}

// graphemeBoundaries returns, for each index 0..len(r), whether an extended
// grapheme cluster boundary falls there.
func graphemeBoundaries(r []rune) []bool {
	b := make([]bool, len(r)+1)
	b[0], b[len(r)] = true, true
	if len(r) == 0 {
		return b
	}
	prev := graphemeProp(r[0])
	// pict: the text since the last Extended_Pictographic is Extend*;
	// pictZWJ: … and then a ZWJ (rule GB11).
	pict := unicode.Is(extendedPictographicTable, r[0])
	pictZWJ := false
	ri := 0 // regional indicators in a row, ending at prev
	if prev == gcbRI {
		ri = 1
	}
	for i := 1; i < len(r); i++ {
		cur := graphemeProp(r[i])
		curPict := unicode.Is(extendedPictographicTable, r[i])
		b[i] = graphemeBreak(prev, cur, curPict && pictZWJ, ri)
		switch {
		case curPict:
			pict, pictZWJ = true, false
		case cur == gcbExtend && pict:
			pictZWJ = false
		case cur == gcbZWJ && pict:
			pict, pictZWJ = false, true
		default:
			pict, pictZWJ = false, false
		}
		if cur == gcbRI {
			ri++
		} else {
			ri = 0
		}
		prev = cur
	}
	return b
}

// graphemeBreak applies rules GB3 to GB999 between two code points.
func graphemeBreak(prev, cur gcbProp, afterPictZWJ bool, ri int) bool {
	switch {
	case prev == gcbCR && cur == gcbLF: // GB3
		return false
	case prev == gcbCR || prev == gcbLF || prev == gcbControl: // GB4
		return true
	case cur == gcbCR || cur == gcbLF || cur == gcbControl: // GB5
		return true
	case prev == gcbL && (cur == gcbL || cur == gcbV || cur == gcbLV || cur == gcbLVT): // GB6
		return false
	case (prev == gcbLV || prev == gcbV) && (cur == gcbV || cur == gcbT): // GB7
		return false
	case (prev == gcbLVT || prev == gcbT) && cur == gcbT: // GB8
		return false
	case cur == gcbExtend || cur == gcbZWJ: // GB9
		return false
	case cur == gcbSpacingMark: // GB9a
		return false
	case prev == gcbPrepend: // GB9b
		return false
	case afterPictZWJ: // GB11
		return false
	case prev == gcbRI && cur == gcbRI: // GB12, GB13
		return ri%2 == 0
	}
	return true // GB999
}
