package metrics

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/store"
)

// scrape serves m once and returns the body, checking the status and the
// content type.
func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != contentType {
		t.Fatalf("Content-Type %q, want %q", ct, contentType)
	}
	return rec.Body.String()
}

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// parseText checks body against the text exposition format, strictly, and
// returns its samples keyed as `name{a="x",b="y"}` (labels as written).
func parseText(t *testing.T, body string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	types := map[string]string{}
	helped := map[string]bool{}
	current := ""
	if body != "" && !strings.HasSuffix(body, "\n") {
		t.Fatalf("exposition does not end with a newline")
	}
	for i, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("line %d %q: %s", i+1, line, fmt.Sprintf(format, args...))
		}
		if rest, ok := strings.CutPrefix(line, "# HELP "); ok {
			name, _, _ := strings.Cut(rest, " ")
			if helped[name] {
				fail("second HELP for %s", name)
			}
			helped[name] = true
			continue
		}
		if rest, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, typ, _ := strings.Cut(rest, " ")
			if _, dup := types[name]; dup {
				fail("second TYPE for %s", name)
			}
			if !metricName.MatchString(name) {
				fail("bad metric name")
			}
			switch typ {
			case "counter", "gauge", "histogram":
			default:
				fail("unknown type %q", typ)
			}
			types[name], current = typ, name
			continue
		}
		if strings.HasPrefix(line, "#") || line == "" {
			fail("unexpected line")
		}
		name, rest := line, ""
		if j := strings.IndexAny(line, "{ "); j >= 0 {
			name, rest = line[:j], line[j:]
		}
		base := name
		if types[current] == "histogram" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				if b, ok := strings.CutSuffix(name, s); ok && b == current {
					base = b
				}
			}
		}
		if base != current {
			fail("sample of %s outside its family (%s)", name, current)
		}
		key := name
		if strings.HasPrefix(rest, "{") {
			labels, after, err := parseLabels(rest[1:])
			if err != nil {
				fail("%v", err)
			}
			key += "{" + strings.Join(labels, ",") + "}"
			rest = after
		}
		v, ok := strings.CutPrefix(rest, " ")
		if !ok {
			fail("no space before the value")
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			fail("bad value: %v", err)
		}
		if _, dup := out[key]; dup {
			fail("series written twice")
		}
		out[key] = f
	}
	return out
}

// parseLabels reads `a="x",b="y"}` and returns `a="x"`, `b="y"` (values
// unescaped and quoted again with %q-free plain quotes) and what follows.
func parseLabels(s string) ([]string, string, error) {
	var out []string
	for {
		if rest, ok := strings.CutPrefix(s, "}"); ok {
			return out, rest, nil
		}
		eq := strings.Index(s, `="`)
		if eq < 0 {
			return nil, "", errors.New("label without =\"")
		}
		name := s[:eq]
		if !labelName.MatchString(name) {
			return nil, "", fmt.Errorf("bad label name %q", name)
		}
		s = s[eq+2:]
		var val strings.Builder
		for {
			if s == "" {
				return nil, "", errors.New("unterminated label value")
			}
			c := s[0]
			s = s[1:]
			if c == '"' {
				break
			}
			if c == '\n' {
				return nil, "", errors.New("raw newline in label value")
			}
			if c == '\\' {
				if s == "" {
					return nil, "", errors.New("dangling backslash")
				}
				switch s[0] {
				case '\\':
					val.WriteByte('\\')
				case '"':
					val.WriteByte('"')
				case 'n':
					val.WriteByte('\n')
				default:
					return nil, "", fmt.Errorf("bad escape \\%c", s[0])
				}
				s = s[1:]
				continue
			}
			val.WriteByte(c)
		}
		out = append(out, name+`="`+val.String()+`"`)
		s, _ = strings.CutPrefix(s, ",")
	}
}

