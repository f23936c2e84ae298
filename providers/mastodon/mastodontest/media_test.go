package mastodontest

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestMediaImage(t *testing.T) {
	s := New(t, Options{})
	r := upload(t, s, "/api/v2/media", s.Token(), "image/png", PNG(), map[string]string{"description": "alt", "focus": "0.5,-0.25"})
	mustStatus(t, r, 200)
	var m apiMedia
	r.json(t, &m)
	if m.Type != "image" || m.URL == nil || *m.Description != "alt" || m.Meta.Focus == nil || m.Meta.Focus.X != 0.5 || m.Meta.Focus.Y != -0.25 {
		t.Fatalf("media %+v", m)
	}
	if m.Meta.Original == nil || m.Meta.Original.Width != 2 {
		t.Errorf("meta %+v", m.Meta.Original)
	}
	// The file is served back at its URL.
	res, err := s.Client().Get(*m.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Equal(body, PNG()) || res.Header.Get("Content-Type") != "image/png" {
		t.Errorf("GET url: %d %s, %d bytes", res.StatusCode, res.Header.Get("Content-Type"), len(body))
	}
	// PUT changes description and focus.
	r = do(t, s, "PUT", "/api/v1/media/"+m.ID, s.Token(), url.Values{"description": {"better alt"}, "focus": {"0,0"}})
	mustStatus(t, r, 200)
	r.json(t, &m)
	if *m.Description != "better alt" || m.Meta.Focus.X != 0 {
		t.Errorf("after PUT %+v", m)
	}
	// Attached media is no longer reachable through the media endpoints.
	st := postStatus(t, s, s.Token(), url.Values{"status": {"pic"}, "media_ids[]": {m.ID}})
	if len(st.MediaAttachments) != 1 || st.MediaAttachments[0].ID != m.ID {
		t.Fatalf("status media %+v", st.MediaAttachments)
	}
	mustStatus(t, do(t, s, "GET", "/api/v1/media/"+m.ID, s.Token(), nil), 404)
	r = do(t, s, "POST", "/api/v1/statuses", s.Token(), url.Values{"status": {"again"}, "media_ids[]": {m.ID}})
	mustStatus(t, r, 422)
	if got, _ := s.Lookup(st.ID); len(got.MediaTypes) != 1 || got.MediaTypes[0] != "image" || got.MediaAlts[0] != "better alt" {
		t.Errorf("Lookup media %+v %+v", got.MediaTypes, got.MediaAlts)
	}
}

func TestMediaProcessing(t *testing.T) {
	tests := []struct {
		name  string
		ct    string
		data  []byte
		typ   string
		polls int
	}{
		{"video", "video/mp4", mp4, "video", 1},
		{"gifv", "image/gif", gifv, "gifv", 3},
		{"audio", "audio/mpeg", []byte("ID3\x03\x00\x00\x00\x00\x00\x00"), "audio", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t, Options{MediaPolls: tt.polls})
			r := upload(t, s, "/api/v2/media", s.Token(), tt.ct, tt.data, nil)
			mustStatus(t, r, 202)
			var m apiMedia
			r.json(t, &m)
			if m.Type != tt.typ || m.URL != nil {
				t.Fatalf("202 answer %+v, want type %s and url null", m, tt.typ)
			}
			for i := range tt.polls {
				r = do(t, s, "GET", "/api/v1/media/"+m.ID, s.Token(), nil)
				mustStatus(t, r, 206)
				_ = i
			}
			r = do(t, s, "GET", "/api/v1/media/"+m.ID, s.Token(), nil)
			mustStatus(t, r, 200)
			r.json(t, &m)
			if m.URL == nil {
				t.Fatal("processed media has no url")
			}
			st := postStatus(t, s, s.Token(), url.Values{"media_ids[]": {m.ID}})
			if got, _ := s.Lookup(st.ID); len(got.MediaTypes) != 1 {
				t.Errorf("stored %+v", got)
			}
		})
	}

	t.Run("by clock", func(t *testing.T) {
		clock := newClock()
		s := New(t, Options{Now: clock.Now, MediaPolls: -1, MediaProcessing: 30 * time.Second})
		r := upload(t, s, "/api/v2/media", s.Token(), "video/mp4", mp4, nil)
		var m apiMedia
		r.json(t, &m)
		for range 5 {
			mustStatus(t, do(t, s, "GET", "/api/v1/media/"+m.ID, s.Token(), nil), 206)
		}
		clock.Advance(30 * time.Second)
		mustStatus(t, do(t, s, "GET", "/api/v1/media/"+m.ID, s.Token(), nil), 200)
	})

	t.Run("v1 upload is synchronous", func(t *testing.T) {
		s := New(t, Options{})
		r := upload(t, s, "/api/v1/media", s.Token(), "video/mp4", mp4, nil)
		mustStatus(t, r, 200)
	})

	t.Run("gotosocial answers 200 at once", func(t *testing.T) {
		s := New(t, Options{Flavor: GoToSocial})
		r := upload(t, s, "/api/v2/media", s.Token(), "video/mp4", mp4, nil)
		mustStatus(t, r, 200)
		var m apiMedia
		r.json(t, &m)
		if m.URL == nil {
			t.Error("gts media without url")
		}
	})
}

