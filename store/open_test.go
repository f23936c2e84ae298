package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func TestOpenCreates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "data")
	path := filepath.Join(dir, "ledger.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Path() != path {
		t.Errorf("path %q", s.Path())
	}
	mustRecord(t, s, created(ref("m", "1"), "c1", "x"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		// The umask may only take permissions away.
		if got := fi.Mode().Perm(); got&^want != 0 || got&0o700 != want&0o700 {
			t.Errorf("%s mode %v, want %v", p, got, want)
		}
	}
	// Reopen: everything is still there.
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok, _ := s.Lookup(ref("m", "1")); !ok {
		t.Error("post lost across reopen")
	}
	if q, _ := s.Pending("x"); len(q) != 1 {
		t.Errorf("queue lost across reopen: %d", len(q))
	}
	mustVerify(t, s)
}

func TestOpenEmptyFileIsInitialised(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("read-only open of an empty file: %v", err)
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustRecord(t, s, created(ref("m", "1"), "", "x"))
	mustVerify(t, s)
}

func TestOpenReadOnly(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none", "ledger.db")
	if _, err := Open(missing, Options{ReadOnly: true}); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("read-only open of a missing file: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(missing)); !errors.Is(err, os.ErrNotExist) {
		t.Error("read-only open created the directory")
	}

	path := filepath.Join(dir, "ledger.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustRecord(t, s, created(ref("m", "1"), "c1", "x"))
	// While the read-write store is open, a read-only open is refused.
	start := time.Now()
	if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), path+" is in use by another dualpower process") {
		t.Errorf("read-only open of a held file: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("refusal took %v", d)
	}
	_ = s.Close()

	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, ok, _ := ro.Lookup(ref("m", "1")); !ok {
		t.Error("read-only lookup")
	}
	if _, err := ro.Record(created(ref("m", "2"), "", "x")); err == nil {
		t.Error("read-only store accepted a write")
	}
	var buf bytes.Buffer
	if err := ro.Export(&buf); err != nil || buf.Len() == 0 {
		t.Errorf("read-only export: %v", err)
	}
	// Two readers at once are fine.
	ro2, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	_ = ro2.Close()
}

// writeLedger makes a valid ledger with a little in it and returns its bytes.
func writeLedger(t *testing.T, path string, damage func(tx *bbolt.Tx) error) []byte {
	t.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustRecord(t, s, created(ref("m", "1"), "c1", "x"))
	if damage != nil {
		if err := s.db.Update(damage); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpenRefusesBadFiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		return b
	}
	tests := []struct {
		name    string
		make    func(t *testing.T, path string)
		want    error
		message string
	}{
		{"random bytes", func(t *testing.T, p string) { _ = os.WriteFile(p, random(3*4096+17), 0o600) }, ErrForeign, "not a bbolt database"},
		{"one byte", func(t *testing.T, p string) { _ = os.WriteFile(p, []byte{0}, 0o600) }, ErrForeign, "not a bbolt database"},
		{"text file", func(t *testing.T, p string) {
			_ = os.WriteFile(p, []byte(strings.Repeat("data_dir: ./data\n", 500)), 0o644)
		}, ErrForeign, "not a bbolt database"},
		{"truncated ledger", func(t *testing.T, p string) {
			b := writeLedger(t, p, nil)
			_ = os.WriteFile(p, b[:len(b)/2], 0o600)
		}, ErrCorrupt, "truncated"},
		{"damaged data pages", func(t *testing.T, p string) {
			b := writeLedger(t, p, nil)
			copy(b[2*4096:], random(len(b)-2*4096))
			_ = os.WriteFile(p, b, 0o600)
		}, ErrCorrupt, "damaged"},
		{"both meta pages damaged", func(t *testing.T, p string) {
			b := writeLedger(t, p, nil)
			copy(b[16:80], random(64))
			copy(b[4096+16:4096+80], random(64))
			_ = os.WriteFile(p, b, 0o600)
		}, ErrForeign, "no valid header"},
		{"another program's bbolt file", func(t *testing.T, p string) {
			db, err := bbolt.Open(p, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			_ = db.Update(func(tx *bbolt.Tx) error {
				b, _ := tx.CreateBucket([]byte("widgets"))
				return b.Put([]byte("k"), []byte("v"))
			})
			_ = db.Close()
		}, ErrForeign, "another program"},
		{"meta of another program", func(t *testing.T, p string) {
			writeLedger(t, p, func(tx *bbolt.Tx) error { return tx.Bucket(bucketMeta).Put(metaApp, []byte("etcd")) })
		}, ErrForeign, "another program"},
		{"newer schema", func(t *testing.T, p string) {
			writeLedger(t, p, func(tx *bbolt.Tx) error { return tx.Bucket(bucketMeta).Put(metaSchema, u64(7)) })
		}, ErrNewerSchema, "was written by a newer dualpower (schema 7; this one knows 1)"},
		{"schema zero", func(t *testing.T, p string) {
			writeLedger(t, p, func(tx *bbolt.Tx) error { return tx.Bucket(bucketMeta).Put(metaSchema, u64(0)) })
		}, ErrCorrupt, "has an invalid schema version 0"},
		{"directory", func(t *testing.T, p string) { _ = os.Mkdir(p, 0o700) }, ErrForeign, "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ledger.db")
			tt.make(t, path)
			before, _ := os.ReadFile(path)
			fi, _ := os.Stat(path)
			for _, ro := range []bool{false, true} {
				s, err := Open(path, Options{ReadOnly: ro})
				if err == nil {
					_ = s.Close()
					t.Fatalf("read-only=%v: opened", ro)
				}
				t.Logf("read-only=%v: %v", ro, err)
				if !errors.Is(err, tt.want) {
					t.Errorf("read-only=%v: %v, want %v", ro, err, tt.want)
				}
				if !strings.HasPrefix(err.Error(), "ledger "+path) || !strings.Contains(err.Error(), tt.message) {
					t.Errorf("read-only=%v: message %q should name the file and say %q", ro, err, tt.message)
				}
			}
			after, _ := os.ReadFile(path)
			fi2, _ := os.Stat(path)
			if !bytes.Equal(before, after) || fi.Mode() != fi2.Mode() {
				t.Error("refused file was changed")
			}
		})
	}
}

