package twitter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
)

// page is a timeline answer with tweets given as (id, text) pairs, newest
// first.
func page(next string, tweets ...[2]string) string {
	if len(tweets) == 0 {
		return `{"meta":{"result_count":0}}`
	}
	var data []string
	for _, tw := range tweets {
		data = append(data, fmt.Sprintf(`{"id":%q,"text":%q,"edit_history_tweet_ids":[%q],"created_at":"2026-11-25T10:00:00.000Z","author_id":"42"}`, tw[0], tw[1], tw[0]))
	}
	meta := fmt.Sprintf(`"result_count":%d,"newest_id":%q,"oldest_id":%q`, len(tweets), tweets[0][0], tweets[len(tweets)-1][0])
	if next != "" {
		meta += fmt.Sprintf(`,"next_token":%q`, next)
	}
	return fmt.Sprintf(`{"data":[%s],"meta":{%s}}`, strings.Join(data, ","), meta)
}

func TestPollFirstPage(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/2/users/me":
			writeJSON(w, 200, meBody)
		case "/2/users/42/tweets":
			writeJSON(w, 200, page("7140dibdnow9c7btw3w29grvxfk9hj3jknvfkc4dlm07r", [2]string{"300", "newest"}, [2]string{"200", "older"}))
		default:
			http.NotFound(w, r)
		}
	})
	p := newTestProvider(t, s, nil)
	evs, next, err := p.Poll(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Ref.ID != "200" || evs[1].Ref.ID != "300" || next != "300" {
		t.Fatalf("events %+v next %q; want 200 then 300, next 300", evs, next)
	}
	reqs := s.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2 (me, one page: an empty cursor reads no further)", len(reqs))
	}
	q := reqs[1].Query
	if got := q.Get("max_results"); got != "10" {
		t.Errorf("max_results = %q, want 10", got)
	}
	if q.Has("since_id") || q.Has("pagination_token") {
		t.Errorf("first page query %v", q)
	}
	for key, want := range map[string]string{"tweet.fields": tweetFields, "expansions": tweetExpansions, "media.fields": mediaFields, "user.fields": userFields} {
		if got := q.Get(key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if !strings.Contains(reqs[1].Header.Get("Authorization"), `oauth_signature_method="HMAC-SHA1"`) ||
		!strings.Contains(reqs[1].Header.Get("Authorization"), `oauth_consumer_key="`+testConsumerKey+`"`) ||
		!strings.Contains(reqs[1].Header.Get("Authorization"), `oauth_token="`+testToken+`"`) {
		t.Errorf("Authorization = %q, want an HMAC-SHA1 OAuth 1.0a header for the account", reqs[1].Header.Get("Authorization"))
	}
	if got := reqs[1].Header.Get("User-Agent"); got != "dualpower-test" {
		t.Errorf("User-Agent = %q", got)
	}
}

func TestPollCatchUpPaginates(t *testing.T) {
	pages := map[string]string{
		"":     page("tok1", [2]string{"900", "nine"}, [2]string{"800", "eight"}),
		"tok1": page("tok2", [2]string{"700", "seven"}),
		"tok2": page("", [2]string{"600", "six"}),
	}
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("since_id") != "500" || r.URL.Query().Get("max_results") != "100" {
			writeJSON(w, 400, `{"title":"Invalid Request","type":"https://api.twitter.com/2/problems/invalid-request"}`)
			return
		}
		writeJSON(w, 200, pages[r.URL.Query().Get("pagination_token")])
	})
	p := newTestProvider(t, s, nil)
	knowMe(p)
	evs, next, err := p.Poll(context.Background(), "500")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ev := range evs {
		ids = append(ids, ev.Ref.ID)
		if ev.Cursor != ev.Ref.ID || ev.Kind != providers.Created || ev.Ref.Account != "alice-x" {
			t.Errorf("event %+v", ev)
		}
	}
	if got := strings.Join(ids, ","); got != "600,700,800,900" || next != "900" {
		t.Errorf("events %s next %s; want 600,700,800,900 oldest first, next 900", got, next)
	}
	if n := len(s.requests()); n != 3 {
		t.Errorf("%d requests, want 3 pages", n)
	}
}