func TestMediaRefused(t *testing.T) {
	tests := []struct {
		name   string
		flavor Flavor
		ct     string
		data   []byte
		fields map[string]string
		status int
		err    string
	}{
		{"image too big", Mastodon, "image/png", append(PNG(), make([]byte, 2048)...), nil, 422, "Validation failed: File file size must be less than 1 KB"},
		{"video too big", Mastodon, "video/mp4", append(mp4, make([]byte, 4096)...), nil, 422, "Validation failed: File file size must be less than 2 KB"},
		{"description too long", Mastodon, "image/png", PNG(), map[string]string{"description": strings.Repeat("é", 1501)}, 422, "Validation failed: Description is too long (maximum is 1500 characters)"},
		{"unsupported type", Mastodon, "application/pdf", []byte("%PDF-1.4"), nil, 422, "Validation failed: File content type is invalid, File is invalid"},
		{"not really an image", Mastodon, "image/png", []byte("hello, I am text"), nil, 422, "Validation failed: File content type is invalid, File is invalid"},
		{"no file", Mastodon, "", nil, map[string]string{"description": "x"}, 400, "param is missing or the value is empty: file"},
		{"gts description too long", GoToSocial, "image/png", PNG(), map[string]string{"description": strings.Repeat("a", 1501)}, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t, Options{Flavor: tt.flavor, ImageSizeLimit: 1024, VideoSizeLimit: 2048})
			r := upload(t, s, "/api/v2/media", s.Token(), tt.ct, tt.data, tt.fields)
			mustStatus(t, r, tt.status)
			if tt.err != "" {
				if got := r.errorText(t); got != tt.err {
					t.Errorf("error %q, want %q", got, tt.err)
				}
			}
		})
	}
	t.Run("someone else's media", func(t *testing.T) {
		s := New(t, Options{})
		bob := s.CreateUser("bob")
		r := upload(t, s, "/api/v2/media", bob.Token, "video/mp4", mp4, nil)
		var m apiMedia
		r.json(t, &m)
		mustStatus(t, do(t, s, "GET", "/api/v1/media/"+m.ID, s.Token(), nil), 404)
		mustStatus(t, do(t, s, "PUT", "/api/v1/media/"+m.ID, s.Token(), url.Values{"description": {"x"}}), 404)
	})
	t.Run("unknown file url", func(t *testing.T) {
		s := New(t, Options{})
		res, err := http.Get(s.URL() + "/system/media_attachments/files/1/original/x.png")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 404 {
			t.Errorf("status %d", res.StatusCode)
		}
	})
}

func TestMediaHelpers(t *testing.T) {
	s := New(t, Options{})
	id := s.Post(PostOpts{Text: "two", Sensitive: true, Media: []MediaOpts{
		{Type: "image", Data: PNG(), ContentType: "image/png", Description: "first"},
		{Type: "image", Data: PNG(), ContentType: "image/png", Description: "second"},
	}})
	st, ok := s.Lookup(id)
	if !ok || len(st.MediaAlts) != 2 || st.MediaAlts[1] != "second" || !st.Sensitive {
		t.Fatalf("Lookup %+v", st)
	}
	var js apiStatus
	do(t, s, "GET", "/api/v1/statuses/"+id, "", nil).json(t, &js)
	for _, m := range js.MediaAttachments {
		res, err := http.Get(*m.URL)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("media %s: %d", *m.URL, res.StatusCode)
		}
	}
	s.Edit(id, PostOpts{Text: "two, edited"})
	if st, _ = s.Lookup(id); len(st.MediaAlts) != 2 || st.Text != "two, edited" {
		t.Errorf("helper edit lost media: %+v", st)
	}
}
