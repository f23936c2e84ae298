package mastodontest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	gomastodon "github.com/mattn/go-mastodon"
)

// TestGoMastodonClient drives the fake with github.com/mattn/go-mastodon,
// the client library the adapter is built on, to show the shapes decode
// and the flows work the way that library expects them to.
func TestGoMastodonClient(t *testing.T) {
	for _, f := range []Flavor{Mastodon, GoToSocial} {
		t.Run(f.String(), func(t *testing.T) {
			s := New(t, Options{Flavor: f})
			c := gomastodon.NewClient(&gomastodon.Config{Server: s.URL(), AccessToken: s.Token()})
			c.Client = *s.Client()
			c.UserAgent = "dualpower-test/1"
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()

			me, err := c.GetAccountCurrentUser(ctx)
			if err != nil || string(me.ID) != s.AccountID() || me.Username != "alice" {
				t.Fatalf("GetAccountCurrentUser: %+v, %v", me, err)
			}
			inst, err := c.GetInstance(ctx)
			if err != nil || inst.URI != "social.example" {
				t.Fatalf("GetInstance: %+v, %v", inst, err)
			}

			ws := c.NewWSClient()
			events, err := ws.StreamingWSUser(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !s.WaitStreams(s.Alice(), 1, 5*time.Second) {
				t.Fatal("websocket stream not connected")
			}

			att, err := c.UploadMediaFromBytes(ctx, PNG())
			if err != nil || att.Type != "image" || att.URL == "" {
				t.Fatalf("UploadMediaFromBytes: %+v, %v", att, err)
			}
			st, err := c.PostStatus(ctx, &gomastodon.Toot{
				Status: "hello #world @bob@remote.example", MediaIDs: []gomastodon.ID{att.ID},
				Visibility: "public", SpoilerText: "cw", Language: "en",
			})
			if err != nil {
				t.Fatalf("PostStatus: %v", err)
			}
			if len(st.MediaAttachments) != 1 || len(st.Mentions) != 1 || st.Mentions[0].Acct != "bob@remote.example" || len(st.Tags) != 1 {
				t.Errorf("status %+v", st)
			}
			reply, err := c.PostStatus(ctx, &gomastodon.Toot{Status: "a reply", InReplyToID: st.ID, Visibility: "public"})
			if err != nil || reply.InReplyToID != string(st.ID) {
				t.Fatalf("reply: %+v, %v", reply, err)
			}
			ed, err := c.UpdateStatus(ctx, &gomastodon.Toot{Status: "a reply, edited"}, reply.ID)
			if err != nil || ed.EditedAt.IsZero() {
				t.Fatalf("UpdateStatus: %+v, %v", ed, err)
			}
			if err := c.DeleteStatus(ctx, reply.ID); err != nil {
				t.Fatal(err)
			}
			err = c.DeleteStatus(ctx, reply.ID)
			var apiErr *gomastodon.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
				t.Errorf("second delete: %v", err)
			}

			// The stream saw: update, update, status.update, delete.
			var got []string
			for len(got) < 4 {
				select {
				case e := <-events:
					switch e := e.(type) {
					case *gomastodon.UpdateEvent:
						got = append(got, "update:"+string(e.Status.ID))
					case *gomastodon.UpdateEditEvent:
						got = append(got, "edit:"+string(e.Status.ID))
					case *gomastodon.DeleteEvent:
						got = append(got, "delete:"+string(e.ID))
					case *gomastodon.ErrorEvent:
						t.Fatalf("stream error: %v", e)
					}
				case <-ctx.Done():
					t.Fatalf("stream gave only %v", got)
				}
			}
			want := []string{"update:" + string(st.ID), "update:" + string(reply.ID), "edit:" + string(reply.ID), "delete:" + string(reply.ID)}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("stream %v, want %v", got, want)
			}

			// Paging with the library's Pagination, following Link headers.
			for i := range 12 {
				s.PostAsUser(fmt.Sprintf("p%d", i), "")
			}
			pg := &gomastodon.Pagination{Limit: 5}
			seen := 0
			for range 10 {
				page, err := c.GetAccountStatuses(ctx, me.ID, pg)
				if err != nil {
					t.Fatal(err)
				}
				seen += len(page)
				if pg.MaxID == "" {
					break
				}
				pg = &gomastodon.Pagination{MaxID: pg.MaxID, Limit: 5}
			}
			if seen != 13 {
				t.Errorf("paged through %d statuses, want 13", seen)
			}

			rb, err := c.Reblog(ctx, st.ID)
			if err != nil || rb.Reblog == nil || rb.Reblog.ID != st.ID {
				t.Fatalf("Reblog: %+v, %v", rb, err)
			}
			if _, err := c.Unreblog(ctx, st.ID); err != nil {
				t.Fatal(err)
			}

			s.Revoke()
			_, err = c.GetAccountCurrentUser(ctx)
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || strings.Contains(err.Error(), s.Token()) {
				t.Errorf("revoked: %v", err)
			}
		})
	}
}