// envLockChild names the ledger a child process holds open (see
// TestLockChild).
const envLockChild = "DUALPOWER_STORE_LOCK_CHILD"

// TestLockChild is not a test: run by TestOpenHeldByAnotherProcess in a
// child process, it opens the ledger, says "ready" and holds it until its
// stdin closes.
func TestLockChild(t *testing.T) {
	path := os.Getenv(envLockChild)
	if path == "" {
		t.Skip("helper process")
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("ready\n")
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = s.Close()
}

func TestOpenHeldByAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envLockChild+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("child said %q: %v", line, err)
	}
	for _, ro := range []bool{false, true} {
		start := time.Now()
		_, err := Open(path, Options{ReadOnly: ro})
		d := time.Since(start)
		if !errors.Is(err, ErrLocked) || err.Error() != "ledger "+path+" is in use by another dualpower process: ledger in use" {
			t.Errorf("read-only=%v: %v", ro, err)
		}
		if d < 900*time.Millisecond || d > 3*time.Second {
			t.Errorf("read-only=%v: refused after %v, want about a second", ro, d)
		}
	}
	// Once the child lets go, the file opens.
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
}

func TestOpenTwiceInProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := Open(path, Options{}); !errors.Is(err, ErrLocked) {
		t.Errorf("second open: %v", err)
	}
}

func TestOpenMigrates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	writeLedger(t, path, nil) // a schema 1 file

	// Pretend this build knows schema 2, whose migration adds a bucket
	// with a marker in it (a stand-in for a real change).
	defer func(v uint64, ms []migration) { schemaVersion, migrations = v, ms }(schemaVersion, migrations)
	schemaVersion = 2
	ran := 0
	migrations = []migration{{From: 1, Run: func(tx *bbolt.Tx) error {
		ran++
		b, err := tx.CreateBucket([]byte("v2"))
		if err != nil {
			return err
		}
		return b.Put([]byte("migrated"), []byte("yes"))
	}}}

	if _, err := Open(path, Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "must be migrated") {
		t.Errorf("read-only open of an old schema: %v", err)
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var v uint64
	var marker string
	_ = s.db.View(func(tx *bbolt.Tx) error {
		v, _ = parseU64(tx.Bucket(bucketMeta).Get(metaSchema))
		if b := tx.Bucket([]byte("v2")); b != nil {
			marker = string(b.Get([]byte("migrated")))
		}
		return nil
	})
	if v != 2 || marker != "yes" || ran != 1 {
		t.Errorf("after migration: schema %d, marker %q, ran %d", v, marker, ran)
	}
	if _, ok, _ := s.Lookup(ref("m", "1")); !ok {
		t.Error("migration lost a post")
	}
	_ = s.Close()
	// A second open does not migrate again.
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if ran != 1 {
		t.Errorf("migration ran %d times", ran)
	}
	// And the old build refuses the migrated file.
	schemaVersion = 1
	if _, err := Open(path, Options{}); !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), "schema 2; this one knows 1") {
		t.Errorf("old build opening a migrated file: %v", err)
	}
}

func TestOpenFailedMigrationLeavesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	writeLedger(t, path, nil)
	defer func(v uint64, ms []migration) { schemaVersion, migrations = v, ms }(schemaVersion, migrations)
	schemaVersion = 2
	migrations = []migration{{From: 1, Run: func(tx *bbolt.Tx) error {
		if _, err := tx.CreateBucket([]byte("half")); err != nil {
			return err
		}
		return errors.New("disk says no")
	}}}
	if _, err := Open(path, Options{}); err == nil || !strings.Contains(err.Error(), "could not be migrated from schema 1 to 2: disk says no") || !strings.Contains(err.Error(), path) {
		t.Fatalf("failed migration: %v", err)
	}
	schemaVersion, migrations = 1, nil
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_ = s.db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket([]byte("half")) != nil {
			t.Error("a failed migration left half its work")
		}
		return nil
	})
	mustVerify(t, s)
}

// bbolt keeps two meta pages; with one damaged the other still opens the
// file, and the header check must not refuse it.
func TestOpenWithOneMetaPageDamaged(t *testing.T) {
	for _, page := range []int{0, 1} {
		t.Run(fmt.Sprint("page ", page), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ledger.db")
			b := writeLedger(t, path, nil)
			for i := page*4096 + 16; i < page*4096+80; i++ {
				b[i] ^= 0x5a
			}
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			mustVerify(t, s)
		})
	}
}

func TestOpenMakesLedgerPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	writeLedger(t, path, nil)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	// A read-only open changes nothing.
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	_ = ro.Close()
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("read-only open changed the mode to %v", fi.Mode().Perm())
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
}
