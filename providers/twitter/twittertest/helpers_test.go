package twittertest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dghubble/oauth1"
)

// clock is a fake clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// apiClient is a client signed with dghubble/oauth1, as the adapter signs,
// whose every /2/ exchange is checked against the spec.
type apiClient struct {
	t  testing.TB
	s  *Server
	hc *http.Client
	st *specTransport
}

func newClient(t *testing.T, s *Server, u *User) *apiClient {
	t.Helper()
	st := &specTransport{t: t, sp: loadSpec(t), next: s.Client().Transport, checked: map[string]int{}}
	cfg := oauth1.NewConfig(s.ConsumerKey(), s.ConsumerSecret())
	ctx := context.WithValue(context.Background(), oauth1.HTTPClient, &http.Client{Transport: st})
	return &apiClient{t: t, s: s, hc: cfg.Client(ctx, oauth1.NewToken(u.Token(), u.TokenSecret())), st: st}
}

// multipartBody is a multipart/form-data body to send.
type multipartBody struct {
	fields map[string]string
	files  map[string][]byte
}

// answer is one response, decoded.
type answer struct {
	status int
	header http.Header
	raw    []byte
	json   map[string]any
}

// do sends a request; body is nil, a JSON-able value, a string of JSON, or
// a *multipartBody.
func (c *apiClient) do(method, path string, body any) answer {
	c.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	case *multipartBody:
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, v := range b.fields {
			_ = mw.WriteField(k, v)
		}
		for k, v := range b.files {
			fw, _ := mw.CreateFormFile(k, "upload.bin")
			_, _ = fw.Write(v)
		}
		_ = mw.Close()
		rd, ct = &buf, mw.FormDataContentType()
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, c.s.URL()+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &a.json)
	return a
}

// want fails the test unless the answer has status.
func (a answer) want(t *testing.T, status int) answer {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.raw)
	}
	return a
}

// get walks a decoded answer: get("data", "id"), get("data", 0, "id").
func (a answer) get(path ...any) any {
	var cur any = a.json
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[k]
		case int:
			l, ok := cur.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			cur = l[k]
		}
	}
	return cur
}

func (a answer) str(path ...any) string {
	s, _ := a.get(path...).(string)
	return s
}

// post creates a post through the API and returns its ID.
func (c *apiClient) post(body any) string {
	c.t.Helper()
	a := c.do("POST", "/2/tweets", body)
	if a.status != http.StatusCreated {
		c.t.Fatalf("POST /2/tweets: status %d, want 201: %s", a.status, a.raw)
	}
	return a.str("data", "id")
}

// sameJSON reports whether raw is the JSON want, member for member.
func sameJSON(t *testing.T, raw []byte, want string) {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("answer is not JSON: %q", raw)
	}
	if err := json.Unmarshal([]byte(want), &b); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Errorf("answer\n  %s\nwant\n  %s", ja, jb)
	}
}

// pngImage is a tiny valid PNG.
var pngImage = previewPNG
