package mastodon

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/providers/mastodon/mastodontest"
)

// TestMissedSinceConfirmsDeletes: after an outage only a status the
// stream delivered, missing from the newest page where the page would
// show it, and answered with 404, becomes a Deleted event; a status older
// than the page is not even looked up, and one that still exists or
// cannot be looked up is kept.
func TestMissedSinceConfirmsDeletes(t *testing.T) {
	base := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	status := func(id int, at time.Time) string {
		return fmt.Sprintf(`{"id":"%d","created_at":%q,"uri":"https://social.example/users/alice/statuses/%[1]d",`+
			`"url":"https://social.example/@alice/%[1]d","content":"<p>post %[1]d</p>","visibility":"public",`+
			`"sensitive":false,"spoiler_text":"","media_attachments":[],"mentions":[],"tags":[],"emojis":[],`+
			`"account":{"id":"1","username":"alice","acct":"alice","url":"https://social.example/@alice"}}`, id, at.Format(time.RFC3339))
	}
	var mu sync.Mutex
	var fetched []string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/accounts/verify_credentials", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"id":"1","username":"alice","acct":"alice","url":"https://social.example/@alice"}`)
	})
	mux.HandleFunc("GET /api/v1/accounts/1/statuses", func(w http.ResponseWriter, r *http.Request) {
		// A full page, newest first: 239 (12:39) down to 200 (12:00).
		var page []string
		for id := 239; id >= 200; id-- {
			page = append(page, status(id, base.Add(time.Duration(id-200)*time.Minute)))
		}
		_, _ = io.WriteString(w, "["+strings.Join(page, ",")+"]")
	})
	mux.HandleFunc("GET /api/v1/statuses/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		mu.Lock()
		fetched = append(fetched, id)
		mu.Unlock()
		switch id {
		case "246":
			_, _ = io.WriteString(w, status(246, base.Add(61*time.Minute)))
		case "247":
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"error":"Service Unavailable"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":"Record not found"}`)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p, err := New(providers.Options{Account: "alice-mastodon", Settings: map[string]string{"server": srv.URL},
		Secrets: map[string]providers.Secret{"access_token": "s3cr3t-token-value"}, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	live := liveIDs{n: pageSize}
	created := func(id string, at time.Time) {
		live.note(providers.Event{Kind: providers.Created, Ref: providers.Ref{Account: "alice-mastodon", ID: id}, Post: &providers.Post{Created: at}})
	}
	created("150", base.Add(-time.Hour))     // older than the page: it cannot say
	created("239", base.Add(39*time.Minute)) // on the page
	created("245", base.Add(60*time.Minute)) // gone: 404
	created("246", base.Add(61*time.Minute)) // left out, but there
	created("247", base.Add(62*time.Minute)) // cannot be looked up now
	created("248", base.Add(63*time.Minute)) // deleted, and the stream said so
	live.note(providers.Event{Kind: providers.Deleted, Ref: providers.Ref{Account: "alice-mastodon", ID: "248"}})

	evs, err := p.missedSince(context.Background(), base, &live)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Kind != providers.Deleted || evs[0].Ref.ID != "245" {
		t.Errorf("events %+v, want one Deleted for 245", evs)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(fetched, " "); got != "245 246 247" {
		t.Errorf("looked up %q, want only the three missing from where the page shows: 245 246 247", got)
	}
}

// TestStreamRecoversDeletesMadeWhileDown: a status the stream delivered
// and that is deleted while the stream is cut reaches emit as Deleted after
// the reconnect; the one beside it, untouched, does not.
func TestStreamRecoversDeletesMadeWhileDown(t *testing.T) {
	for _, flavor := range []mastodontest.Flavor{mastodontest.Mastodon, mastodontest.GoToSocial} {
		t.Run(flavor.String(), func(t *testing.T) {
			p, srv := newFakeProvider(t, mastodontest.Options{Flavor: flavor, RateLimit: -1})
			connects := make(chan struct{}, 16)
			p.onConnect = func() { connects <- struct{}{} }
			rec := newRecorder()
			runStream(t, p, "", rec.emit)
			select {
			case <-connects:
			case <-time.After(10 * time.Second):
				t.Fatal("no connection")
			}
			kept := srv.PostAsUser("this one stays", "")
			gone := srv.PostAsUser("this one goes while the stream is down", "")
			rec.waitFor(t, "both posts", 10*time.Second, func(evs []providers.Event) bool {
				return countEvents(evs, providers.Created, kept) == 1 && countEvents(evs, providers.Created, gone) == 1
			})
			srv.HoldStreams() // the delete below never reaches a connection
			srv.DropStreams()
			srv.DeleteAsUser(gone)
			srv.ReleaseStreams()
			rec.waitFor(t, "the delete made while the stream was down", 10*time.Second, func(evs []providers.Event) bool {
				return countEvents(evs, providers.Deleted, gone) == 1
			})
			if n := countEvents(rec.snapshot(), providers.Deleted, kept); n != 0 {
				t.Errorf("the status that stayed was reported deleted %d times", n)
			}
		})
	}
}

func countEvents(evs []providers.Event, kind providers.EventKind, id string) int {
	n := 0
	for _, ev := range evs {
		if ev.Kind == kind && ev.Ref.ID == id {
			n++
		}
	}
	return n
}

// TestStreamAfterResume: statuses edited and deleted while no stream
// listened reach emit once a Stream starts after Resume names them.
func TestStreamAfterResume(t *testing.T) {
	for _, flavor := range []mastodontest.Flavor{mastodontest.Mastodon, mastodontest.GoToSocial} {
		t.Run(flavor.String(), func(t *testing.T) {
			p, srv := newFakeProvider(t, mastodontest.Options{Flavor: flavor, RateLimit: -1})
			stopped := time.Now().Add(-time.Second)
			edited := srv.PostAsUser("made before the stop", "")
			gone := srv.PostAsUser("deleted while stopped", "")
			kept := srv.PostAsUser("left alone", "")
			_, cursor, err := p.Poll(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			// What the engine's ledger would hold of the three.
			var known []providers.Known
			for _, id := range []string{edited, gone, kept} {
				post, err := p.Fetch(context.Background(), id)
				if err != nil {
					t.Fatal(err)
				}
				known = append(known, providers.Known{ID: id, Created: post.Created})
			}
			// While no stream listens:
			srv.EditAsUser(edited, "edited while stopped")
			srv.DeleteAsUser(gone)

			p.Resume(stopped, known)
			rec := newRecorder()
			runStream(t, p, cursor, rec.emit)
			rec.waitFor(t, "the edit and the delete made while stopped", 10*time.Second, func(evs []providers.Event) bool {
				return countEvents(evs, providers.Edited, edited) == 1 && countEvents(evs, providers.Deleted, gone) == 1
			})
			for _, ev := range rec.snapshot() {
				if ev.Ref.ID == kept {
					t.Errorf("the status left alone came as %s", ev.Kind)
				}
			}
		})
	}
}
