package bridge

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dualpower/dualpower/config"
	"github.com/dualpower/dualpower/providers"
)

func defaultRules() config.Rules {
	return config.Rules{
		Visibility: []providers.Visibility{providers.Public, providers.Unlisted},
		Replies:    "self", Reposts: "skip", Quotes: "link", Sensitive: "skip",
		ExcludeTags: []string{"nobridge"}, Mentions: "handle", Overflow: "thread",
		Media: true, Edits: "mirror", Deletes: "mirror",
	}
}

func charLimits(max int) providers.Limits {
	return providers.Limits{MaxLength: max, Length: func(s string) int { return utf8.RuneCountInString(s) }, URLLength: 23, MaxMedia: 4, MaxImageSize: 1 << 20, MaxVideoSize: 1 << 22, MaxAltLength: 10}
}

// post builds a post whose entities are found in text: @handles and #tags.
func post(text string) *providers.Post {
	p := &providers.Post{Text: text, Visibility: providers.Public, URL: "https://social.example/@alice/1"}
	for i := 0; i < len(text); i++ {
		if text[i] != '@' && text[i] != '#' {
			continue
		}
		j := i + 1
		for j < len(text) && text[j] != ' ' && text[j] != '\n' && text[j] != ',' {
			j++
		}
		if text[i] == '@' {
			p.Mentions = append(p.Mentions, providers.Mention{Start: i, End: j, Handle: text[i+1 : j], URL: "https://profile.example/" + text[i+1:j]})
		} else {
			p.Tags = append(p.Tags, providers.Tag{Start: i, End: j, Name: text[i+1 : j]})
		}
		i = j
	}
	return p
}

func TestRenderMentions(t *testing.T) {
	ids := NewIdentities(map[string]string{"@alice@social.example": "@alice_x"})
	tests := []struct {
		name, mode, network, text string
		want                      string
		mentions                  []string
	}{
		{"mapped to x", "handle", "twitter", "hi @alice@social.example", "hi @alice_x", []string{"alice_x"}},
		{"mapped to mastodon", "handle", "mastodon", "hi @alice_x", "hi @alice@social.example", []string{"alice@social.example"}},
		{"unmapped stays a fediverse handle on x", "handle", "twitter", "hi @bob@other.example", "hi @bob@other.example", nil},
		{"unmapped x handle gets a host on mastodon", "handle", "mastodon", "hi @bob", "hi @bob@x.com", []string{"bob@x.com"}},
		{"link", "link", "twitter", "hi @bob@other.example!", "hi https://profile.example/bob@other.example!", nil},
		{"drop", "drop", "twitter", "@bob@other.example thanks", "thanks", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := defaultRules()
			r.Mentions = tt.mode
			got, err := Render(post(tt.text), r, ids, target{Network: tt.network, Limits: charLimits(500)})
			if err != nil {
				t.Fatal(err)
			}
			if got.Parts[0] != tt.want || !slices.Equal(got.Mentions, tt.mentions) {
				t.Errorf("got %q mentions %q, want %q mentions %q", got.Parts[0], got.Mentions, tt.want, tt.mentions)
			}
		})
	}
}

