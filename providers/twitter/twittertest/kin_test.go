//go:build kinopenapi

// This file repeats the spec check with github.com/getkin/kin-openapi. It
// is behind the kinopenapi build tag because kin-openapi's dependencies are
// not in go.sum yet; once they are (go mod tidy with this tag), run:
//
//	go test -tags kinopenapi -run Kin ./providers/twitter/twittertest/

package twittertest

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/dghubble/oauth1"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// kinTransport validates each /2/ exchange with kin-openapi.
type kinTransport struct {
	t      *testing.T
	router interface {
		FindRoute(*http.Request) (*routers.Route, map[string]string, error)
	}
	next    http.RoundTripper
	checked int
}

func (k *kinTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := k.next.RoundTrip(r)
	if err != nil || !strings.HasPrefix(r.URL.Path, "/2/") {
		return resp, err
	}
	rb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(rb))

	// Route against the spec's server, api.x.com.
	vr := r.Clone(context.Background())
	vr.URL.Scheme, vr.URL.Host, vr.Host = "https", "api.x.com", "api.x.com"
	vr.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := k.router.FindRoute(vr)
	if err != nil {
		k.t.Errorf("kin: %s %s: %v", r.Method, r.URL.Path, err)
		return resp, nil
	}
	k.checked++
	in := &openapi3filter.RequestValidationInput{
		Request: vr, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		k.t.Errorf("kin: request %s %s: %v", r.Method, r.URL.Path, err)
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body:    io.NopCloser(bytes.NewReader(rb)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		msg := err.Error()
		// The spec quirks spec_test.go documents: required members the
		// schemas do not define and X does not send.
		if strings.Contains(msg, `property "meta" is missing`) || strings.Contains(msg, `property "type" is missing`) && strings.Contains(r.URL.Path, "/media/") {
			return resp, nil
		}
		k.t.Errorf("kin: answer to %s %s (%d %s): %v", r.Method, r.URL.Path, resp.StatusCode, rb, err)
	}
	return resp, nil
}

func TestKinOpenAPI(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(specPath(t))
	if err != nil {
		t.Fatal(err)
	}
	// The X spec has patterns Go cannot compile (lookaheads, in schemas
	// these endpoints do not use) and examples that break their own
	// formats: skip those checks of the document itself.
	router, err := legacy.NewRouter(doc, openapi3.DisableSchemaPatternValidation(), openapi3.DisableExamplesValidation())
	if err != nil {
		t.Fatal(err)
	}
	s := New(t, Options{CanEdit: true})
	kt := &kinTransport{t: t, router: router, next: s.Client().Transport}
	cfg := oauth1.NewConfig(s.ConsumerKey(), s.ConsumerSecret())
	hc := cfg.Client(context.WithValue(context.Background(), oauth1.HTTPClient, &http.Client{Transport: kt}), oauth1.NewToken(s.Token(), s.TokenSecret()))
	c := &apiClient{t: t, s: s, hc: hc}

	c.do("GET", "/2/users/me?user.fields=created_at,username", nil).want(t, 200)
	photo := c.do("POST", "/2/media/upload", map[string]any{"media": base64.StdEncoding.EncodeToString(pngImage), "media_category": "tweet_image"}).want(t, 200).str("data", "id")
	c.do("POST", "/2/media/metadata", map[string]any{"id": photo, "metadata": map[string]any{"alt_text": map[string]any{"text": "red"}}}).want(t, 200)
	vid := c.do("POST", "/2/media/upload/initialize", map[string]any{"media_type": "video/mp4", "total_bytes": 4, "media_category": "tweet_video"}).want(t, 200).str("data", "id")
	c.do("POST", "/2/media/upload/"+vid+"/append", map[string]any{"segment_index": 0, "media": base64.StdEncoding.EncodeToString([]byte("mp4!"))}).want(t, 200)
	c.do("POST", "/2/media/upload/"+vid+"/finalize", nil).want(t, 200)
	c.do("GET", "/2/media/upload?command=STATUS&media_id="+vid, nil).want(t, 200)
	c.do("GET", "/2/media/upload?command=STATUS&media_id="+vid, nil).want(t, 200)
	first := c.post(map[string]any{"text": "hello @alice https://example.com #tag"})
	c.post(map[string]any{"text": "picture", "media": map[string]any{"media_ids": []string{photo}}})
	c.post(map[string]any{"text": "video", "media": map[string]any{"media_ids": []string{vid}}})
	reply := c.post(map[string]any{"text": "reply", "reply": map[string]any{"in_reply_to_tweet_id": first}})
	c.do("POST", "/2/tweets", map[string]any{"text": "reply, edited", "edit_options": map[string]any{"previous_post_id": reply}}).want(t, 201)
	c.do("POST", "/2/users/"+s.UserID()+"/retweets", map[string]any{"tweet_id": first}).want(t, 200)
	all := "tweet.fields=attachments,author_id,conversation_id,created_at,edit_controls,entities,in_reply_to_user_id,referenced_tweets" +
		"&expansions=attachments.media_keys,author_id,referenced_tweets.id&media.fields=url,variants,preview_image_url,alt_text"
	c.do("GET", "/2/users/"+s.UserID()+"/tweets?max_results=5&"+all, nil).want(t, 200)
	c.do("GET", "/2/tweets/"+first+"?"+all, nil).want(t, 200)
	c.do("GET", "/2/tweets?ids="+first+",1&"+all, nil).want(t, 200)
	c.do("DELETE", "/2/users/"+s.UserID()+"/retweets/"+first, nil).want(t, 200)
	c.do("DELETE", "/2/tweets/"+first, nil).want(t, 200)
	c.do("POST", "/2/tweets", map[string]any{"text": "picture"}).want(t, 403)
	if kt.checked < 18 {
		t.Errorf("kin-openapi checked %d exchanges", kt.checked)
	}
}
