package bridge

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers/mastodon/mastodontest"
	"github.com/dualpower/dualpower/providers/twitter/twittertest"
)

// watchProxy stands between the engine and a fake and records when each
// request arrived and when a 429 said to wait until, so a test can prove
// nothing was sent in between.
type watchProxy struct {
	srv      *httptest.Server
	mu       sync.Mutex
	arrivals []arrival
	limits   [][2]time.Time // [answered at, reset]
}

func newWatchProxy(t *testing.T, target string, reset func(http.Header) time.Time) *watchProxy {
	u, _ := url.Parse(target)
	p := &watchProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.StatusCode == http.StatusTooManyRequests {
			p.mu.Lock()
			p.limits = append(p.limits, [2]time.Time{time.Now(), reset(resp.Header)})
			p.mu.Unlock()
		}
		return nil
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/streaming" {
			p.mu.Lock()
			p.arrivals = append(p.arrivals, arrival{time.Now(), r.Method + " " + r.URL.Path})
			p.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

type arrival struct {
	at   time.Time
	what string
}

// check fails t for any request that arrived after a 429 and before its
// reset.
func (p *watchProxy) check(t *testing.T, name string) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.limits) == 0 {
		t.Errorf("%s: no 429 was seen", name)
	}
	for _, l := range p.limits {
		for _, a := range p.arrivals {
			if a.at.After(l[0]) && a.at.Before(l[1]) {
				t.Errorf("%s: %s arrived at %s, after the 429 at %s and before its reset at %s",
					name, a.what, a.at.Format("15:04:05.000"), l[0].Format("15:04:05.000"), l[1].Format("15:04:05.000"))
			}
		}
	}
}

func xReset(h http.Header) time.Time {
	n, _ := strconv.ParseInt(h.Get("x-rate-limit-reset"), 10, 64)
	return time.Unix(n, 0)
}

func mastodonReset(h http.Header) time.Time {
	t, _ := time.Parse(time.RFC3339, h.Get("X-RateLimit-Reset"))
	return t
}

// TestFaults mirrors both ways while both networks fail 30% of requests
// with 5xx and each answers one 429: every post arrives exactly once, and
// nothing is sent to a network between its 429 and the reset.
func TestFaults(t *testing.T) {
	w := newWorld(t, worldOpt{})
	mp := newWatchProxy(t, w.m.URL(), mastodonReset)
	xp := newWatchProxy(t, w.x.URL(), xReset)
	w.cfg.Accounts[am].Settings["server"] = mp.srv.URL
	w.cfg.Accounts[ax].Settings["api_base"] = xp.srv.URL
	w.start()

	const n = 8
	var mIDs, xIDs []string
	for i := range n {
		mIDs = append(mIDs, w.m.Alice().Post(mastodontest.PostOpts{Text: fmt.Sprintf("Toot %d through the storm", i)}))
		xIDs = append(xIDs, w.x.Post(twittertest.PostOpts{Text: fmt.Sprintf("Tweet %d through the storm", i)}))
		if i == 0 {
			w.m.SetFailRate(0.3, 7)
			w.x.SetFailRate(0.3, 11)
		}
		if i == 2 {
			w.m.RateLimitNext(time.Now().Add(2 * time.Second))
			w.x.RateLimitNext(time.Now().Add(2 * time.Second))
		}
	}
	for i := range n {
		w.waitMirror(am, mIDs[i], ax)
		w.waitMirror(ax, xIDs[i], am)
	}
	w.m.SetFailRate(0, 0)
	w.x.SetFailRate(0, 0)
	w.stop()

	xTexts := map[string]int{}
	for _, s := range allTexts(w.x, w.x.Alice().Statuses()) {
		xTexts[s]++
	}
	mTexts := map[string]int{}
	for _, s := range allTexts(w.m, w.m.Alice().Statuses()) {
		mTexts[s]++
	}
	for i := range n {
		if c := xTexts[fmt.Sprintf("Toot %d through the storm", i)]; c != 1 {
			t.Errorf("toot %d is on X %d times", i, c)
		}
		if c := mTexts[fmt.Sprintf("Tweet %d through the storm", i)]; c != 1 {
			t.Errorf("tweet %d is on Mastodon %d times", i, c)
		}
	}
	mp.check(t, "mastodon")
	xp.check(t, "x")
}
