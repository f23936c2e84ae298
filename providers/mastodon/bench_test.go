package mastodon

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func loadStatus(b *testing.B, name string) status {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "status", name))
	if err != nil {
		b.Fatal(err)
	}
	var s status
	if err := json.Unmarshal(raw, &s); err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkHTMLToText(b *testing.B) {
	s := loadStatus(b, "mastodon_mentions_tags_cw.json")
	ctx := htmlContext{Mentions: s.Mentions, LocalDomain: "social.example"}
	b.SetBytes(int64(len(s.Content)))
	b.ReportAllocs()
	for b.Loop() {
		htmlToText(s.Content, ctx)
	}
}

func BenchmarkStatusLength(b *testing.B) {
	text := strings.Repeat("Hello @bob@other.example, see https://example.com/some/path 👨\u200d👩\u200d👧 #tag ", 6)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		statusLength(text, 23)
	}
}
