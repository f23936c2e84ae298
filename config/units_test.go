package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
)

// twoAccounts is a valid accounts section the tests below build on.
const twoAccounts = `
accounts:
  m:
    network: mastodon
    server: https://social.example
    access_token: t
  x:
    network: x
    consumer_key: a
    consumer_secret: b
    access_token: c
    access_token_secret: d
`

func TestExpand(t *testing.T) {
	env := mapEnv(map[string]string{"A": "alpha", "EMPTY": "", "WEIRD": "a: [b, {c"})
	for _, tt := range []struct {
		name, in, want, err string
	}{
		{name: "no dollar", in: "plain", want: "plain"},
		{name: "variable", in: "${A}", want: "alpha"},
		{name: "inside text", in: "x${A}y${A}", want: "xalphayalpha"},
		{name: "default unused", in: "${A:-d}", want: "alpha"},
		{name: "default when unset", in: "${NOPE:-fallback value}", want: "fallback value"},
		{name: "default when empty", in: "${EMPTY:-d}", want: "d"},
		{name: "empty default", in: "${NOPE:-}", want: ""},
		{name: "set but empty", in: "${EMPTY}", want: ""},
		{name: "dollar dollar", in: "$$5 and $${A}", want: "$5 and ${A}"},
		{name: "lone dollar kept", in: "costs $5, $A", want: "costs $5, $A"},
		{name: "trailing dollar", in: "5$", want: "5$"},
		{name: "yaml-special value stays text", in: "${WEIRD}", want: "a: [b, {c"},
		{name: "unset", in: "${NOPE}", err: "environment variable NOPE is not set"},
		{name: "unterminated", in: "${A", err: "unterminated ${"},
		{name: "empty name", in: "${}", err: "bad variable name"},
		{name: "bad name", in: "${1A}", err: "bad variable name"},
		{name: "no nesting", in: "${A:-${B}}", want: "alpha}"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := expand(tt.in, env)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("expand(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestWindowContains(t *testing.T) {
	day := func(s string) time.Time { tt, _ := time.Parse(time.DateOnly, s); return tt }
	endOf := func(s string) time.Time { return day(s).AddDate(0, 0, 1).Add(-time.Nanosecond) }
	w := Window{From: day("2027-01-01"), Until: endOf("2027-06-30")}
	for _, tt := range []struct {
		name string
		w    Window
		t    time.Time
		want bool
	}{
		{"open window", Window{}, day("1999-01-01"), true},
		{"before from", w, day("2027-01-01").Add(-time.Nanosecond), false},
		{"at from", w, day("2027-01-01"), true},
		{"inside", w, day("2027-03-15"), true},
		{"last instant of until day", w, endOf("2027-06-30"), true},
		{"evening of until day", w, day("2027-06-30").Add(23 * time.Hour), true},
		{"day after until", w, day("2027-07-01"), false},
		{"only from, later", Window{From: day("2027-01-01")}, day("2099-01-01"), true},
		{"only until, earlier", Window{Until: endOf("2027-06-30")}, day("1970-01-02"), true},
		{"other zone, same instant", w, time.Date(2027, 7, 1, 1, 59, 0, 0, time.FixedZone("CEST", 2*3600)), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.w.Contains(tt.t); got != tt.want {
				t.Errorf("%+v.Contains(%v) = %v, want %v", tt.w, tt.t, got, tt.want)
			}
		})
	}
}

func TestWindowFromConfigIncludesUntilDay(t *testing.T) {
	c := mustParse(t, twoAccounts+`
links:
  l:
    from: m
    to: [x]
    active: {from: 2027-01-01, until: 2027-06-30}
`)
	w := c.Links["l"].Active
	if !w.Contains(time.Date(2027, 6, 30, 23, 59, 59, 0, time.UTC)) {
		t.Errorf("window %v excludes the evening of its until day", w)
	}
	if w.Contains(time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC)) || w.Contains(time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)) {
		t.Errorf("window %v includes days outside it", w)
	}
}

