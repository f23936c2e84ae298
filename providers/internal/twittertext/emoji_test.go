package twittertext

import (
	"reflect"
	"testing"
	"unicode"
)

// TestExtractEmoji pins the emoji rules (see emoji.go). The expectations
// are what twemoji-parser 11.0.2, the matcher twitter-text's parseTweet
// uses, reports for the same strings.
func TestExtractEmoji(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []emojiSpan // code point indices
	}{
		{"plain ASCII", "abc #1 *", nil},
		{"emoji presentation", "😷", []emojiSpan{{0, 1}}},
		{"VS16 after emoji presentation is a stray emoji", "😀\uFE0F", []emojiSpan{{0, 1}, {1, 2}}},
		{"stray VS16", "a\uFE0F", []emojiSpan{{1, 2}}},
		{"text presentation alone", "☺", []emojiSpan{{0, 1}}},
		{"text presentation with VS15 is text", "☺\uFE0E", nil},
		{"text presentation with VS16", "☺\uFE0F", []emojiSpan{{0, 2}}},
		{"double exclamation", "‼", []emojiSpan{{0, 1}}},
		{"left right arrow", "↔", []emojiSpan{{0, 1}}},
		{"copyright alone is text", "©", nil},
		{"copyright with VS16", "©\uFE0F", []emojiSpan{{0, 2}}},
		{"trade mark alone is text", "™", nil},
		{"chess pawn alone is text", "♟", nil},
		{"keycap without VS16", "1\u20E3", []emojiSpan{{0, 2}}},
		{"keycap with VS16", "#\uFE0F\u20E3", []emojiSpan{{0, 3}}},
		{"digit with VS16 only", "1\uFE0F", []emojiSpan{{1, 2}}},
		{"skin tone", "🙋🏽", []emojiSpan{{0, 2}}},
		{"lone skin tone", "🏽", []emojiSpan{{0, 1}}},
		{"text base, skin tone, stray VS16", "✌🏿\uFE0F", []emojiSpan{{0, 2}, {2, 3}}},
		{"text base with VS16 and skin tone", "✌\uFE0F🏿", []emojiSpan{{0, 3}}},
		{"emoji base, VS16, skin tone", "👍\uFE0F🏽", []emojiSpan{{0, 1}, {1, 2}, {2, 3}}},
		{"flag", "🇺🇸", []emojiSpan{{0, 2}}},
		{"lone regional indicator", "🇺", []emojiSpan{{0, 1}}},
		{"flag then regional indicator", "🇺🇸🇫", []emojiSpan{{0, 2}, {2, 3}}},
		{"tag sequence", "🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F", []emojiSpan{{0, 7}}},
		{"family", "👨\u200D👩\u200D👧\u200D👦", []emojiSpan{{0, 7}}},
		{"family of three then ZWJ", "👨\u200D👩\u200D👦\u200D", []emojiSpan{{0, 5}}},
		{"rainbow flag", "🏳\uFE0F\u200D🌈", []emojiSpan{{0, 4}}},
		{"rainbow flag without VS16 is two emoji", "🏳\u200D🌈", []emojiSpan{{0, 1}, {2, 3}}},
		{"non-RGI ZWJ sequence is two emoji", "🐱\u200D🚀", []emojiSpan{{0, 1}, {2, 3}}},
		{"profession with skin tone", "👩🏾\u200D🚀", []emojiSpan{{0, 4}}},
		{"supplementary presentation", "🅰🀄🈂", []emojiSpan{{0, 1}, {1, 2}, {2, 3}}},
		{"emoji among text", "a😷b", []emojiSpan{{1, 2}}},
		{"eye in speech bubble, legacy form", "\U0001F441\u200D\U0001F5E8", []emojiSpan{{0, 3}}},
		{"eye in speech bubble, RGI form", "\U0001F441\uFE0F\u200D\U0001F5E8\uFE0F", []emojiSpan{{0, 5}}},
		{"legacy variant takes VS16", "🀄\uFE0F", []emojiSpan{{0, 2}}},
		{"legacy variant with VS15 is text", "⌚\uFE0E", nil},
		{"newer variant leaves VS16 stray", "🌍\uFE0F", []emojiSpan{{0, 1}, {1, 2}}},
		{"newer variant ignores VS15", "👍\uFE0E", []emojiSpan{{0, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := extractEmoji([]rune(tt.text))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("extractEmoji(%+q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

// TestRGISequencesAreOneEmoji checks that every recommended emoji sequence
// of the Unicode data (ZWJ, flag, tag, modifier and keycap sequences, and
// every emoji-presentation code point) is matched whole, alone and between
// letters, and that the weighted count gives it DefaultWeight.
func TestRGISequencesAreOneEmoji(t *testing.T) {
	var seqs []string
	seqs = append(seqs, zwjSequences...)
	seqs = append(seqs, flagSequences...)
	seqs = append(seqs, tagSequences...)
	for _, k := range "#*0123456789" {
		seqs = append(seqs, string(k)+"\uFE0F\u20E3")
	}
	for _, table := range []*unicode.RangeTable{emojiModifierBaseTable, emojiPresentationTable} {
		var cps []rune
		for _, rg := range table.R16 {
			for c := rune(rg.Lo); c <= rune(rg.Hi); c += rune(rg.Stride) {
				cps = append(cps, c)
			}
		}
		for _, rg := range table.R32 {
			for c := rune(rg.Lo); c <= rune(rg.Hi); c += rune(rg.Stride) {
				cps = append(cps, c)
			}
		}
		for _, c := range cps {
			if table == emojiModifierBaseTable {
				seqs = append(seqs, string(c)+"\U0001F3FD")
			} else {
				seqs = append(seqs, string(c))
			}
		}
	}
	if len(seqs) < 2000 {
		t.Fatalf("only %d sequences", len(seqs))
	}
	for _, s := range seqs {
		r := []rune("a" + s + "b")
		got := extractEmoji(r)
		if len(got) != 1 || got[0].start != 1 || got[0].end != len(r)-1 {
			t.Errorf("extractEmoji(%+q) = %v, want the sequence whole", s, got)
			continue
		}
		if w := Parse("a"+s+"b", V3).WeightedLength; w != 4 {
			t.Errorf("Parse(%+q) weighs %d, want 4", "a"+s+"b", w)
		}
	}
}
