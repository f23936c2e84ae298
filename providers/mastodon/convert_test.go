package mastodon

import (
	"encoding/json"
	"testing"

	"github.com/dualpower/dualpower/providers"
)

func TestQuoteShapes(t *testing.T) {
	tests := []struct {
		name     string
		json     string
		wantID   string
		wantPost bool
	}{
		{"mastodon quote", `{"state":"accepted","quoted_status":{"id":"9","content":"<p>q</p>","account":{"id":"3","acct":"carol@other.example"}}}`, "9", true},
		{"shallow quote", `{"state":"accepted","quoted_status_id":"9"}`, "9", false},
		{"pending quote", `{"state":"pending","quoted_status":null}`, "", false},
		{"revoked shallow", `{"state":"revoked","quoted_status_id":null}`, "", false},
		{"akkoma bare status", `{"id":"9","content":"<p>q</p>","account":{"id":"3","acct":"carol@other.example"}}`, "9", true},
		{"null", `null`, "", false},
		{"not an object", `"9"`, "", false},
	}
	p := testProvider(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s status
			if err := json.Unmarshal([]byte(`{"id":"1","content":"","account":{"id":"1"},"quote":`+tt.json+`}`), &s); err != nil {
				t.Fatal(err)
			}
			post := p.toPost(&s, account{ID: "1", Acct: "alice"}, "social.example")
			switch {
			case tt.wantID == "" && post.QuoteOf != nil:
				t.Errorf("QuoteOf = %+v, want none", post.QuoteOf)
			case tt.wantID != "" && (post.QuoteOf == nil || post.QuoteOf.ID != tt.wantID):
				t.Errorf("QuoteOf = %+v, want ID %s", post.QuoteOf, tt.wantID)
			case tt.wantPost && (post.QuoteOf.Post == nil || post.QuoteOf.Post.Text != "q" || post.QuoteOf.Author != "carol@other.example"):
				t.Errorf("QuoteOf = %+v, want the quoted post by carol", post.QuoteOf)
			}
		})
	}
}

func TestVisibilityOf(t *testing.T) {
	for in, want := range map[string]providers.Visibility{
		"public": providers.Public, "unlisted": providers.Unlisted, "private": providers.Private, "direct": providers.Direct,
		"local": providers.Private, "mutuals_only": providers.Private, "": providers.Private,
	} {
		if got := visibilityOf(in); got != want {
			t.Errorf("visibilityOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReplyAuthor(t *testing.T) {
	p := testProvider(t)
	var s status
	raw := `{"id":"2","content":"<p>hi</p>","account":{"id":"1","acct":"alice"},"in_reply_to_id":"50","in_reply_to_account_id":"7",
		"mentions":[{"id":"7","username":"bob","acct":"bob","url":"https://social.example/@bob"}]}`
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		t.Fatal(err)
	}
	post := p.toPost(&s, account{ID: "1", Acct: "alice"}, "social.example")
	if post.ReplyTo == nil || post.ReplyTo.ID != "50" || post.ReplyTo.Self || post.ReplyTo.Author != "bob@social.example" {
		t.Errorf("ReplyTo = %+v, want a reply to bob@social.example's 50", post.ReplyTo)
	}
}
