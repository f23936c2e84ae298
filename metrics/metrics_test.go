package metrics

import (
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/store"
)

// scrape serves m once and returns the body, checking the status and the
// content type (the text format, version 0.0.4, when no Accept is sent).
func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	ct := rec.Header().Get("Content-Type")
	typ, params, err := mime.ParseMediaType(ct)
	if err != nil || typ != "text/plain" || params["version"] != "0.0.4" {
		t.Fatalf("Content-Type %q, want text/plain version 0.0.4 (%v)", ct, err)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	return rec.Body.String()
}

// parse reads body with Prometheus' own text-format parser, which fails on
// anything a Prometheus server would refuse.
func parse(t *testing.T, body string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("exposition does not parse: %v\n%s", err, body)
	}
	return fams
}

// parseText parses body and returns its samples keyed as
// `name{a="x",b="y"}`: labels sorted by name as client_golang writes them,
// values unescaped, and le last on histogram buckets.
func parseText(t *testing.T, body string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	put := func(key string, v float64) {
		t.Helper()
		if _, dup := out[key]; dup {
			t.Fatalf("series %s written twice", key)
		}
		out[key] = v
	}
	for name, f := range parse(t, body) {
		for _, m := range f.GetMetric() {
			pairs := make([]string, 0, len(m.GetLabel())+1)
			for _, l := range m.GetLabel() {
				pairs = append(pairs, l.GetName()+`="`+l.GetValue()+`"`)
			}
			slices.Sort(pairs)
			key := func(suffix string, extra ...string) string {
				all := append(slices.Clone(pairs), extra...)
				if len(all) == 0 {
					return name + suffix
				}
				return name + suffix + "{" + strings.Join(all, ",") + "}"
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				put(key(""), m.GetCounter().GetValue())
			case dto.MetricType_GAUGE:
				put(key(""), m.GetGauge().GetValue())
			case dto.MetricType_UNTYPED:
				put(key(""), m.GetUntyped().GetValue())
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				for _, b := range h.GetBucket() {
					put(key("_bucket", `le="`+formatBound(b.GetUpperBound())+`"`), float64(b.GetCumulativeCount()))
				}
				put(key("_sum"), h.GetSampleSum())
				put(key("_count"), float64(h.GetSampleCount()))
			case dto.MetricType_SUMMARY:
				s := m.GetSummary()
				put(key("_sum"), s.GetSampleSum())
				put(key("_count"), float64(s.GetSampleCount()))
			}
		}
	}
	return out
}

// formatBound writes a bucket bound as the text format does.
func formatBound(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
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
		`dualpower_mirrored_total{kind="publish",link="alice-to-x",target="alice-x"}`:           2,
		`dualpower_mirrored_total{kind="delete",link="alice-to-x",target="alice-x"}`:            1,
		`dualpower_mirrored_total{kind="other",link="alice-to-x",target="alice-x"}`:             1,
		`dualpower_skipped_total{link="alice-to-x",reason="visibility",target="alice-x"}`:       2,
		`dualpower_skipped_total{link="alice-to-x",reason="word",target="alice-x"}`:             1,
		`dualpower_failed_total{link="alice-to-x",reason="duplicate",target="alice-x"}`:         1,
		`dualpower_failed_total{link="alice-from-x",reason="other",target="alice-mastodon"}`:    1,
		`dualpower_held_total{link="alice-to-x",reason="posts_per_day",target="alice-x"}`:       2,
		`dualpower_held_total{link="alice-to-x",reason="usage_cap",target="alice-x"}`:           1,
		`dualpower_mirror_latency_seconds_count{target="alice-x"}`:                              3,
		`dualpower_mirror_latency_seconds_sum{target="alice-x"}`:                                92.5,
		`dualpower_mirror_latency_seconds_bucket{target="alice-x",le="1"}`:                      1,
		`dualpower_mirror_latency_seconds_bucket{target="alice-x",le="2.5"}`:                    2,
		`dualpower_mirror_latency_seconds_bucket{target="alice-x",le="60"}`:                     2,
		`dualpower_mirror_latency_seconds_bucket{target="alice-x",le="120"}`:                    3,
		`dualpower_mirror_latency_seconds_bucket{target="alice-x",le="3600"}`:                   3,
		`dualpower_mirror_latency_seconds_bucket{target="alice-x",le="+Inf"}`:                   3,
		`dualpower_mirror_latency_seconds_bucket{target="alice-x",le="0.1"}`:                    0,
		`dualpower_skipped_total{link="alice-to-x",reason="too_long",target="alice-x"}`:         -1, // absent
		`dualpower_mirrored_total{kind="publish",link="alice-from-x",target="alice-mastodon"}`:  -1, // absent
		`dualpower_failed_total{link="alice-to-x",reason="Status is a dupli",target="alice-x"}`: -1, // free text never
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
		k := fmt.Sprintf(`dualpower_mirror_latency_seconds_bucket{target="alice-x",le="%s"}`, formatBound(b))
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
	m := New()
	for _, d := range []time.Duration{500 * time.Millisecond, time.Second, 1500 * time.Millisecond, time.Hour, 2 * time.Hour} {
		m.Mirrored("l", "x", store.Publish, d)
	}
	got := parseText(t, scrape(t, m))
	want := map[string]float64{"0.25": 0, "0.5": 1, "1": 2, "2.5": 3, "1800": 3, "3600": 4, "+Inf": 5}
	for le, n := range want {
		k := `dualpower_mirror_latency_seconds_bucket{target="x",le="` + le + `"}`
		if v, ok := got[k]; !ok || v != n {
			t.Errorf("%s = %v (present %v), want %v", k, v, ok, n)
		}
	}
	if v := got[`dualpower_mirror_latency_seconds_sum{target="x"}`]; v != 10803 {
		t.Errorf("sum %v, want 10803", v)
	}
	if v := got[`dualpower_mirror_latency_seconds_count{target="x"}`]; v != 5 {
		t.Errorf("count %v, want 5", v)
	}
}