func TestObserverCounts(t *testing.T) {
	m := New()
	m.Received("alice-mastodon", providers.Created, providers.Ref{Account: "alice-mastodon", ID: "1"}, false)
	m.Received("alice-mastodon", providers.Created, providers.Ref{Account: "alice-mastodon", ID: "1"}, true)
	m.Received("alice-x", providers.Edited, providers.Ref{}, false)
	m.Received("alice-x", providers.EventKind("weird"), providers.Ref{}, false)
	m.Mirrored("alice-to-x", "alice-x", store.Publish, 1500*time.Millisecond)
	m.Mirrored("alice-to-x", "alice-x", store.Publish, 90*time.Second)
	m.Mirrored("alice-to-x", "alice-x", store.Delete, 0) // unknown latency: not observed
	m.Mirrored("alice-to-x", "alice-x", store.IntentKind(99), time.Second)
	m.Skipped("alice-to-x", "alice-x", "visibility private")
	m.Skipped("alice-to-x", "alice-x", "visibility direct")
	m.Skipped("alice-to-x", "alice-x", `excluded word "secret plan"`)
	m.Failed("alice-to-x", "alice-x", "duplicate: Status is a duplicate.")
	m.Failed("alice-from-x", "alice-mastodon", "something nobody foresaw")
	m.Held("alice-to-x", "alice-x", "held: posts_per_day (100) reached", time.Now().Add(time.Hour))
	m.Held("alice-to-x", "alice-x", "held: posts_per_day (100) reached", time.Now().Add(time.Hour))
	m.Held("alice-to-x", "alice-x", "usage cap reached", time.Now().Add(time.Hour))

	got := parseText(t, scrape(t, m))
	want := map[string]float64{
		`dualpower_events_total{account="alice-mastodon",kind="created",known="false"}`:         1,
		`dualpower_events_total{account="alice-mastodon",kind="created",known="true"}`:          1,
		`dualpower_events_total{account="alice-x",kind="edited",known="false"}`:                 1,
		`dualpower_events_total{account="alice-x",kind="other",known="false"}`:                  1,
		`dualpower_mirrored_total{link="alice-to-x",target="alice-x",kind="publish"}`:           2,
		`dualpower_mirrored_total{link="alice-to-x",target="alice-x",kind="delete"}`:            1,
		`dualpower_mirrored_total{link="alice-to-x",target="alice-x",kind="other"}`:             1,
		`dualpower_skipped_total{link="alice-to-x",target="alice-x",reason="visibility"}`:       2,
		`dualpower_skipped_total{link="alice-to-x",target="alice-x",reason="word"}`:             1,
		`dualpower_failed_total{link="alice-to-x",target="alice-x",reason="duplicate"}`:         1,
		`dualpower_failed_total{link="alice-from-x",target="alice-mastodon",reason="other"}`:    1,
		`dualpower_held_total{link="alice-to-x",target="alice-x",reason="posts_per_day"}`:       2,
		`dualpower_held_total{link="alice-to-x",target="alice-x",reason="usage_cap"}`:           1,
		`dualpower_mirror_latency_seconds_count{target="alice-x"}`:                              3,
		`dualpower_mirror_latency_seconds_sum{target="alice-x"}`:                                92.5,
		`dualpower_mirror_latency_seconds_bucket{target="alice-x",le="1"}`:                      1,
		`dualpower_mirror_latency_seconds_bucket{target="alice-x",le="2.5"}`:                    2,
		`dualpower_mirror_latency_seconds_bucket{target="alice-x",le="60"}`:                     2,
		`dualpower_mirror_latency_seconds_bucket{target="alice-x",le="120"}`:                    3,
		`dualpower_mirror_latency_seconds_bucket{target="alice-x",le="3600"}`:                   3,
		`dualpower_mirror_latency_seconds_bucket{target="alice-x",le="+Inf"}`:                   3,
		`dualpower_mirror_latency_seconds_bucket{target="alice-x",le="0.1"}`:                    0,
		`dualpower_skipped_total{link="alice-to-x",target="alice-x",reason="too_long"}`:         -1, // absent
		`dualpower_mirrored_total{link="alice-from-x",target="alice-mastodon",kind="publish"}`:  -1, // absent
		`dualpower_failed_total{link="alice-to-x",target="alice-x",reason="Status is a dupli"}`: -1, // free text never
	}
	for k, v := range want {
		g, ok := got[k]
		switch {
		case v < 0 && ok:
			t.Errorf("%s present (%v), want absent", k, g)
		case v >= 0 && !ok:
			t.Errorf("%s missing", k)
		case v >= 0 && g != v:
			t.Errorf("%s = %v, want %v", k, g, v)
		}
	}
	for k := range got {
		if strings.Contains(k, "secret plan") || strings.Contains(k, "nobody foresaw") {
			t.Errorf("free-text reason reached a label: %s", k)
		}
	}
	// Every bucket of the histogram is there, in order, cumulative.
	prev := -1.0
	for _, b := range append(append([]float64{}, LatencyBuckets...), math.Inf(1)) {
		k := fmt.Sprintf(`dualpower_mirror_latency_seconds_bucket{target="alice-x",le="%s"}`, formatFloat(b))
		v, ok := got[k]
		if !ok {
			t.Fatalf("%s missing", k)
		}
		if v < prev {
			t.Errorf("%s = %v, less than the bucket before (%v)", k, v, prev)
		}
		prev = v
	}
}

