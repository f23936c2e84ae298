package mastodontest

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// This file holds a small JSON Schema validator for the OpenAPI 3.1
// document in shared/specs/mastodon-api: the keywords that document uses
// ($ref, type (a name or a list), properties, required,
// additionalProperties, items, enum, oneOf, allOf, format). It runs in
// every test run, beside the same check with kin-openapi
// (spec_kin_test.go).
//
// Spec quirks, worked around narrowly (oneOfAsAnyOf):
//   - Status.quote is oneOf [Quote, ShallowQuote, null]. Neither object
//     forbids extra members and ShallowQuote requires only "state", so
//     every Quote also matches ShallowQuote and no quote can satisfy
//     "exactly one". It is checked as anyOf.
//   - The request body of POST /api/v1/statuses is oneOf [TextStatus,
//     MediaStatus, PollStatus]; a status with both text and media matches
//     the first two. It is checked as anyOf too.

// specFile is the Mastodon OpenAPI document: in the shared/specs that sits
// beside the repository (as CI lays it out), or $DUALPOWER_SPECS.
var specFile = findSpec("mastodon-api/openapi.json")

// findSpec looks for shared/specs/rel in $DUALPOWER_SPECS, then in every
// parent of the working directory, then in /work/shared/specs.
func findSpec(rel string) string {
	if d := os.Getenv("DUALPOWER_SPECS"); d != "" {
		return filepath.Join(d, rel)
	}
	if dir, err := os.Getwd(); err == nil {
		for {
			p := filepath.Join(dir, "shared", "specs", rel)
			if _, err := os.Stat(p); err == nil {
				return p
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return filepath.Join("/work/shared/specs", rel)
}

// specDoc is the parsed OpenAPI document.
type specDoc struct {
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]json.RawMessage `json:"schemas"`
	} `json:"components"`
}

type schema struct {
	Ref                  string             `json:"$ref"`
	Type                 json.RawMessage    `json:"type"`
	Properties           map[string]*schema `json:"properties"`
	Required             []string           `json:"required"`
	AdditionalProperties json.RawMessage    `json:"additionalProperties"`
	Items                *schema            `json:"items"`
	Enum                 []any              `json:"enum"`
	OneOf                []*schema          `json:"oneOf"`
	AllOf                []*schema          `json:"allOf"`
	AnyOf                []*schema          `json:"anyOf"`
	Format               string             `json:"format"`
	anyOfQuirk           bool
}

type operation struct {
	RequestBody *struct {
		Content map[string]struct {
			Schema *schema `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Content map[string]struct {
			Schema *schema `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
}

type spec struct {
	schemas map[string]*schema
	ops     map[string]map[string]*operation // path template → method → op
}

var (
	specOnce sync.Once
	specVal  *spec
	specErr  error
)

func loadSpec(t testing.TB) *spec {
	t.Helper()
	specOnce.Do(func() {
		b, err := os.ReadFile(specFile)
		if err != nil {
			specErr = err
			return
		}
		var d specDoc
		if err := json.Unmarshal(b, &d); err != nil {
			specErr = err
			return
		}
		sp := &spec{schemas: map[string]*schema{}, ops: map[string]map[string]*operation{}}
		for name, raw := range d.Components.Schemas {
			var sc schema
			if err := json.Unmarshal(raw, &sc); err != nil {
				specErr = fmt.Errorf("schema %s: %w", name, err)
				return
			}
			sp.schemas[name] = &sc
		}
		for p, methods := range d.Paths {
			sp.ops[p] = map[string]*operation{}
			for m, raw := range methods {
				var op operation
				if err := json.Unmarshal(raw, &op); err != nil {
					continue // path-level parameters and the like
				}
				sp.ops[p][strings.ToUpper(m)] = &op
			}
		}
		// The quirks (see the file comment).
		if st := sp.schemas["Status"]; st != nil && st.Properties["quote"] != nil {
			st.Properties["quote"].anyOfQuirk = true
		}
		if op := sp.ops["/api/v1/statuses"]["POST"]; op != nil && op.RequestBody != nil {
			if c, ok := op.RequestBody.Content["application/json"]; ok && c.Schema != nil {
				c.Schema.anyOfQuirk = true
			}
		}
		specVal = sp
	})
	if specErr != nil {
		t.Fatalf("load %s: %v", specFile, specErr)
	}
	return specVal
}

// findOp matches a request path to a path template of the spec.
func (sp *spec) findOp(method, path string) (string, *operation) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var best string
	bestLiteral := -1
	for tmpl, methods := range sp.ops {
		op := methods[method]
		if op == nil {
			continue
		}
		ts := strings.Split(strings.Trim(tmpl, "/"), "/")
		if len(ts) != len(segs) {
			continue
		}
		literal, ok := 0, true
		for i := range ts {
			if strings.HasPrefix(ts[i], "{") {
				continue
			}
			if ts[i] != segs[i] {
				ok = false
				break
			}
			literal++
		}
		if ok && literal > bestLiteral {
			best, bestLiteral = tmpl, literal
		}
	}
	if best == "" {
		return "", nil
	}
	return best, sp.ops[best][method]
}

// validate checks v (decoded JSON) against sc; path names the place for
// error messages.
func (sp *spec) validate(sc *schema, v any, path string) error {
	if sc == nil {
		return nil
	}
	if sc.Ref != "" {
		name := strings.TrimPrefix(sc.Ref, "#/components/schemas/")
		ref := sp.schemas[name]
		if ref == nil {
			return fmt.Errorf("%s: unknown $ref %s", path, sc.Ref)
		}
		if err := sp.validate(ref, v, path); err != nil {
			return err
		}
		// OpenAPI 3.1: keywords next to $ref apply as well.
		sibling := *sc
		sibling.Ref = ""
		return sp.validate(&sibling, v, path)
	}
	if len(sc.Type) > 0 {
		var types []string
		if sc.Type[0] == '[' {
			_ = json.Unmarshal(sc.Type, &types)
		} else {
			var one string
			_ = json.Unmarshal(sc.Type, &one)
			types = []string{one}
		}
		ok := false
		for _, tp := range types {
			if typeMatches(tp, v) {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("%s: %s is not of type %v", path, short(v), types)
		}
	}
	if len(sc.Enum) > 0 && v != nil {
		ok := false
		for _, e := range sc.Enum {
			if fmt.Sprint(e) == fmt.Sprint(v) {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("%s: %s is not one of %v", path, short(v), sc.Enum)
		}
	}
	if s, ok := v.(string); ok && sc.Format != "" {
		if err := checkFormat(sc.Format, s); err != nil {
			return fmt.Errorf("%s: %q: %v", path, s, err)
		}
	}
	for _, sub := range sc.AllOf {
		if err := sp.validate(sub, v, path); err != nil {
			return err
		}
	}
	if len(sc.OneOf) > 0 || len(sc.AnyOf) > 0 {
		alts := append(append([]*schema(nil), sc.OneOf...), sc.AnyOf...)
		var errs []string
		matched := 0
		for _, sub := range alts {
			if err := sp.validate(sub, v, path); err != nil {
				errs = append(errs, err.Error())
			} else {
				matched++
			}
		}
		if matched == 0 {
			return fmt.Errorf("%s: matches none of the alternatives: %s", path, strings.Join(errs, "; "))
		}
		if len(sc.OneOf) > 0 && matched > 1 && !sc.anyOfQuirk {
			return fmt.Errorf("%s: matches %d alternatives of a oneOf", path, matched)
		}
	}
	switch x := v.(type) {
	case map[string]any:
		for _, req := range sc.Required {
			if _, ok := x[req]; !ok {
				return fmt.Errorf("%s: required member %q missing", path, req)
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if p, ok := sc.Properties[k]; ok {
				if err := sp.validate(p, x[k], path+"."+k); err != nil {
					return err
				}
				continue
			}
			if string(sc.AdditionalProperties) == "false" {
				return fmt.Errorf("%s: member %q not allowed", path, k)
			}
			if len(sc.AdditionalProperties) > 0 && sc.AdditionalProperties[0] == '{' {
				var ap schema
				_ = json.Unmarshal(sc.AdditionalProperties, &ap)
				if err := sp.validate(&ap, x[k], path+"."+k); err != nil {
					return err
				}
			}
		}
	case []any:
		for i, e := range x {
			if err := sp.validate(sc.Items, e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func typeMatches(tp string, v any) bool {
	switch tp {
	case "null":
		return v == nil
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	}
	return false
}

func checkFormat(format, s string) error {
	switch format {
	case "date-time":
		_, err := time.Parse(time.RFC3339, s)
		return err
	case "date":
		_, err := time.Parse("2006-01-02", s)
		return err
	case "uri":
		u, err := url.Parse(s)
		if err != nil {
			return err
		}
		if u.Scheme == "" {
			return fmt.Errorf("not an absolute URI")
		}
	case "email":
		_, err := mail.ParseAddress(s)
		return err
	case "iso-639-1":
		if len(s) != 2 || strings.ToLower(s) != s {
			return fmt.Errorf("not an ISO 639-1 code")
		}
	}
	return nil
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}

// validateComponent checks a JSON document against a named component
// schema.
func (sp *spec) validateComponent(name string, body []byte) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	return sp.validate(&schema{Ref: "#/components/schemas/" + name}, v, name)
}

func TestValidatorCatchesMistakes(t *testing.T) {
	sp := loadSpec(t)
	s := New(t, Options{})
	id := s.PostAsUser("hello", "")
	var good map[string]any
	do(t, s, "GET", "/api/v1/statuses/"+id, s.Token(), nil).json(t, &good)
	tests := []struct {
		name   string
		mutate func(m map[string]any)
		ok     bool
	}{
		{"as served", func(map[string]any) {}, true},
		{"missing required", func(m map[string]any) { delete(m, "uri") }, false},
		{"wrong type", func(m map[string]any) { m["sensitive"] = "no" }, false},
		{"bad enum", func(m map[string]any) { m["visibility"] = "friends" }, false},
		{"null where not nullable", func(m map[string]any) { m["content"] = nil }, false},
		{"nested account broken", func(m map[string]any) { delete(m["account"].(map[string]any), "acct") }, false},
		{"bad date", func(m map[string]any) { m["created_at"] = "yesterday" }, false},
		{"unknown member allowed", func(m map[string]any) { m["x_extra"] = 1 }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := json.Marshal(good)
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			tt.mutate(m)
			b, _ = json.Marshal(m)
			err := sp.validateComponent("Status", b)
			if (err == nil) != tt.ok {
				t.Errorf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