func TestPollNothingNew(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"meta":{"result_count":0}}`)
	})
	p := newTestProvider(t, s, nil)
	knowMe(p)
	evs, next, err := p.Poll(context.Background(), "123")
	if err != nil || len(evs) != 0 || next != "123" {
		t.Fatalf("Poll = %v, %q, %v; want nothing, the same cursor", evs, next, err)
	}
	if n := len(s.requests()); n != 1 {
		t.Errorf("%d requests, want exactly 1", n)
	}
}

func TestPollEdited(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"data":[{"id":"1002","text":"fixed typo","edit_history_tweet_ids":["1000","1002"],"created_at":"2026-11-25T10:00:00.000Z"}],"meta":{"result_count":1}}`)
	})
	p := newTestProvider(t, s, nil)
	knowMe(p)
	evs, next, err := p.Poll(context.Background(), "1001")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Kind != providers.Edited || evs[0].Ref.ID != "1000" || evs[0].Post.Ref.ID != "1002" ||
		evs[0].Cursor != "1002" || next != "1002" || evs[0].Post.Edited.IsZero() {
		t.Errorf("Poll = %+v, next %q; want one edit of 1000 now 1002", evs, next)
	}
}

func TestPollReadsDenied(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/2/users/me" {
			writeJSON(w, 200, meBody)
			return
		}
		writeJSON(w, 403, `{"client_id":"29174823","detail":"When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project. You can create a project via the developer portal.","registration_url":"https://developer.twitter.com/en/docs/projects/overview","title":"Client Forbidden","required_enrollment":"Appropriate Level of API Access","reason":"client-not-enrolled","type":"https://api.twitter.com/2/problems/client-forbidden"}`)
	})
	p := newTestProvider(t, s, nil)
	_, next, err := p.Poll(context.Background(), "77")
	if !errors.Is(err, &providers.Error{Kind: providers.NotPermitted, Reason: providers.ReasonReadDenied}) {
		t.Fatalf("err = %v, want NotPermitted/ReadDenied", err)
	}
	if !strings.Contains(err.Error(), "this X app cannot read timelines; the account is write-only") {
		t.Errorf("err = %v, want the plain explanation", err)
	}
	if next != "77" {
		t.Errorf("cursor moved to %q", next)
	}
	if n := len(s.requests()); n != 2 {
		t.Errorf("%d requests, want 2 (me and one refused read, no retry)", n)
	}
	noSecret(t, err)
}

func TestPollEndlessPagination(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, page("same", [2]string{"900", "again"}))
	})
	p := newTestProvider(t, s, nil)
	knowMe(p)
	_, next, err := p.Poll(context.Background(), "500")
	if !errors.Is(err, providers.ErrTransient) || next != "500" {
		t.Fatalf("Poll = %q, %v; want a transient error and the cursor kept", next, err)
	}
	if n := len(s.requests()); n != 2 {
		t.Errorf("%d requests, want 2 (a repeated token ends it)", n)
	}
}

