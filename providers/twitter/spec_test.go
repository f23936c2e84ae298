package twitter

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// spec is the X API v2 OpenAPI document, decoded loosely.
type spec struct {
	doc map[string]any
}

func loadSpec(t *testing.T) *spec {
	t.Helper()
	raw, err := os.ReadFile("../../../shared/specs/x-api/openapi-2.159.json")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("X API spec not found beside the repository: %v", err)
		}
		t.Skipf("X API spec not found: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return &spec{doc: doc}
}

// resolve follows a $ref.
func (s *spec) resolve(node map[string]any) map[string]any {
	for {
		ref, ok := node["$ref"].(string)
		if !ok {
			return node
		}
		var cur any = s.doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = cur.(map[string]any)[part]
		}
		node = cur.(map[string]any)
	}
}

// properties gathers an object schema's properties, through allOf, anyOf
// and oneOf.
func (s *spec) properties(schema map[string]any) map[string]map[string]any {
	schema = s.resolve(schema)
	out := map[string]map[string]any{}
	if props, ok := schema["properties"].(map[string]any); ok {
		for k, v := range props {
			out[k] = s.resolve(v.(map[string]any))
		}
	}
	for _, key := range []string{"allOf", "anyOf", "oneOf"} {
		if list, ok := schema[key].([]any); ok {
			for _, sub := range list {
				for k, v := range s.properties(sub.(map[string]any)) {
					out[k] = v
				}
			}
		}
	}
	return out
}

// checkBody fails for any key of body the schema does not declare, at any
// depth.
func (s *spec) checkBody(t *testing.T, where string, schema map[string]any, body any) {
	t.Helper()
	obj, ok := body.(map[string]any)
	if !ok {
		return
	}
	props := s.properties(schema)
	for k, v := range obj {
		sub, ok := props[k]
		if !ok {
			t.Errorf("%s: field %q is not in the spec", where, k)
			continue
		}
		s.checkBody(t, where+"."+k, sub, v)
	}
}

func (s *spec) operation(t *testing.T, path, method string) map[string]any {
	t.Helper()
	p, ok := s.doc["paths"].(map[string]any)[path].(map[string]any)
	if !ok {
		t.Fatalf("the spec has no path %s", path)
	}
	op, ok := p[method].(map[string]any)
	if !ok {
		t.Fatalf("the spec has no %s %s", method, path)
	}
	return op
}

func (s *spec) requestSchema(t *testing.T, path, method, ctype string) map[string]any {
	t.Helper()
	op := s.operation(t, path, method)
	rb := s.resolve(op["requestBody"].(map[string]any))
	return rb["content"].(map[string]any)[ctype].(map[string]any)["schema"].(map[string]any)
}

// TestRequestsMatchSpec checks that every field the adapter sends is one
// the spec declares for that endpoint.
func TestRequestsMatchSpec(t *testing.T) {
	s := loadSpec(t)
	full := createRequest{Text: "t", Reply: &createReply{InReplyToTweetID: "1"}, Media: &createMedia{MediaIDs: []string{"2"}},
		EditOptions: &createEditOpt{PreviousPostID: "3"}}
	meta := metadataRequest{ID: "4", Metadata: mediaMetadata{AltText: &altText{Text: "alt"},
		Sensitive: &sensitiveWarning{AdultContent: true, GraphicViolence: true, Other: true}}}
	for _, tc := range []struct {
		path, method string
		body         any
	}{
		{"/2/tweets", "post", full},
		{"/2/users/{id}/retweets", "post", retweetRequest{TweetID: "5"}},
		{"/2/media/upload/initialize", "post", mediaInitRequest{MediaCategory: "tweet_video", MediaType: "video/mp4", TotalBytes: 9}},
		{"/2/media/metadata", "post", meta},
	} {
		raw, err := json.Marshal(tc.body)
		if err != nil {
			t.Fatal(err)
		}
		var body any
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatal(err)
		}
		s.checkBody(t, tc.method+" "+tc.path, s.requestSchema(t, tc.path, tc.method, "application/json"), body)
	}
	// The multipart forms.
	for _, tc := range []struct {
		path   string
		fields []string
	}{
		{"/2/media/upload", []string{"media", "media_category", "media_type"}},
		{"/2/media/upload/{id}/append", []string{"media", "segment_index"}},
	} {
		props := s.properties(s.requestSchema(t, tc.path, "post", "multipart/form-data"))
		for _, f := range tc.fields {
			if _, ok := props[f]; !ok {
				t.Errorf("post %s: form field %q is not in the spec", tc.path, f)
			}
		}
	}
	// Every media_type and media_category the adapter may send is allowed.
	initProps := s.properties(s.requestSchema(t, "/2/media/upload/initialize", "post", "application/json"))
	for typ := range initTypes {
		if !slices.Contains(initProps["media_type"]["enum"].([]any), any(typ)) {
			t.Errorf("initialize media_type %q is not in the spec", typ)
		}
	}
	for _, cat := range []string{"tweet_image", "tweet_gif", "tweet_video"} {
		if !slices.Contains(initProps["media_category"]["enum"].([]any), any(cat)) {
			t.Errorf("initialize media_category %q is not in the spec", cat)
		}
	}
	oneShot := s.properties(s.requestSchema(t, "/2/media/upload", "post", "multipart/form-data"))
	for typ := range oneShotTypes {
		if !slices.Contains(oneShot["media_type"]["enum"].([]any), any(typ)) {
			t.Errorf("upload media_type %q is not in the spec", typ)
		}
	}
}

// TestQueriesMatchSpec checks the read parameters against the spec's
// enums and bounds.
func TestQueriesMatchSpec(t *testing.T) {
	s := loadSpec(t)
	for _, path := range []string{"/2/users/{id}/tweets", "/2/tweets/{id}"} {
		params := map[string]map[string]any{}
		for _, p := range s.operation(t, path, "get")["parameters"].([]any) {
			p := s.resolve(p.(map[string]any))
			params[p["name"].(string)] = s.resolve(p["schema"].(map[string]any))
		}
		for name, value := range readQuery() {
			schema, ok := params[name]
			if !ok {
				t.Errorf("GET %s: parameter %q is not in the spec", path, name)
				continue
			}
			items := s.resolve(schema["items"].(map[string]any))
			for _, v := range strings.Split(value[0], ",") {
				if !slices.Contains(items["enum"].([]any), any(v)) {
					t.Errorf("GET %s: %s=%s is not in the spec's enum", path, name, v)
				}
			}
		}
		if path == "/2/users/{id}/tweets" {
			for _, name := range []string{"since_id", "max_results", "pagination_token", "start_time"} {
				if _, ok := params[name]; !ok {
					t.Errorf("GET %s: parameter %q is not in the spec", path, name)
				}
			}
			mr := params["max_results"]
			if min, max := mr["minimum"].(float64), mr["maximum"].(float64); firstPageSize < min || catchUpSize > max {
				t.Errorf("max_results %d..%d outside the spec's %v..%v", firstPageSize, catchUpSize, min, max)
			}
		}
	}
	for _, op := range [][2]string{{"/2/users/me", "get"}, {"/2/tweets/{id}", "delete"}, {"/2/media/upload", "get"},
		{"/2/media/upload/{id}/finalize", "post"}} {
		s.operation(t, op[0], op[1])
	}
}
