package mastodontest

// The same scenario as TestSpecConformance, validated by kin-openapi's
// openapi3filter instead of this package's own validator. The spec is
// loaded, adjusted and checked once per test binary (kinSpec); each
// flavour then replays its exchanges against it, addressed to the spec's
// own server (https://mastodon.example) so that the document is never
// changed after loading.
//
// Spec quirks, worked around narrowly on the loaded document:
//   - the examples in components do not all validate (Account's example
//     lacks "group"), nor do some defaults (/api/oembed's maxheight has
//     the string "null" as an integer's default), so examples and defaults
//     are not validated when the router checks the document;
//   - Status.quote and the request body of POST /api/v1/statuses are oneOf
//     alternatives that overlap (see schema_test.go); they become anyOf.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// kinServer is the spec's default server, which every replayed request is
// addressed to.
const kinServer = "https://mastodon.example"

// kinMastodon is the Mastodon spec as kin-openapi loads it, with the
// quirks above worked around, and a router over it. Read it only through
// kinSpec; nothing changes it after loading.
type kinMastodon struct {
	doc    *openapi3.T
	router routers.Router
}

var kinOnce = sync.OnceValues(func() (*kinMastodon, error) {
	doc, err := openapi3.NewLoader().LoadFromFile(specFile)
	if err != nil {
		return nil, fmt.Errorf("load spec: %w", err)
	}
	quote := doc.Components.Schemas["Status"].Value.Properties["quote"].Value
	quote.AnyOf, quote.OneOf = quote.OneOf, nil
	body := doc.Paths.Find("/api/v1/statuses").Post.RequestBody.Value.Content["application/json"].Schema.Value
	body.AnyOf, body.OneOf = body.OneOf, nil
	router, err := legacy.NewRouter(doc, openapi3.DisableExamplesValidation(), openapi3.DisableSchemaDefaultsValidation())
	if err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	return &kinMastodon{doc: doc, router: router}, nil
})

// kinSpec returns the loaded spec, loading it on the first call of the
// test binary.
func kinSpec(t testing.TB) *kinMastodon {
	t.Helper()
	k, err := kinOnce()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSpecKinOpenAPI(t *testing.T) {
	k := kinSpec(t)
	errorSchema := k.doc.Components.Schemas["Error"].Value
	mediaSchema := k.doc.Components.Schemas["MediaAttachment"].Value
	statusSchema := k.doc.Components.Schemas["Status"].Value
	streamSchema := openapi3.NewArraySchema().WithItems(statusSchema)
	router := k.router

	for _, f := range []Flavor{Mastodon, GoToSocial} {
		t.Run(f.String(), func(t *testing.T) {
			s := New(t, Options{Flavor: f})
			rec := record(s)
			msgs := exercise(t, s)
			rec.mu.Lock()
			recs := append([]exchangeRec(nil), rec.recs...)
			rec.mu.Unlock()
			opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: false}
			checked := 0
			for _, r := range recs {
				if !strings.HasPrefix(r.path, "/api/") && !strings.HasPrefix(r.path, "/oauth/") {
					continue
				}
				name := r.method + " " + r.path + " → " + http.StatusText(r.status)
				req, _ := http.NewRequest(r.method, kinServer+r.path+"?"+r.query, bytes.NewReader(r.reqBody))
				if r.reqCT != "" {
					req.Header.Set("Content-Type", r.reqCT)
				}
				route, params, err := router.FindRoute(req)
				if err != nil {
					if !undocumentedOK(r) {
						t.Errorf("%s: %v", name, err)
					}
					continue
				}
				in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
				if strings.HasPrefix(r.reqCT, "application/json") && r.status < 400 {
					if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
						t.Errorf("%s: request: %v", name, err)
					}
				}
				if !strings.HasPrefix(r.ct, "application/json") {
					continue
				}
				documented := route.Operation.Responses.Status(r.status) != nil
				switch {
				case documented && route.Operation.Responses.Status(r.status).Value.Content != nil:
					err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
						RequestValidationInput: in, Status: r.status, Header: http.Header{"Content-Type": {r.ct}},
						Body: io.NopCloser(bytes.NewReader(r.body)), Options: opts,
					})
				case r.status == http.StatusPartialContent:
					err = visit(mediaSchema, r.body)
				case r.status >= 400:
					err = visit(errorSchema, r.body)
				default:
					continue
				}
				if err != nil {
					t.Errorf("%s: %v", name, err)
				}
				checked++
			}
			// The validators are not vacuous: a broken answer fails.
			req, _ := http.NewRequest("GET", kinServer+"/api/v1/statuses/1", nil)
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Fatal(err)
			}
			broken := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
				RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
				Status:                 200, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(strings.NewReader(`{"id":"1","visibility":"friends"}`)), Options: opts,
			})
			if broken == nil || visit(statusSchema, []byte(`{"id":1}`)) == nil || visit(streamSchema, []byte(`[{"id":1}]`)) == nil {
				t.Error("kin-openapi accepted a broken status")
			}
			if checked < 40 {
				t.Errorf("only %d answers checked", checked)
			}
			// Stream payloads are checked in one go, as an array of
			// statuses: kin-openapi compiles a schema on every call.
			var payloads []json.RawMessage
			for _, m := range msgs {
				if m.Event != "delete" {
					payloads = append(payloads, json.RawMessage(m.Payload))
				}
			}
			if len(payloads) == 0 {
				t.Error("no stream payload to check")
			}
			all, err := json.Marshal(payloads)
			if err != nil {
				t.Fatal(err)
			}
			if err := visit(streamSchema, all); err != nil {
				t.Errorf("stream: %v", err)
			}
		})
	}
}

func visit(sc *openapi3.Schema, body []byte) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	return sc.VisitJSON(v, openapi3.EnableJSONSchema2020())
}