func TestDefaults(t *testing.T) {
	c := mustParse(t, twoAccounts+`
links:
  l: {from: m, to: x}
announcements:
  a: {account: x, schedule: "@daily", text: hi}
`)
	dir := filepath.Dir(c.Path)
	if c.DataDir != filepath.Join(dir, "data") {
		t.Errorf("DataDir = %q, want data beside the config file", c.DataDir)
	}
	if c.Log.Level != "info" || c.Log.Format != "console" || c.HTTP.Listen != "127.0.0.1:8080" {
		t.Errorf("log/http defaults = %+v %+v", c.Log, c.HTTP)
	}
	m, x := c.Accounts["m"], c.Accounts["x"]
	if m.Poll != "@every 1m" || x.Poll != "@every 15m" || !m.Stream || !x.Stream {
		t.Errorf("poll/stream defaults: m %q %v, x %q %v", m.Poll, m.Stream, x.Poll, x.Stream)
	}
	if x.Network != "twitter" {
		t.Errorf("network x = %q, want canonical twitter", x.Network)
	}
	if x.Budget.PostUSD != 0.015 || x.Budget.URLPostUSD != 0.20 || x.Budget.USDPerMonth != 0 || x.Limits.PostsPerDay != 0 {
		t.Errorf("budget/limits defaults: %+v %+v", x.Budget, x.Limits)
	}
	l := c.Links["l"]
	if !l.StartNow || !l.Start.IsZero() || !l.Active.IsZero() || !slices.Equal(l.To, []string{"x"}) {
		t.Errorf("link defaults: %+v", l)
	}
	want := Rules{
		Visibility: []providers.Visibility{"public", "unlisted"},
		Replies:    "self", Reposts: "skip", Quotes: "link", Sensitive: "skip",
		ExcludeTags: []string{"nobridge"},
		Mentions:    "handle", Overflow: "thread", Media: true, Edits: "mirror", Deletes: "mirror",
	}
	if !reflect.DeepEqual(l.Rules, want) {
		t.Errorf("rules defaults:\n got %+v\nwant %+v", l.Rules, want)
	}
	if a := c.Announcements["a"]; !a.Active.IsZero() || a.Schedule != "@daily" {
		t.Errorf("announcement: %+v", a)
	}
	// Each link has its own default slices: changing one changes no other.
	c2 := mustParse(t, twoAccounts+"links:\n  a: {from: m, to: x}\n  b: {from: x, to: m}\n")
	c2.Links["a"].Rules.ExcludeTags[0] = "changed"
	c2.Links["a"].Rules.Visibility[0] = "direct"
	if c2.Links["b"].Rules.ExcludeTags[0] != "nobridge" || c2.Links["b"].Rules.Visibility[0] != "public" || defaultRules().ExcludeTags[0] != "nobridge" {
		t.Error("links share their default slices")
	}
}

func TestAbsentVersusEmpty(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		listen     string
		poll       string
	}{
		{"absent", "", "127.0.0.1:8080", "@every 1m"},
		{"explicit empty", "http: {listen: \"\"}\nxpoll: \"\"", "", ""},
		{"key without value", "http:\n  listen:\nxpoll:", "", ""},
		{"tilde", "http: {listen: ~}\nxpoll: ~", "", ""},
		{"set", "http: {listen: \"[::1]:9000\"}\nxpoll: \"*/10 * * * *\"", "[::1]:9000", "*/10 * * * *"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			top, poll, _ := strings.Cut(tt.text, "xpoll")
			if poll != "" {
				poll = "\n    poll" + poll
			}
			c := mustParse(t, top+`
accounts:
  m:
    network: mastodon
    server: https://social.example
    access_token: t`+poll+"\n")
			if c.HTTP.Listen != tt.listen {
				t.Errorf("listen = %q, want %q", c.HTTP.Listen, tt.listen)
			}
			if got := c.Accounts["m"].Poll; got != tt.poll {
				t.Errorf("poll = %q, want %q", got, tt.poll)
			}
		})
	}
}

