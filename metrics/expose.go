package metrics

import (
	"bufio"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// This file is a small implementation of the Prometheus data model and its
// text exposition format (version 0.0.4): counters and histograms with
// labels, and families computed at scrape time. It exists because the
// module's go.sum lacks the dependencies of github.com/prometheus/client_golang
// (see the package doc); it keeps to what dualpower needs.

// contentType is what the text exposition format is served as.
const contentType = "text/plain; version=0.0.4; charset=utf-8"

// metricType is a family's TYPE in the exposition.
type metricType string

const (
	counterType   metricType = "counter"
	gaugeType     metricType = "gauge"
	histogramType metricType = "histogram"
)

// family is one metric family as written at a scrape.
type family struct {
	name, help string
	typ        metricType
	samples    []sample
}

// sample is one line of a family. suffix is added to the family name
// (_bucket, _sum, _count for histograms).
type sample struct {
	suffix string
	labels []string // names and values, alternating
	value  float64
}

// collector produces families at scrape time.
type collector interface {
	collect() []family
}

// maxLabels bounds the labels of a family, so that label values can key a
// map without building a string on every update.
const maxLabels = 4

type labelKey [maxLabels]string

// vec holds a family's series by label values. Lookups take a read lock;
// the first use of a label combination takes the write lock once.
type vec[S any] struct {
	names  []string
	mu     sync.RWMutex
	series map[labelKey]*entry[S]
	newS   func() *S
}

type entry[S any] struct {
	values []string
	s      *S
}

func newVec[S any](names []string, newS func() *S) *vec[S] {
	if len(names) > maxLabels {
		panic("metrics: too many labels")
	}
	return &vec[S]{names: names, series: map[labelKey]*entry[S]{}, newS: newS}
}

// with returns the series for the label values, in the order of names.
// It panics on a wrong number of values: that is a programming error.
func (v *vec[S]) with(values ...string) *S {
	if len(values) != len(v.names) {
		panic("metrics: wrong number of label values")
	}
	var key labelKey
	copy(key[:], values)
	v.mu.RLock()
	e, ok := v.series[key]
	v.mu.RUnlock()
	if ok {
		return e.s
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if e, ok := v.series[key]; ok {
		return e.s
	}
	e = &entry[S]{values: slices.Clone(values), s: v.newS()}
	v.series[key] = e
	return e.s
}

// each calls fn for every series, ordered by label values.
func (v *vec[S]) each(fn func(labels []string, s *S)) {
	v.mu.RLock()
	entries := make([]*entry[S], 0, len(v.series))
	for _, e := range v.series {
		entries = append(entries, e)
	}
	v.mu.RUnlock()
	slices.SortFunc(entries, func(a, b *entry[S]) int { return slices.Compare(a.values, b.values) })
	for _, e := range entries {
		labels := make([]string, 0, 2*len(v.names))
		for i, n := range v.names {
			labels = append(labels, n, e.values[i])
		}
		fn(labels, e.s)
	}
}

// counterVec is a counter family with labels.
type counterVec struct {
	name, help string
	*vec[atomic.Uint64]
}

func newCounterVec(name, help string, labels ...string) *counterVec {
	return &counterVec{name: name, help: help, vec: newVec(labels, func() *atomic.Uint64 { return new(atomic.Uint64) })}
}

// inc adds one to the series with these label values.
func (c *counterVec) inc(values ...string) { c.with(values...).Add(1) }

// value is the count of one series (0 if it was never used); for tests.
func (c *counterVec) value(values ...string) uint64 { return c.with(values...).Load() }

func (c *counterVec) collect() []family {
	f := family{name: c.name, help: c.help, typ: counterType}
	c.each(func(labels []string, n *atomic.Uint64) {
		f.samples = append(f.samples, sample{labels: labels, value: float64(n.Load())})
	})
	return []family{f}
}

// histogram is one series of a histogram family. A mutex keeps its
// buckets, sum and count consistent with one another; it is held for a
// few instructions.
type histogram struct {
	mu     sync.Mutex
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	count  uint64
}

// histogramVec is a histogram family with labels.
type histogramVec struct {
	name, help string
	bounds     []float64 // upper bounds, ascending, without +Inf
	*vec[histogram]
}

func newHistogramVec(name, help string, bounds []float64, labels ...string) *histogramVec {
	h := &histogramVec{name: name, help: help, bounds: bounds}
	h.vec = newVec(labels, func() *histogram { return &histogram{counts: make([]uint64, len(bounds)+1)} })
	return h
}

// observe records v in the series with these label values.
func (h *histogramVec) observe(v float64, values ...string) {
	i, _ := slices.BinarySearch(h.bounds, v) // first bound >= v: le is inclusive
	s := h.with(values...)
	s.mu.Lock()
	s.counts[i]++
	s.sum += v
	s.count++
	s.mu.Unlock()
}

func (h *histogramVec) collect() []family {
	f := family{name: h.name, help: h.help, typ: histogramType}
	h.each(func(labels []string, s *histogram) {
		s.mu.Lock()
		counts := slices.Clone(s.counts)
		sum, count := s.sum, s.count
		s.mu.Unlock()
		var cum uint64
		for i, c := range counts {
			cum += c
			le := math.Inf(1)
			if i < len(h.bounds) {
				le = h.bounds[i]
			}
			bl := append(slices.Clone(labels), "le", formatFloat(le))
			f.samples = append(f.samples, sample{suffix: "_bucket", labels: bl, value: float64(cum)})
		}
		f.samples = append(f.samples,
			sample{suffix: "_sum", labels: labels, value: sum},
			sample{suffix: "_count", labels: labels, value: float64(count)})
	})
	return []family{f}
}

// writeText writes families in the text exposition format, sorted by name.
// Families without samples are left out, as client_golang does.
func writeText(w io.Writer, fams []family) error {
	slices.SortStableFunc(fams, func(a, b family) int { return strings.Compare(a.name, b.name) })
	bw := bufio.NewWriter(w)
	for _, f := range fams {
		if len(f.samples) == 0 {
			continue
		}
		bw.WriteString("# HELP ")
		bw.WriteString(f.name)
		bw.WriteByte(' ')
		bw.WriteString(escapeHelp(f.help))
		bw.WriteString("\n# TYPE ")
		bw.WriteString(f.name)
		bw.WriteByte(' ')
		bw.WriteString(string(f.typ))
		bw.WriteByte('\n')
		for _, s := range f.samples {
			bw.WriteString(f.name)
			bw.WriteString(s.suffix)
			if len(s.labels) > 0 {
				bw.WriteByte('{')
				for i := 0; i+1 < len(s.labels); i += 2 {
					if i > 0 {
						bw.WriteByte(',')
					}
					bw.WriteString(s.labels[i])
					bw.WriteString(`="`)
					bw.WriteString(escapeLabel(s.labels[i+1]))
					bw.WriteByte('"')
				}
				bw.WriteByte('}')
			}
			bw.WriteByte(' ')
			bw.WriteString(formatFloat(s.value))
			bw.WriteByte('\n')
		}
	}
	return bw.Flush()
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
func escapeLabel(s string) string { return labelEscaper.Replace(strings.ToValidUTF8(s, "\uFFFD")) }

// formatFloat writes a value as Prometheus does: shortest form, and +Inf,
// -Inf, NaN spelt out.
func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
