package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dualpower/dualpower/providers/mastodon/mastodontest"
	"github.com/dualpower/dualpower/providers/twitter/twittertest"
)

// bfConfig writes a config over both fakes with one link to X.
func bfConfig(t *testing.T, m *mastodontest.Server, x *twittertest.Server) string {
	t.Helper()
	dir := t.TempDir()
	yaml := fmt.Sprintf(`data_dir: %s
http: {listen: ""}
log: {level: warn}
accounts:
  alice-mastodon: {network: mastodon, server: %s, access_token: %s}
  alice-x:
    network: twitter
    api_base: %s
    consumer_key: %s
    consumer_secret: %s
    access_token: %s
    access_token_secret: %s
links:
  m2x: {from: alice-mastodon, to: [alice-x]}
`, dir, m.URL(), m.Token(), x.URL(), x.ConsumerKey(), x.ConsumerSecret(), x.Token(), x.TokenSecret())
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBackfillCommand(t *testing.T) {
	m := mastodontest.New(t, mastodontest.Options{})
	x := twittertest.New(t, twittertest.Options{})
	for i := range 3 {
		m.Alice().Post(mastodontest.PostOpts{Text: fmt.Sprintf("older post %d", i)})
	}
	path := bfConfig(t, m, x)

	var out, errOut bytes.Buffer
	if code := Main([]string{"backfill", "m2x", "-c", path, "--last", "2", "--dry-run"}, nil, &out, &errOut); code != exitOK {
		t.Fatalf("dry run: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "would mirror (dry run) 2") || !strings.Contains(errOut.String(), "older post 2") || x.Posts() != 0 {
		t.Errorf("dry run: X holds %d posts; out:\n%s\nerr:\n%s", x.Posts(), out.String(), errOut.String())
	}

	out.Reset()
	errOut.Reset()
	if code := Main([]string{"backfill", "m2x", "-c", path, "--last", "2"}, nil, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "m2x: read 2, already known 0, mirrored 2") || x.Posts() != 2 {
		t.Errorf("X holds %d posts; out:\n%s", x.Posts(), out.String())
	}
	out.Reset()
	if code := Main([]string{"backfill", "m2x", "-c", path, "--since", "2020-01-01"}, nil, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "read 3, already known 2, mirrored 1") || x.Posts() != 3 {
		t.Errorf("second backfill: X holds %d posts; out:\n%s", x.Posts(), out.String())
	}
}

func TestBackfillUsage(t *testing.T) {
	for _, args := range [][]string{
		{"backfill"},
		{"backfill", "m2x"},
		{"backfill", "m2x", "--since", "2020-01-01", "--last", "3"},
		{"backfill", "m2x", "--since", "yesterday"},
		{"backfill", "m2x", "--last", "0"},
	} {
		var out, errOut bytes.Buffer
		if code := Main(args, nil, &out, &errOut); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
}
