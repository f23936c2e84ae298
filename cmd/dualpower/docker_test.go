package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/dualpower/dualpower/config"
)

// No Docker engine runs where the tests do, so the image cannot be built
// here. These tests read the Dockerfile, compose.yaml and .dockerignore for
// the properties the container depends on, so a regression is caught.

const repoRoot = "../.."

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line int
	cmd  string // upper case: FROM, RUN, …
	args string
}

// parseDockerfile splits a Dockerfile into instructions: comments and
// blank lines dropped, lines ending in a backslash joined.
func parseDockerfile(t *testing.T, text string) []instruction {
	t.Helper()
	var out []instruction
	var cur strings.Builder
	start := 0
	for i, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if strings.HasSuffix(line, `\`) {
			cur.WriteString(strings.TrimSuffix(line, `\`) + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)})
		cur.Reset()
	}
	if cur.Len() > 0 {
		t.Fatalf("Dockerfile ends in a continuation line")
	}
	return out
}

// stage is one FROM and what follows it.
type stage struct {
	from, name string
	body       []instruction
}

func dockerStages(t *testing.T) (args map[string]string, stages []stage) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	args = map[string]string{}
	for _, in := range parseDockerfile(t, string(b)) {
		switch {
		case in.cmd == "ARG" && len(stages) == 0:
			k, v, _ := strings.Cut(in.args, "=")
			args[k] = v
		case in.cmd == "FROM":
			f := strings.Fields(in.args)
			s := stage{from: os.Expand(f[0], func(k string) string { return args[k] })}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.name = f[2]
			}
			stages = append(stages, s)
		case len(stages) == 0:
			t.Fatalf("line %d: %s before the first FROM", in.line, in.cmd)
		default:
			stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
		}
	}
	return args, stages
}

// execForm decodes an instruction's JSON (exec) form, failing the test
// when it is the shell form: a shell form needs /bin/sh, which distroless
// does not have.
func execForm(t *testing.T, in instruction, args string) []string {
	t.Helper()
	var v []string
	if err := json.Unmarshal([]byte(args), &v); err != nil {
		t.Fatalf("line %d: %s %s is not in exec (JSON) form: distroless has no shell", in.line, in.cmd, args)
	}
	return v
}

func find(body []instruction, cmd string) []instruction {
	var out []instruction
	for _, in := range body {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

func TestDockerfile(t *testing.T) {
	_, stages := dockerStages(t)
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a builder and a final stage", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]

	t.Run("builder", func(t *testing.T) {
		if !regexp.MustCompile(`^golang:1\.26(\.\d+)?$`).MatchString(build.from) || build.name == "" {
			t.Errorf("first stage FROM %s AS %q, want golang:1.26 AS a name", build.from, build.name)
		}
		// Modules are downloaded in a layer of their own, before the source
		// is copied, so editing code does not download them again.
		order := []string{}
		for _, in := range build.body {
			switch {
			case in.cmd == "COPY" && strings.Fields(in.args)[0] == "go.mod" && strings.Contains(in.args, "go.sum"):
				order = append(order, "copy go.mod")
			case in.cmd == "RUN" && strings.Contains(in.args, "go mod download"):
				order = append(order, "download")
			case in.cmd == "COPY" && strings.HasPrefix(in.args, ". "):
				order = append(order, "copy source")
			case in.cmd == "RUN" && strings.Contains(in.args, "go build"):
				order = append(order, "build")
				for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-s -w", "-X main.version=", "./cmd/dualpower"} {
					if !strings.Contains(in.args, want) {
						t.Errorf("line %d: go build lacks %s", in.line, want)
					}
				}
			}
		}
		if want := []string{"copy go.mod", "download", "copy source", "build"}; !slices.Equal(order, want) {
			t.Errorf("builder steps %v, want %v", order, want)
		}
		_ = version // -X main.version sets this variable
		if _, err := os.Stat(filepath.Join(repoRoot, "cmd", "dualpower", "main.go")); err != nil {
			t.Errorf("the path built does not hold the command: %v", err)
		}
	})

	t.Run("final", func(t *testing.T) {
		if final.from != "gcr.io/distroless/static-debian12:nonroot" {
			t.Errorf("final FROM %s, want gcr.io/distroless/static-debian12:nonroot", final.from)
		}
		copied := false
		for _, in := range find(final.body, "COPY") {
			if strings.Contains(in.args, "--from="+build.name) && strings.HasSuffix(in.args, " /dualpower") {
				copied = true
			}
		}
		if !copied {
			t.Errorf("the final stage does not copy the binary to /dualpower from %s", build.name)
		}
		if u := find(final.body, "USER"); len(u) != 1 || (u[0].args != "nonroot" && u[0].args != "65532" && u[0].args != "65532:65532") {
			t.Errorf("USER %v, want one USER nonroot", u)
		}
		vols := find(final.body, "VOLUME")
		if len(vols) != 1 || (vols[0].args != "/data" && vols[0].args != `["/data"]`) {
			t.Errorf("VOLUME %v, want /data", vols)
		}
		if !slices.ContainsFunc(find(final.body, "ENV"), func(in instruction) bool {
			return in.args == "DUALPOWER_CONFIG=/config/config.yaml"
		}) {
			t.Error("no ENV DUALPOWER_CONFIG=/config/config.yaml")
		}
		if e := find(final.body, "ENTRYPOINT"); len(e) != 1 || !slices.Equal(execForm(t, e[0], e[0].args), []string{"/dualpower"}) {
			t.Errorf("ENTRYPOINT %v, want [\"/dualpower\"]", e)
		}
		if c := find(final.body, "CMD"); len(c) != 1 || !slices.Equal(execForm(t, c[0], c[0].args), []string{"run"}) {
			t.Errorf("CMD %v, want [\"run\"]", c)
		}
		if r := find(final.body, "RUN"); len(r) > 0 {
			t.Errorf("RUN in the final stage (line %d): distroless has no shell", r[0].line)
		}
	})

	t.Run("healthcheck", func(t *testing.T) {
		hc := find(final.body, "HEALTHCHECK")
		if len(hc) != 1 {
			t.Fatalf("%d HEALTHCHECKs in the final stage, want 1", len(hc))
		}
		opts, cmd, ok := strings.Cut(hc[0].args, "CMD ")
		if !ok {
			t.Fatalf("HEALTHCHECK %s has no CMD", hc[0].args)
		}
		argv := execForm(t, hc[0], strings.TrimSpace(cmd))
		if len(argv) < 2 || argv[0] != "/dualpower" || argv[1] != "healthcheck" {
			t.Errorf("HEALTHCHECK runs %v, want /dualpower healthcheck", argv)
		}
		// Docker's timeout must leave healthcheck its own 3 s to answer.
		m := regexp.MustCompile(`--timeout=(\S+)`).FindStringSubmatch(opts)
		if m == nil {
			t.Fatalf("HEALTHCHECK without --timeout (Docker's default is 30s): %s", opts)
		}
		if d, err := time.ParseDuration(m[1]); err != nil || d <= 3*time.Second {
			t.Errorf("HEALTHCHECK --timeout=%s, want more than healthcheck's 3s", m[1])
		}
		// The command it runs exists and is hidden from help.
		found := false
		for _, c := range commands() {
			if c.name == "healthcheck" {
				found = c.summary == ""
			}
		}
		if !found {
			t.Error("no hidden healthcheck command")
		}
	})
}

func TestDockerignoreKeepsSecretsOut(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, strings.TrimPrefix(l, "/"))
		}
	}
	for _, want := range []string{".git", "config.yaml", "secrets", "*.env", ".env", "data"} {
		if !slices.Contains(patterns, want) {
			t.Errorf(".dockerignore does not leave out %s", want)
		}
	}
}

// composeFile is the part of compose.yaml the tests read.
type composeFile struct {
	Services map[string]struct {
		Build struct {
			Context string `yaml:"context"`
		} `yaml:"build"`
		Restart  string   `yaml:"restart"`
		Volumes  []string `yaml:"volumes"`
		Ports    []string `yaml:"ports"`
		Secrets  []string `yaml:"secrets"`
		ReadOnly bool     `yaml:"read_only"`
		Tmpfs    []string `yaml:"tmpfs"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
	Secrets map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
}

func TestCompose(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	if len(c.Services) != 1 {
		t.Fatalf("%d services, want one", len(c.Services))
	}
	for name, s := range c.Services {
		if _, err := os.Stat(filepath.Join(repoRoot, s.Build.Context, "Dockerfile")); err != nil {
			t.Errorf("%s: build context %q has no Dockerfile", name, s.Build.Context)
		}
		if s.Restart != "unless-stopped" {
			t.Errorf("%s: restart %q, want unless-stopped", name, s.Restart)
		}
		if !slices.Contains(s.Volumes, "./config.yaml:/config/config.yaml:ro") {
			t.Errorf("%s: config.yaml is not mounted read-only at /config/config.yaml: %v", name, s.Volumes)
		}
		data := false
		for _, v := range s.Volumes {
			if src, dst, _ := strings.Cut(v, ":"); dst == "/data" {
				data = true
				if _, ok := c.Volumes[src]; !ok {
					t.Errorf("%s: /data is on %q, not a named volume", name, src)
				}
			}
		}
		if !data {
			t.Errorf("%s: nothing is mounted on /data", name)
		}
		if len(s.Ports) == 0 {
			t.Errorf("%s: no port published", name)
		}
		for _, p := range s.Ports {
			if !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("%s: port %q is published beyond this machine", name, p)
			}
		}
		for _, sec := range s.Secrets {
			if f := c.Secrets[sec].File; f == "" {
				t.Errorf("%s: secret %s is not declared with a file", name, sec)
			}
		}
		// Media passes through temporary files: a read-only root needs a
		// writable /tmp.
		if s.ReadOnly && !slices.Contains(s.Tmpfs, "/tmp") {
			t.Errorf("%s: read_only without a tmpfs on /tmp", name)
		}
	}
}

