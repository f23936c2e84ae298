package twitter

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// TestExtractMentionsConformance runs the mention cases of twitter-text's
// extract.yml against the guard's mention finder: the guard must see every
// mention X would make, and nothing X would not link.
func TestExtractMentionsConformance(t *testing.T) {
	// The specs live next to the repository (shared/specs).
	raw, err := os.ReadFile("../../../shared/specs/twitter-text/extract.yml")
	if err != nil {
		t.Skipf("twitter-text conformance cases not found: %v", err)
	}
	var doc struct {
		Tests struct {
			Mentions []struct {
				Description string   `yaml:"description"`
				Text        string   `yaml:"text"`
				Expected    []string `yaml:"expected"`
			} `yaml:"mentions"`
			WithIndices []struct {
				Description string `yaml:"description"`
				Text        string `yaml:"text"`
				Expected    []struct {
					ScreenName string `yaml:"screen_name"`
				} `yaml:"expected"`
			} `yaml:"mentions_or_lists_with_indices"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Tests.Mentions) < 20 {
		t.Fatalf("only %d mention cases read", len(doc.Tests.Mentions))
	}
	for _, c := range doc.Tests.Mentions {
		t.Run(c.Description, func(t *testing.T) {
			got := extractMentions(c.Text)
			if !slices.Equal(got, c.Expected) && !(len(got) == 0 && len(c.Expected) == 0) {
				t.Errorf("extractMentions(%q) = %q, want %q", c.Text, got, c.Expected)
			}
		})
	}
	// A list mention names its owner: the guard counts it too.
	for _, c := range doc.Tests.WithIndices {
		t.Run("list "+c.Description, func(t *testing.T) {
			var want []string
			for _, e := range c.Expected {
				want = append(want, e.ScreenName)
			}
			if got := extractMentions(c.Text); !slices.Equal(got, want) {
				t.Errorf("extractMentions(%q) = %q, want %q", c.Text, got, want)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	p := &Provider{}
	l, err := p.Limits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if l.MaxLength != 280 || l.URLLength != 23 || l.MaxMedia != 4 || l.MaxImageSize != 5<<20 || l.MaxGIFSize != 15<<20 ||
		l.MaxVideoSize != 512<<20 || l.MaxAltLength != 1000 || l.WarningCounts || l.CanEdit {
		t.Errorf("Limits = %+v", l)
	}
	for text, want := range map[string]int{
		"hello": 5,
		"see https://example.com/" + strings.Repeat("a", 100): 4 + 23,
		"🌱":    2,
		"日本語":  6,
		"café": 4,
	} {
		if got := l.Length(text); got != want {
			t.Errorf("Length(%q) = %d, want %d", text, got, want)
		}
	}
}

func TestMentionSpans(t *testing.T) {
	text := "RT@Bob: hi ＠carol, @dave/friends and @erin@social.example 🌱 @frank"
	spans := (&Provider{}).MentionSpans(text)
	var got []string
	for _, m := range spans {
		got = append(got, text[m.Start:m.End]+"="+m.Handle)
		if m.URL != "https://x.com/"+m.Handle {
			t.Errorf("URL %q", m.URL)
		}
	}
	want := []string{"@Bob=Bob", "＠carol=carol", "@dave/friends=dave", "@frank=frank"}
	if !slices.Equal(got, want) {
		t.Errorf("MentionSpans = %q, want %q", got, want)
	}
}
