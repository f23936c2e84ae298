package twittertest

import (
	"bytes"
	"fmt"
	"math/rand"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

var tcoRE = regexp.MustCompile(`^https://t\.co/[0-9A-Za-z]{10}$`)

// TestPostShape reads back a post with a link, a mention, a hashtag and
// characters X escapes: t.co links, entities in code points of the
// unescaped text, escaped "text".
func TestPostShape(t *testing.T) {
	s := New(t, Options{})
	bob := s.CreateUser("Bob_1")
	c := newClient(t, s, s.Alice())
	src := "café <3 & @bob_1 see https://example.com/a/very/long/path?q=1 #Grève and example.org, not @ghost@mastodon.example"
	id := c.post(map[string]any{"text": src})
	a := c.do("GET", "/2/tweets/"+id+"?tweet.fields=entities,author_id,created_at,conversation_id,possibly_sensitive&expansions=entities.mentions.username,author_id", nil).want(t, 200)
	text := a.str("data", "text")
	unescaped := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">").Replace(text)
	if !strings.HasPrefix(text, "café &lt;3 &amp; @bob_1 see https://t.co/") {
		t.Errorf("text %q", text)
	}
	runes := []rune(unescaped)
	slice := func(e map[string]any) string {
		return string(runes[int(e["start"].(float64)):int(e["end"].(float64))])
	}
	urls := a.get("data", "entities", "urls").([]any)
	if len(urls) != 2 {
		t.Fatalf("urls %v", urls)
	}
	for i, want := range []struct{ expanded, display string }{
		{"https://example.com/a/very/long/path?q=1", "example.com/a/very/long…"},
		{"http://example.org", "example.org"},
	} {
		u := urls[i].(map[string]any)
		if !tcoRE.MatchString(u["url"].(string)) || slice(u) != u["url"] || u["expanded_url"] != want.expanded || u["display_url"] != want.display {
			t.Errorf("url %d: %v (text there %q)", i, u, slice(u))
		}
	}
	mentions := a.get("data", "entities", "mentions").([]any)
	if len(mentions) != 1 {
		t.Fatalf("mentions %v: a handle followed by '@' is no mention", mentions)
	}
	m := mentions[0].(map[string]any)
	if m["username"] != "Bob_1" || m["id"] != bob.ID() || slice(m) != "@bob_1" {
		t.Errorf("mention %v", m)
	}
	h := a.get("data", "entities", "hashtags", 0).(map[string]any)
	if h["tag"] != "Grève" || slice(h) != "#Grève" {
		t.Errorf("hashtag %v", h)
	}
	users := a.get("includes", "users").([]any)
	if len(users) != 2 {
		t.Errorf("includes.users %v: the author and the mentioned user", users)
	}
	if a.str("data", "conversation_id") != id || a.str("data", "author_id") != s.UserID() {
		t.Errorf("conversation/author: %s", a.raw)
	}
	if st, _ := s.Lookup(id); st.Text != src {
		t.Errorf("Lookup keeps %q, want the text as written", st.Text)
	}
}

