package mastodontest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// page fetches alice's statuses with query q and returns their IDs and
// the Link header's next and prev URLs (path and query only).
func page(t *testing.T, s *Server, token, q string) (ids []string, next, prev string) {
	t.Helper()
	r := do(t, s, http.MethodGet, "/api/v1/accounts/"+s.AccountID()+"/statuses?"+q, token, nil)
	mustStatus(t, r, 200)
	var sts []apiStatus
	r.json(t, &sts)
	for _, st := range sts {
		ids = append(ids, st.ID)
	}
	for _, part := range strings.Split(r.header.Get("Link"), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		u, rel, _ := strings.Cut(part, ";")
		pu, err := url.Parse(strings.Trim(u, "<>"))
		if err != nil {
			t.Fatalf("Link %q: %v", part, err)
		}
		if pu.Host != strings.TrimPrefix(s.URL(), "http://") {
			t.Errorf("Link host %q, want the server's", pu.Host)
		}
		switch strings.TrimSpace(rel) {
		case `rel="next"`:
			next = pu.RequestURI()
		case `rel="prev"`:
			prev = pu.RequestURI()
		default:
			t.Errorf("Link rel %q", rel)
		}
	}
	return ids, next, prev
}

// newest returns the IDs of posted, newest first, from index i (from the
// newest) for n.
func window(posted []string, from, n int) []string {
	var out []string
	for i := len(posted) - 1 - from; i >= 0 && len(out) < n; i-- {
		out = append(out, posted[i])
	}
	return out
}

func TestPaging(t *testing.T) {
	for _, f := range []Flavor{Mastodon, GoToSocial} {
		t.Run(f.String(), func(t *testing.T) {
			s := New(t, Options{Flavor: f})
			var posted []string // oldest first
			for i := range 50 {
				posted = append(posted, s.PostAsUser(fmt.Sprintf("post %d", i), ""))
			}
			tok := s.Token()
			eq := func(name string, got, want []string) {
				t.Helper()
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s:\n got %v\nwant %v", name, got, want)
				}
			}

			ids, next, prev := page(t, s, tok, "")
			eq("default page", ids, window(posted, 0, 20))
			if !strings.Contains(next, "max_id="+posted[30]) || !strings.Contains(prev, "min_id="+posted[49]) {
				t.Errorf("links next=%q prev=%q", next, prev)
			}
			ids, _, _ = page(t, s, tok, "limit=100")
			eq("limit capped at 40", ids, window(posted, 0, 40))

			ids, next, _ = page(t, s, tok, "limit=5&max_id="+posted[30])
			eq("max_id", ids, window(posted, 20, 5))
			if !strings.Contains(next, "limit=5") {
				t.Errorf("next link %q keeps no limit", next)
			}

			// min_id: the page immediately newer than min_id, newest first.
			ids, _, prev = page(t, s, tok, "limit=5&min_id="+posted[10])
			eq("min_id", ids, []string{posted[15], posted[14], posted[13], posted[12], posted[11]})
			if !strings.Contains(prev, "min_id="+posted[15]) {
				t.Errorf("prev link %q", prev)
			}
			ids, _, _ = page(t, s, tok, "limit=40&min_id="+posted[10]+"&max_id="+posted[13])
			eq("min_id and max_id", ids, []string{posted[12], posted[11]})

			// since_id: the newest page above since_id (Mastodon); ignored
			// by GoToSocial.
			ids, _, _ = page(t, s, tok, "limit=5&since_id="+posted[10])
			if f == Mastodon {
				eq("since_id", ids, window(posted, 0, 5))
				ids, _, _ = page(t, s, tok, "since_id="+posted[47])
				eq("since_id near the top", ids, []string{posted[49], posted[48]})
			} else {
				eq("since_id ignored", ids, window(posted, 0, 5))
				ids, _, _ = page(t, s, tok, "since_id="+posted[47])
				eq("since_id ignored near the top", ids, window(posted, 0, 20))
			}
			// min_id wins over since_id.
			ids, _, _ = page(t, s, tok, "limit=2&since_id="+posted[40]+"&min_id="+posted[0])
			eq("min_id over since_id", ids, []string{posted[2], posted[1]})

			// Caught up: empty page, no Link header.
			ids, next, prev = page(t, s, tok, "min_id="+posted[49])
			if len(ids) != 0 || next != "" || prev != "" {
				t.Errorf("caught up: %v next=%q prev=%q", ids, next, prev)
			}
			// Walking next links visits every status once.
			seen := map[string]bool{}
			q := "limit=7"
			for range 20 {
				ids, next, _ = page(t, s, tok, q)
				for _, id := range ids {
					if seen[id] {
						t.Fatalf("status %s twice", id)
					}
					seen[id] = true
				}
				if next == "" {
					break
				}
				_, q, _ = strings.Cut(next, "?")
			}
			if len(seen) != 50 {
				t.Errorf("walked %d statuses, want 50", len(seen))
			}
		})
	}
}

