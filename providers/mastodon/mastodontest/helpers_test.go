package mastodontest

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// resp is an answer read whole.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r resp) errorText(t testing.TB) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	r.json(t, &e)
	return e.Error
}

// do sends a request with token (none when "") and an optional body:
// url.Values as a form, *multipart body via doMultipart, anything else as
// JSON.
func do(t testing.TB, s *Server, method, path, token string, body any) resp {
	t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	return doRaw(t, s, method, path, token, ct, rd, nil)
}

func doRaw(t testing.TB, s *Server, method, path, token, ct string, body io.Reader, hdr http.Header) resp {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if _, set := req.Header["User-Agent"]; !set {
		req.Header.Set("User-Agent", "mastodontest/1")
	}
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// upload sends a multipart media upload.
func upload(t testing.TB, s *Server, path, token, contentType string, data []byte, fields map[string]string) resp {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if data != nil {
		h := make(map[string][]string)
		h["Content-Disposition"] = []string{`form-data; name="file"; filename="f.bin"`}
		h["Content-Type"] = []string{contentType}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(data)
	}
	_ = mw.Close()
	return doRaw(t, s, http.MethodPost, path, token, mw.FormDataContentType(), &b, nil)
}

func mustStatus(t testing.TB, r resp, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d: %s", r.status, want, r.body)
	}
}

// postStatus creates a status through the API and returns its JSON.
func postStatus(t testing.TB, s *Server, token string, form url.Values) apiStatus {
	t.Helper()
	r := do(t, s, http.MethodPost, "/api/v1/statuses", token, form)
	mustStatus(t, r, http.StatusOK)
	var st apiStatus
	r.json(t, &st)
	return st
}

// gifv is an animated GIF (it carries the NETSCAPE2.0 looping extension).
var gifv = append([]byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"), []byte(",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")...)

// mp4 starts like an MP4 file, enough for content sniffing.
var mp4 = []byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom\x00\x00\x00\x08free")
