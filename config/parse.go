package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// maxSteps bounds the work of walking the document, so aliases and merge
// keys nested into one another cannot make a small file take forever.
const maxSteps = 200_000

// parser walks the YAML node tree by hand, so that every problem carries its
// line and key path, and gathers the problems instead of stopping at one.
type parser struct {
	file     string
	dir      string // the config file's directory: base of relative paths
	env      func(string) (string, bool)
	problems []*Problem
	steps    int
	tooDeep  *Problem              // set once the work budget is spent
	broken   bool                  // the document could not be read as a mapping
	pos      map[string]*yaml.Node // key path -> node it was read from
}

// field is one key: value pair of a mapping.
type field struct {
	key   string
	knode *yaml.Node // the key, for its line
	val   *yaml.Node
	path  string // "links.alice-to-x.rules"
}

func newParser(file string, env func(string) (string, bool)) *parser {
	if env == nil {
		env = func(string) (string, bool) { return "", false }
	}
	return &parser{file: file, dir: filepath.Dir(file), env: env, pos: map[string]*yaml.Node{}}
}

// add records a problem at node n (which may be nil) for the key path.
func (p *parser) add(n *yaml.Node, path, format string, args ...any) {
	pr := &Problem{File: p.file, Key: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		pr.Line, pr.Column = n.Line, n.Column
	}
	p.problems = append(p.problems, pr)
}

// addAt records a problem at the node the key path was read from.
func (p *parser) addAt(path, format string, args ...any) {
	p.add(p.pos[path], path, format, args...)
}

// err sorts the problems by position, drops repeats (a merged mapping is
// walked once per use) and joins them; nil if there are none. It returns a
// join even of one problem, so callers can always use Problems.
func (p *parser) err() error {
	if len(p.problems) == 0 {
		return nil
	}
	if p.tooDeep != nil {
		// The walk stopped part way: what else it found may be false.
		return errors.Join(p.tooDeep)
	}
	slices.SortStableFunc(p.problems, func(a, b *Problem) int {
		la, lb := a.Line, b.Line
		if la == 0 {
			la = math.MaxInt
		}
		if lb == 0 {
			lb = math.MaxInt
		}
		return cmp.Or(cmp.Compare(la, lb), cmp.Compare(a.Column, b.Column))
	})
	type seenKey struct {
		line, col int
		key, msg  string
	}
	seen := map[seenKey]bool{}
	errs := make([]error, 0, len(p.problems))
	for _, pr := range p.problems {
		k := seenKey{pr.Line, pr.Column, pr.Key, pr.Msg}
		if seen[k] {
			continue
		}
		seen[k] = true
		errs = append(errs, pr)
	}
	return errors.Join(errs...)
}

// step counts work; false once the budget is spent (reported once).
func (p *parser) step(n *yaml.Node) bool {
	p.steps++
	if p.steps > maxSteps {
		if p.tooDeep == nil {
			p.add(n, "", "the document is too complex (aliases or merge keys nested too deep); write it out plainly")
			p.tooDeep = p.problems[len(p.problems)-1]
		}
		return false
	}
	return true
}

// document parses data into its root node. It returns nil, with a problem
// recorded, when the YAML cannot be parsed or holds more than one document.
func (p *parser) document(data []byte) (root *yaml.Node) {
	defer func() {
		// The YAML library reports errors by panicking inside and
		// recovering at its API; should a hostile input ever escape that,
		// it is a problem with the file, not a crash of the daemon.
		if r := recover(); r != nil {
			root = nil
			p.broken = true
			p.add(nil, "", "cannot parse the YAML: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // empty file: an empty config, validated as such
		}
		p.yamlError(err)
		p.broken = true
		return nil
	}
	for {
		// Further documents are refused, but an empty one (a stray "---"
		// at the end) is harmless.
		var next yaml.Node
		err := dec.Decode(&next)
		switch {
		case errors.Is(err, io.EOF):
		case err != nil:
			p.yamlError(err)
			p.broken = true
			return nil
		case len(next.Content) == 0 || (len(next.Content) == 1 && isNull(next.Content[0]) && next.Content[0].Value == ""):
			continue
		default:
			p.add(&next, "", "a second YAML document (after ---); put everything in one document")
			p.broken = true
			return nil
		}
		break
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0]
	}
	return &doc
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns a YAML syntax error into a problem at its line.
func (p *parser) yamlError(err error) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		p.problems = append(p.problems, &Problem{File: p.file, Line: line, Msg: "bad YAML: " + m[2], Err: err})
		return
	}
	p.problems = append(p.problems, &Problem{File: p.file, Msg: "bad YAML: " + strings.TrimPrefix(msg, "yaml: "), Err: err})
}

// resolve follows aliases to the node they name.
func (p *parser) resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		if !p.step(n) {
			return nil
		}
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping (key: value)"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	}
	return "something else"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fields returns the pairs of the mapping n in file order, explicit keys