// A value equal to a bucket's bound falls in that bucket (le is "less than
// or equal"); one above the last bound only in +Inf.
func TestHistogramBounds(t *testing.T) {
	var b strings.Builder
	h := newHistogramVec("h", "test", []float64{1, 2}, "l")
	for _, v := range []float64{0.5, 1, 1.5, 2, 7} {
		h.observe(v, "x")
	}
	if err := writeText(&b, h.collect()); err != nil {
		t.Fatal(err)
	}
	exact := `# HELP h test
# TYPE h histogram
h_bucket{l="x",le="1"} 2
h_bucket{l="x",le="2"} 4
h_bucket{l="x",le="+Inf"} 5
h_sum{l="x"} 12
h_count{l="x"} 5
`
	if b.String() != exact {
		t.Errorf("got\n%s\nwant\n%s", b.String(), exact)
	}
}

func TestTextEscaping(t *testing.T) {
	c := newCounterVec("c_total", "help with \\ and\nnewline", "l")
	c.inc("quote\" back\\slash\nnewline")
	c.inc("bad utf8 \xff")
	var b strings.Builder
	if err := writeText(&b, c.collect()); err != nil {
		t.Fatal(err)
	}
	got := parseText(t, b.String())
	if got["c_total{l=\"quote\" back\\slash\nnewline\"}"] != 1 {
		t.Errorf("escaped label did not round-trip: %q", b.String())
	}
	if !strings.Contains(b.String(), "# HELP c_total help with \\\\ and\\nnewline\n") {
		t.Errorf("help not escaped: %q", b.String())
	}
	if !strings.Contains(b.String(), "bad utf8 \uFFFD") {
		t.Errorf("invalid UTF-8 not replaced: %q", b.String())
	}
}

func TestFormatFloat(t *testing.T) {
	tests := []struct {
		name string
		v    float64
		want string
	}{
		{"integer", 3, "3"},
		{"fraction", 0.25, "0.25"},
		{"large", 1e21, "1e+21"},
		{"plus inf", math.Inf(1), "+Inf"},
		{"minus inf", math.Inf(-1), "-Inf"},
		{"nan", math.NaN(), "NaN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatFloat(tt.v); got != tt.want {
				t.Errorf("formatFloat(%v) = %q, want %q", tt.v, got, tt.want)
			}
		})
	}
}

func TestEmptyMetricsPage(t *testing.T) {
	// Nothing observed, no accounts: a valid, empty page (families without
	// samples are left out, as client_golang does).
	if body := scrape(t, New()); body != "" {
		t.Errorf("empty metrics wrote %q", body)
	}
}

