package twittertext

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

func TestPunycodeEncode(t *testing.T) {
	tests := []struct{ in, want string }{ // RFC 3492 section 7.1 and common labels
		{"bücher", "bcher-kva"},
		{"münchen", "mnchen-3ya"},
		{"他们为什么不说中文", "ihqwcrb4cv8a8dqg056pqjye"},
		{"そのスピードで", "d9juau41awczczp"},
		{"3年B組金八先生", "3B-ww4c5e180e575a65lsy2b"},
		{"ليهمابتكلموشعربي؟", "egbpdaj6bu4bxfgehfvwxn"},
		{"abc", "abc-"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := punycodeEncode([]rune(tt.in))
			if !ok || got != tt.want {
				t.Errorf("punycodeEncode(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		cfg    Config
		length int
		valid  bool
	}{
		{"empty", "", V3, 0, false},
		{"only spaces", " \n\t\u3000 ", V3, 6, false},
		{"one letter", "a", V3, 1, true},
		{"exactly 280", strings.Repeat("a", 280), V3, 280, true},
		{"281", strings.Repeat("a", 281), V3, 281, false},
		{"140 CJK", strings.Repeat("中", 140), V3, 280, true},
		{"141 CJK", strings.Repeat("中", 141), V3, 282, false},
		{"URL counts 23", "see https://example.com/a/very/long/path/that/goes/on/and/on?x=1", V3, 4 + 23, true},
		{"URL without protocol", "see example.com", V3, 4 + 23, true},
		{"fediverse handle is no URL", "@alice@social.example", V3, 21, true},
		{"URL of a fediverse profile", "https://mastodon.social/@alice", V3, 23, true},
		{"reserved TLD is no URL", "https://social.example/@alice", V3, 29, true},
		{"emoji counts 2", "👍🏽", V3, 2, true},
		{"emoji without emoji parsing", "👍🏽", V2, 4, true},
		{"V1 counts code points", "héllo 中", V1, 7, true},
		{"invalid character", "a\uFFFEb", V3, 4, false},
		{"BOM", "\uFEFFhello", V3, 7, false},
		{"decomposed accents are composed first", "e\u0301", V3, 1, true},
		{"invalid UTF-8 weighs as U+FFFD", "a\xffb", V3, 4, true},
		{"broken config scale", "abc", Config{MaxWeightedTweetLength: 10, DefaultWeight: 1}, 3, true},
		{"broken config max", "abc", Config{Scale: 1, DefaultWeight: 1}, 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Parse(tt.text, tt.cfg)
			if got.WeightedLength != tt.length || got.Valid != tt.valid {
				t.Errorf("Parse(%q) = length %d valid %v, want %d %v", tt.text, got.WeightedLength, got.Valid, tt.length, tt.valid)
			}
		})
	}
}

func TestLength(t *testing.T) {
	text := "Hello 👋 https://example.org/x 中文"
	if got, want := Length(text), Parse(text, V3).WeightedLength; got != want || got != 6+2+1+23+1+4 {
		t.Errorf("Length = %d, Parse = %d, want %d", got, want, 6+2+1+23+1+4)
	}
}

func TestConfigs(t *testing.T) {
	tests := []struct {
		name    string
		c       Config
		max     int
		scale   int
		emoji   bool
		nRanges int
	}{
		{"V1", V1, 140, 1, false, 0},
		{"V2", V2, 280, 100, false, 4},
		{"V3", V3, 280, 100, true, 4},
		{"Default", Default, 280, 100, true, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.c.MaxWeightedTweetLength != tt.max || tt.c.Scale != tt.scale || tt.c.EmojiParsingEnabled != tt.emoji ||
				len(tt.c.Ranges) != tt.nRanges || tt.c.TransformedURLLength != 23 {
				t.Errorf("config = %+v", tt.c)
			}
			if err := tt.c.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
	bad := []string{`{`, `{"scale":0,"maxWeightedTweetLength":1}`, `{"scale":1,"maxWeightedTweetLength":1,"ranges":[{"start":5,"end":1}]}`}
	for _, raw := range bad {
		if _, err := ParseConfig([]byte(raw)); err == nil {
			t.Errorf("ParseConfig(%s) accepted", raw)
		}
	}
}

func TestTrimToWeight(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("x", 300)
	tests := []struct {
		name     string
		text     string
		max      int
		wantHead string
	}{
		{"fits", "hello", 10, "hello"},
		{"plain cut", "abcdefghij", 4, "abcd"},
		{"CJK weighs 2", "中文中文", 5, "中文"},
		{"never splits an emoji sequence", "ab👨\u200D👩\u200D👧\u200D👦cd", 3, "ab"},
		{"emoji fits whole", "ab👨\u200D👩\u200D👧\u200D👦cd", 4, "ab👨\u200D👩\u200D👧\u200D👦"},
		{"never splits a grapheme", "ab\u0915\u094D\u0937x", 3, "ab"},
		{"never splits a URL", "see " + long, 10, "see "},
		{"URL fits whole", "see " + long + " more", 27, "see " + long},
		{"cut that would make a URL", "aaaaaa.comxyz", 10, "aaaaaa.c"},
		{"first piece too heavy", "中", 1, ""},
		{"negative max", "abc", -1, ""},
		{"normalises", "e\u0301e\u0301e\u0301", 2, "éé"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			head, rest := TrimToWeight(tt.text, tt.max, V3)
			if head != tt.wantHead {
				t.Errorf("head = %q, want %q", head, tt.wantHead)
			}
			if got := Parse(head, V3).WeightedLength; got > tt.max && head != "" {
				t.Errorf("head weighs %d > %d", got, tt.max)
			}
			if head+rest != norm.NFC.String(tt.text) {
				t.Errorf("head+rest = %q, want the NFC text", head+rest)
			}
		})
	}
}

// TestHostileInputsStayFast feeds long texts built to make a backtracking
// matcher slow (chains of labels, runs of domain characters, unbalanced
// parentheses, walls of '@' and '#'). Each takes milliseconds; before the
// domain matcher remembered its work, "a.a.a.…" took minutes. The budget is
// generous so that a loaded machine does not fail it.
func TestHostileInputsStayFast(t *testing.T) {
	n := 10000 // about 20,000 characters per input
	if raceEnabled {
		n = 2500
	}
	inputs := map[string]string{
		"label chain":       strings.Repeat("a.", n),
		"CJK label chain":   strings.Repeat("中.", n),
		"underscore labels": strings.Repeat("a_b.", n/2),
		"dashed run":        strings.Repeat("ab-", n*2/3) + ".com",
		"CJK run":           strings.Repeat("中", 2*n) + ".",
		"open parentheses":  "http://a.com/" + strings.Repeat("(a", n/2),
		"balanced parens":   "http://a.com/" + strings.Repeat("(a)", n/2) + "!",
		"query punctuation": "http://a.com?" + strings.Repeat("!", 2*n),
		"at signs":          strings.Repeat("@", 2*n),
		"hash tags":         strings.Repeat("#a", n),
		"protocols":         strings.Repeat("http://", n/3),
		"punycode labels":   "http://" + strings.Repeat("xn--a.", n/3),
		"ZWJ chain":         strings.Repeat("👨\u200D", n),
	}
	start := time.Now()
	for name, s := range inputs {
		r := Parse(s, V3)
		if r.WeightedLength <= 0 {
			t.Errorf("%s: weighs %d", name, r.WeightedLength)
		}
		ExtractURLs(s)
		ExtractMentions(s)
		ExtractHashtags(s)
		if head, rest := TrimToWeight(s, 280, V3); head+rest != s {
			t.Errorf("%s: TrimToWeight lost text", name)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("hostile inputs took %v", d)
	}
}