// first, then keys merged in with "<<" that were not set explicitly. A null
// node is an empty mapping. Duplicate keys are problems.
func (p *parser) fields(n *yaml.Node, path string) []field {
	n = p.resolve(n)
	if isNull(n) || !p.step(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.add(n, path, "must be a mapping (key: value), not %s", kindName(n))
		return nil
	}
	seen := map[string]*yaml.Node{}
	var out []field
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := p.resolve(n.Content[i]), n.Content[i+1]
		if k == nil {
			return nil
		}
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			p.add(k, path, "a key must be a plain name, not %s", kindName(k))
			continue
		}
		kp := join(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			p.add(k, kp, "duplicate key (first set at line %d); keep one", first.Line)
			continue
		}
		seen[k.Value] = k
		p.pos[kp] = k
		out = append(out, field{key: k.Value, knode: k, val: v, path: kp})
	}
	for _, m := range merges {
		m = p.resolve(m)
		var srcs []*yaml.Node
		switch {
		case m == nil:
		case m.Kind == yaml.MappingNode:
			srcs = []*yaml.Node{m}
		case m.Kind == yaml.SequenceNode:
			for _, s := range m.Content {
				srcs = append(srcs, p.resolve(s))
			}
		default:
			p.add(m, path, "a merge key (<<) takes a mapping or a list of mappings, not %s", kindName(m))
		}
		for _, s := range srcs {
			if s == nil || s.Kind != yaml.MappingNode {
				if s != nil {
					p.add(s, path, "a merge key (<<) takes a mapping or a list of mappings, not %s", kindName(s))
				}
				continue
			}
			for _, f := range p.fields(s, path) {
				if _, set := seen[f.key]; set {
					continue
				}
				seen[f.key] = f.knode
				out = append(out, f)
			}
		}
	}
	return out
}

// unknown reports a key that is not allowed where it is, suggesting the
// nearest allowed one. The key's value is never repeated.
func (p *parser) unknown(f field, allowed []string) (suggested string) {
	if best := nearest(f.key, allowed); best != "" {
		p.add(f.knode, f.path, "unknown key; did you mean %q?", best)
		return best
	}
	p.add(f.knode, f.path, "unknown key; allowed here: %s", strings.Join(allowed, ", "))
	return ""
}

// nearest returns the allowed key closest to k by edit distance, if close.
func nearest(k string, allowed []string) string {
	best, bestD := "", 3
	if len(k) < 3 {
		bestD = 2
	}
	for _, a := range allowed {
		if d := editDistance(strings.ToLower(k), a); d < bestD {
			best, bestD = a, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return math.MaxInt
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// scalar returns the expanded value of a single-valued field. null reports
// a key written without a value (its s is ""). ok is false, with a problem
// recorded, when the value is not a scalar or cannot be expanded.
func (p *parser) scalar(f field) (s string, null, ok bool) {
	v := p.resolve(f.val)
	if v == nil {
		return "", false, false
	}
	if v.Kind != yaml.ScalarNode {
		p.add(v, f.path, "must be a single value, not %s", kindName(v))
		return "", false, false
	}
	if isNull(v) {
		return "", true, true
	}
	s, err := expand(v.Value, p.env)
	if err != nil {
		p.add(v, f.path, "%v", err)
		return "", false, false
	}
	return s, false, true
}

// str returns a field's string value; a key without a value gives "".
func (p *parser) str(f field) (string, bool) {
	s, _, ok := p.scalar(f)
	return s, ok
}

// value returns a field's value, which must not be left empty.
func (p *parser) value(f field, hint string) (string, bool) {
	s, null, ok := p.scalar(f)
	if ok && (null || s == "") {
		p.add(f.knode, f.path, "needs a value: %s", hint)
		return "", false
	}
	return s, ok
}

func (p *parser) boolean(f field) (bool, bool) {
	s, ok := p.value(f, "true or false")
	if !ok {
		return false, false
	}
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	}
	p.add(f.knode, f.path, "must be true or false, not %s", quote(s))
	return false, false
}

// count returns a whole number that is 0 or more.
func (p *parser) count(f field) (int, bool) {
	s, ok := p.value(f, "a whole number, 0 or more")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
	if err != nil {
		p.add(f.knode, f.path, "must be a whole number, not %s", quote(s))
		return 0, false
	}
	if n < 0 {
		p.add(f.knode, f.path, "must be 0 or more, not %d", n)
		return 0, false
	}
	return n, true
}

// amount returns a number of dollars that is 0 or more.
func (p *parser) amount(f field) (float64, bool) {
	s, ok := p.value(f, "a number of US dollars, 0 or more")
	if !ok {
		return 0, false
	}
	x, err := strconv.ParseFloat(strings.TrimPrefix(s, "$"), 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		p.add(f.knode, f.path, "must be a number of US dollars like 10 or 0.015, not %s", quote(s))
		return 0, false
	}
	if x < 0 {
		p.add(f.knode, f.path, "must be 0 or more, not %v", x)
		return 0, false
	}
	return x, true
}

func (p *parser) duration(f field) (time.Duration, bool) {
	s, ok := p.value(f, "a duration like 30s, 5m or 1h30m")
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		p.add(f.knode, f.path, "bad duration %s: write a number with a unit, like 30s, 5m or 1h30m", quote(s))
		return 0, false
	}
	if d < 0 {
		p.add(f.knode, f.path, "must not be negative, not %s", quote(s))
		return 0, false
	}
	return d, true
}

// enum returns a value that must be one of allowed.
func (p *parser) enum(f field, allowed ...string) (string, bool) {
	s, ok := p.value(f, "one of "+strings.Join(allowed, " | "))
	if !ok {
		return "", false
	}
	if !slices.Contains(allowed, s) {
		p.add(f.knode, f.path, "must be one of %s, not %s", strings.Join(allowed, " | "), quote(s))
		return "", false
	}
	return s, true
}

// item is one element of a list.
type item struct {
	s    string
	node *yaml.Node
	path string
}

// list returns a list of single values. A single value is taken as a list
// of one; a key without a value is the empty list.
func (p *parser) list(f field) ([]item, bool) {
	v := p.resolve(f.val)
	if v == nil {
		return nil, false
	}
	var elems []*yaml.Node
	switch {
	case isNull(v):
		return nil, true
	case v.Kind == yaml.ScalarNode:
		elems = []*yaml.Node{v}
	case v.Kind == yaml.SequenceNode:
		elems = v.Content
	default:
		p.add(v, f.path, "must be a list like [a, b], not %s", kindName(v))
		return nil, false
	}
	out := make([]item, 0, len(elems))
	ok := true
	for i, e := range elems {
		ip := fmt.Sprintf("%s[%d]", f.path, i)
		e = p.resolve(e)
		if e == nil {
			return nil, false
		}
		p.pos[ip] = e
		if e.Kind != yaml.ScalarNode || isNull(e) {
			p.add(e, ip, "must be a single value, not %s", kindName(e))
			ok = false
			continue
		}
		s, err := expand(e.Value, p.env)
		if err != nil {
			p.add(e, ip, "%v", err)
			ok = false
			continue
		}
		out = append(out, item{s: s, node: e, path: ip})
	}
	return out, ok
}

// date parses YYYY-MM-DD (00:00 UTC of that day, or the last instant of it
// with endOfDay) or RFC 3339 (that instant, in UTC).
func parseDate(s string, endOfDay bool) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if endOfDay {
			t = t.AddDate(0, 0, 1).Add(-time.Nanosecond)
		}
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("bad date %s: write YYYY-MM-DD or an RFC 3339 time like 2027-01-01T09:00:00Z", quote(s))
}

