package twitter

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
)

// FuzzClassify: any status, header and body make a *providers.Error that
// names the network and carries no credential, without panicking.
func FuzzClassify(f *testing.F) {
	f.Add(429, "1800000000", "0", `{"title":"Too Many Requests","type":"about:blank"}`)
	f.Add(403, "", "", `{"errors":[{"code":187,"message":"Status is a duplicate."}]}`)
	f.Add(403, "", "", `{"type":"https://api.x.com/2/problems/client-forbidden","reason":"client-not-enrolled"}`)
	f.Add(429, "x", "-1", `{"type":"https://api.twitter.com/2/problems/usage-capped","period":"Daily"}`)
	f.Add(200, "", "", `{"errors":null}`)
	f.Add(999, "99999999999999999999", "", "\xff\xfe")
	p := &Provider{secrets: testSecrets, now: time.Now}
	f.Fuzz(func(t *testing.T, status int, reset, remaining, body string) {
		h := http.Header{}
		h.Set("x-rate-limit-reset", reset)
		h.Set("x-user-limit-24hour-remaining", remaining)
		h.Set("x-user-limit-24hour-reset", reset)
		for _, op := range []string{"publish", "poll", "edit"} {
			err := p.classify(op, &http.Response{StatusCode: status, Header: h}, []byte(body+testConsumerSecret), nil)
			e, ok := err.(*providers.Error)
			if !ok || e.Network != Name || e.Op != op {
				t.Fatalf("classify = %#v", err)
			}
			if strings.Contains(e.Error(), testConsumerSecret) {
				t.Fatalf("a secret in %q", e.Error())
			}
		}
	})
}

// FuzzTimelineAnswer: any answer body decodes and converts without
// panicking, and the posts' entities point where they say.
func FuzzTimelineAnswer(f *testing.F) {
	if raw, err := os.ReadFile(filepath.Join("testdata", "timeline.json")); err == nil {
		f.Add(raw)
	}
	f.Add([]byte(`{"data":[{"id":"1","text":"&amp;@a","entities":{"mentions":[{"start":0,"end":99,"username":"a"}]},"edit_history_tweet_ids":["x"],"referenced_tweets":[{"type":"quoted","id":"1"}]}],"includes":{"tweets":[{"id":"1","referenced_tweets":[{"type":"quoted","id":"1"}]}]}}`))
	p := &Provider{account: "alice-x"}
	knowMe(p)
	f.Fuzz(func(t *testing.T, body []byte) {
		var r timelineResponse
		if json.Unmarshal(body, &r) != nil {
			return
		}
		c := p.converter(r.Includes)
		for _, tw := range r.Data {
			ev := c.event(tw)
			checkEntities(t, ev.Post)
		}
	})
}