// The families dashboards read keep their names, types and label names:
// a change here breaks a dashboard.
func TestFamilies(t *testing.T) {
	m := New()
	m.Received("a", providers.Created, providers.Ref{}, false)
	m.Mirrored("l", "t", store.Publish, time.Second)
	m.Skipped("l", "t", "visibility private")
	m.Failed("l", "t", "duplicate")
	m.Held("l", "t", "usage cap reached", time.Time{})
	m.SetAccounts(func() ([]AccountSample, error) {
		return []AccountSample{{
			Account: "a", Pending: 1, RateLimitRemaining: 5, RateLimitReset: time.Unix(1e9, 0),
			PostsPerMonth: 10, BudgetUSDPerMonth: 1,
		}}, errTest
	})
	want := map[string]struct {
		typ    dto.MetricType
		labels []string
	}{
		"dualpower_mirrored_total":                     {dto.MetricType_COUNTER, []string{"kind", "link", "target"}},
		"dualpower_skipped_total":                      {dto.MetricType_COUNTER, []string{"link", "reason", "target"}},
		"dualpower_failed_total":                       {dto.MetricType_COUNTER, []string{"link", "reason", "target"}},
		"dualpower_held_total":                         {dto.MetricType_COUNTER, []string{"link", "reason", "target"}},
		"dualpower_events_total":                       {dto.MetricType_COUNTER, []string{"account", "kind", "known"}},
		"dualpower_mirror_latency_seconds":             {dto.MetricType_HISTOGRAM, []string{"target"}},
		"dualpower_pending_intents":                    {dto.MetricType_GAUGE, []string{"account"}},
		"dualpower_rate_limit_remaining":               {dto.MetricType_GAUGE, []string{"account"}},
		"dualpower_rate_limit_reset_timestamp_seconds": {dto.MetricType_GAUGE, []string{"account"}},
		"dualpower_x_posts_month":                      {dto.MetricType_GAUGE, []string{"account"}},
		"dualpower_x_posts_month_limit":                {dto.MetricType_GAUGE, []string{"account"}},
		"dualpower_spend_usd_month":                    {dto.MetricType_GAUGE, []string{"account"}},
		"dualpower_budget_usd_month":                   {dto.MetricType_GAUGE, []string{"account"}},
		"dualpower_account_paused":                     {dto.MetricType_GAUGE, []string{"account"}},
		"dualpower_metrics_errors_total":               {dto.MetricType_COUNTER, []string{"source"}},
	}
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range fams {
		name := f.GetName()
		if !strings.HasPrefix(name, "dualpower_") {
			continue
		}
		seen[name] = true
		w, ok := want[name]
		if !ok {
			t.Errorf("unexpected family %s", name)
			continue
		}
		if f.GetType() != w.typ {
			t.Errorf("%s is a %v, want %v", name, f.GetType(), w.typ)
		}
		if f.GetHelp() == "" {
			t.Errorf("%s has no help", name)
		}
		for _, s := range f.GetMetric() {
			var labels []string
			for _, l := range s.GetLabel() {
				labels = append(labels, l.GetName())
			}
			if !slices.Equal(labels, w.labels) {
				t.Errorf("%s labels %v, want %v", name, labels, w.labels)
			}
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("family %s missing", name)
		}
	}
}

