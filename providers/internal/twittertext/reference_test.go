package twittertext

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"testing"
)

// referenceCase is one line of testdata/reference/cases.jsonl.gz: a random
// text and what twitter-text 3.1.0 for JavaScript (the reference this port
// follows) reports for it. testdata/reference/gen.js makes the file.
type referenceCase struct {
	Text     string  `json:"text"`
	V2       [7]any  `json:"v2"` // weightedLength, permillage, valid, display start, end, valid start, end
	V3       [7]any  `json:"v3"`
	URLs     [][]any `json:"urls"`     // url, start, end (UTF-16)
	Mentions [][]any `json:"mentions"` // screen name, list slug, start, end
	Hashtags [][]any `json:"hashtags"` // hashtag, start, end
	Cashtags [][]any `json:"cashtags"` // cashtag, start, end
	Entities [][]any `json:"entities"` // kind, value (a list mention with its slug), start, end
}

func loadReference(t *testing.T) []referenceCase {
	t.Helper()
	f, err := os.Open("testdata/reference/cases.jsonl.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var cases []referenceCase
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var c referenceCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("case %d: %v", len(cases)+1, err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

// asJSON renders a result the way the reference file stores it.
func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestReferenceCorpus compares Parse and the extractors with the reference
// implementation on 3,100 random texts full of edge cases (URLs glued to
// CJK, astral characters, emoji sequences, directional marks, invalid
// characters, decomposed accents).
func TestReferenceCorpus(t *testing.T) {
	cases := loadReference(t)
	if len(cases) < 3000 {
		t.Fatalf("only %d reference cases", len(cases))
	}
	failures := map[string]int{}
	fail := func(kind string, c referenceCase, got, want string) {
		failures[kind]++
		if failures[kind] <= 5 {
			t.Errorf("%s of %+q:\n got  %s\n want %s", kind, c.Text, got, want)
		}
	}
	for _, c := range cases {
		for _, v := range []struct {
			name string
			cfg  Config
			want [7]any
		}{{"parse v2", V2, c.V2}, {"parse v3", V3, c.V3}} {
			r := Parse(c.Text, v.cfg)
			want := v.want
			if blank([]rune(c.Text)) {
				want[2] = false // a blank text is invalid here (see the package doc)
			}
			got := [7]any{r.WeightedLength, r.Permillage, r.Valid, r.DisplayRangeStart, r.DisplayRangeEnd, r.ValidRangeStart, r.ValidRangeEnd}
			if g, w := asJSON(got), asJSON(want); g != w {
				fail(v.name, c, g, w)
			}
		}
		urls := [][]any{}
		for _, e := range ExtractURLs(c.Text) {
			urls = append(urls, []any{e.Value, e.UTF16Start, e.UTF16End})
		}
		if g, w := asJSON(urls), asJSON(c.URLs); g != w {
			fail("urls", c, g, w)
		}
		mentions := [][]any{}
		for _, e := range ExtractMentionsOrLists(c.Text) {
			mentions = append(mentions, []any{e.Value, e.ListSlug, e.UTF16Start, e.UTF16End})
		}
		if g, w := asJSON(mentions), asJSON(c.Mentions); g != w {
			fail("mentions", c, g, w)
		}
		tags := [][]any{}
		for _, e := range ExtractHashtags(c.Text) {
			tags = append(tags, []any{e.Value, e.UTF16Start, e.UTF16End})
		}
		if g, w := asJSON(tags), asJSON(c.Hashtags); g != w {
			fail("hashtags", c, g, w)
		}
		cash := [][]any{}
		for _, e := range ExtractCashtags(c.Text) {
			cash = append(cash, []any{e.Value, e.UTF16Start, e.UTF16End})
		}
		if g, w := asJSON(cash), asJSON(c.Cashtags); g != w {
			fail("cashtags", c, g, w)
		}
		entities := [][]any{}
		for _, e := range ExtractEntities(c.Text) {
			entities = append(entities, []any{e.Kind.String(), e.Value + e.ListSlug, e.UTF16Start, e.UTF16End})
		}
		if g, w := asJSON(entities), asJSON(c.Entities); g != w {
			fail("entities", c, g, w)
		}
	}
	if len(failures) > 0 {
		t.Errorf("%d cases, failures by kind: %v", len(cases), failures)
	}
	t.Logf("%d reference cases", len(cases))
}
