package twittertest

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestEveryEndpoint drives every endpoint the fake serves, good requests
// and refused ones, with every answer and request checked against the spec
// by the client's transport.
func TestEveryEndpoint(t *testing.T) {
	s := New(t, Options{CanEdit: true, CanQuote: true})
	bob := s.CreateUser("bob")
	c := newClient(t, s, s.Alice())

	me := c.do("GET", "/2/users/me?user.fields=created_at,description,profile_image_url,protected,public_metrics,url,verified,most_recent_tweet_id&expansions=most_recent_tweet_id&tweet.fields=created_at", nil).want(t, 200)
	if me.str("data", "id") != s.UserID() || me.str("data", "username") != "alice" {
		t.Errorf("users/me: %s", me.raw)
	}

	// Media: one shot, chunked, status, metadata.
	photo := c.do("POST", "/2/media/upload", &multipartBody{fields: map[string]string{"media_category": "tweet_image"}, files: map[string][]byte{"media": pngImage}}).want(t, 200)
	photoID := photo.str("data", "id")
	c.do("POST", "/2/media/metadata", map[string]any{"id": photoID, "metadata": map[string]any{"alt_text": map[string]any{"text": "a red square"}}}).want(t, 200)
	jsonPhoto := c.do("POST", "/2/media/upload", map[string]any{"media": base64.StdEncoding.EncodeToString(pngImage), "media_category": "tweet_image", "media_type": "image/png"}).want(t, 200)
	if jsonPhoto.str("data", "media_key") == "" {
		t.Errorf("JSON one-shot upload: %s", jsonPhoto.raw)
	}
	video := bytes.Repeat([]byte("fake mp4 "), 100)
	vid := c.do("POST", "/2/media/upload/initialize", map[string]any{"media_type": "video/mp4", "total_bytes": len(video), "media_category": "tweet_video"}).want(t, 200).str("data", "id")
	c.do("POST", "/2/media/upload/"+vid+"/append", &multipartBody{fields: map[string]string{"segment_index": "0"}, files: map[string][]byte{"media": video[:500]}}).want(t, 200)
	c.do("POST", "/2/media/upload/"+vid+"/append", map[string]any{"segment_index": 1, "media": base64.StdEncoding.EncodeToString(video[500:])}).want(t, 200)
	c.do("POST", "/2/media/upload/"+vid+"/finalize", nil).want(t, 200)
	for i := 0; i < 5 && c.do("GET", "/2/media/upload?command=STATUS&media_id="+vid, nil).want(t, 200).str("data", "processing_info", "state") != "succeeded"; i++ {
	}

	// Posts of every kind.
	first := c.post(map[string]any{"text": "hello @bob, see https://example.com/page #greetings & more"})
	withPhoto := c.post(map[string]any{"text": "a picture", "media": map[string]any{"media_ids": []string{photoID}}})
	withVideo := c.post(map[string]any{"text": "a video", "media": map[string]any{"media_ids": []string{vid}}})
	reply := c.post(map[string]any{"text": "replying to myself", "reply": map[string]any{"in_reply_to_tweet_id": first}})
	quote := c.post(map[string]any{"text": "quoting bob", "quote_tweet_id": bob.Post(PostOpts{Text: "bob says hi"})})
	c.post(map[string]any{"text": "a poll", "poll": map[string]any{"options": []string{"yes", "no"}, "duration_minutes": 60}})
	edited := c.do("POST", "/2/tweets", map[string]any{"text": "replying to myself (edited)", "edit_options": map[string]any{"previous_post_id": reply}}).want(t, 201)
	if ids := edited.get("data", "edit_history_tweet_ids").([]any); len(ids) != 2 || ids[0] != reply {
		t.Errorf("edit history %v", ids)
	}
	rt := c.do("POST", "/2/users/"+s.UserID()+"/retweets", map[string]any{"tweet_id": quote}).want(t, 200)
	if rt.get("data", "retweeted") != true {
		t.Errorf("retweet: %s", rt.raw)
	}

	all := "tweet.fields=attachments,author_id,conversation_id,created_at,edit_controls,edit_history_tweet_ids,entities,in_reply_to_user_id,lang,possibly_sensitive,public_metrics,referenced_tweets,reply_settings,display_text_range" +
		"&expansions=attachments.media_keys,author_id,referenced_tweets.id,referenced_tweets.id.author_id,in_reply_to_user_id,entities.mentions.username,edit_history_tweet_ids" +
		"&media.fields=alt_text,duration_ms,height,media_key,preview_image_url,type,url,variants,width" +
		"&user.fields=created_at,username,name"
	tl := c.do("GET", "/2/users/"+s.UserID()+"/tweets?max_results=100&"+all, nil).want(t, 200)
	if n := tl.get("meta", "result_count"); n != float64(7) {
		t.Errorf("result_count %v, want 7: %s", n, tl.raw)
	}
	c.do("GET", "/2/tweets/"+withVideo+"?"+all, nil).want(t, 200)
	c.do("GET", "/2/tweets?ids="+first+","+withPhoto+",1&"+all, nil).want(t, 200)

	// Undo and delete.
	c.do("DELETE", "/2/users/"+s.UserID()+"/retweets/"+quote, nil).want(t, 200)
	c.do("DELETE", "/2/tweets/"+first, nil).want(t, 200)
	// A deleted parent shows as a problem in "errors" of a 200.
	gone := c.do("GET", "/2/tweets/"+first, nil).want(t, 200)
	if gone.str("errors", 0, "type") != "https://api.twitter.com/2/problems/resource-not-found" {
		t.Errorf("deleted post: %s", gone.raw)
	}
	c.do("GET", "/2/tweets/"+edited.str("data", "id")+"?expansions=referenced_tweets.id&tweet.fields=referenced_tweets", nil).want(t, 200)

	// Refusals, still in the spec's shapes.
	c.st.skipRequest = true
	c.do("GET", "/2/users/"+s.UserID()+"/tweets?max_results=4", nil).want(t, 400)
	c.do("POST", "/2/tweets", map[string]any{"text": "x", "colour": "red"}).want(t, 400)
	c.do("POST", "/2/media/upload/initialize", map[string]any{"media_type": "video/mp4", "total_bytes": 9 << 30, "media_category": "tweet_video"}).want(t, 400)
	c.do("POST", "/2/media/metadata", map[string]any{"id": photoID, "metadata": map[string]any{"alt_text": map[string]any{"text": strings.Repeat("a", 1001)}}}).want(t, 400)
	c.st.skipRequest = false
	c.do("DELETE", "/2/tweets/"+first, nil).want(t, 404)
	c.do("POST", "/2/tweets", map[string]any{"text": "a picture"}).want(t, 403)

	for _, op := range []string{
		"GET /2/users/me", "GET /2/users/{id}/tweets", "GET /2/tweets/{id}", "GET /2/tweets", "POST /2/tweets",
		"DELETE /2/tweets/{id}", "POST /2/users/{id}/retweets", "DELETE /2/users/{id}/retweets/{source_tweet_id}",
		"POST /2/media/upload", "GET /2/media/upload", "POST /2/media/upload/initialize", "POST /2/media/upload/{id}/append",
		"POST /2/media/upload/{id}/finalize", "POST /2/media/metadata",
	} {
		if c.st.checked[op] == 0 {
			t.Errorf("%s was not checked against the spec", op)
		}
	}
}

