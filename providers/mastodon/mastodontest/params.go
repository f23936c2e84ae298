package mastodontest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxBody bounds what the fake reads of a request body that is not an
// upload.
const maxBody = 1 << 20

// params are a request's parameters merged the way Rails merges them:
// query string, then a form, multipart or JSON body. Array parameters come
// as "key[]" (forms) or JSON arrays; both read back with Strings.
type params struct {
	values url.Values
	// attrs are media_attributes[] entries: from a form's
	// media_attributes[][id]=…&media_attributes[][description]=… or a JSON
	// array of objects.
	attrs []map[string]string
	files map[string][]*multipart.FileHeader
}

var errParse = errors.New("Error occurred while parsing request parameters")

// parseParams reads the request's parameters. maxMemory bounds a multipart
// body kept in memory.
func parseParams(r *http.Request, maxMemory int64) (*params, error) {
	p := &params{values: r.URL.Query()}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(body) > maxBody {
			return nil, errParse
		}
		if len(strings.TrimSpace(string(body))) == 0 {
			return p, nil
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, errParse
		}
		for k, v := range m {
			p.setJSON(k, v)
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(maxMemory); err != nil {
			return nil, errParse
		}
		p.addForm(r.MultipartForm.Value)
		p.files = r.MultipartForm.File
	default:
		if r.Body != nil && (r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch) {
			body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
			if err != nil || len(body) > maxBody {
				return nil, errParse
			}
			form, err := url.ParseQuery(string(body))
			if err != nil {
				return nil, errParse
			}
			p.addForm(form)
		}
	}
	return p, nil
}

func (p *params) addForm(form map[string][]string) {
	// media_attributes[][x]: a new entry starts whenever a key repeats, as
	// Rack builds arrays of hashes. Go maps lose the order across keys, so
	// pair the i-th value of every key instead.
	attrKeys := map[string][]string{}
	for k, vs := range form {
		if strings.HasPrefix(k, "media_attributes[][") && strings.HasSuffix(k, "]") {
			attrKeys[strings.TrimSuffix(strings.TrimPrefix(k, "media_attributes[]["), "]")] = vs
			continue
		}
		p.values[k] = append(p.values[k], vs...)
	}
	n := 0
	for _, vs := range attrKeys {
		n = max(n, len(vs))
	}
	for i := range n {
		m := map[string]string{}
		for k, vs := range attrKeys {
			if i < len(vs) {
				m[k] = vs[i]
			}
		}
		p.attrs = append(p.attrs, m)
	}
}

func (p *params) setJSON(k string, v any) {
	k = strings.TrimSuffix(k, "[]")
	switch x := v.(type) {
	case nil:
		p.values[k] = nil
	case []any:
		if k == "media_attributes" {
			for _, e := range x {
				if obj, ok := e.(map[string]any); ok {
					m := map[string]string{}
					for ak, av := range obj {
						m[ak] = scalar(av)
					}
					p.attrs = append(p.attrs, m)
				}
			}
			return
		}
		vs := make([]string, 0, len(x))
		for _, e := range x {
			vs = append(vs, scalar(e))
		}
		p.values[k+"[]"] = vs
	case map[string]any:
		// Nested objects (poll) are not used by the fake.
	default:
		p.values[k] = []string{scalar(x)}
	}
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return ""
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// has reports whether the parameter was sent at all.
func (p *params) has(k string) bool {
	_, ok := p.values[k]
	return ok
}

// get returns the parameter's value, "" when absent.
func (p *params) get(k string) string { return p.values.Get(k) }

// strings returns an array parameter: key[] values, or key values.
func (p *params) strings(k string) []string {
	if vs, ok := p.values[k+"[]"]; ok {
		return vs
	}
	return p.values[k]
}

// hasArray reports whether the array parameter was sent.
func (p *params) hasArray(k string) bool {
	_, a := p.values[k+"[]"]
	_, b := p.values[k]
	return a || b
}

// boolean reads a parameter as Rails casts booleans: "", absent → unset;
// "0", "f", "false", "off" (any case) → false; anything else true.
func (p *params) boolean(k string) (v, set bool) {
	if !p.has(k) {
		return false, false
	}
	s := p.get(k)
	if s == "" {
		return false, false
	}
	switch strings.ToLower(s) {
	case "0", "f", "false", "off":
		return false, true
	}
	return true, true
}

// rubyInt reads an integer as Ruby's to_i does: leading digits, else 0.
func rubyInt(s string) int {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' || n > 1e9 {
			break
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		return -n
	}
	return n
}

func errMissing(k string) string {
	return fmt.Sprintf("param is missing or the value is empty: %s", k)
}
