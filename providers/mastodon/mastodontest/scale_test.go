package mastodontest

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// populate makes users local accounts with one status each, and alice
// posts more, the last few mentioning other users.
func populate(tb testing.TB, s *Server, users, posts int) []*User {
	tb.Helper()
	all := make([]*User, 0, users)
	for i := range users {
		u := s.CreateUser(fmt.Sprintf("user%05d", i))
		u.PostAsUser("hello from "+u.Username, "")
		all = append(all, u)
	}
	for i := range posts {
		s.PostAsUser(fmt.Sprintf("post %d @user%05d", i, i%users), "")
	}
	return all
}

// TestScale checks that 10,000 users and thousands of statuses keep
// requests cheap: every lookup is a map access or a binary search in one
// user's own list, so a run of requests stays far below the budget even
// under -race on a shared machine.
func TestScale(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	s := New(t, Options{RateLimit: -1})
	start := time.Now()
	users := populate(t, s, 10000, 3000)
	t.Logf("10,000 users and 13,000 statuses in %v", time.Since(start))
	if s.User("user09999") == nil || s.Posts() != 3000 {
		t.Fatalf("population: %v %d", s.User("user09999"), s.Posts())
	}
	ids := s.Alice().Statuses()
	start = time.Now()
	const n = 300
	for i := range n {
		u := users[(i*37)%len(users)]
		mustStatus(t, do(t, s, http.MethodGet, "/api/v1/accounts/"+s.AccountID()+"/statuses?limit=40&max_id="+ids[(i*7)%len(ids)], u.Token, nil), 200)
		mustStatus(t, do(t, s, http.MethodGet, "/api/v1/accounts/"+u.ID+"/statuses", u.Token, nil), 200)
		mustStatus(t, do(t, s, http.MethodGet, "/api/v1/statuses/"+ids[i], u.Token, nil), 200)
		mustStatus(t, do(t, s, http.MethodGet, "/api/v1/instance", "", nil), 200)
	}
	elapsed := time.Since(start)
	t.Logf("%d requests in %v (%v each)", 4*n, elapsed, elapsed/(4*n))
	if elapsed > 20*time.Second {
		t.Errorf("%d requests took %v: something scans every user or status", 4*n, elapsed)
	}
}

func BenchmarkAccountStatuses(b *testing.B) {
	for _, users := range []int{10, 10000} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			s := New(b, Options{RateLimit: -1})
			populate(b, s, users, 2000)
			ids := s.Alice().Statuses()
			b.ResetTimer()
			for i := range b.N {
				r := do(b, s, http.MethodGet, "/api/v1/accounts/"+s.AccountID()+"/statuses?limit=20&max_id="+ids[(i*7)%len(ids)], s.Token(), nil)
				if r.status != 200 {
					b.Fatal(r.status)
				}
			}
		})
	}
}

func BenchmarkCreateStatus(b *testing.B) {
	for _, users := range []int{10, 10000} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			s := New(b, Options{RateLimit: -1})
			populate(b, s, users, 0)
			b.ResetTimer()
			for i := range b.N {
				r := do(b, s, http.MethodPost, "/api/v1/statuses", s.Token(), map[string]any{"status": fmt.Sprintf("post %d @user00001 #tag https://example.com/", i)})
				if r.status != 200 {
					b.Fatal(r.status)
				}
			}
		})
	}
}