// TestReferencedPosts: replies, quotes and retweets carry
// referenced_tweets, in_reply_to_user_id, conversation_id and their
// includes; a deleted reference is a problem in "errors".
func TestReferencedPosts(t *testing.T) {
	s := New(t, Options{})
	bob := s.CreateUser("bob")
	c := newClient(t, s, s.Alice())
	root := bob.Post(PostOpts{Text: "root by bob, with a picture", Media: []MediaOpts{{Type: "photo", Data: pngImage, AltText: "red"}}})
	reply := c.post(map[string]any{"text": "alice replies", "reply": map[string]any{"in_reply_to_tweet_id": root}})
	reply2 := s.PostAsUser("alice again", reply)
	quote := s.Post(PostOpts{Text: "alice quotes", QuoteOf: root})
	rt := s.Retweet(root)
	if again := s.Retweet(root); again != rt {
		t.Errorf("a second retweet made %s, want the first %s", again, rt)
	}
	q := "?tweet.fields=referenced_tweets,in_reply_to_user_id,conversation_id,attachments&expansions=referenced_tweets.id,referenced_tweets.id.author_id,referenced_tweets.id.attachments.media_keys,in_reply_to_user_id&media.fields=alt_text,url,width,height"
	a := c.do("GET", "/2/tweets/"+reply2+q, nil).want(t, 200)
	if a.str("data", "conversation_id") != root || a.str("data", "in_reply_to_user_id") != s.UserID() ||
		a.str("data", "referenced_tweets", 0, "type") != "replied_to" || a.str("data", "referenced_tweets", 0, "id") != reply {
		t.Errorf("reply: %s", a.raw)
	}
	a = c.do("GET", "/2/tweets/"+rt+q, nil).want(t, 200)
	if a.str("data", "text") != "RT @bob: root by bob, with a picture "+a.str("includes", "tweets", 0, "text")[len("root by bob, with a picture "):] ||
		a.str("data", "referenced_tweets", 0, "type") != "retweeted" || a.str("includes", "tweets", 0, "id") != root ||
		a.str("includes", "users", 0, "username") != "bob" || a.str("includes", "media", 0, "alt_text") != "red" {
		t.Errorf("retweet: %s", a.raw)
	}
	if a.get("includes", "media", 0, "width") != float64(4) || !strings.HasSuffix(a.str("includes", "media", 0, "url"), ".png") {
		t.Errorf("photo: %s", a.raw)
	}
	a = c.do("GET", "/2/tweets/"+quote+q, nil).want(t, 200)
	if a.str("data", "referenced_tweets", 0, "type") != "quoted" {
		t.Errorf("quote: %s", a.raw)
	}
	// The photo downloads.
	resp, err := http.Get(c.do("GET", "/2/tweets/"+root+"?expansions=attachments.media_keys&media.fields=url", nil).want(t, 200).str("includes", "media", 0, "url"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("photo download: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	bob.Delete(root)
	a = c.do("GET", "/2/tweets/"+quote+q, nil).want(t, 200)
	if a.str("errors", 0, "parameter") != "referenced_tweets.id" || a.str("errors", 0, "resource_id") != root {
		t.Errorf("deleted reference: %s", a.raw)
	}
	// Unretweet through the API, twice: both succeed.
	for range 2 {
		if c.do("DELETE", "/2/users/"+s.UserID()+"/retweets/"+root, nil).want(t, 200).get("data", "retweeted") != false {
			t.Error("unretweet")
		}
	}
	// Retweeting for someone else, or deleting their post, is refused.
	c.do("POST", "/2/users/"+bob.ID()+"/retweets", map[string]any{"tweet_id": reply}).want(t, 403)
	c.do("DELETE", "/2/tweets/"+bob.Post(PostOpts{Text: "bob's own"}), nil).want(t, 403)
}

// TestGetTweets: the batch lookup answers the found posts in order and a
// problem for each missing one.
func TestGetTweets(t *testing.T) {
	s := New(t, Options{})
	c := newClient(t, s, s.Alice())
	a1, a2 := s.PostAsUser("one", ""), s.PostAsUser("two", "")
	a := c.do("GET", "/2/tweets?ids="+a2+",123,"+a1, nil).want(t, 200)
	if a.str("data", 0, "id") != a2 || a.str("data", 1, "id") != a1 || a.str("errors", 0, "value") != "123" || a.str("errors", 0, "parameter") != "ids" {
		t.Errorf("%s", a.raw)
	}
	none := c.do("GET", "/2/tweets?ids=123", nil).want(t, 200)
	if none.get("data") != nil {
		t.Errorf("no post found must mean no data: %s", none.raw)
	}
	c.st.skipRequest = true
	ids := strings.TrimSuffix(strings.Repeat("1,", 101), ",")
	c.do("GET", "/2/tweets?ids="+ids, nil).want(t, 400)
	c.do("GET", "/2/tweets", nil).want(t, 400)
	c.do("GET", "/2/tweets/abc", nil).want(t, 400)
}

// TestFakeInterface exercises the providertest.Fake side as the
// conformance suite does.
func TestFakeInterface(t *testing.T) {
	s := New(t, Options{})
	a := s.PostAsUser("first", "")
	b := s.PostAsUser("second", a)
	if s.Posts() != 2 {
		t.Fatalf("posts %d", s.Posts())
	}
	st, ok := s.Lookup(b)
	if !ok || st.ReplyTo != a || st.Visibility != "public" || st.Text != "second" {
		t.Errorf("Lookup: %+v", st)
	}
	nb := s.EditAsUser(b, "second, edited")
	if nb == b || s.Posts() != 2 {
		t.Errorf("edit: new ID %s, posts %d", nb, s.Posts())
	}
	if st, _ := s.Lookup(nb); st.EditCount != 1 || st.ReplyTo != a {
		t.Errorf("edited: %+v", st)
	}
	if got := s.Alice().Statuses(); len(got) != 2 || got[0] != a || got[1] != nb {
		t.Errorf("Statuses %v, want [%s %s] (newest versions, oldest first)", got, a, nb)
	}
	s.DeleteAsUser(a)
	if _, ok := s.Lookup(a); ok || s.Posts() != 1 {
		t.Errorf("after delete: posts %d", s.Posts())
	}
	if got := s.Alice().Statuses(); len(got) != 1 || got[0] != nb {
		t.Errorf("Statuses after delete %v", got)
	}
	// A duplicate is refused in the app too, and allowed once the first is gone.
	if _, err := s.Alice().TryPost(PostOpts{Text: "second, edited"}); err == nil {
		t.Error("a duplicate was accepted")
	}
	s.DeleteAsUser(nb)
	if _, err := s.Alice().TryPost(PostOpts{Text: "second, edited"}); err != nil {
		t.Errorf("re-posting a deleted text: %v", err)
	}
	if _, err := s.Alice().TryPost(PostOpts{Text: "x", Media: []MediaOpts{{Type: "sticker"}}}); err == nil {
		t.Error("an unknown media type was accepted")
	}
	id, err := s.Alice().TryPost(PostOpts{Text: "media", Sensitive: true, Media: []MediaOpts{{Type: "video", Data: []byte("v"), AltText: "a"}, {Type: "photo", Data: pngImage}}})
	if err == nil {
		t.Errorf("a video with a photo was accepted: %s", id)
	}
	id, err = s.Alice().TryPost(PostOpts{Text: "media", Sensitive: true, Media: []MediaOpts{{Type: "animated_gif", Data: []byte("GIF89a"), AltText: "a gif"}}})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Lookup(id); !st.Sensitive || len(st.MediaTypes) != 1 || st.MediaTypes[0] != "gif" || st.MediaAlts[0] != "a gif" {
		t.Errorf("media post: %+v", st)
	}
	s.DropStreams() // nothing to drop; must not block or panic
}

// TestEditWindowInApp: the owner's edits follow the same hour and count.
func TestEditWindowInApp(t *testing.T) {
	clk := newClock()
	s := New(t, Options{Now: clk.Now})
	id := s.PostAsUser("v0", "")
	for i := 1; i <= 5; i++ {
		id = s.EditAsUser(id, fmt.Sprint("v", i))
	}
	if _, err := s.Alice().TryEdit(id, "v6"); err == nil {
		t.Error("a sixth edit was accepted")
	}
	other := s.PostAsUser("other", "")
	clk.Advance(time.Hour)
	if _, err := s.Alice().TryEdit(other, "too late"); err == nil {
		t.Error("an edit after the hour was accepted")
	}
}

// TestCountersAndLog: reads, writes, requests and the log, with no secret
// in the log.
func TestCountersAndLog(t *testing.T) {
	s := New(t, Options{})
	c := newClient(t, s, s.Alice())
	c.do("GET", "/2/users/me?user.fields=created_at", nil).want(t, 200)
	id := c.post(map[string]any{"text": "counted"})
	c.do("DELETE", "/2/tweets/"+id, nil).want(t, 200)
	if s.ReadCount() != 1 || s.WriteCount() != 2 || s.Requests() != 3 {
		t.Errorf("reads %d writes %d requests %d", s.ReadCount(), s.WriteCount(), s.Requests())
	}
	if n := s.EndpointCounts()["POST /2/tweets"]; n != 1 {
		t.Errorf("POST /2/tweets counted %d", n)
	}
	log := s.RequestLog()
	if len(log) != 3 {
		t.Fatalf("log %+v", log)
	}
	first := log[0]
	if first.Method != "GET" || first.Endpoint != "GET /2/users/me" || first.Status != 200 || strings.Join(first.Query, ",") != "user.fields" {
		t.Errorf("log entry %+v", first)
	}
	want := "oauth_consumer_key,oauth_nonce,oauth_signature,oauth_signature_method,oauth_timestamp,oauth_token,oauth_version"
	if got := strings.Join(first.OAuthParams, ","); got != want {
		t.Errorf("OAuth params %s, want %s", got, want)
	}
	dump := fmt.Sprintf("%+v", log)
	for _, secret := range []string{s.Token(), s.TokenSecret(), s.ConsumerSecret(), s.ConsumerKey()} {
		if strings.Contains(dump, secret) {
			t.Error("the request log holds a credential")
		}
	}
	if log[1].ContentType != "application/json" || log[1].Status != 201 {
		t.Errorf("log entry %+v", log[1])
	}
	// Unknown paths are X's 404, logged but not counted as API calls.
	resp, err := s.Client().Get(s.URL() + "/1.1/statuses/update.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || s.Requests() != 3 {
		t.Errorf("unknown path: %d, requests %d", resp.StatusCode, s.Requests())
	}
}

// TestManyUsers: 10,000 users, each posting, stay fast: lookups are
// indexed, not scans.
func TestManyUsers(t *testing.T) {
	s := New(t, Options{})
	start := time.Now()
	users := make([]*User, 10000)
	for i := range users {
		users[i] = s.CreateUser(fmt.Sprintf("user%d", i))
		users[i].Post(PostOpts{Text: "hello from " + users[i].Username()})
	}
	c := newClient(t, s, users[9999])
	for _, u := range []*User{users[0], users[5000], users[9999]} {
		if a := c.do("GET", "/2/users/"+u.ID()+"/tweets", nil).want(t, 200); a.get("meta", "result_count") != float64(1) {
			t.Errorf("%s: %s", u.Username(), a.raw)
		}
	}
	if s.User("USER42") != users[42] {
		t.Error("usernames are case-insensitive")
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("10,000 users took %v", d)
	}
}

// TestHostileRequestsNeverPanic throws junk at every endpoint: the fake
// answers (4xx) and keeps serving.
func TestHostileRequestsNeverPanic(t *testing.T) {
	s := New(t, Options{})
	c := newClient(t, s, s.Alice())
	c.st = nil
	c.hc = signedClient(s, s.ConsumerKey(), s.ConsumerSecret(), s.Token(), s.TokenSecret(), nil)
	r := rand.New(rand.NewSource(3))
	junk := []string{"", "{", "[]", "null", `{"text":null}`, `{"media":{"media_ids":"1"}}`, `{"reply":[]}`, `{"poll":{"options":[1,2],"duration_minutes":"x"}}`,
		`{"text":"` + strings.Repeat("\\u0000", 10) + `"}`, `{"id":"1","metadata":{"alt_text":{"text":5}}}`, `{"segment_index":-1,"media":"!!"}`,
		`{"media_type":"video/mp4","total_bytes":-5}`, `{"tweet_id":{"a":1}}`, string(bytes.Repeat([]byte{0xff}, 64))}
	paths := []string{"/2/tweets", "/2/users/" + s.UserID() + "/retweets", "/2/media/upload", "/2/media/upload/initialize",
		"/2/media/upload/1/append", "/2/media/upload/1/finalize", "/2/media/metadata"}
	for _, p := range paths {
		for _, j := range junk {
			for _, ct := range []string{"application/json", "multipart/form-data; boundary=x", "text/plain", ""} {
				req, _ := http.NewRequest("POST", s.URL()+p, strings.NewReader(j))
				if ct != "" {
					req.Header.Set("Content-Type", ct)
				}
				resp, err := c.hc.Do(req)
				if err != nil {
					t.Fatalf("%s %q: %v", p, j, err)
				}
				resp.Body.Close()
				if resp.StatusCode < 400 || resp.StatusCode >= 500 {
					t.Errorf("POST %s %s %q: %d", p, ct, j, resp.StatusCode)
				}
			}
		}
	}
	for range 50 {
		b := make([]byte, r.Intn(20))
		r.Read(b)
		q := "?" + strings.NewReplacer("&", "", "#", "", "%", "").Replace(string(b))
		for _, p := range []string{"/2/users/" + s.UserID() + "/tweets", "/2/tweets", "/2/tweets/1", "/2/media/upload", "/2/users/me"} {
			resp, err := c.hc.Get(s.URL() + p + q)
			if err != nil {
				continue // the client may refuse to send it
			}
			resp.Body.Close()
			if resp.StatusCode >= 500 {
				t.Errorf("GET %s%q: %d", p, q, resp.StatusCode)
			}
		}
	}
	c.hc = newClient(t, s, s.Alice()).hc
	c.do("GET", "/2/users/me", nil).want(t, 200)
}

// TestDeletingSourceRemovesRetweets: when a post goes, so do its retweets.
func TestDeletingSourceRemovesRetweets(t *testing.T) {
	s := New(t, Options{})
	bob := s.CreateUser("bob")
	src := bob.Post(PostOpts{Text: "retweet me"})
	rt := s.Retweet(src)
	if s.Posts() != 1 {
		t.Fatalf("posts %d", s.Posts())
	}
	bob.Delete(src)
	if _, ok := s.Lookup(rt); ok || s.Posts() != 0 {
		t.Errorf("the retweet outlived its source: posts %d", s.Posts())
	}
}

// TestSensitiveMedia: a sensitive_media_warning set through the metadata
// endpoint makes the post possibly_sensitive.
func TestSensitiveMedia(t *testing.T) {
	s := New(t, Options{})
	c := newClient(t, s, s.Alice())
	m := c.do("POST", "/2/media/upload", &multipartBody{fields: map[string]string{"media_category": "tweet_image"}, files: map[string][]byte{"media": pngImage}}).want(t, 200).str("data", "id")
	a := c.do("POST", "/2/media/metadata", map[string]any{"id": m, "metadata": map[string]any{"alt_text": map[string]any{"text": "cw"}, "sensitive_media_warning": map[string]any{"other": true}}}).want(t, 200)
	if a.get("data", "associated_metadata", "sensitive_media_warning", "other") != true {
		t.Errorf("metadata answer: %s", a.raw)
	}
	id := c.post(map[string]any{"text": "careful", "media": map[string]any{"media_ids": []string{m}}})
	if c.do("GET", "/2/tweets/"+id+"?tweet.fields=possibly_sensitive", nil).want(t, 200).get("data", "possibly_sensitive") != true {
		t.Error("the post is not possibly_sensitive")
	}
	if st, _ := s.Lookup(id); !st.Sensitive || st.MediaAlts[0] != "cw" {
		t.Errorf("Lookup: %+v", st)
	}
}

// TestSinceIDOverridesStartTime, as the spec says.
func TestSinceIDOverridesStartTime(t *testing.T) {
	clk := newClock()
	s := New(t, Options{Now: clk.Now})
	c := newClient(t, s, s.Alice())
	a := s.PostAsUser("a", "")
	clk.Advance(time.Hour)
	b := s.PostAsUser("b", "")
	late := clk.Now().Add(time.Minute).Format(time.RFC3339)
	if n := c.do("GET", "/2/users/"+s.UserID()+"/tweets?start_time="+late, nil).want(t, 200).get("meta", "result_count"); n != float64(0) {
		t.Errorf("start_time alone: %v posts", n)
	}
	got := c.do("GET", "/2/users/"+s.UserID()+"/tweets?start_time="+late+"&since_id="+a, nil).want(t, 200)
	if got.str("data", 0, "id") != b {
		t.Errorf("since_id with start_time: %s", got.raw)
	}
}