func TestPollHostileAnswers(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"not JSON", `<html>`},
		{"data of the wrong type", `{"data":{"id":"1"}}`},
		{"truncated", `{"data":[{"id":"1","text":"x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, tc.body) })
			p := newTestProvider(t, s, nil)
			knowMe(p)
			if _, _, err := p.Poll(context.Background(), "5"); !errors.Is(err, providers.ErrTransient) {
				t.Errorf("err = %v, want Transient", err)
			}
		})
	}
	t.Run("ids that are not IDs are skipped", func(t *testing.T) {
		s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, page("", [2]string{"../me", "x"}, [2]string{"7", "ok"}))
		})
		p := newTestProvider(t, s, nil)
		knowMe(p)
		evs, next, err := p.Poll(context.Background(), "5")
		if err != nil || len(evs) != 1 || next != "7" {
			t.Errorf("Poll = %+v, %q, %v", evs, next, err)
		}
	})
	t.Run("a bad cursor is refused unsent", func(t *testing.T) {
		s := newServer(t, func(w http.ResponseWriter, r *http.Request) { t.Error("a request was sent") })
		p := newTestProvider(t, s, nil)
		if _, _, err := p.Poll(context.Background(), "5&max_results=1"); !errors.Is(err, providers.ErrRejected) {
			t.Errorf("err = %v, want Rejected", err)
		}
	})
}

func TestFetch(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/2/users/me":
			writeJSON(w, 200, meBody)
		case "/2/tweets/11":
			writeJSON(w, 200, `{"data":{"id":"11","text":"part 2","author_id":"42","in_reply_to_user_id":"42","created_at":"2026-11-25T10:00:00.000Z","referenced_tweets":[{"type":"replied_to","id":"10"}],"edit_history_tweet_ids":["11"]}}`)
		case "/2/tweets/12":
			writeJSON(w, 200, `{"errors":[{"value":"12","detail":"Could not find tweet with id: [12].","title":"Not Found Error","resource_type":"tweet","parameter":"id","resource_id":"12","type":"https://api.twitter.com/2/problems/resource-not-found"}]}`)
		default:
			writeJSON(w, 404, `{"title":"Not Found Error","type":"https://api.x.com/2/problems/resource-not-found"}`)
		}
	})
	p := newTestProvider(t, s, nil)
	post, err := p.Fetch(context.Background(), "11")
	if err != nil {
		t.Fatal(err)
	}
	if post.Ref != (providers.Ref{Account: "alice-x", ID: "11"}) || post.ReplyTo == nil || post.ReplyTo.ID != "10" || !post.ReplyTo.Self ||
		post.URL != "https://x.com/alice_x/status/11" || post.Created.IsZero() {
		t.Errorf("Fetch = %+v (reply %+v)", post, post.ReplyTo)
	}
	for _, id := range []string{"12", "13"} {
		if _, err := p.Fetch(context.Background(), id); !errors.Is(err, providers.ErrNotFound) {
			t.Errorf("Fetch(%s) = %v, want NotFound", id, err)
		}
	}
}

func TestVerify(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, meBody) })
	p := newTestProvider(t, s, nil)
	id, err := p.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := providers.Identity{ID: "42", Handle: "alice_x", Name: "Alice", URL: "https://x.com/alice_x"}
	if id != want {
		t.Errorf("Verify = %+v, want %+v", id, want)
	}
	s.setHandler(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 401, `{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}`)
	})
	_, err = p.Verify(context.Background())
	if !errors.Is(err, providers.ErrAuth) {
		t.Errorf("Verify with a refused token = %v, want Auth", err)
	}
	noSecret(t, err)
}

func TestPollSinceCursor(t *testing.T) {
	since := time.Date(2026, 11, 25, 9, 30, 15, 500e6, time.UTC)
	pages := map[string]string{
		"":     page("tok1", [2]string{"900", "nine"}),
		"tok1": page("", [2]string{"800", "eight"}),
	}
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("start_time") != "2026-11-25T09:30:15Z" || q.Has("since_id") || q.Get("max_results") != "100" {
			writeJSON(w, 400, `{"title":"Invalid Request","type":"https://api.twitter.com/2/problems/invalid-request"}`)
			return
		}
		writeJSON(w, 200, pages[q.Get("pagination_token")])
	})
	p := newTestProvider(t, s, nil)
	knowMe(p)
	cursor := providers.SinceCursor(since)
	evs, next, err := p.Poll(context.Background(), cursor)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Ref.ID != "800" || evs[1].Ref.ID != "900" || next != "900" {
		t.Errorf("Poll = %+v, next %q; want 800, 900 and a cursor X made", evs, next)
	}

	s.setHandler(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{"meta":{"result_count":0}}`) })
	evs, next, err = p.Poll(context.Background(), cursor)
	if err != nil || len(evs) != 0 || next != cursor {
		t.Errorf("Poll with nothing since = %v, %q, %v; want nothing and the same cursor", evs, next, err)
	}
}

// TestGoneCountsOnlyNotFound: of X's problems for a lookup, only
// resource-not-found on a post asked about means gone; a protected author's
// post, or a problem naming something else, does not.
func TestGoneCountsOnlyNotFound(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/2/tweets" || r.URL.Query().Get("ids") != "101,102,103,104" {
			writeJSON(w, 400, `{"title":"Invalid Request","type":"https://api.x.com/2/problems/invalid-request"}`)
			return
		}
		writeJSON(w, 200, `{"data":[{"id":"101","text":"still here","edit_history_tweet_ids":["101"]}],"errors":[
			{"value":"102","detail":"Could not find tweet with ids: [102].","title":"Not Found Error","resource_type":"tweet","parameter":"ids","resource_id":"102","type":"https://api.twitter.com/2/problems/resource-not-found"},
			{"value":"103","detail":"Sorry, you are not authorized to see the Tweet with ids: [103].","title":"Authorization Error","resource_type":"tweet","parameter":"ids","resource_id":"103","type":"https://api.twitter.com/2/problems/not-authorized-for-resource"},
			{"value":"9","detail":"Could not find user with id: [9].","title":"Not Found Error","resource_type":"user","parameter":"author_id","resource_id":"9","type":"https://api.twitter.com/2/problems/resource-not-found"},
			{"value":"999","detail":"Could not find tweet with ids: [999].","title":"Not Found Error","resource_type":"tweet","parameter":"ids","resource_id":"999","type":"https://api.twitter.com/2/problems/resource-not-found"}]}`)
	})
	p := newTestProvider(t, s, nil)
	gone, err := p.Gone(context.Background(), []string{"101", "102", "103", "104"})
	if err != nil {
		t.Fatal(err)
	}
	if len(gone) != 1 || gone[0] != "102" {
		t.Errorf("Gone = %v, want [102]: only a post asked about and not found", gone)
	}
	if _, err := p.Gone(context.Background(), make([]string, providers.MaxChecked+1)); !errors.Is(err, providers.ErrRejected) {
		t.Errorf("Gone of %d IDs = %v, want a refusal before anything is sent", providers.MaxChecked+1, err)
	}
	if n := len(s.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}
