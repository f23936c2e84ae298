package twitter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
)

// form parses a recorded multipart body into its fields and the bytes of
// its "media" part.
func form(t *testing.T, r recorded) (map[string]string, []byte) {
	t.Helper()
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", r.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(bytes.NewReader(r.Body), params["boundary"])
	fields := map[string]string{}
	var file []byte
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(part)
		if part.FormName() == "media" {
			file = b
		} else {
			fields[part.FormName()] = string(b)
		}
	}
	return fields, file
}

// waits records the waits a provider asks for, without waiting.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) after(d time.Duration) <-chan time.Time {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	c := make(chan time.Time, 1)
	c <- time.Now()
	return c
}

func TestUploadImage(t *testing.T) {
	img := []byte("\x89PNG\r\n\x1a\n not really a png")
	alt := strings.Repeat("ä", 1005)
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/2/media/upload":
			writeJSON(w, 200, `{"data":{"id":"1880000000000000001","media_key":"3_1880000000000000001","size":29,"expires_after_secs":86400}}`)
		case "/2/media/metadata":
			writeJSON(w, 200, `{"data":{"id":"1880000000000000001","associated_metadata":{}}}`)
		default:
			http.NotFound(w, r)
		}
	})
	p := newTestProvider(t, s, nil)
	id, err := p.UploadMedia(context.Background(), providers.Upload{Type: providers.Image, ContentType: "image/png",
		Filename: "banner.png", Size: int64(len(img)), Body: bytes.NewReader(img), Alt: alt})
	if err != nil {
		t.Fatal(err)
	}
	if id != "1880000000000000001" {
		t.Errorf("id = %q", id)
	}
	reqs := s.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want upload and metadata", len(reqs))
	}
	fields, file := form(t, reqs[0])
	if fields["media_category"] != "tweet_image" || fields["media_type"] != "image/png" || !bytes.Equal(file, img) {
		t.Errorf("upload form %v, %d bytes", fields, len(file))
	}
	var meta metadataRequest
	mustJSON(t, reqs[1].Body, &meta)
	if meta.ID != id || meta.Metadata.AltText == nil || meta.Metadata.AltText.Text != strings.Repeat("ä", 1000) || meta.Metadata.Sensitive != nil {
		t.Errorf("metadata %s: want the alt text cut to 1000 characters", reqs[1].Body)
	}
}

func TestUploadVideoChunked(t *testing.T) {
	video := bytes.Repeat([]byte("0123456789abcdef"), (chunkSize*2+1000)/16) // three segments
	var mu sync.Mutex
	var got bytes.Buffer
	statusChecks := 0
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.URL.Path == "/2/media/upload/initialize":
			writeJSON(w, 200, `{"data":{"id":"1880000000000000002","media_key":"7_1880000000000000002","expires_after_secs":86399}}`)
		case r.URL.Path == "/2/media/upload/1880000000000000002/append":
			writeJSON(w, 200, `{"data":{"expires_at":1900000000}}`)
		case r.URL.Path == "/2/media/upload/1880000000000000002/finalize":
			writeJSON(w, 200, `{"data":{"id":"1880000000000000002","media_key":"7_1880000000000000002","size":1,"processing_info":{"state":"pending","check_after_secs":3}}}`)
		case r.URL.Path == "/2/media/upload" && r.Method == http.MethodGet:
			statusChecks++
			if statusChecks == 1 {
				writeJSON(w, 200, `{"data":{"id":"1880000000000000002","processing_info":{"state":"in_progress","check_after_secs":600,"progress_percent":40}}}`)
				return
			}
			writeJSON(w, 200, `{"data":{"id":"1880000000000000002","processing_info":{"state":"succeeded","progress_percent":100}}}`)
		case r.URL.Path == "/2/media/metadata":
			writeJSON(w, 200, `{"data":{"id":"1880000000000000002"}}`)
		default:
			http.NotFound(w, r)
		}
	})
	p := newTestProvider(t, s, nil)
	var wt waits
	p.after = wt.after
	id, err := p.UploadMedia(context.Background(), providers.Upload{Type: providers.Video, ContentType: "video/mp4",
		Filename: "march.mp4", Size: int64(len(video)), Body: bytes.NewReader(video), Alt: "the march"})
	if err != nil {
		t.Fatal(err)
	}
	if id != "1880000000000000002" {
		t.Errorf("id = %q", id)
	}
	reqs := s.requests()
	var paths []string
	for _, r := range reqs {
		paths = append(paths, r.Method+" "+r.Path)
	}
	want := []string{
		"POST /2/media/upload/initialize",
		"POST /2/media/upload/1880000000000000002/append",
		"POST /2/media/upload/1880000000000000002/append",
		"POST /2/media/upload/1880000000000000002/append",
		"POST /2/media/upload/1880000000000000002/finalize",
		"GET /2/media/upload",
		"GET /2/media/upload",
		"POST /2/media/metadata",
	}
	if strings.Join(paths, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n%s\nwant:\n%s", strings.Join(paths, "\n"), strings.Join(want, "\n"))
	}
	var init mediaInitRequest
	mustJSON(t, reqs[0].Body, &init)
	if init != (mediaInitRequest{MediaCategory: "tweet_video", MediaType: "video/mp4", TotalBytes: int64(len(video))}) {
		t.Errorf("initialize %+v", init)
	}
	for i, r := range reqs[1:4] {
		fields, file := form(t, r)
		if fields["segment_index"] != fmt.Sprint(i) || len(file) > chunkSize {
			t.Errorf("append %d: fields %v, %d bytes", i, fields, len(file))
		}
		got.Write(file)
	}
	if !bytes.Equal(got.Bytes(), video) {
		t.Error("the appended segments are not the file")
	}
	if q := reqs[5].Query; q.Get("media_id") != id || q.Get("command") != "STATUS" {
		t.Errorf("status query %v", q)
	}
	if fmt.Sprint(wt.d) != "[3s 1m0s]" {
		t.Errorf("waits %v, want [3s 1m0s] (X's check_after_secs, capped)", wt.d)
	}
}

