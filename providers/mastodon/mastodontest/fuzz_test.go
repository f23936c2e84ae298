package mastodontest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzStatusRequests sends arbitrary bodies to the status endpoints: the
// fake must answer every one with a known status and a JSON body, never
// panic.
func FuzzStatusRequests(f *testing.F) {
	f.Add("POST", "/api/v1/statuses", "application/x-www-form-urlencoded", "status=hi&media_ids[]=1&visibility=public")
	f.Add("POST", "/api/v1/statuses", "application/json", `{"status":"x","media_ids":["1",2,null],"sensitive":"yes","poll":{"options":[]}}`)
	f.Add("PUT", "/api/v1/statuses/1", "application/json", `{"status":"x","media_attributes":[{"id":1,"description":null},"x"]}`)
	f.Add("PUT", "/api/v1/statuses/1", "application/x-www-form-urlencoded", "media_attributes[][id]=1&media_attributes[][focus]=2,2")
	f.Add("GET", "/api/v1/accounts/1/statuses?limit=-99999999999&min_id=%00&max_id=zz", "", "")
	f.Add("POST", "/api/v1/apps", "application/json", `{"client_name":"a","redirect_uris":[1,{}]}`)
	f.Add("POST", "/oauth/token", "multipart/form-data; boundary=x", "--x\r\n")
	f.Fuzz(func(t *testing.T, method, path, ct, body string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n#") {
			return
		}
		switch method {
		case "GET", "POST", "PUT", "DELETE":
		default:
			return
		}
		s := New(t, Options{RateLimit: -1})
		s.PostAsUser("there is one", "")
		req, err := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+s.Token())
		if strings.HasPrefix(path, "/api/v1/streaming") {
			return // a stream does not end by itself
		}
		rec := httptest.NewRecorder()
		s.hs.Config.Handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
		if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("invalid JSON: %s", rec.Body)
		}
	})
}

// TestHostileText: 200 KB texts built to make a naive extractor
// quadratic are refused (too long) promptly.
func TestHostileText(t *testing.T) {
	s := New(t, Options{})
	for name, text := range map[string]string{
		"parens":   "https://e.x/" + strings.Repeat(")", 200_000),
		"mentions": strings.Repeat("@a.", 70_000),
		"tags":     strings.Repeat("#1", 100_000),
		"colons":   strings.Repeat(":ab", 70_000),
		"newlines": "x" + strings.Repeat("\n \n", 50_000) + "y",
	} {
		t.Run(name, func(t *testing.T) {
			r := do(t, s, "POST", "/api/v1/statuses", s.Token(), map[string]any{"status": text})
			mustStatus(t, r, 422)
		})
	}
	if s.Posts() != 0 {
		t.Errorf("%d posts", s.Posts())
	}
}
