package twittertext

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
)

type extractCase struct {
	Description string `yaml:"description"`
	Text        string `yaml:"text"`
	Expected    any    `yaml:"expected"`
}

type extractFile struct {
	Tests map[string][]extractCase `yaml:"tests"`
}

// extractGroups maps each group of extract.yml this package runs to what it
// computes; the result is compared with the case's expected value after a
// round trip through the same shapes the YAML uses.
var extractGroups = map[string]func(text string) any{
	"mentions": func(s string) any { return values(ExtractMentions(s)) },
	"mentions_with_indices": func(s string) any {
		var out []any
		for _, e := range ExtractMentions(s) {
			out = append(out, map[string]any{"screen_name": e.Value, "indices": []any{e.UTF16Start, e.UTF16End}})
		}
		return out
	},
	"mentions_or_lists_with_indices": func(s string) any {
		var out []any
		for _, e := range ExtractMentionsOrLists(s) {
			out = append(out, map[string]any{"screen_name": e.Value, "list_slug": e.ListSlug, "indices": []any{e.UTF16Start, e.UTF16End}})
		}
		return out
	},
	"replies": func(s string) any {
		if e, ok := ExtractReply(s); ok {
			return e.Value
		}
		return nil
	},
	"urls":                          func(s string) any { return values(ExtractURLs(s)) },
	"urls_with_indices":             urlsWithIndices,
	"urls_with_directional_markers": urlsWithIndices,
	"tco_urls_with_params":          func(s string) any { return values(ExtractURLs(s)) },
	"hashtags":                      func(s string) any { return values(ExtractHashtags(s)) },
	"hashtags_from_astral":          func(s string) any { return values(ExtractHashtags(s)) },
	"cashtags":                      func(s string) any { return values(ExtractCashtags(s)) },
	"cashtags_with_indices": func(s string) any {
		var out []any
		for _, e := range ExtractCashtags(s) {
			out = append(out, map[string]any{"cashtag": e.Value, "indices": []any{e.UTF16Start, e.UTF16End}})
		}
		return out
	},
	"hashtags_with_indices": func(s string) any {
		var out []any
		for _, e := range ExtractHashtags(s) {
			out = append(out, map[string]any{"hashtag": e.Value, "indices": []any{e.UTF16Start, e.UTF16End}})
		}
		return out
	},
}

func urlsWithIndices(s string) any {
	var out []any
	for _, e := range ExtractURLs(s) {
		out = append(out, map[string]any{"url": e.Value, "indices": []any{e.UTF16Start, e.UTF16End}})
	}
	return out
}

func values(es []Entity) []any {
	var out []any
	for _, e := range es {
		out = append(out, e.Value)
	}
	return out
}

// normalize makes YAML-decoded and computed values comparable: ints as
// int, empty lists as nil.
func normalize(v any) any {
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			return nil
		}
		out := make([]any, len(x))
		for i := range x {
			out[i] = normalize(x[i])
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case int64:
		return int(x)
	}
	return v
}

// TestExtractConformance runs the mention, reply, URL and hashtag groups of
// extract.yml. Every case must pass; the pass count of each group is logged.
func TestExtractConformance(t *testing.T) {
	var f extractFile
	loadYAML(t, "extract.yml", &f)
	names := make([]string, 0, len(extractGroups))
	for name := range extractGroups {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		cases := f.Tests[name]
		if len(cases) == 0 {
			t.Errorf("extract.yml has no %s cases", name)
			continue
		}
		extract := extractGroups[name]
		passed := 0
		for i, tc := range cases {
			ok := t.Run(fmt.Sprintf("%s/%d/%s", name, i, tc.Description), func(t *testing.T) {
				got, want := normalize(extract(tc.Text)), normalize(tc.Expected)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("text %q:\n got  %#v\n want %#v", tc.Text, got, want)
				}
			})
			if ok {
				passed++
			}
		}
		t.Logf("%s: %d/%d passed", name, passed, len(cases))
	}
}

// TestTLDConformance runs tlds.yml: every TLD twitter-text knows ends a URL.
func TestTLDConformance(t *testing.T) {
	var f struct {
		Tests map[string][]struct {
			Description string   `yaml:"description"`
			Text        string   `yaml:"text"`
			Expected    []string `yaml:"expected"`
		} `yaml:"tests"`
	}
	loadYAML(t, "tlds.yml", &f)
	for _, group := range []string{"country", "generic"} {
		cases := f.Tests[group]
		if len(cases) == 0 {
			t.Fatalf("tlds.yml has no %s cases", group)
		}
		failed := 0
		for _, tc := range cases {
			got := values(ExtractURLs(tc.Text))
			if len(got) != len(tc.Expected) || len(got) == 1 && got[0] != tc.Expected[0] {
				failed++
				t.Errorf("%s: ExtractURLs(%q) = %q, want %q", group, tc.Text, got, tc.Expected)
			}
		}
		t.Logf("tlds %s: %d/%d passed", group, len(cases)-failed, len(cases))
	}
}

func TestExtractURLsWithProtocol(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []any
	}{
		{"both kinds", "see example.com and https://example.org/x", []any{"https://example.org/x"}},
		{"no colon", "example.com t.co/abc", nil},
		{"t.co slug", "http://t.co/abc's", []any{"http://t.co/abc"}},
		{"protocol-less match is skipped whole", "foo.com/http://bar.com", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := values(ExtractURLsWithProtocol(tt.text)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ExtractURLsWithProtocol(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestHashtagLetters(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []any
	}{
		{"Latin", "#café", []any{"café"}},
		{"digits only", "#2026", nil},
		{"Apple private-use letter", "#a\uF870", []any{"a\uF870"}},
		{"other private use", "#a\uE000", []any{"a"}},
		{"letter newer than twitter-text's tables", "#\u0560", []any{"\u0560"}},
		{"keycap is no hashtag", "#\uFE0F\u20E3", nil},
		{"after an ampersand", "&#39;", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := values(ExtractHashtags(tt.text)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ExtractHashtags(%+q) = %+q, want %+q", tt.text, got, tt.want)
			}
		})
	}
}

func TestExtractEntities(t *testing.T) {
	text := "RT @alice: see https://social.example.org/@bob #news $TWTR @carol/list"
	var got []string
	for _, e := range ExtractEntities(text) {
		if text[e.Start:e.End] == "" {
			t.Fatalf("empty entity %+v", e)
		}
		got = append(got, e.Kind.String()+":"+e.Value+e.ListSlug)
	}
	want := []string{"mention:alice", "url:https://social.example.org/@bob", "hashtag:news", "cashtag:TWTR", "mention:carol/list"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ExtractEntities = %q, want %q", got, want)
	}
	if ExtractEntities("nothing here") != nil {
		t.Error("entities in plain text")
	}
	if s := Kind(9).String(); s != "kind(9)" {
		t.Errorf("Kind(9) = %q", s)
	}
}