// date returns a field's date, and the value as written for messages.
func (p *parser) date(f field, endOfDay bool) (time.Time, string, bool) {
	s, ok := p.value(f, "a date, YYYY-MM-DD")
	if !ok {
		return time.Time{}, "", false
	}
	t, err := parseDate(s, endOfDay)
	if err != nil {
		p.add(f.knode, f.path, "%v", err)
		return time.Time{}, "", false
	}
	return t, s, true
}

// window decodes {from: date, until: date}.
func (p *parser) window(f field) Window {
	var w Window
	var from, until string
	for _, g := range p.fields(f.val, f.path) {
		switch g.key {
		case "from":
			w.From, from, _ = p.date(g, false)
		case "until":
			w.Until, until, _ = p.date(g, true)
		default:
			p.unknown(g, []string{"from", "until"})
		}
	}
	if !w.From.IsZero() && !w.Until.IsZero() && w.From.After(w.Until) {
		p.add(f.knode, f.path, "from %s is after until %s; swap them", from, until)
	}
	return w
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// cronRef is when a schedule is asked for its next run, to find schedules
// that never fire; fixed, so the answer does not depend on the day.
var cronRef = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// checkCron reports what is wrong with a cron spec, or nil.
func checkCron(spec string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("cannot be parsed")
		}
	}()
	body := spec
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		_, rest, found := strings.Cut(spec, " ")
		if !found {
			return errors.New("a CRON_TZ= prefix must be followed by a space and the schedule")
		}
		body = strings.TrimSpace(rest)
	}
	sched, err := cronParser.Parse(spec)
	if err != nil {
		return err
	}
	if d, ok := strings.CutPrefix(body, "@every "); ok {
		if dd, err := time.ParseDuration(d); err != nil || dd <= 0 {
			return errors.New("@every needs a positive duration")
		}
	}
	if sched.Next(cronRef).IsZero() {
		return errors.New("never fires (no such date)")
	}
	return nil
}

// schedule returns a valid cron spec; "" is allowed only if allowEmpty.
func (p *parser) schedule(f field, allowEmpty bool) (string, bool) {
	s, ok := p.str(f)
	if !ok {
		return "", false
	}
	s = strings.TrimSpace(s)
	if s == "" {
		if allowEmpty {
			return "", true
		}
		p.add(f.knode, f.path, `needs a schedule: 5 cron fields ("0 10 * * MON") or a descriptor ("@every 1h", "@daily")`)
		return "", false
	}
	if err := checkCron(s); err != nil {
		p.add(f.knode, f.path, `bad schedule %s: %v; write 5 cron fields ("*/5 * * * *") or a descriptor ("@every 5m", "@hourly")`, quote(s), err)
		return "", false
	}
	return s, true
}