func TestUploadProcessingFails(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/initialize"):
			writeJSON(w, 200, `{"data":{"id":"5"}}`)
		case strings.HasSuffix(r.URL.Path, "/append"):
			w.WriteHeader(204)
		case strings.HasSuffix(r.URL.Path, "/finalize"):
			writeJSON(w, 200, `{"data":{"id":"5","processing_info":{"state":"failed","error":{"code":1,"name":"InvalidMedia","message":"Unsupported video codec"}}}}`)
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		}
	})
	p := newTestProvider(t, s, nil)
	_, err := p.UploadMedia(context.Background(), providers.Upload{Type: providers.GIF, ContentType: "image/gif", Size: 3, Body: strings.NewReader("GIF")})
	e := asError(t, err)
	if e.Kind != providers.Rejected || e.Reason != providers.ReasonInvalid || !strings.Contains(e.Message, "Unsupported video codec") {
		t.Errorf("err = %v, want Rejected/invalid with X's reason", err)
	}
	var init mediaInitRequest
	mustJSON(t, s.requests()[0].Body, &init)
	if init.MediaCategory != "tweet_gif" || init.MediaType != "image/gif" {
		t.Errorf("initialize %+v", init)
	}
}

func TestUploadWaitHonoursContext(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"data":{"id":"6","processing_info":{"state":"pending","check_after_secs":5}}}`)
	})
	p := newTestProvider(t, s, nil)
	ctx, cancel := context.WithCancel(context.Background())
	p.after = func(time.Duration) <-chan time.Time {
		cancel()
		return make(chan time.Time) // never fires
	}
	_, err := p.UploadMedia(ctx, providers.Upload{Type: providers.Image, ContentType: "image/jpeg", Size: 1, Body: strings.NewReader("x")})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want it to wrap context.Canceled", err)
	}
}

func TestUploadRefusedUnsent(t *testing.T) {
	tests := []struct {
		name string
		u    providers.Upload
		says string
	}{
		{"image over 5 MB", providers.Upload{Type: providers.Image, Size: 5<<20 + 1, Body: strings.NewReader("x")}, "cap"},
		{"GIF over 15 MB", providers.Upload{Type: providers.GIF, Size: 15<<20 + 1, Body: strings.NewReader("x")}, "cap"},
		{"video over 512 MB", providers.Upload{Type: providers.Video, Size: 512<<20 + 1, Body: strings.NewReader("x")}, "cap"},
		{"image of unknown size over 5 MB", providers.Upload{Type: providers.Image, Body: bytes.NewReader(make([]byte, 5<<20+1))}, "cap"},
		{"audio", providers.Upload{Type: providers.Audio, Size: 10, Body: strings.NewReader("x")}, "audio"},
		{"no body", providers.Upload{Type: providers.Image, Size: 10}, "no file"},
		{"shorter than its size", providers.Upload{Type: providers.Image, ContentType: "image/png", Size: 10, Body: strings.NewReader("short")}, "10 bytes"},
		{"longer than its size", providers.Upload{Type: providers.Image, ContentType: "image/png", Size: 2, Body: strings.NewReader("longer")}, "2 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) { t.Error("a request was sent") })
			p := newTestProvider(t, s, nil)
			_, err := p.UploadMedia(context.Background(), tt.u)
			e := asError(t, err)
			if e.Kind != providers.Rejected || e.Reason != providers.ReasonInvalid || !strings.Contains(e.Message, tt.says) {
				t.Errorf("err = %v, want Rejected/invalid saying %q", err, tt.says)
			}
		})
	}
}

func TestUploadUnknownSizeSpools(t *testing.T) {
	gifv := bytes.Repeat([]byte{1}, 1234)
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/initialize"):
			writeJSON(w, 200, `{"data":{"id":"8"}}`)
		case strings.HasSuffix(r.URL.Path, "/append"):
			writeJSON(w, 200, `{}`)
		default:
			writeJSON(w, 200, `{"data":{"id":"8","processing_info":{"state":"succeeded"}}}`)
		}
	})
	p := newTestProvider(t, s, nil)
	id, err := p.UploadMedia(context.Background(), providers.Upload{Type: providers.GIF, ContentType: "video/mp4", Body: bytes.NewReader(gifv)})
	if err != nil || id != "8" {
		t.Fatalf("UploadMedia = %q, %v", id, err)
	}
	var init mediaInitRequest
	mustJSON(t, s.requests()[0].Body, &init)
	if init != (mediaInitRequest{MediaCategory: "tweet_video", MediaType: "video/mp4", TotalBytes: 1234}) {
		t.Errorf("initialize %+v: a gifv is a video of the spooled size", init)
	}
}
