package twittertest

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run with -update if the change is meant.\ngot:\n%s", name, got)
	}
}

// TestGoldenTimeline pins the whole answer of a timeline read with every
// field and expansion: a post with a link, mention and hashtag, a photo
// post, a reply, a quote, an edit and a retweet. The server's address is
// replaced by http://fake so the file does not depend on the port.
func TestGoldenTimeline(t *testing.T) {
	clk := newClock()
	s := New(t, Options{Now: clk.Now, CanEdit: true})
	bob := s.CreateUser("bob")
	c := newClient(t, s, s.Alice())
	step := func() { clk.Advance(time.Minute) }
	first := s.Post(PostOpts{Text: "Hello @bob & friends: https://example.com/news #dualpower"})
	step()
	s.Post(PostOpts{Text: "A picture", Media: []MediaOpts{{Type: "photo", Data: pngImage, AltText: "A red square"}}})
	step()
	theirs := bob.Post(PostOpts{Text: "bob's video", Media: []MediaOpts{{Type: "video", Data: []byte("mp4"), AltText: "A clip"}}})
	step()
	reply := s.PostAsUser("a self-reply", first)
	step()
	s.EditAsUser(reply, "a self-reply, edited")
	step()
	s.Post(PostOpts{Text: "quoting bob", QuoteOf: theirs})
	step()
	s.Retweet(theirs)
	step()
	a := c.do("GET", "/2/users/"+s.UserID()+"/tweets?max_results=10"+
		"&tweet.fields=attachments,author_id,conversation_id,created_at,edit_controls,edit_history_tweet_ids,entities,in_reply_to_user_id,possibly_sensitive,referenced_tweets"+
		"&expansions=attachments.media_keys,author_id,referenced_tweets.id,referenced_tweets.id.author_id,edit_history_tweet_ids"+
		"&media.fields=alt_text,height,media_key,preview_image_url,type,url,variants,width,duration_ms&user.fields=created_at,username", nil).want(t, 200)
	var v any
	if err := json.Unmarshal(a.raw, &v); err != nil {
		t.Fatal(err)
	}
	out, _ := json.MarshalIndent(v, "", "  ")
	out = []byte(strings.ReplaceAll(string(out), s.URL(), "http://fake") + "\n")
	checkGolden(t, "timeline.golden.json", out)
}
