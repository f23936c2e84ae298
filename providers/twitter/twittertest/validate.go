package twittertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// X checks a JSON request body against the request schema of its OpenAPI
// document before anything else and answers 400 invalid-request with one
// message per violation, in the words of the JSON-schema validator it uses
// ("$.foo: is not defined in the schema and the schema does not allow
// additional properties"). The schemas below are the request schemas of
// shared/specs/x-api/openapi-2.159.json the fake serves, written out by
// hand; the package tests check them against the spec.

// schema is the subset of JSON Schema those request bodies use.
type schema struct {
	kind     string // "string", "boolean", "integer", "object", "array"
	pattern  *regexp.Regexp
	enum     []string
	min, max *int64
	minLen   int
	maxLen   int
	minItems int
	maxItems int
	items    *schema
	props    map[string]*schema
	required []string
	closed   bool // additionalProperties: false
}

func ptr(v int64) *int64 { return &v }

var (
	idPattern = regexp.MustCompile(`^[0-9]{1,19}$`)
	idSchema  = &schema{kind: "string", pattern: idPattern}
	boolS     = &schema{kind: "boolean"}
	strS      = &schema{kind: "string"}
	anyObject = &schema{kind: "object"}
)

// createSchema is TweetCreateRequest.
var createSchema = &schema{kind: "object", closed: true, props: map[string]*schema{
	"card_uri":                 strS,
	"community_id":             idSchema,
	"direct_message_deep_link": strS,
	"edit_options":             {kind: "object", closed: true, required: []string{"previous_post_id"}, props: map[string]*schema{"previous_post_id": idSchema}},
	"for_super_followers_only": boolS,
	"geo":                      {kind: "object", closed: true, props: map[string]*schema{"place_id": strS}},
	"media": {kind: "object", closed: true, required: []string{"media_ids"}, props: map[string]*schema{
		"media_ids":       {kind: "array", minItems: 1, maxItems: 4, items: idSchema},
		"tagged_user_ids": {kind: "array", maxItems: 10, items: idSchema},
	}},
	"nullcast": boolS,
	"poll": {kind: "object", closed: true, required: []string{"options", "duration_minutes"}, props: map[string]*schema{
		"duration_minutes": {kind: "integer", min: ptr(5), max: ptr(10080)},
		"options":          {kind: "array", minItems: 2, maxItems: 4, items: &schema{kind: "string", minLen: 1, maxLen: 25}},
		"reply_settings":   {kind: "string", enum: []string{"following", "mentionedUsers", "subscribers", "verified"}},
	}},
	"quote_tweet_id": idSchema,
	"reply": {kind: "object", closed: true, required: []string{"in_reply_to_tweet_id"}, props: map[string]*schema{
		"auto_populate_reply_metadata": boolS,
		"exclude_reply_user_ids":       {kind: "array", items: idSchema},
		"in_reply_to_tweet_id":         idSchema,
	}},
	"reply_settings":       {kind: "string", enum: []string{"following", "mentionedUsers", "subscribers", "verified"}},
	"share_with_followers": boolS,
	"text":                 strS,
}}

// retweetSchema is UsersRetweetsCreateRequest.
var retweetSchema = &schema{kind: "object", closed: true, required: []string{"tweet_id"}, props: map[string]*schema{"tweet_id": idSchema}}

// initSchema is MediaUploadConfigRequest.
var initSchema = &schema{kind: "object", closed: true, props: map[string]*schema{
	"additional_owners": {kind: "array", items: idSchema},
	"media_category":    {kind: "string", enum: []string{"amplify_video", "tweet_gif", "tweet_image", "tweet_video", "dm_gif", "dm_image", "dm_video", "subtitles"}},
	"media_type": {kind: "string", enum: []string{"video/mp4", "video/webm", "video/mp2t", "video/quicktime", "text/srt", "text/vtt",
		"image/jpeg", "image/gif", "image/bmp", "image/png", "image/webp", "image/pjpeg", "image/tiff", "model/gltf-binary", "model/vnd.usdz+zip"}},
	"shared":      boolS,
	"total_bytes": {kind: "integer", min: ptr(0), max: ptr(17179869184)},
}}

// metadataSchema is MetadataCreateRequest, with the alt_text member spelled
// out (the other metadata members are objects the fake stores nothing of).
var metadataSchema = &schema{kind: "object", required: []string{"id"}, props: map[string]*schema{
	"id": idSchema,
	"metadata": {kind: "object", props: map[string]*schema{
		"alt_text":                {kind: "object", required: []string{"text"}, props: map[string]*schema{"text": {kind: "string", maxLen: maxAltText}}},
		"allow_download_status":   anyObject,
		"audience_policy":         anyObject,
		"content_expiration":      anyObject,
		"domain_restrictions":     anyObject,
		"found_media_origin":      anyObject,
		"geo_restrictions":        anyObject,
		"management_info":         anyObject,
		"preview_image":           anyObject,
		"sensitive_media_warning": {kind: "object", props: map[string]*schema{"adult_content": boolS, "graphic_violence": boolS, "other": boolS}},
		"shared_info":             anyObject,
		"sticker_info":            anyObject,
		"upload_source":           anyObject,
	}},
}}