func TestRenderShapes(t *testing.T) {
	long := strings.Repeat("word ", 30) // 150 characters
	tests := []struct {
		name    string
		p       *providers.Post
		rules   func(*config.Rules)
		network string
		max     int
		want    []string
		cw      string
		skip    bool
	}{
		{name: "strip tags", p: post("hello #bridged world"), rules: func(r *config.Rules) { r.StripTags = []string{"Bridged"} }, want: []string{"hello world"}},
		{name: "footer", p: post("hello"), rules: func(r *config.Rules) { r.Footer = "(from Mastodon)" }, want: []string{"hello\n\n(from Mastodon)"}},
		{name: "cw heads the text on x", p: &providers.Post{Text: "spoiler", ContentWarning: "film"}, network: "twitter", want: []string{"CW: film\n\nspoiler"}},
		{name: "cw stays a cw on mastodon", p: &providers.Post{Text: "spoiler", ContentWarning: "film"}, want: []string{"spoiler"}, cw: "film"},
		{name: "thread", p: post(long), max: 100, want: []string{strings.TrimSpace(strings.Repeat("word ", 20)), strings.TrimSpace(strings.Repeat("word ", 10))}},
		{name: "footer joins the last part or follows it", p: post(long), max: 100, rules: func(r *config.Rules) { r.Footer = strings.Repeat("f", 60) },
			want: []string{strings.TrimSpace(strings.Repeat("word ", 20)), strings.TrimSpace(strings.Repeat("word ", 10)), strings.Repeat("f", 60)}},
		{name: "truncate with a link", p: post(long), max: 80, rules: func(r *config.Rules) { r.Overflow = "truncate" },
			want: []string{strings.TrimSpace(strings.Repeat("word ", 9)) + "… https://social.example/@alice/1"}},
		{name: "overflow skip", p: post(long), max: 80, rules: func(r *config.Rules) { r.Overflow = "skip" }, skip: true},
		{name: "quote as a link", p: &providers.Post{Text: "look", QuoteOf: &providers.PostLink{ID: "9", URL: "https://social.example/@bob/9"}}, want: []string{"look\n\nhttps://social.example/@bob/9"}},
		{name: "repost as a link", p: &providers.Post{RepostOf: &providers.PostLink{ID: "9", URL: "https://social.example/@bob/9"}}, want: []string{"🔁 https://social.example/@bob/9"}},
		{name: "media left out links the original", p: &providers.Post{Text: "pic", URL: "https://social.example/@alice/1", Media: []providers.Media{{Type: providers.Audio, URL: "https://social.example/a.mp3"}}}, want: []string{"pic\n\nhttps://social.example/@alice/1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := defaultRules()
			if tt.rules != nil {
				tt.rules(&r)
			}
			network, max := tt.network, tt.max
			if network == "" {
				network = "mastodon"
			}
			if max == 0 {
				max = 500
			}
			got, err := Render(tt.p, r, nil, target{Network: network, Limits: charLimits(max)})
			var se *skipError
			if tt.skip {
				if !errors.As(err, &se) {
					t.Fatalf("want a skip, got %v, %+v", err, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Parts, tt.want) || got.ContentWarning != tt.cw {
				t.Errorf("got %q cw %q\nwant %q cw %q", got.Parts, got.ContentWarning, tt.want, tt.cw)
			}
			for i, p := range got.Parts {
				if n := utf8.RuneCountInString(p); n > max {
					t.Errorf("part %d measures %d > %d", i, n, max)
				}
			}
		})
	}
}

func TestDecide(t *testing.T) {
	l := &config.Link{Rules: defaultRules()}
	tests := []struct {
		name   string
		p      *providers.Post
		rules  func(*config.Rules)
		reason string // "" mirrors
	}{
		{name: "public", p: post("hi")},
		{name: "private", p: &providers.Post{Text: "hi", Visibility: providers.Private}, reason: "visibility private"},
		{name: "self reply", p: &providers.Post{Text: "hi", ReplyTo: &providers.PostLink{ID: "1", Self: true}}},
		{name: "reply to other", p: &providers.Post{Text: "hi", ReplyTo: &providers.PostLink{ID: "1"}}, reason: "reply to someone else"},
		{name: "replies none", p: &providers.Post{Text: "hi", ReplyTo: &providers.PostLink{ID: "1", Self: true}}, rules: func(r *config.Rules) { r.Replies = "none" }, reason: "reply (replies: none)"},
		{name: "repost skipped", p: &providers.Post{RepostOf: &providers.PostLink{ID: "1"}}, reason: "repost (reposts: skip)"},
		{name: "cw skipped", p: &providers.Post{Text: "x", ContentWarning: "cw"}, reason: "content warning or sensitive media (sensitive: skip)"},
		{name: "cw warned", p: &providers.Post{Text: "x", ContentWarning: "cw"}, rules: func(r *config.Rules) { r.Sensitive = "warn" }},
		{name: "nobridge", p: post("hi #NoBridge"), reason: "excluded tag #nobridge"},
		{name: "include tags", p: post("hi"), rules: func(r *config.Rules) { r.IncludeTags = []string{"bridge"} }, reason: "none of the include_tags"},
		{name: "include tags hit", p: post("hi #Bridge"), rules: func(r *config.Rules) { r.IncludeTags = []string{"bridge"} }},
		{name: "excluded word", p: post("buy crypto now"), rules: func(r *config.Rules) { r.ExcludeWords = []string{"Crypto"} }, reason: `excluded word "Crypto"`},
		{name: "word inside another is fine", p: post("cryptography"), rules: func(r *config.Rules) { r.ExcludeWords = []string{"crypto"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ll := *l
			if tt.rules != nil {
				tt.rules(&ll.Rules)
			}
			err := decide(&ll, tt.p, testNow)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.reason {
				t.Errorf("decide = %q, want %q", got, tt.reason)
			}
		})
	}
}