// TestCreateRefusals sends posts X refuses; each answers X's status and
// body, and creates nothing.
func TestCreateRefusals(t *testing.T) {
	s := New(t, Options{})
	c := newClient(t, s, s.Alice())
	c.st.skipRequest = true // some of these break the request schema on purpose
	parent := s.PostAsUser("a parent", "")
	gone := s.PostAsUser("a parent soon gone", "")
	s.DeleteAsUser(gone)
	s.PostAsUser("already said", "")
	photo := c.do("POST", "/2/media/upload", &multipartBody{fields: map[string]string{"media_category": "tweet_image"}, files: map[string][]byte{"media": pngImage}}).want(t, 200).str("data", "id")
	ids := []string{photo, photo, photo, photo, photo}
	bobs := newClient(t, s, s.CreateUser("bob")).do("POST", "/2/media/upload", &multipartBody{fields: map[string]string{"media_category": "tweet_image"}, files: map[string][]byte{"media": pngImage}}).want(t, 200).str("data", "id")
	for _, tc := range []struct {
		name   string
		body   any
		status int
		match  string // a regexp the body must match
	}{
		{"unknown member", `{"text":"hi","colour":"red"}`, 400, `"message":"\$\.colour: is not defined in the schema and the schema does not allow additional properties".*"type":"https://api.twitter.com/2/problems/invalid-request"`},
		{"wrong type", `{"text":5}`, 400, `\$\.text: integer found, string expected`},
		{"reply without id", `{"text":"hi","reply":{}}`, 400, `\$\.reply\.in_reply_to_tweet_id: is missing but it is required`},
		{"bad id", `{"text":"hi","quote_tweet_id":"abc"}`, 400, `does not match the regex pattern`},
		{"five media", map[string]any{"text": "hi", "media": map[string]any{"media_ids": ids}}, 400, `there must be a maximum of 4 items in the array`},
		{"no media ids", map[string]any{"text": "hi", "media": map[string]any{"media_ids": []string{}}}, 400, `minimum of 1 items`},
		{"media and poll", map[string]any{"text": "hi", "media": map[string]any{"media_ids": []string{photo}}, "poll": map[string]any{"options": []string{"a", "b"}, "duration_minutes": 10}}, 400, `mutually exclusive`},
		{"unknown media", map[string]any{"text": "hi", "media": map[string]any{"media_ids": []string{"12345"}}}, 400, `Your media IDs are invalid`},
		{"someone else's media", map[string]any{"text": "hi", "media": map[string]any{"media_ids": []string{bobs}}}, 400, `Your media IDs are invalid`},
		{"poll too short", map[string]any{"text": "hi", "poll": map[string]any{"options": []string{"a", "b"}, "duration_minutes": 1}}, 400, `minimum value of 5`},
		{"too long", map[string]any{"text": strings.Repeat("a", 281)}, 400, `too long`},
		{"too long in CJK", map[string]any{"text": strings.Repeat("字", 141)}, 400, `too long`},
		{"empty", map[string]any{"text": ""}, 400, `invalid-request`},
		{"not JSON", `text=hi`, 400, `invalid-request`},
		{"duplicate", map[string]any{"text": "already said"}, 403, `^\{"detail":"You are not allowed to create a Tweet with duplicate content.","status":403,"title":"Forbidden","type":"about:blank"\}$`},
		{"reply to deleted", map[string]any{"text": "hi", "reply": map[string]any{"in_reply_to_tweet_id": gone}}, 403, `deleted or not visible`},
		{"quote without Enterprise", map[string]any{"text": "hi", "quote_tweet_id": parent}, 403, `Enterprise`},
		{"edit without access", map[string]any{"text": "hi", "edit_options": map[string]any{"previous_post_id": parent}}, 403, `"title":"Forbidden"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := s.Posts()
			a := c.do("POST", "/2/tweets", tc.body).want(t, tc.status)
			if !regexp.MustCompile(tc.match).Match(a.raw) {
				t.Errorf("body %s does not match %s", a.raw, tc.match)
			}
			if s.Posts() != before {
				t.Error("a refused post was created")
			}
		})
	}
	t.Run("exactly 280", func(t *testing.T) {
		c.post(map[string]any{"text": strings.Repeat("b", 280)})
		c.post(map[string]any{"text": strings.Repeat("字", 140)})
		c.post(map[string]any{"text": strings.Repeat("c", 256) + " https://example.com/" + strings.Repeat("x", 100)})
	})
}

// TestReplyNotAllowed: with the knob on, every reply is refused with X's
// body; plain posts still work.
func TestReplyNotAllowed(t *testing.T) {
	s := New(t, Options{})
	c := newClient(t, s, s.Alice())
	parent := s.CreateUser("carol").Post(PostOpts{Text: "replies limited"})
	s.SetReplyNotAllowed(true)
	a := c.do("POST", "/2/tweets", map[string]any{"text": "may I?", "reply": map[string]any{"in_reply_to_tweet_id": parent}}).want(t, 403)
	sameJSON(t, a.raw, `{"detail":"Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to.","type":"about:blank","title":"Forbidden","status":403}`)
	c.post(map[string]any{"text": "not a reply"})
	s.SetReplyNotAllowed(false)
	c.post(map[string]any{"text": "may I now?", "reply": map[string]any{"in_reply_to_tweet_id": parent}})

	// Without the knob: the conversation's reply settings decide.
	carol := s.User("carol")
	limited := carol.Post(PostOpts{Text: "only @dave may answer", ReplySettings: "mentionedUsers"})
	c.do("POST", "/2/tweets", map[string]any{"text": "alice tries", "reply": map[string]any{"in_reply_to_tweet_id": limited}}).want(t, 403)
	if _, err := s.CreateUser("dave").TryPost(PostOpts{Text: "dave answers", ReplyTo: limited}); err != nil {
		t.Errorf("a mentioned user may reply: %v", err)
	}
	if _, err := carol.TryPost(PostOpts{Text: "carol adds", ReplyTo: limited}); err != nil {
		t.Errorf("the author may reply: %v", err)
	}
	mine := c.post(map[string]any{"text": "followers only", "reply_settings": "following"})
	a = c.do("GET", "/2/tweets/"+mine+"?tweet.fields=reply_settings", nil).want(t, 200)
	if a.str("data", "reply_settings") != "following" {
		t.Errorf("reply_settings: %s", a.raw)
	}
	c.post(map[string]any{"text": "self-thread", "reply": map[string]any{"in_reply_to_tweet_id": mine}})
	if _, err := carol.TryPost(PostOpts{Text: "carol does not follow", ReplyTo: mine}); err == nil {
		t.Error("a reply outside the settings was accepted")
	}
}

// TestUsageCapped: while capped, every API call answers 429 with X's
// usage-capped problem, on the host the option chooses.
func TestUsageCapped(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  Options
		host string
	}{
		{"api.twitter.com", Options{}, "api.twitter.com"},
		{"api.x.com", Options{XProblemHost: true}, "api.x.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(t, tc.opt)
			c := newClient(t, s, s.Alice())
			s.SetUsageCapped(true)
			want := `{"title":"UsageCapExceeded","type":"https://` + tc.host + `/2/problems/usage-capped","detail":"Usage cap exceeded: Monthly product cap","period":"Monthly","scope":"Product"}`
			capped := c.do("POST", "/2/tweets", map[string]any{"text": "capped"}).want(t, 429)
			sameJSON(t, capped.raw, want)
			if capped.header.Get("x-rate-limit-limit") == "" {
				t.Error("a capped answer without rate-limit headers")
			}
			sameJSON(t, c.do("GET", "/2/users/"+s.UserID()+"/tweets", nil).want(t, 429).raw, want)
			if s.Posts() != 0 {
				t.Error("a post was made while capped")
			}
			s.SetUsageCapped(false)
			c.post(map[string]any{"text": "not capped"})
		})
	}
}

// TestReadsDenied: an app without read access may post but not read.
func TestReadsDenied(t *testing.T) {
	s := New(t, Options{ReadsDenied: true})
	c := newClient(t, s, s.Alice())
	id := c.post(map[string]any{"text": "write-only"})
	c.do("GET", "/2/users/me", nil).want(t, 200)
	for _, path := range []string{"/2/users/" + s.UserID() + "/tweets", "/2/tweets/" + id, "/2/tweets?ids=" + id} {
		a := c.do("GET", path, nil).want(t, 403)
		if a.str("reason") != "client-not-enrolled" || a.str("type") != "https://api.twitter.com/2/problems/client-forbidden" || a.str("title") != "Client Forbidden" {
			t.Errorf("%s: %s", path, a.raw)
		}
	}
	s.SetReadsDenied(false)
	c.do("GET", "/2/tweets/"+id, nil).want(t, 200)
}

// TestChunkedUploadStatus uploads a video in chunks and polls STATUS until
// it is processed; the post then carries it, downloadable in every variant.
func TestChunkedUploadStatus(t *testing.T) {
	s := New(t, Options{ProcessingPolls: 3})
	c := newClient(t, s, s.Alice())
	video := bytes.Repeat([]byte{0, 0, 0, 0x18, 'f', 't', 'y', 'p'}, 1000)
	init := c.do("POST", "/2/media/upload/initialize", map[string]any{"media_type": "video/mp4", "total_bytes": len(video), "media_category": "tweet_video"}).want(t, 200)
	id := init.str("data", "id")
	if !strings.HasPrefix(init.str("data", "media_key"), "7_") {
		t.Errorf("video media key %q", init.str("data", "media_key"))
	}
	// Segments may come out of order; finalize joins them by index.
	c.do("POST", "/2/media/upload/"+id+"/append", &multipartBody{fields: map[string]string{"segment_index": "1"}, files: map[string][]byte{"media": video[4000:]}}).want(t, 200)
	c.do("POST", "/2/media/upload/"+id+"/append", &multipartBody{fields: map[string]string{"segment_index": "0"}, files: map[string][]byte{"media": video[:4000]}}).want(t, 200)
	// Not ready yet: STATUS before FINALIZE and attaching are refused.
	c.do("GET", "/2/media/upload?command=STATUS&media_id="+id, nil).want(t, 400)
	c.do("POST", "/2/tweets", map[string]any{"text": "too soon", "media": map[string]any{"media_ids": []string{id}}}).want(t, 400)
	fin := c.do("POST", "/2/media/upload/"+id+"/finalize", nil).want(t, 200)
	if fin.str("data", "processing_info", "state") != "pending" || fin.get("data", "processing_info", "check_after_secs") == nil {
		t.Errorf("finalize: %s", fin.raw)
	}
	c.do("POST", "/2/tweets", map[string]any{"text": "still too soon", "media": map[string]any{"media_ids": []string{id}}}).want(t, 400)
	var states []string
	for range 3 {
		states = append(states, c.do("GET", "/2/media/upload?command=STATUS&media_id="+id, nil).want(t, 200).str("data", "processing_info", "state"))
	}
	if got := strings.Join(states, ","); got != "in_progress,in_progress,succeeded" {
		t.Errorf("states %s", got)
	}
	c.do("POST", "/2/media/upload/"+id+"/finalize", nil).want(t, 400) // twice
	pid := c.post(map[string]any{"text": "a video", "media": map[string]any{"media_ids": []string{id}}})

	a := c.do("GET", "/2/tweets/"+pid+"?expansions=attachments.media_keys&media.fields=variants,preview_image_url,duration_ms&tweet.fields=attachments,entities", nil).want(t, 200)
	if !regexp.MustCompile(`^a video https://t\.co/[0-9A-Za-z]{10}$`).MatchString(a.str("data", "text")) {
		t.Errorf("text %q: X appends a t.co link for the media", a.str("data", "text"))
	}
	if a.str("data", "entities", "urls", 0, "media_key") != init.str("data", "media_key") {
		t.Errorf("the media link's entity: %s", a.raw)
	}
	vs, _ := a.get("includes", "media", 0, "variants").([]any)
	types := map[string]int{}
	for _, v := range vs {
		m := v.(map[string]any)
		types[m["content_type"].(string)]++
		resp, err := http.Get(m["url"].(string))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || m["content_type"] == "video/mp4" && !bytes.Equal(b, video) {
			t.Errorf("variant %s: %d, %d bytes", m["url"], resp.StatusCode, len(b))
		}
	}
	if types["video/mp4"] < 2 || types["application/x-mpegURL"] != 1 {
		t.Errorf("variants %v: want several mp4 bitrates and one m3u8", types)
	}
	resp, err := http.Get(a.str("includes", "media", 0, "preview_image_url"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("preview: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	t.Run("processing fails", func(t *testing.T) {
		s.SetMediaProcessingFails(true)
		id := c.do("POST", "/2/media/upload/initialize", map[string]any{"media_type": "image/gif", "total_bytes": 3, "media_category": "tweet_gif"}).want(t, 200).str("data", "id")
		c.do("POST", "/2/media/upload/"+id+"/append", &multipartBody{fields: map[string]string{"segment_index": "0"}, files: map[string][]byte{"media": []byte("GIF")}}).want(t, 200)
		c.do("POST", "/2/media/upload/"+id+"/finalize", nil).want(t, 200)
		state := ""
		for range 3 {
			state = c.do("GET", "/2/media/upload?command=STATUS&media_id="+id, nil).want(t, 200).str("data", "processing_info", "state")
		}
		if state != "failed" {
			t.Errorf("state %q, want failed", state)
		}
	})
	t.Run("size caps", func(t *testing.T) {
		c.st.skipRequest = true
		defer func() { c.st.skipRequest = false }()
		for _, tc := range []struct {
			typ, cat string
			size     int
		}{
			{"image/png", "tweet_image", 5<<20 + 1}, {"image/gif", "tweet_gif", 15<<20 + 1}, {"image/gif", "", 15<<20 + 1},
			{"video/mp4", "tweet_video", 8<<30 + 1}, {"video/mp4", "amplify_video", 8<<30 + 1}, {"video/mp4", "", 8<<30 + 1}, {"video/mp4", "dm_video", 512<<20 + 1},
		} {
			body := map[string]any{"media_type": tc.typ, "total_bytes": tc.size}
			if tc.cat != "" {
				body["media_category"] = tc.cat
			}
			c.do("POST", "/2/media/upload/initialize", body).want(t, 400)
			body["total_bytes"] = tc.size - 1
			c.do("POST", "/2/media/upload/initialize", body).want(t, 200)
		}
		big := append(append([]byte(nil), pngImage...), make([]byte, 5<<20)...)
		c.do("POST", "/2/media/upload", &multipartBody{fields: map[string]string{"media_category": "tweet_image"}, files: map[string][]byte{"media": big}}).want(t, 400)
		c.do("POST", "/2/media/upload", &multipartBody{fields: map[string]string{"media_category": "tweet_image"}, files: map[string][]byte{"media": []byte("not an image")}}).want(t, 400)
		c.do("POST", "/2/media/upload", &multipartBody{fields: map[string]string{"media_category": "tweet_video"}, files: map[string][]byte{"media": pngImage}}).want(t, 400)
	})
}

// TestTimelinePagination pages through a timeline newest first, then polls
// with since_id: nothing new is exactly {"meta":{"result_count":0}}.
func TestTimelinePagination(t *testing.T) {
	s := New(t, Options{})
	c := newClient(t, s, s.Alice())
	var ids []string
	for i := range 12 {
		ids = append(ids, s.PostAsUser(fmt.Sprintf("post %d", i), ""))
	}
	s.CreateUser("dave").Post(PostOpts{Text: "not alice's"})
	path := "/2/users/" + s.UserID() + "/tweets?max_results=5"
	var got []string
	token := ""
	pages := 0
	for {
		p := path
		if token != "" {
			p += "&pagination_token=" + token
		}
		a := c.do("GET", p, nil).want(t, 200)
		pages++
		for _, d := range a.get("data").([]any) {
			got = append(got, d.(map[string]any)["id"].(string))
		}
		if a.str("meta", "newest_id") != a.str("data", 0, "id") {
			t.Errorf("newest_id: %s", a.raw)
		}
		token = a.str("meta", "next_token")
		if token == "" {
			break
		}
	}
	if pages != 3 || len(got) != 12 {
		t.Fatalf("%d pages, %d posts", pages, len(got))
	}
	for i, id := range got {
		if id != ids[11-i] {
			t.Fatalf("post %d is %s, want %s (newest first)", i, id, ids[11-i])
		}
	}
	// since_id: only what is newer, and nothing at all when nothing is.
	a := c.do("GET", path+"&since_id="+ids[9], nil).want(t, 200)
	if a.get("meta", "result_count") != float64(2) || a.str("meta", "oldest_id") != ids[10] {
		t.Errorf("since_id: %s", a.raw)
	}
	sameJSON(t, c.do("GET", path+"&since_id="+ids[11], nil).want(t, 200).raw, `{"meta":{"result_count":0}}`)
	// until_id and exclude.
	a = c.do("GET", path+"&until_id="+ids[2], nil).want(t, 200)
	if a.get("meta", "result_count") != float64(2) {
		t.Errorf("until_id: %s", a.raw)
	}
	s.PostAsUser("a reply", ids[0])
	a = c.do("GET", path+"&exclude=replies,retweets&since_id="+ids[11], nil).want(t, 200)
	if a.get("meta", "result_count") != float64(0) {
		t.Errorf("exclude=replies: %s", a.raw)
	}
	c.st.skipRequest = true
	for _, bad := range []string{"max_results=4", "max_results=101", "max_results=ten", "since_id=abc", "pagination_token=zz", "exclude=likes", "tweet.fields=colour", "colour=red"} {
		a := c.do("GET", "/2/users/"+s.UserID()+"/tweets?"+bad, nil).want(t, 400)
		if a.str("type") != "https://api.twitter.com/2/problems/invalid-request" || a.str("errors", 0, "message") == "" {
			t.Errorf("%s: %s", bad, a.raw)
		}
	}
	c.st.skipRequest = false
	// An unknown user is a problem in a 200.
	if a := c.do("GET", "/2/users/999/tweets", nil).want(t, 200); a.str("errors", 0, "resource_type") != "user" {
		t.Errorf("unknown user: %s", a.raw)
	}
}

// TestEditHistory edits through the API within X's rules: five edits in
// an hour, each a new ID listing every version oldest first.
func TestEditHistory(t *testing.T) {
	clk := newClock()
	s := New(t, Options{Now: clk.Now, CanEdit: true})
	c := newClient(t, s, s.Alice())
	orig := c.post(map[string]any{"text": "version 0"})
	chain := []string{orig}
	for i := 1; i <= 5; i++ {
		clk.Advance(5 * time.Minute)
		a := c.do("POST", "/2/tweets", map[string]any{"text": fmt.Sprintf("version %d", i), "edit_options": map[string]any{"previous_post_id": chain[len(chain)-1]}}).want(t, 201)
		chain = append(chain, a.str("data", "id"))
		hist := a.get("data", "edit_history_tweet_ids").([]any)
		if len(hist) != i+1 || hist[0] != orig || hist[i] != chain[i] {
			t.Fatalf("edit %d: history %v", i, hist)
		}
	}
	a := c.do("POST", "/2/tweets", map[string]any{"text": "version 6", "edit_options": map[string]any{"previous_post_id": chain[5]}}).want(t, 403)
	if a.str("title") != "Forbidden" {
		t.Errorf("sixth edit: %s", a.raw)
	}
	if s.Posts() != 1 {
		t.Errorf("posts %d, want 1 (edits replace)", s.Posts())
	}
	// The timeline shows the newest version only; old versions stay readable.
	tl := c.do("GET", "/2/users/"+s.UserID()+"/tweets?tweet.fields=edit_controls", nil).want(t, 200)
	if tl.get("meta", "result_count") != float64(1) || tl.str("data", 0, "id") != chain[5] || tl.get("data", 0, "edit_controls", "edits_remaining") != float64(0) {
		t.Errorf("timeline: %s", tl.raw)
	}
	old := c.do("GET", "/2/tweets/"+chain[2]+"?tweet.fields=edit_controls", nil).want(t, 200)
	if old.str("data", "text") != "version 2" || old.get("data", "edit_history_tweet_ids").([]any)[5] != chain[5] || old.get("data", "edit_controls", "edits_remaining") != float64(0) {
		t.Errorf("old version: %s", old.raw)
	}
	if st, ok := s.Lookup(chain[5]); !ok || st.EditCount != 5 || st.Text != "version 5" {
		t.Errorf("Lookup: %+v", st)
	}
	// Editing an old version, or after the hour, is refused.
	c.do("POST", "/2/tweets", map[string]any{"text": "from the past", "edit_options": map[string]any{"previous_post_id": chain[1]}}).want(t, 403)
	fresh := c.post(map[string]any{"text": "fresh"})
	clk.Advance(61 * time.Minute)
	c.do("POST", "/2/tweets", map[string]any{"text": "fresh, late", "edit_options": map[string]any{"previous_post_id": fresh}}).want(t, 403)
	// Polls and replies to others cannot be edited at all.
	poll := c.post(map[string]any{"text": "vote", "poll": map[string]any{"options": []string{"a", "b"}, "duration_minutes": 5}})
	c.do("POST", "/2/tweets", map[string]any{"text": "vote again", "edit_options": map[string]any{"previous_post_id": poll}}).want(t, 403)
	other := c.post(map[string]any{"text": "to bob", "reply": map[string]any{"in_reply_to_tweet_id": s.CreateUser("bob").Post(PostOpts{Text: "bob"})}})
	a = c.do("GET", "/2/tweets/"+other+"?tweet.fields=edit_controls", nil).want(t, 200)
	if a.get("data", "edit_controls", "is_edit_eligible") != false {
		t.Errorf("a reply to someone else is edit-eligible: %s", a.raw)
	}
	c.do("POST", "/2/tweets", map[string]any{"text": "to bob, edited", "edit_options": map[string]any{"previous_post_id": other}}).want(t, 403)
	// Deleting any version deletes them all.
	c.do("DELETE", "/2/tweets/"+chain[0], nil).want(t, 200)
	for _, id := range chain {
		if _, ok := s.Lookup(id); ok {
			t.Errorf("version %s survived the delete", id)
		}
	}
}

// TestRateLimitHeaders: every answer carries the window's headers, POST
// /2/tweets the 24-hour ones too; a spent window answers 429 until reset.
func TestRateLimitHeaders(t *testing.T) {
	clk := newClock()
	s := New(t, Options{Now: clk.Now, UserPostsPer24h: 4})
	c := newClient(t, s, s.Alice())
	a := c.do("GET", "/2/users/me", nil).want(t, 200)
	if a.header.Get("x-rate-limit-limit") != "75" || a.header.Get("x-rate-limit-remaining") != "74" {
		t.Errorf("users/me headers: %v", a.header)
	}
	reset := clk.Now().Add(15 * time.Minute).Unix()
	if a.header.Get("x-rate-limit-reset") != strconv.FormatInt(reset, 10) {
		t.Errorf("reset %s, want %d", a.header.Get("x-rate-limit-reset"), reset)
	}
	p := c.do("POST", "/2/tweets", map[string]any{"text": "one"}).want(t, 201)
	for h, want := range map[string]string{
		"x-rate-limit-limit": "100", "x-rate-limit-remaining": "99",
		"x-user-limit-24hour-limit": "4", "x-user-limit-24hour-remaining": "3",
		"x-user-limit-24hour-reset": strconv.FormatInt(clk.Now().Add(24*time.Hour).Unix(), 10),
		"x-app-limit-24hour-limit":  "10000", "x-app-limit-24hour-remaining": "9999",
	} {
		if got := p.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	for i := range 3 {
		c.post(map[string]any{"text": fmt.Sprint("more ", i)})
	}
	a = c.do("POST", "/2/tweets", map[string]any{"text": "one too many"}).want(t, 429)
	sameJSON(t, a.raw, `{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}`)
	if a.header.Get("x-user-limit-24hour-remaining") != "0" {
		t.Errorf("24h remaining %q", a.header.Get("x-user-limit-24hour-remaining"))
	}
	clk.Advance(24 * time.Hour)
	c.post(map[string]any{"text": "a new day"})

	// A per-endpoint window, made small.
	s.SetRateLimit("GET /2/tweets/{id}", 2, 15*time.Minute)
	id := s.PostAsUser("read me", "")
	c.do("GET", "/2/tweets/"+id, nil).want(t, 200)
	last := c.do("GET", "/2/tweets/"+id, nil).want(t, 200)
	if last.header.Get("x-rate-limit-remaining") != "0" {
		t.Errorf("remaining %q", last.header.Get("x-rate-limit-remaining"))
	}
	c.do("GET", "/2/tweets/"+id, nil).want(t, 429)
	// Another user has a window of their own.
	newClient(t, s, s.CreateUser("erin")).do("GET", "/2/tweets/"+id, nil).want(t, 200)
	clk.Advance(15 * time.Minute)
	c.do("GET", "/2/tweets/"+id, nil).want(t, 200)

	// RateLimitNext: one 429 with the given reset, then normal service.
	at := time.Now().Add(time.Hour).Truncate(time.Second)
	s.RateLimitNext(at)
	a = c.do("GET", "/2/users/me", nil).want(t, 429)
	if a.header.Get("x-rate-limit-reset") != strconv.FormatInt(at.Unix(), 10) || a.header.Get("x-rate-limit-remaining") != "0" {
		t.Errorf("RateLimitNext headers: %v", a.header)
	}
	c.do("GET", "/2/users/me", nil).want(t, 200)
}

// TestFailNext: injected failures answer X's bodies, then service resumes.
func TestFailNext(t *testing.T) {
	s := New(t, Options{})
	c := newClient(t, s, s.Alice())
	for _, tc := range []struct {
		status int
		body   string
	}{
		{401, unauthorizedBody},
		{403, `{"title":"Forbidden","type":"about:blank","status":403,"detail":"You are not permitted to perform this action."}`},
		{404, `{"title":"Not Found","type":"about:blank","status":404,"detail":"Not Found"}`},
		{500, `{"title":"Internal Server Error","type":"about:blank","status":500,"detail":"Internal Server Error"}`},
		{503, `{"title":"Service Unavailable","type":"about:blank","status":503,"detail":"Service Unavailable"}`},
	} {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			s.FailNext(tc.status, 2)
			for range 2 {
				sameJSON(t, c.do("POST", "/2/tweets", map[string]any{"text": fmt.Sprint("fails ", tc.status)}).want(t, tc.status).raw, tc.body)
			}
			if s.Posts() != 0 {
				t.Fatal("a failed request made a post")
			}
		})
	}
	s.FailNext(502, 1)
	if a := c.do("GET", "/2/users/me", nil).want(t, 502); !strings.Contains(string(a.raw), "502 Bad Gateway") {
		t.Errorf("502 body %q", a.raw)
	}
	c.do("GET", "/2/users/me", nil).want(t, 200)

	s.SetFailRate(0.5, 7)
	fails := 0
	for range 40 {
		if c.do("GET", "/2/users/me", nil).status >= 500 {
			fails++
		}
	}
	if fails < 8 || fails > 32 {
		t.Errorf("%d of 40 failed at rate 0.5", fails)
	}
}

// TestLatencyHonoursContext: a slow answer gives way to the caller's
// deadline, and the fake does not act on the abandoned request.
func TestLatencyHonoursContext(t *testing.T) {
	s := New(t, Options{})
	c := newClient(t, s, s.Alice())
	s.SetLatency(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", s.URL()+"/2/tweets", strings.NewReader(`{"text":"slow"}`))
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	_, err := c.hc.Do(req)
	if err == nil || time.Since(start) > 10*time.Second {
		t.Fatalf("err %v after %v", err, time.Since(start))
	}
	s.SetLatency(0)
	if s.Posts() != 0 {
		t.Error("an abandoned request made a post")
	}
	if s.Requests() != 1 {
		t.Errorf("requests %d, want 1", s.Requests())
	}
}

// TestRevoke: a revoked token answers 401 everywhere.
func TestRevoke(t *testing.T) {
	s := New(t, Options{})
	c := newClient(t, s, s.Alice())
	c.do("GET", "/2/users/me", nil).want(t, 200)
	s.Revoke()
	sameJSON(t, c.do("GET", "/2/users/me", nil).want(t, 401).raw, unauthorizedBody)
	c.do("POST", "/2/tweets", map[string]any{"text": "revoked"}).want(t, 401)
}

// TestProcessingByClock: a video is done once the clock has moved past
// its processing time, however few STATUS polls came before.
func TestProcessingByClock(t *testing.T) {
	clk := newClock()
	s := New(t, Options{Now: clk.Now, ProcessingPolls: 5})
	c := newClient(t, s, s.Alice())
	id := c.do("POST", "/2/media/upload/initialize", map[string]any{"media_type": "video/mp4", "total_bytes": 3, "media_category": "tweet_video"}).want(t, 200).str("data", "id")
	c.do("POST", "/2/media/upload/"+id+"/append", &multipartBody{fields: map[string]string{"segment_index": "0"}, files: map[string][]byte{"media": []byte("mp4")}}).want(t, 200)
	c.do("POST", "/2/media/upload/"+id+"/finalize", nil).want(t, 200)
	if st := c.do("GET", "/2/media/upload?command=STATUS&media_id="+id, nil).want(t, 200).str("data", "processing_info", "state"); st != "in_progress" {
		t.Errorf("first poll: %s", st)
	}
	clk.Advance(5 * time.Second)
	if st := c.do("GET", "/2/media/upload?command=STATUS&media_id="+id, nil).want(t, 200).str("data", "processing_info", "state"); st != "succeeded" {
		t.Errorf("after the processing time: %s", st)
	}
}

// TestTimelineReach: only the newest 3,200 posts can be paged to.
func TestTimelineReach(t *testing.T) {
	s := New(t, Options{})
	c := newClient(t, s, s.Alice())
	first := s.PostAsUser("the very first", "")
	for i := range timelineReach {
		s.PostAsUser(fmt.Sprint("post ", i), "")
	}
	// The first post is number 3,201 from the top: out of reach.
	a := c.do("GET", "/2/users/"+s.UserID()+"/tweets?max_results=5&until_id="+s.alice.timeline[2].id, nil).want(t, 200)
	if n := a.get("meta", "result_count"); n != float64(1) || a.str("data", 0, "id") == first {
		t.Errorf("until_id near the bottom: %s", a.raw)
	}
	// It can still be read by ID.
	c.do("GET", "/2/tweets/"+first, nil).want(t, 200)
}

// TestReadOnlyApp: an app with read permission only is told so in
// x-access-level, and its writes are refused.
func TestReadOnlyApp(t *testing.T) {
	s := New(t, Options{ReadOnly: true})
	c := newClient(t, s, s.Alice())
	if a := c.do("GET", "/2/users/me", nil).want(t, 200); a.header.Get("x-access-level") != "read" {
		t.Errorf("x-access-level %q", a.header.Get("x-access-level"))
	}
	a := c.do("POST", "/2/tweets", map[string]any{"text": "not allowed"}).want(t, 403)
	if !strings.Contains(a.str("detail"), "oauth1 app permissions") || s.Posts() != 0 {
		t.Errorf("write with a read-only app: %s", a.raw)
	}
	rw := New(t, Options{})
	if a := newClient(t, rw, rw.Alice()).do("GET", "/2/users/me", nil).want(t, 200); a.header.Get("x-access-level") != "read-write" {
		t.Errorf("x-access-level %q", a.header.Get("x-access-level"))
	}
}