func TestPagingFilters(t *testing.T) {
	s := New(t, Options{})
	bob := s.CreateUser("bob")
	theirs := bob.PostAsUser("bob's", "")
	a := s.PostAsUser("thread start", "")
	selfReply := s.PostAsUser("thread part 2", a)
	otherReply := s.PostAsUser("@bob reply to bob", theirs)
	boost := s.Boost(theirs)
	private := s.Post(PostOpts{Text: "followers only", Visibility: "private"})
	direct := s.Post(PostOpts{Text: "@bob dm", Visibility: "direct"})
	img := s.Post(PostOpts{Text: "with media #pics", Media: []MediaOpts{{Data: PNG(), ContentType: "image/png"}}})

	tests := []struct {
		name, token, q string
		want           []string
	}{
		{"owner sees all", s.Token(), "", []string{img, direct, private, boost, otherReply, selfReply, a}},
		{"exclude_replies keeps self-replies", s.Token(), "exclude_replies=true", []string{img, direct, private, boost, selfReply, a}},
		{"exclude_reblogs", s.Token(), "exclude_reblogs=1", []string{img, direct, private, otherReply, selfReply, a}},
		{"only_media", s.Token(), "only_media=true", []string{img}},
		{"tagged", s.Token(), "tagged=pics", []string{img}},
		{"pinned is empty", s.Token(), "pinned=true", nil},
		{"anonymous sees public", "", "", []string{img, boost, otherReply, selfReply, a}},
		{"mentioned sees the dm", bob.Token, "", []string{img, direct, boost, otherReply, selfReply, a}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, _, _ := page(t, s, tt.token, tt.q)
			if fmt.Sprint(ids) != fmt.Sprint(tt.want) {
				t.Errorf("got %v\nwant %v", ids, tt.want)
			}
		})
	}
	mustStatus(t, do(t, s, "GET", "/api/v1/accounts/123/statuses", "", nil), 404)
}

func TestIDs(t *testing.T) {
	clock := newClock() // a clock that stands still
	for _, f := range []Flavor{Mastodon, GoToSocial} {
		t.Run(f.String(), func(t *testing.T) {
			g := newIDGen(f, 1)
			prev := ""
			contiguous := 0
			for i := range 2000 {
				id := g.next(clock.Now())
				if f == GoToSocial && (len(id) != 26 || strings.Trim(id, crockford) != "") {
					t.Fatalf("ULID %q", id)
				}
				if prev != "" && cmpID(prev, id) >= 0 {
					t.Fatalf("id %d: %s not after %s", i, id, prev)
				}
				if f == Mastodon && prev != "" && len(id) == len(prev) {
					var a, b uint64
					fmt.Sscan(prev, &a)
					fmt.Sscan(id, &b)
					if b == a+1 {
						contiguous++
					}
				}
				prev = id
			}
			if contiguous > 100 {
				t.Errorf("%d of 2000 snowflakes contiguous", contiguous)
			}
		})
	}
}
