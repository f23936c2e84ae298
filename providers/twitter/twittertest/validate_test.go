package twittertest

import (
	"encoding/json"
	"testing"
)

// FuzzCheckCreate: any JSON object goes through the request check without
// panicking, and what the check accepts decodes into the fields the
// handler reads.
func FuzzCheckCreate(f *testing.F) {
	for _, seed := range []string{
		`{"text":"hi"}`, `{"text":"hi","colour":"red"}`, `{"media":{"media_ids":["1","2"]}}`,
		`{"poll":{"options":["a","b"],"duration_minutes":5}}`, `{"reply":{"in_reply_to_tweet_id":"1"}}`,
		`{"edit_options":{"previous_post_id":"x"}}`, `{"media":{"media_ids":[1e400]}}`, `{"poll":{"duration_minutes":99999999999999999999}}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var raw map[string]json.RawMessage
		if json.Unmarshal([]byte(body), &raw) != nil {
			return
		}
		errs := checkObject("$", raw, createSchema)
		for _, e := range errs {
			if e.Message == "" {
				t.Fatal("an empty message")
			}
		}
		if len(errs) == 0 {
			var v struct {
				Text  string `json:"text"`
				Media *struct {
					IDs []string `json:"media_ids"`
				} `json:"media"`
				Reply *struct {
					ID string `json:"in_reply_to_tweet_id"`
				} `json:"reply"`
			}
			if err := json.Unmarshal([]byte(body), &v); err != nil {
				t.Fatalf("accepted %s, which does not decode: %v", body, err)
			}
			if v.Media != nil && (len(v.Media.IDs) < 1 || len(v.Media.IDs) > 4) {
				t.Fatalf("accepted %d media IDs", len(v.Media.IDs))
			}
		}
	})
}
