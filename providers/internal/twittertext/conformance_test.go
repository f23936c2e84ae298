package twittertext

import (
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// specsDir finds shared/specs/twitter-text: $DUALPOWER_SPECS (the specs
// folder) when set, else a shared/specs folder beside one of the working
// directory's ancestors (CI puts shared/ beside the clone).
func specsDir(t testing.TB) string {
	t.Helper()
	if env := os.Getenv("DUALPOWER_SPECS"); env != "" {
		dir := filepath.Join(env, "twitter-text")
		if _, err := os.Stat(filepath.Join(dir, "validate.yml")); err != nil {
			t.Fatalf("DUALPOWER_SPECS=%s holds no twitter-text/validate.yml: %v", env, err)
		}
		return dir
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	for dir := wd; ; {
		cand := filepath.Join(dir, "shared", "specs", "twitter-text")
		if _, err := os.Stat(filepath.Join(cand, "validate.yml")); err == nil {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	t.Fatalf("twitter-text conformance files not found: no shared/specs/twitter-text above %s; set DUALPOWER_SPECS to the specs folder", wd)
	return ""
}

func loadYAML(t testing.TB, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(specsDir(t), name))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	if err := yaml.Unmarshal(raw, v); err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
}

type weightedCase struct {
	Description string `yaml:"description"`
	Text        string `yaml:"text"`
	Expected    struct {
		WeightedLength    *int  `yaml:"weightedLength"`
		Valid             *bool `yaml:"valid"`
		Permillage        *int  `yaml:"permillage"`
		DisplayRangeStart *int  `yaml:"displayRangeStart"`
		DisplayRangeEnd   *int  `yaml:"displayRangeEnd"`
		ValidRangeStart   *int  `yaml:"validRangeStart"`
		ValidRangeEnd     *int  `yaml:"validRangeEnd"`
	} `yaml:"expected"`
}

type validateFile struct {
	Tests struct {
		Tweets []struct {
			Description string `yaml:"description"`
			Text        string `yaml:"text"`
			Expected    bool   `yaml:"expected"`
		} `yaml:"tweets"`
		Weighted        []weightedCase `yaml:"WeightedTweetsCounterTest"`
		WeightedEmoji   []weightedCase `yaml:"WeightedTweetsWithDiscountedEmojiCounterTest"`
		DirectionalMark []weightedCase `yaml:"UnicodeDirectionalMarkerCounterTest"`
	} `yaml:"tests"`
}

// TestValidateWeighted runs every weighted-length case of validate.yml and
// compares every field the case gives.
func TestValidateWeighted(t *testing.T) {
	var f validateFile
	loadYAML(t, "validate.yml", &f)
	groups := []struct {
		name  string
		cases []weightedCase
		want  int
		cfg   Config
	}{
		{"WeightedTweetsCounterTest", f.Tests.Weighted, 20, V2},
		{"WeightedTweetsWithDiscountedEmojiCounterTest", f.Tests.WeightedEmoji, 22, V3},
		{"UnicodeDirectionalMarkerCounterTest", f.Tests.DirectionalMark, 2, Default},
	}
	total := 0
	for _, g := range groups {
		if len(g.cases) != g.want {
			t.Errorf("%s: %d cases in validate.yml, want %d", g.name, len(g.cases), g.want)
		}
		for _, tc := range g.cases {
			total++
			t.Run(g.name+"/"+tc.Description, func(t *testing.T) {
				got := Parse(tc.Text, g.cfg)
				e := tc.Expected
				checkInt(t, "weightedLength", got.WeightedLength, e.WeightedLength)
				checkInt(t, "permillage", got.Permillage, e.Permillage)
				checkInt(t, "displayRangeStart", got.DisplayRangeStart, e.DisplayRangeStart)
				checkInt(t, "displayRangeEnd", got.DisplayRangeEnd, e.DisplayRangeEnd)
				checkInt(t, "validRangeStart", got.ValidRangeStart, e.ValidRangeStart)
				checkInt(t, "validRangeEnd", got.ValidRangeEnd, e.ValidRangeEnd)
				if e.Valid == nil {
					t.Fatal("case gives no valid field")
				}
				if got.Valid != *e.Valid {
					t.Errorf("valid = %v, want %v", got.Valid, *e.Valid)
				}
			})
		}
	}
	if total != 44 {
		t.Errorf("ran %d weighted-length cases, want 44", total)
	}
}

func checkInt(t *testing.T, field string, got int, want *int) {
	t.Helper()
	if want == nil {
		t.Errorf("case gives no %s", field)
		return
	}
	if got != *want {
		t.Errorf("%s = %d, want %d", field, got, *want)
	}
}

// TestValidateTweets runs validate.yml's "tweets" group, written for the
// 140-character rules, with V1.
func TestValidateTweets(t *testing.T) {
	var f validateFile
	loadYAML(t, "validate.yml", &f)
	if len(f.Tests.Tweets) == 0 {
		t.Fatal("no tweets cases")
	}
	for _, tc := range f.Tests.Tweets {
		t.Run(tc.Description, func(t *testing.T) {
			if got := Parse(tc.Text, V1).Valid; got != tc.Expected {
				t.Errorf("Parse(%q, V1).Valid = %v, want %v", tc.Text, got, tc.Expected)
			}
		})
	}
}
