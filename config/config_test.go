package config

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/dualpower/dualpower/providers"
)

var update = flag.Bool("update", false, "rewrite golden files and .err files in testdata")

func TestMain(m *testing.M) {
	// The real adapters register these names; this test binary does not
	// import them, so it registers stand-ins with the same keys.
	providers.Register(&providers.Info{
		Name:     "mastodon",
		Settings: []string{"server"},
		Secrets:  []string{"access_token"},
		Required: []string{"server", "access_token"},
	})
	providers.Register(&providers.Info{
		Name:     "twitter",
		Aliases:  []string{"x"},
		Settings: []string{"api_base", "can_edit"},
		Secrets:  []string{"consumer_key", "consumer_secret", "access_token", "access_token_secret"},
		Required: []string{"consumer_key", "consumer_secret", "access_token", "access_token_secret"},
	})
	os.Exit(m.Run())
}

// anyEnv sets every variable, to a value made from its name.
func anyEnv(name string) (string, bool) { return "env-" + strings.ToLower(name), true }

// mapEnv sets exactly the variables in m.
func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) { v, ok := m[name]; return v, ok }
}

func parseFile(t *testing.T, path string, env func(string) (string, bool)) (*Config, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(path, data, env)
}

func mustParse(t *testing.T, text string) *Config {
	t.Helper()
	c, err := Parse(filepath.Join(t.TempDir(), "config.yaml"), []byte(text), anyEnv)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

// problemsOf parses text and returns the problems' Error strings.
func problemsOf(t *testing.T, text string, env func(string) (string, bool)) []string {
	t.Helper()
	c, err := Parse("config.yaml", []byte(text), env)
	if err == nil {
		return nil
	}
	if c != nil {
		t.Errorf("Parse returned a Config together with an error")
	}
	var out []string
	for _, p := range Problems(err) {
		out = append(out, p.Error())
	}
	if len(out) == 0 {
		t.Fatalf("error carries no *Problem: %v", err)
	}
	return out
}

func TestGoodFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/good/*.yaml")
	if len(files) < 4 {
		t.Fatalf("want at least 4 good fixtures, found %d", len(files))
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			c, err := parseFile(t, path, anyEnv)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := json.MarshalIndent(c, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := strings.TrimSuffix(path, ".yaml") + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("decoded config differs from %s (run go test -update and review the diff)\ngot:\n%s", golden, got)
			}
		})
	}
}

// badEnv is the environment of the bad fixtures: the variables they use
// are set, except UNSET_VAR.
var badEnv = mapEnv(map[string]string{
	"MASTODON_TOKEN": "m-token", "X_CONSUMER_KEY": "ck", "X_CONSUMER_SECRET": "cs",
	"X_TOKEN": "x-token", "X_SECRET": "x-secret", "EMPTY": "",
})

func TestBadFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	if len(files) < 14 {
		t.Fatalf("want at least 14 bad fixtures, found %d", len(files))
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			c, err := parseFile(t, path, badEnv)
			if err == nil {
				t.Fatalf("Parse accepted a bad config")
			}
			if c != nil {
				t.Errorf("Parse returned a Config together with an error")
			}
			probs := Problems(err)
			if len(probs) == 0 {
				t.Fatalf("error carries no *Problem: %v", err)
			}
			var lines []string
			for _, p := range probs {
				lines = append(lines, p.Error())
			}
			got := strings.Join(lines, "\n") + "\n"
			if got != err.Error()+"\n" {
				t.Errorf("err.Error() = %q, want the problems one a line: %q", err.Error(), got)
			}
			errFile := strings.TrimSuffix(path, ".yaml") + ".err"
			if *update {
				if err := os.WriteFile(errFile, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(errFile)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if got != string(want) {
				t.Errorf("problems differ from %s\ngot:\n%s\nwant:\n%s", errFile, got, want)
			}
			// Every problem names the file, a line in it, and (but for
			// YAML syntax errors) a key.
			for _, p := range probs {
				if p.File != path || p.Line <= 0 {
					t.Errorf("problem %q: want file %s and a line", p, path)
				}
				if p.Key == "" && !strings.HasPrefix(p.Msg, "bad YAML") && !strings.HasPrefix(p.Msg, "the file") {
					t.Errorf("problem %q names no key", p)
				}
			}
		})
	}
}

func TestExampleConfigValidates(t *testing.T) {
	env := mapEnv(map[string]string{
		"ALICE_MASTODON_TOKEN": "amt", "X_CONSUMER_KEY": "xck", "X_CONSUMER_SECRET": "xcs",
		"ALICE_X_TOKEN": "axt", "ALICE_X_SECRET": "axs",
	})
	c, err := parseFile(t, "../config.example.yaml", env)
	if err != nil {
		t.Fatalf("config.example.yaml does not validate:\n%v", err)
	}
	if got := strings.Join(c.AccountNames, ","); got != "alice-mastodon,alice-x" {
		t.Errorf("accounts = %s", got)
	}
	if got := strings.Join(c.LinkNames, ","); got != "alice-to-x,alice-from-x" {
		t.Errorf("links = %s", got)
	}
	if got := c.Accounts["alice-x"].Secrets["access_token_secret"].Reveal(); got != "axs" {
		t.Errorf("alice-x access_token_secret = %q, want axs", got)
	}
	// The example documents the defaults: the link that sets every rule to
	// its documented default must equal the defaults.
	if got, want := c.Links["alice-to-x"].Rules, defaultRules(); !reflect.DeepEqual(got, want) {
		t.Errorf("alice-to-x rules in the example differ from the defaults:\n got %+v\nwant %+v", got, want)
	}
	// Without the variables it names, it fails, naming each one.
	_, err = parseFile(t, "../config.example.yaml", nil)
	for _, v := range []string{"ALICE_MASTODON_TOKEN", "X_CONSUMER_KEY", "X_CONSUMER_SECRET", "ALICE_X_TOKEN", "ALICE_X_SECRET"} {
		if err == nil || !strings.Contains(err.Error(), v+" is not set") {
			t.Errorf("without %s in the environment: err = %v", v, err)
		}
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tok"), []byte("FILE-SECRET-4711\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := mapEnv(map[string]string{"A": "ENV-SECRET-1", "B": "ENV-SECRET-2"})
	text := `
accounts:
  m:
    network: mastodon
    server: https://social.example
    access_token_file: tok
  x:
    network: x
    consumer_key: ${A}
    consumer_secret: ${B}
    access_token: LITERAL-SECRET-3
    access_token_secret: ${C:-DEFAULT-SECRET-5}
links:
  l: {from: m, to: [x]}
`
	c, err := Parse(filepath.Join(dir, "config.yaml"), []byte(text), env)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"FILE-SECRET-4711", "ENV-SECRET-1", "ENV-SECRET-2", "LITERAL-SECRET-3", "DEFAULT-SECRET-5"}
	// The values were read...
	var revealed []string
	for _, name := range c.AccountNames {
		for _, s := range c.Accounts[name].Secrets {
			revealed = append(revealed, s.Reveal())
		}
	}
	for _, s := range secrets {
		found := false
		for _, r := range revealed {
			found = found || r == s
		}
		if !found {
			t.Fatalf("secret %s was not read (have %d secrets)", s, len(revealed))
		}
	}
	// ...and no way of printing the config shows them.
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	ym, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v":           fmt.Sprintf("%v", c),
		"%+v":          fmt.Sprintf("%+v", c),
		"%#v":          fmt.Sprintf("%#v", c),
		"%v*":          fmt.Sprintf("%v", *c),
		"%+v*":         fmt.Sprintf("%+v", *c),
		"%#v*":         fmt.Sprintf("%#v", *c),
		"%+v accounts": fmt.Sprintf("%+v %+v", c.Accounts["m"], c.Accounts["x"]),
		"%#v accounts": fmt.Sprintf("%#v %#v", *c.Accounts["m"], *c.Accounts["x"]),
		"json":         string(js),
		"yaml":         string(ym),
		"diff":         c.Diff(nil).String(),
	}
	for how, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s prints secret %s:\n%s", how, s, out)
			}
		}
	}
	if !strings.Contains(string(js), `\u003credacted\u003e`) {
		t.Errorf("json shows no <redacted> where the secrets are: %s", js)
	}
}

// TestProblemsNeverShowSecrets checks that a secret written in the wrong
// place (a misspelt key, a list) is not repeated in the problem message.
func TestProblemsNeverShowSecrets(t *testing.T) {
	for _, tt := range []struct{ name, text string }{
		{"misspelt key", "accounts:\n  m:\n    network: mastodon\n    server: https://s.example\n    acess_token: HUSH-1234\n"},
		{"list value", "accounts:\n  m:\n    network: mastodon\n    server: https://s.example\n    access_token: [HUSH-1234]\n"},
		{"both value and file", "accounts:\n  m:\n    network: mastodon\n    server: https://s.example\n    access_token: HUSH-1234\n    access_token_file: HUSH-1234\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := problemsOf(t, tt.text, anyEnv)
			if len(got) == 0 {
				t.Fatal("no problem reported")
			}
			for _, p := range got {
				if strings.Contains(p, "HUSH") {
					t.Errorf("problem shows the secret: %s", p)
				}
			}
		})
	}
}