// What compose.yaml and the Dockerfile tell a person to put in config.yaml
// is a valid config that does what they say: the ledger on the volume, the
// HTTP server reachable through the published port, and the healthcheck
// asking it on loopback.
func TestContainerConfigAdvice(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "alice_mastodon_token") // /run/secrets/… in the container
	if err := os.WriteFile(secret, []byte("token\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	text := `
data_dir: /data
http: {listen: ":8080"}
accounts:
  alice-mastodon:
    network: mastodon
    server: https://social.example
    access_token_file: ` + secret + `
  alice-x:
    network: x
    consumer_key: ${X_CONSUMER_KEY}
    consumer_secret: ${X_CONSUMER_SECRET}
    access_token: ${ALICE_X_TOKEN}
    access_token_secret: ${ALICE_X_TOKEN_SECRET}
links:
  alice-to-x: {from: alice-mastodon, to: [alice-x]}
`
	cfg, err := config.Parse("/config/config.yaml", []byte(text), func(k string) (string, bool) { return "v-" + k, true })
	if err != nil {
		t.Fatalf("the advised config is not valid: %v", err)
	}
	if cfg.DataDir != "/data" {
		t.Errorf("data_dir = %s, want /data", cfg.DataDir)
	}
	if got := daemonAddr(cfg.HTTP.Listen); got != "127.0.0.1:8080" {
		t.Errorf("healthcheck would ask %q, want 127.0.0.1:8080", got)
	}
	if got := cfg.Accounts["alice-mastodon"].Secrets["access_token"].Reveal(); got != "token" {
		t.Errorf("access_token_file read as %q", got)
	}
}