func TestReads(t *testing.T) {
	for _, tt := range []struct {
		network, poll string
		stream        bool
		want          bool
	}{
		{"mastodon", "@every 1m", true, true},
		{"mastodon", "", true, true}, // the stream alone reads it
		{"mastodon", "", false, false},
		{"twitter", "", true, false}, // X has no stream here
		{"twitter", "@every 15m", false, true},
	} {
		t.Run(fmt.Sprintf("%s/poll=%q/stream=%v", tt.network, tt.poll, tt.stream), func(t *testing.T) {
			a := &Account{Network: tt.network, Poll: tt.poll, Stream: tt.stream}
			if got := a.Reads(); got != tt.want {
				t.Errorf("Reads() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("lf", "tok-lf\n")
	write("crlf", "tok-crlf\r\n\r\n")
	write("inner", "line1\nline2\n")
	abs := write("abs", "tok-abs")
	write("empty", "\n")
	write("big", strings.Repeat("x", maxSecretSize+1))
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	write("sub/nested", "tok-nested\n")
	for _, tt := range []struct {
		name, file, want, err string
	}{
		{name: "trailing newline trimmed", file: "lf", want: "tok-lf"},
		{name: "crlf trimmed", file: "crlf", want: "tok-crlf"},
		{name: "inner newline kept", file: "inner", want: "line1\nline2"},
		{name: "absolute path", file: abs, want: "tok-abs"},
		{name: "relative to config dir", file: "sub/nested", want: "tok-nested"},
		{name: "path from variable", file: "${TOKFILE}", want: "tok-lf"},
		{name: "missing", file: "nope", err: `access_token_file: cannot read secret file "` + filepath.Join(dir, "nope") + `": no such file or directory`},
		{name: "directory", file: "sub", err: "cannot read secret file"},
		{name: "empty file", file: "empty", err: "access_token_file: the file is empty"},
		{name: "too big", file: "big", err: "is larger than"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			text := fmt.Sprintf("accounts:\n  m:\n    network: mastodon\n    server: https://s.example\n    access_token_file: %q\n", tt.file)
			c, err := Parse(filepath.Join(dir, "config.yaml"), []byte(text), mapEnv(map[string]string{"TOKFILE": "lf"}))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
				if n := len(Problems(err)); n != 1 {
					t.Errorf("%d problems, want 1: %v", n, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Accounts["m"].Secrets["access_token"].Reveal(); got != tt.want {
				t.Errorf("secret = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDataDir(t *testing.T) {
	for _, tt := range []struct{ path, dataDir, want string }{
		{"/etc/dualpower/config.yaml", "./data", "/etc/dualpower/data"},
		{"/etc/dualpower/config.yaml", "../lib/dp", "/etc/lib/dp"},
		{"/etc/dualpower/config.yaml", "/var/lib/dualpower", "/var/lib/dualpower"},
		{"config.yaml", "data", "data"},
		{"conf/config.yaml", "state", "conf/state"},
	} {
		t.Run(tt.path+"+"+tt.dataDir, func(t *testing.T) {
			c, err := Parse(tt.path, []byte("data_dir: "+tt.dataDir+"\n"+twoAccounts), nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.DataDir != tt.want {
				t.Errorf("DataDir = %q, want %q", c.DataDir, tt.want)
			}
		})
	}
}

func TestMergeKeys(t *testing.T) {
	c := mustParse(t, `
x-a: &a {replies: none, reposts: link, quotes: skip}
x-b: &b {replies: self, overflow: skip}
`+twoAccounts+`
links:
  l1:
    from: m
    to: [x]
    rules:
      <<: [*a, *b]   # the first mapping wins over the second
      quotes: link   # an explicit key wins over both
  l2:
    from: x
    to: [m]
    rules: *b
`)
	r1, r2 := c.Links["l1"].Rules, c.Links["l2"].Rules
	if r1.Replies != "none" || r1.Reposts != "link" || r1.Quotes != "link" || r1.Overflow != "skip" {
		t.Errorf("l1 rules = %+v", r1)
	}
	if r2.Replies != "self" || r2.Overflow != "skip" || r2.Reposts != "skip" {
		t.Errorf("l2 rules = %+v", r2)
	}
	// A mistake inside a shared anchor is reported once, at the anchor.
	got := problemsOf(t, "x-r: &r {replies: maybe}\n"+twoAccounts+"links:\n  a: {from: m, to: x, rules: *r}\n  b: {from: x, to: m, rules: {<<: *r}}\n", nil)
	if len(got) != 2 || !strings.HasPrefix(got[0], "config.yaml:1: links.a.rules.replies:") || !strings.HasPrefix(got[1], "config.yaml:1: links.b.rules.replies:") {
		t.Errorf("problems = %q", got)
	}
}

func TestHostileDocuments(t *testing.T) {
	// Merge keys nested so that walking them naively doubles at every level.
	var b strings.Builder
	b.WriteString("x-0: &a0 {replies: self}\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "x-%d: &a%d {<<: [*a%d, *a%d]}\n", i, i, i-1, i-1)
	}
	bomb := b.String() + twoAccounts + "links:\n  l: {from: m, to: x, rules: *a40}\n"
	for _, tt := range []struct{ name, text, want string }{
		{"merge bomb", bomb, "too complex"},
		{"two documents", twoAccounts + "---\n# empty\n---\n" + twoAccounts, "a second YAML document"},
		{"self alias", "accounts: &a {m: *a}\n", "accounts.m.network: missing"},
		{"self merge", "accounts: &a\n  m:\n    <<: *a\n", "accounts.m.network: missing"},
		{"tab indent", "accounts:\n\tm: 1\n", "bad YAML"},
		{"binary", "\x00\x01\x02", "bad YAML"},
		{"key is a mapping", "{a: 1}: 2\n" + twoAccounts, "a key must be a plain name"},
		{"deep nesting", strings.Repeat("[", 20000), "bad YAML"},
		{"cron tz without space", twoAccounts + "    poll: CRON_TZ=UTC\n", "CRON_TZ= prefix must be followed"},
		{"cron never fires", twoAccounts + "    poll: \"0 0 31 2 *\"\n", "never fires"},
		{"every negative", twoAccounts + "    poll: \"@every -1m\"\n", "positive duration"},
		{"huge int", twoAccounts + "    limits: {posts_per_day: 99999999999999999999999}\n", "must be a whole number"},
		{"nan budget", twoAccounts + "    budget: {usd_per_month: .nan}\n", "must be a number"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan []string)
			go func() { done <- problemsOf(t, tt.text, anyEnv) }()
			var got []string
			select {
			case got = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Parse did not return within 10s")
			}
			if !strings.Contains(strings.Join(got, "\n"), tt.want) {
				t.Errorf("problems = %q, want one containing %q", got, tt.want)
			}
		})
	}
}

func TestMentionsMap(t *testing.T) {
	c := mustParse(t, twoAccounts+`
mentions:
  map:
    "@Alice@Social.Example": "@Alice_X"
    bob_x: bob@other.example
    "@émile@fédi.example": "@emile"
`)
	want := map[string]string{
		"@alice@social.example": "@Alice_X",
		"@bob_x":                "@bob@other.example",
		"@émile@fédi.example":   "@emile",
	}
	if !reflect.DeepEqual(c.Mentions.Map, want) {
		t.Errorf("map = %v, want %v", c.Mentions.Map, want)
	}
	for _, tt := range []struct{ name, entry, want string }{
		{"space in value", `"@a": "a b"`, "bad handle"},
		{"url key", `"https://x.com/a": "@a"`, "bad handle"},
		{"empty value", `"@a": ""`, "needs a value"},
		{"list value", `"@a": [b]`, "must be a single value"},
		{"same key twice by case", "\"@A\": \"@b\"\n    \"@a\": \"@c\"", "the same handle as another key"},
		{"host without dot", `"@a@localhost": "@a"`, "bad handle"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := problemsOf(t, twoAccounts+"mentions:\n  map:\n    "+tt.entry+"\n", nil)
			if len(got) != 1 || !strings.Contains(got[0], tt.want) || !strings.Contains(got[0], "mentions.map.") {
				t.Errorf("problems = %q, want one containing %q", got, tt.want)
			}
		})
	}
}

func TestSource(t *testing.T) {
	c := mustParse(t, twoAccounts+`
  m2:
    network: mastodon
    server: https://other.example
    access_token: t2
links:
  b: {from: m, to: [x]}
  a: {from: x, to: [m]}
  c: {from: m2, to: [x], active: {from: 2030-01-01}}
  d: {from: m, to: [m2]}
`)
	for _, tt := range []struct {
		account string
		want    []string
	}{
		{"m", []string{"b", "d"}},
		{"x", []string{"a"}},
		{"m2", []string{"c"}},
		{"nobody", nil},
	} {
		t.Run(tt.account, func(t *testing.T) {
			var got []string
			for _, l := range c.Source(tt.account) {
				got = append(got, l.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Source(%q) = %v, want %v", tt.account, got, tt.want)
			}
		})
	}
}

func TestLinkPhases(t *testing.T) {
	for _, tt := range []struct {
		name, w1, w2 string
		overlap      bool
	}{
		{"both always", "{}", "{}", true},
		{"consecutive days", "{until: 2027-03-31}", "{from: 2027-04-01}", false},
		{"same day", "{until: 2027-03-31}", "{from: 2027-03-31}", true},
		{"instant apart", "{until: \"2027-03-31T12:00:00Z\"}", "{from: \"2027-03-31T12:00:01Z\"}", false},
		{"nested", "{from: 2027-01-01, until: 2027-12-31}", "{from: 2027-05-01, until: 2027-05-02}", true},
		{"second first", "{from: 2028-01-01}", "{until: 2027-12-31}", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			text := twoAccounts + "links:\n  p1: {from: m, to: [x], active: " + tt.w1 + "}\n  p2: {from: m, to: [x], active: " + tt.w2 + "}\n"
			got := problemsOf(t, text, nil)
			if tt.overlap != (len(got) == 1 && strings.Contains(got[0], "links.p2.to[0]: link p1 already mirrors m to x")) {
				t.Errorf("overlap %v; problems = %q", tt.overlap, got)
			}
		})
	}
}

func TestStart(t *testing.T) {
	for _, tt := range []struct {
		in   string
		now  bool
		want time.Time
	}{
		{"now", true, time.Time{}},
		{"NOW", true, time.Time{}},
		{"2027-01-02", false, time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"2027-01-02T10:00:00+02:00", false, time.Date(2027, 1, 2, 8, 0, 0, 0, time.UTC)},
	} {
		t.Run(tt.in, func(t *testing.T) {
			c := mustParse(t, twoAccounts+"links:\n  l: {from: m, to: x, start: \""+tt.in+"\"}\n")
			l := c.Links["l"]
			if l.StartNow != tt.now || !l.Start.Equal(tt.want) || (!l.Start.IsZero() && l.Start.Location() != time.UTC) {
				t.Errorf("start %q: StartNow %v Start %v", tt.in, l.StartNow, l.Start)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	base := twoAccounts + "links:\n  l: {from: m, to: [x]}\n  k: {from: x, to: [m]}\nannouncements:\n  a: {account: x, schedule: \"@daily\", text: hi}\n"
	parse := func(text string) *Config {
		t.Helper()
		c, err := Parse("/etc/dualpower/config.yaml", []byte(text), nil)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	old := parse(base)
	for _, tt := range []struct {
		name, text string
		want       Changes
	}{
		{"nothing", base, Changes{}},
		{"comment only", "# hello\n" + base, Changes{}},
		{"token rotated", strings.Replace(base, "access_token: c", "access_token: c2", 1), Changes{AccountsChanged: []string{"x"}}},
		{"account added", strings.Replace(base, "links:", "  m2: {network: mastodon, server: https://o.example, access_token: z}\nlinks:", 1), Changes{AccountsAdded: []string{"m2"}}},
		{"link rule changed", strings.Replace(base, "to: [x]}", "to: [x], rules: {footer: bye}}", 1), Changes{LinksChanged: []string{"l"}}},
		{"link removed", strings.Replace(base, "  k: {from: x, to: [m]}\n", "", 1), Changes{LinksRemoved: []string{"k"}}},
		{"announcement text", strings.Replace(base, "text: hi", "text: hello", 1), Changes{AnnouncementsChanged: []string{"a"}}},
		{"settings", "log: {level: debug}\nhttp: {listen: \"\"}\nmentions: {map: {\"@a\": \"@b\"}}\n" + base, Changes{Settings: []string{"log.level", "http.listen", "mentions.map"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cur := parse(tt.text)
			got := cur.Diff(old)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Diff = %+v, want %+v", got, tt.want)
			}
			if got.Empty() != reflect.ValueOf(tt.want).IsZero() {
				t.Errorf("Empty() = %v", got.Empty())
			}
		})
	}
	all := old.Diff(nil)
	if !slices.Equal(all.AccountsAdded, []string{"m", "x"}) || !slices.Equal(all.LinksAdded, []string{"l", "k"}) || all.String() != "accounts +m +x; links +l +k; announcements +a; settings data_dir log.level log.format http.listen" {
		t.Errorf("Diff(nil) = %+v (%s)", all, all)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	t.Setenv("DUALPOWER_TEST_TOKEN", "from-env")
	text := strings.Replace(twoAccounts, "access_token: t", "access_token: ${DUALPOWER_TEST_TOKEN}", 1)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != path || c.Accounts["m"].Secrets["access_token"].Reveal() != "from-env" {
		t.Errorf("Load: path %q, token not from the environment", c.Path)
	}

	_, err = Load(filepath.Join(dir, "missing.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: err = %v, want fs.ErrNotExist", err)
	}
	if want := filepath.Join(dir, "missing.yaml") + ": cannot read the config file: no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("Load of a missing file: err = %v, want %s", err, want)
	}
	if p := Problems(err); len(p) != 1 || p[0].File != filepath.Join(dir, "missing.yaml") {
		t.Errorf("Load of a missing file: problems = %v", p)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "cannot read the config file: is a directory") {
		t.Errorf("Load of a directory: err = %v", err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, bytes.Repeat([]byte("# padding\n"), maxFileSize/10+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "is larger than") {
		t.Errorf("Load of a huge file: err = %v", err)
	}
}

func TestProblemError(t *testing.T) {
	for _, tt := range []struct {
		name string
		p    Problem
		want string
	}{
		{"full", Problem{File: "config.yaml", Line: 14, Column: 3, Key: "links.alice-to-x.to[1]", Msg: `unknown account "alice-bsky"`}, `config.yaml:14: links.alice-to-x.to[1]: unknown account "alice-bsky"`},
		{"no line", Problem{File: "c.yaml", Key: "accounts", Msg: "none"}, "c.yaml: accounts: none"},
		{"no key", Problem{File: "c.yaml", Line: 3, Msg: "bad YAML"}, "c.yaml:3: bad YAML"},
		{"message only", Problem{Msg: "m"}, "m"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
	if Problems(nil) != nil || Problems(errors.New("x")) != nil {
		t.Error("Problems of a non-problem error should be nil")
	}
	wrapped := fmt.Errorf("load: %w", &Problem{Msg: "inner"})
	if p := Problems(wrapped); len(p) != 1 || p[0].Msg != "inner" {
		t.Errorf("Problems(wrapped) = %v", p)
	}
}

func TestEveryProblemAtOnce(t *testing.T) {
	got := problemsOf(t, `
log: {level: loud, format: xml}
http: {listen: "nope"}
accounts:
  m: {network: mastodon, server: https://s.example}
  q: {network: bluesky}
links:
  l: {from: m, to: [m, z], rules: {edits: maybe, media: sometimes, max_per_hour: -1}}
`, nil)
	wantKeys := []string{"log.level", "log.format", "http.listen", "accounts.m.access_token", "accounts.q.network",
		"links.l.rules.edits", "links.l.rules.media", "links.l.rules.max_per_hour", "links.l.to[0]", "links.l.to[1]"}
	joined := strings.Join(got, "\n")
	for _, k := range wantKeys {
		if !strings.Contains(joined, ": "+k+": ") {
			t.Errorf("no problem for %s in:\n%s", k, joined)
		}
	}
	if len(got) != len(wantKeys) {
		t.Errorf("%d problems, want %d:\n%s", len(got), len(wantKeys), joined)
	}
	// In file order.
	lines := make([]int, len(got))
	for i, g := range got {
		fmt.Sscanf(strings.TrimPrefix(g, "config.yaml:"), "%d", &lines[i])
	}
	if !slices.IsSorted(lines) {
		t.Errorf("problems not in line order: %v", lines)
	}
}

// FuzzParse checks that no input makes Parse panic, and that whatever it
// rejects it rejects with located problems.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.yaml")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(twoAccounts + "links:\n  l: {from: m, to: [x], active: {from: 2027-01-01}}\n"))
	f.Add([]byte("x: &a {<<: *a}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data, anyEnv)
		if err == nil {
			if c == nil {
				t.Fatal("nil Config without an error")
			}
			return
		}
		if c != nil {
			t.Fatal("a Config together with an error")
		}
		probs := Problems(err)
		if len(probs) == 0 {
			t.Fatalf("error is not a list of problems: %v", err)
		}
		for _, p := range probs {
			if p.Line < 0 || p.File != "fuzz.yaml" || p.Msg == "" {
				t.Fatalf("bad problem %#v", p)
			}
		}
	})
}

func BenchmarkParseCollective(b *testing.B) {
	data, err := os.ReadFile("testdata/good/collective.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Parse("testdata/good/collective.yaml", data, anyEnv); err != nil {
			b.Fatal(err)
		}
	}
}

func TestValueProblems(t *testing.T) {
	link := func(extra string) string {
		return twoAccounts + "links:\n  l:\n    from: m\n    to: [x]\n" + extra
	}
	for _, tt := range []struct{ name, text, want string }{
		{"list for a scalar", link("    start: [now]\n"), "links.l.start: must be a single value, not a list"},
		{"mapping for a list", link("    to: {a: b}\n"), "links.l.to: duplicate key"},
		{"mapping for a list, alone", twoAccounts + "links:\n  l: {from: m, to: {a: b}}\n", "links.l.to: must be a list like [a, b], not a mapping (key: value)"},
		{"mapping in a list", twoAccounts + "links:\n  l: {from: m, to: [{a: b}]}\n", "links.l.to[0]: must be a single value, not a mapping (key: value)"},
		{"null in a list", twoAccounts + "links:\n  l: {from: m, to: [x, ~]}\n", "links.l.to[1]: must be a single value"},
		{"unset variable in a list", twoAccounts + "links:\n  l: {from: m, to: [\"${NOPE}\"]}\n", "links.l.to[0]: environment variable NOPE is not set"},
		{"empty target", twoAccounts + "links:\n  l: {from: m, to: \"\"}\n", "links.l.to[0]: empty; name an account"},
		{"null target list", twoAccounts + "links:\n  l: {from: m, to: }\n", "links.l.to: empty; list at least one account"},
		{"from without value", twoAccounts + "links:\n  l: {from: , to: [x]}\n", "links.l.from: needs a value"},
		{"rules not a mapping", link("    rules: strict\n"), "links.l.rules: must be a mapping (key: value), not a single value"},
		{"negative delay", link("    rules: {delay: -1s}\n"), "links.l.rules.delay: must not be negative"},
		{"delay without value", link("    rules: {delay: }\n"), "links.l.rules.delay: needs a value: a duration like 30s, 5m or 1h30m"},
		{"bad boolean", link("    rules: {media: sometimes}\n"), `links.l.rules.media: must be true or false, not "sometimes"`},
		{"bad tag", link("    rules: {exclude_tags: [\"two words\"]}\n"), `links.l.rules.exclude_tags[0]: bad hashtag "two words"`},
		{"empty tag", link("    rules: {strip_tags: [\"#\"]}\n"), `links.l.rules.strip_tags[0]: bad hashtag "#"`},
		{"empty word", link("    rules: {exclude_words: [\" \"]}\n"), "links.l.rules.exclude_words[0]: empty word"},
		{"empty visibility", link("    rules: {visibility: []}\n"), "links.l.rules.visibility: empty: no post would be mirrored"},
		{"fraction", link("    rules: {max_per_hour: 1.5}\n"), `links.l.rules.max_per_hour: must be a whole number, not "1.5"`},
		{"window key", link("    active: {since: 2027-01-01}\n"), `links.l.active.since: unknown key; allowed here: from, until`},
		{"window bad date", link("    active: {until: 31.12.2027}\n"), `links.l.active.until: bad date "31.12.2027"`},
		{"window without value", link("    active: {from: }\n"), "links.l.active.from: needs a value: a date"},
		{"unknown link key", link("    target: [x]\n"), `links.l.target: unknown key; allowed here: from, to, start, active, rules`},
		{"listen port", "http: {listen: \"127.0.0.1:http\"}\n" + twoAccounts, `http.listen: bad port "http"`},
		{"listen port range", "http: {listen: \":70000\"}\n" + twoAccounts, `http.listen: bad port "70000"`},
		{"data_dir empty", "data_dir: \"\"\n" + twoAccounts, "data_dir: needs a value"},
		{"log not a mapping", "log: debug\n" + twoAccounts, "log: must be a mapping (key: value), not a single value"},
		{"log key", "log: {lvl: debug}\n" + twoAccounts, `log.lvl: unknown key; did you mean "level"?`},
		{"http key", "http: {port: 80}\n" + twoAccounts, "http.port: unknown key; allowed here: listen"},
		{"mentions key", "mentions: {handles: {}}\n" + twoAccounts, "mentions.handles: unknown key; allowed here: map"},
		{"account not a mapping", "accounts:\n  m: mastodon\n", "accounts.m: must be a mapping (key: value), not a single value"},
		{"network without value", "accounts:\n  m: {network: }\n", "accounts.m.network: needs a value"},
		{"setting not a scalar", "accounts:\n  m: {network: mastodon, server: [a], access_token: t}\n", "accounts.m.server: must be a single value, not a list"},
		{"required setting empty", "accounts:\n  m: {network: mastodon, server: \"\", access_token: t}\n", "accounts.m.server: is empty; it is required"},
		{"required setting missing", "accounts:\n  m: {network: mastodon, access_token: t}\n", "accounts.m.server: missing; the mastodon network needs it"},
		{"secret file without value", "accounts:\n  m: {network: mastodon, server: s, access_token_file: }\n", "accounts.m.access_token_file: needs a value: the path of a file holding access_token"},
		{"limits key", twoAccounts + "    limits: {per_day: 5}\n", `accounts.x.limits.per_day: unknown key; allowed here: posts_per_day, posts_per_month`},
		{"budget key", twoAccounts + "    budget: {monthly: 5}\n", `accounts.x.budget.monthly: unknown key; allowed here: usd_per_month, post_usd, url_post_usd`},
		{"budget with dollar", twoAccounts + "    budget: {usd_per_month: $x}\n", `accounts.x.budget.usd_per_month: must be a number of US dollars like 10 or 0.015, not "$x"`},
		{"stream not a bool", twoAccounts + "    stream: maybe\n", `accounts.x.stream: must be true or false, not "maybe"`},
		{"announcement schedule empty", twoAccounts + "announcements:\n  a: {account: x, schedule: \"\", text: hi}\n", "announcements.a.schedule: needs a schedule"},
		{"announcement missing keys", twoAccounts + "announcements:\n  a: {}\n", "announcements.a.account: missing"},
		{"announcement unknown key", twoAccounts + "announcements:\n  a: {account: x, schedule: \"@daily\", text: hi, when: now}\n", "announcements.a.when: unknown key"},
		{"announcement not a mapping", twoAccounts + "announcements:\n  a: hello\n", "announcements.a: must be a mapping (key: value), not a single value"},
		{"merge of a scalar", twoAccounts + "links:\n  l: {<<: oops, from: m, to: [x]}\n", "links.l: a merge key (<<) takes a mapping or a list of mappings, not a single value"},
		{"merge list of scalars", twoAccounts + "links:\n  l: {<<: [oops], from: m, to: [x]}\n", "links.l: a merge key (<<) takes a mapping or a list of mappings, not a single value"},
		{"long value cut in message", link("    rules: {replies: \"" + strings.Repeat("a", 100) + "\"}\n"), `not "` + strings.Repeat("a", 60) + `…"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := problemsOf(t, tt.text, nil)
			if !strings.Contains(strings.Join(got, "\n"), tt.want) {
				t.Errorf("problems:\n%s\nwant one containing %q", strings.Join(got, "\n"), tt.want)
			}
		})
	}
}

func TestDocumentMarkers(t *testing.T) {
	for _, tt := range []struct{ name, text string }{
		{"leading", "---\n" + twoAccounts},
		{"trailing", twoAccounts + "---\n"},
		{"trailing with comment", twoAccounts + "---\n# nothing\n"},
		{"end marker", twoAccounts + "...\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse("config.yaml", []byte(tt.text), nil); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestWindowsFileConventions(t *testing.T) {
	text := "\ufeff" + strings.ReplaceAll(twoAccounts+"links:\n  l: {from: m, to: [x]}\n", "\n", "\r\n")
	c, err := Parse("config.yaml", []byte(text), nil)
	if err != nil {
		t.Fatalf("a file with a byte-order mark and CRLF line ends: %v", err)
	}
	if got := c.Accounts["x"].Secrets["access_token_secret"].Reveal(); got != "d" {
		t.Errorf("value read with CRLF = %q, want %q", got, "d")
	}
}

// TestExampleDocumentsEveryKey keeps config.example.yaml complete: every key
// the parser accepts appears in it, written as "key:".
func TestExampleDocumentsEveryKey(t *testing.T) {
	b, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	keys := slices.Concat(topKeys, commonAccountKeys, linkKeys, ruleKeys, announcementKeys,
		[]string{"level", "format", "listen", "map", "from", "until",
			"posts_per_day", "posts_per_month", "usd_per_month", "post_usd", "url_post_usd"})
	for _, name := range providers.Networks() {
		info, _ := providers.Find(name)
		keys = append(keys, info.Settings...)
		keys = append(keys, info.Secrets...)
	}
	for _, k := range keys {
		if !strings.Contains(text, k+":") {
			t.Errorf("config.example.yaml does not document %q", k)
		}
	}
}