func TestMethods(t *testing.T) {
	m := New()
	m.Skipped("l", "t", "visibility private")
	for _, tt := range []struct {
		method   string
		code     int
		wantBody bool
	}{
		{http.MethodGet, http.StatusOK, true},
		{http.MethodHead, http.StatusOK, false},
		{http.MethodPost, http.StatusMethodNotAllowed, false},
		{http.MethodDelete, http.StatusMethodNotAllowed, false},
	} {
		t.Run(tt.method, func(t *testing.T) {
			rec := httptest.NewRecorder()
			m.ServeHTTP(rec, httptest.NewRequest(tt.method, "/metrics", nil))
			if rec.Code != tt.code {
				t.Fatalf("%s: %d, want %d", tt.method, rec.Code, tt.code)
			}
			hasSample := strings.Contains(rec.Body.String(), "dualpower_skipped_total{")
			if hasSample != tt.wantBody {
				t.Errorf("%s: body %q", tt.method, rec.Body)
			}
		})
	}
}

// Observing from many goroutines while scraping: counts add up and the
// race detector stays quiet.
func TestConcurrentObserve(t *testing.T) {
	m := New()
	const workers, each = 8, 500
	var wg sync.WaitGroup
	stop := make(chan struct{})
	scraped := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				scraped <- n
				return
			default:
				rec := httptest.NewRecorder()
				m.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
				_, _ = io.Copy(io.Discard, rec.Body)
				n++
			}
		}
	}()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := fmt.Sprintf("t%d", w%3)
			for range each {
				m.Mirrored("l", target, store.Publish, time.Second)
				m.Skipped("l", target, "reply to someone else")
				m.Received("a", providers.Created, providers.Ref{}, false)
			}
		}()
	}
	wg.Wait()
	close(stop)
	if n := <-scraped; n == 0 {
		t.Log("no scrape ran during the writes")
	}
	got := parseText(t, scrape(t, m))
	var mirrored, skipped, latencyCount float64
	for k, v := range got {
		switch {
		case strings.HasPrefix(k, "dualpower_mirrored_total{"):
			mirrored += v
		case strings.HasPrefix(k, "dualpower_skipped_total{"):
			skipped += v
		case strings.HasPrefix(k, "dualpower_mirror_latency_seconds_count{"):
			latencyCount += v
		}
	}
	if want := float64(workers * each); mirrored != want || skipped != want || latencyCount != want {
		t.Errorf("mirrored %v, skipped %v, latency count %v; want %v each", mirrored, skipped, latencyCount, want)
	}
	if got[`dualpower_events_total{account="a",kind="created",known="false"}`] != workers*each {
		t.Errorf("events: %v", got)
	}
}

func BenchmarkSkipped(b *testing.B) {
	m := New()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Skipped("alice-to-x", "alice-x", "visibility private")
		}
	})
}

func BenchmarkMirrored(b *testing.B) {
	m := New()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Mirrored("alice-to-x", "alice-x", store.Publish, 3*time.Second)
		}
	})
}

// FuzzLabelValue: any label value survives the exposition (invalid UTF-8
// replaced), and the page stays parseable.
func FuzzLabelValue(f *testing.F) {
	for _, s := range []string{"", `a"b`, `back\slash`, "new\nline", "\xff", `\n`, `"}`, "x{le=\"1\"}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		c := newCounterVec("c_total", "help", "l")
		c.inc(v)
		var b strings.Builder
		if err := writeText(&b, c.collect()); err != nil {
			t.Fatal(err)
		}
		got := parseText(t, b.String())
		want := `c_total{l="` + strings.ToValidUTF8(v, "\uFFFD") + `"}`
		if got[want] != 1 || len(got) != 1 {
			t.Fatalf("value %q: parsed %v from %q", v, got, b.String())
		}
	})
}
