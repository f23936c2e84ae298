package twittertext

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestGraphemeBreakConformance runs Unicode's GraphemeBreakTest.txt (15.0,
// testdata/, Unicode licence in testdata/LICENSE-UNICODE).
func TestGraphemeBreakConformance(t *testing.T) {
	f, err := os.Open("testdata/GraphemeBreakTest.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for line := 1; sc.Scan(); line++ {
		spec, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(spec)
		if len(fields) == 0 {
			continue
		}
		var rs []rune
		var want []bool
		for _, fld := range fields {
			switch fld {
			case "÷":
				want = append(want, true)
			case "×":
				want = append(want, false)
			default:
				v, err := strconv.ParseUint(fld, 16, 32)
				if err != nil {
					t.Fatalf("line %d: %v", line, err)
				}
				rs = append(rs, rune(v))
			}
		}
		if len(want) != len(rs)+1 {
			t.Fatalf("line %d: malformed", line)
		}
		n++
		got := graphemeBoundaries(rs)
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("line %d (%s): boundary at %d = %v, want %v", line, strings.TrimSpace(spec), i, got[i], want[i])
				break
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 600 {
		t.Fatalf("ran only %d cases", n)
	}
	t.Logf("%d grapheme break cases", n)
}