// decodeJSONObject reads a JSON object body; anything else answers 400.
func (s *Server) decodeJSONObject(w http.ResponseWriter, r *http.Request, body []byte, into *map[string]json.RawMessage) bool {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "application/json" {
		s.invalidRequest(w, fieldError{Message: "The request body must be application/json."})
		return false
	}
	if !json.Valid(body) || len(bytes.TrimSpace(body)) == 0 || bytes.TrimSpace(body)[0] != '{' {
		s.invalidRequest(w, fieldError{Message: "The request body is not a valid JSON object."})
		return false
	}
	if err := json.Unmarshal(body, into); err != nil {
		s.invalidRequest(w, fieldError{Message: "The request body is not a valid JSON object."})
		return false
	}
	return true
}

// decodeBody reads a JSON request body the way X does: an object
// (decodeJSONObject), valid against sc, and then decoded into into. A body
// that is not answers 400 invalid-request, and decodeBody reports false.
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, body []byte, sc *schema, into any) bool {
	var raw map[string]json.RawMessage
	if !s.decodeJSONObject(w, r, body, &raw) {
		return false
	}
	if errs := checkObject("$", raw, sc); len(errs) > 0 {
		s.invalidRequest(w, errs...)
		return false
	}
	if err := json.Unmarshal(body, into); err != nil {
		s.invalidRequest(w, fieldError{Message: "The request body is not a valid JSON object."})
		return false
	}
	return true
}

// checkObject validates obj (at path) against sc and returns every
// violation.
func checkObject(path string, obj map[string]json.RawMessage, sc *schema) []fieldError {
	var errs []fieldError
	raw, _ := json.Marshal(obj)
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sub, ok := sc.props[k]
		if !ok {
			if sc.closed {
				errs = append(errs, fieldError{
					Parameters: map[string][]string{path + "." + k: {string(obj[k])}},
					Message:    fmt.Sprintf("%s.%s: is not defined in the schema and the schema does not allow additional properties", path, k),
				})
			}
			continue
		}
		errs = append(errs, checkValue(path+"."+k, obj[k], sub)...)
	}
	for _, k := range sc.required {
		if _, ok := obj[k]; !ok {
			errs = append(errs, fieldError{
				Parameters: map[string][]string{path: {string(raw)}},
				Message:    fmt.Sprintf("%s.%s: is missing but it is required", path, k),
			})
		}
	}
	return errs
}

func jsonKind(v json.RawMessage) string {
	t := bytes.TrimSpace(v)
	if len(t) == 0 {
		return "null"
	}
	switch t[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	if bytes.ContainsAny(t, ".eE") {
		return "number"
	}
	return "integer"
}

func checkValue(path string, v json.RawMessage, sc *schema) []fieldError {
	bad := func(msg string) []fieldError {
		return []fieldError{{Parameters: map[string][]string{path: {string(v)}}, Message: path + ": " + msg}}
	}
	kind := jsonKind(v)
	if kind != sc.kind {
		return bad(fmt.Sprintf("%s found, %s expected", kind, sc.kind))
	}
	switch sc.kind {
	case "string":
		var s string
		_ = json.Unmarshal(v, &s)
		n := utf8.RuneCountInString(s)
		switch {
		case sc.pattern != nil && !sc.pattern.MatchString(s):
			return bad("does not match the regex pattern " + sc.pattern.String())
		case len(sc.enum) > 0 && !oneOf(s, sc.enum...):
			return bad("does not have a value in the enumeration [" + strings.Join(sc.enum, ", ") + "]")
		case sc.minLen > 0 && n < sc.minLen:
			return bad(fmt.Sprintf("must be at least %d characters long", sc.minLen))
		case sc.maxLen > 0 && n > sc.maxLen:
			return bad(fmt.Sprintf("may only be %d characters long", sc.maxLen))
		}
	case "integer":
		var n int64
		if err := json.Unmarshal(v, &n); err != nil {
			return bad("integer out of range")
		}
		switch {
		case sc.min != nil && n < *sc.min:
			return bad(fmt.Sprintf("must have a minimum value of %d", *sc.min))
		case sc.max != nil && n > *sc.max:
			return bad(fmt.Sprintf("must have a maximum value of %d", *sc.max))
		}
	case "array":
		var items []json.RawMessage
		_ = json.Unmarshal(v, &items)
		switch {
		case len(items) < sc.minItems:
			return bad(fmt.Sprintf("there must be a minimum of %d items in the array", sc.minItems))
		case sc.maxItems > 0 && len(items) > sc.maxItems:
			return bad(fmt.Sprintf("there must be a maximum of %d items in the array", sc.maxItems))
		}
		var errs []fieldError
		for i, it := range items {
			if sc.items != nil {
				errs = append(errs, checkValue(fmt.Sprintf("%s[%d]", path, i), it, sc.items)...)
			}
		}
		return errs
	case "object":
		var obj map[string]json.RawMessage
		_ = json.Unmarshal(v, &obj)
		return checkObject(path, obj, sc)
	}
	return nil
}