// Label values that need escaping, or are not UTF-8, never panic and come
// back from the page as written (invalid bytes as U+FFFD).
func TestLabelEscaping(t *testing.T) {
	tests := []struct {
		name, link, want string
	}{
		{"quote", `say "hi"`, `say "hi"`},
		{"backslash", `back\slash`, `back\slash`},
		{"newline", "new\nline", "new\nline"},
		{"invalid utf8", "bad \xff utf8", "bad \uFFFD utf8"},
		{"brace", `x{le="1"}`, `x{le="1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			m.Skipped(tt.link, "t\xfe", "visibility private")
			m.Received(tt.link, providers.Created, providers.Ref{}, false)
			got := parseText(t, scrape(t, m))
			k := `dualpower_skipped_total{link="` + tt.want + `",reason="visibility",target="t` + "\uFFFD" + `"}`
			if got[k] != 1 {
				t.Errorf("%s missing from %v", k, got)
			}
		})
	}
}

// Nothing observed and no accounts: no dualpower series, only the Go
// runtime and process metrics.
func TestIdleMetricsPage(t *testing.T) {
	got := parseText(t, scrape(t, New()))
	for k := range got {
		if strings.HasPrefix(k, "dualpower_") {
			t.Errorf("idle metrics show %s", k)
		}
	}
	for _, k := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_start_time_seconds"} {
		if _, ok := got[k]; !ok {
			t.Errorf("standard metric %s missing", k)
		}
	}
}

// failing is a collector whose every scrape fails.
type failing struct{ desc *prometheus.Desc }

func (f failing) Describe(ch chan<- *prometheus.Desc) { ch <- f.desc }
func (f failing) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.NewInvalidMetric(f.desc, errTest)
}

// A collector that fails does not take the page down: the rest is served
// and the failure counted.
func TestCollectorFailure(t *testing.T) {
	m := New()
	m.Registry().MustRegister(failing{prometheus.NewDesc("broken_thing", "Never gathered.", nil, nil)})
	m.Skipped("l", "t", "visibility private")
	first := parseText(t, scrape(t, m))
	if first[`dualpower_skipped_total{link="l",reason="visibility",target="t"}`] != 1 {
		t.Errorf("series lost with a failing collector: %v", first)
	}
	// promhttp counts a failure after the page it happened on.
	got := parseText(t, scrape(t, m))
	if got[`promhttp_metric_handler_errors_total{cause="gathering"}`] != 1 {
		t.Errorf("gathering failure not counted: %v", got)
	}
	if _, ok := got["broken_thing"]; ok {
		t.Error("failed metric shown")
	}
}

// A scraper asking for the protobuf format gets it, with the same series.
func TestProtobufScrape(t *testing.T) {
	m := New()
	m.Skipped("l", "t", "too long for X")
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeProtoDelim)))
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	format := expfmt.ResponseFormat(rec.Header())
	if format.FormatType() != expfmt.TypeProtoDelim {
		t.Fatalf("answered as %q", format)
	}
	dec := expfmt.NewDecoder(rec.Body, format)
	for {
		var f dto.MetricFamily
		if err := dec.Decode(&f); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatal(err)
		}
		if f.GetName() == "dualpower_skipped_total" {
			if len(f.GetMetric()) != 1 || f.GetMetric()[0].GetCounter().GetValue() != 1 {
				t.Errorf("skipped: %v", &f)
			}
			return
		}
	}
	t.Error("dualpower_skipped_total not in the protobuf answer")
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
	m := New()
	f.Fuzz(func(t *testing.T, v string) {
		m.failed.Reset()
		m.Failed(v, "t", "invalid")
		fams := parse(t, scrape(t, m))
		want := strings.ToValidUTF8(v, "\uFFFD")
		series := fams["dualpower_failed_total"].GetMetric()
		if len(series) != 1 || series[0].GetCounter().GetValue() != 1 {
			t.Fatalf("value %q: %v", v, series)
		}
		for _, l := range series[0].GetLabel() {
			if l.GetName() == "link" && l.GetValue() != want {
				t.Fatalf("link %q came back as %q", want, l.GetValue())
			}
		}
	})
}
