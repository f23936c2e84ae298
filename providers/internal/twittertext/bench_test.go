package twittertext

import (
	"strings"
	"testing"
)

// benchPost is a 280-unit post: ASCII prose, a URL, emoji and some CJK.
var benchPost = func() string {
	s := "Big news from the collective 🎉 we moved! Read why at https://social.example.org/@collective/112233 " +
		"and follow us there. 新しいサーバーへようこそ。 Thanks to everyone who helped 👩🏽\u200D💻👨\u200D👩\u200D👧 #moving @friend "
	for Length(s) < 275 {
		s += "word "
	}
	return s
}()

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPost)))
	for b.Loop() {
		Parse(benchPost, V3)
	}
}

func BenchmarkTrimToWeight(b *testing.B) {
	long := strings.Repeat(benchPost, 4)
	b.ReportAllocs()
	for b.Loop() {
		TrimToWeight(long, 280, V3)
	}
}

func BenchmarkExtractMentions(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ExtractMentions(benchPost)
	}
}

func TestBenchPostShape(t *testing.T) {
	r := Parse(benchPost, V3)
	if r.WeightedLength < 275 || r.WeightedLength > 280 || !r.Valid {
		t.Fatalf("bench post weighs %d (valid %v), want 275..280", r.WeightedLength, r.Valid)
	}
	if n := len(ExtractURLs(benchPost)); n != 1 {
		t.Fatalf("bench post has %d URLs, want 1", n)
	}
}
