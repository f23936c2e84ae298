package twittertest

import (
	"fmt"
	"testing"
)

// BenchmarkPublishThenPoll measures one signed POST /2/tweets followed by a
// signed timeline read with since_id, the round trip of one mirrored post.
func BenchmarkPublishThenPoll(b *testing.B) {
	s := New(b, Options{UserPostsPer24h: 1 << 30, AppPostsPer24h: 1 << 30})
	s.SetRateLimit("POST /2/tweets", 1<<30, 1<<40)
	s.SetRateLimit("GET /2/users/{id}/tweets", 1<<30, 1<<40)
	hc := signedClient(s, s.ConsumerKey(), s.ConsumerSecret(), s.Token(), s.TokenSecret(), nil)
	c := &apiClient{t: b, s: s, hc: hc}
	since := s.PostAsUser("start", "")
	b.ResetTimer()
	for i := range b.N {
		a := c.do("POST", "/2/tweets", map[string]any{"text": fmt.Sprint("post ", i)})
		if a.status != 201 {
			b.Fatalf("post: %d %s", a.status, a.raw)
		}
		tl := c.do("GET", "/2/users/"+s.UserID()+"/tweets?since_id="+since, nil)
		if tl.status != 200 {
			b.Fatalf("poll: %d %s", tl.status, tl.raw)
		}
		since = a.str("data", "id")
	}
}

// BenchmarkTimelineDeep reads the newest page of a timeline of 10,000
// posts: the cost must not grow with the history.
func BenchmarkTimelineDeep(b *testing.B) {
	s := New(b, Options{})
	for i := range 10000 {
		s.PostAsUser(fmt.Sprint("post ", i), "")
	}
	s.SetRateLimit("GET /2/users/{id}/tweets", 1<<30, 1<<40)
	c := &apiClient{t: b, s: s, hc: signedClient(s, s.ConsumerKey(), s.ConsumerSecret(), s.Token(), s.TokenSecret(), nil)}
	b.ResetTimer()
	for range b.N {
		if a := c.do("GET", "/2/users/"+s.UserID()+"/tweets?max_results=100", nil); a.status != 200 {
			b.Fatalf("%d", a.status)
		}
	}
}
