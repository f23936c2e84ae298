package bridge

import (
	"os"
	"runtime/debug"
)

// DaemonGCPercent is the garbage collector's target a running bridge uses.
// A bridge idles most of the time, holding thousands of long-lived
// connections and their goroutines, and allocates little: collecting at a
// quarter of the live heap instead of Go's default doubling keeps its memory
// near the live set for a few percent of one core (10,000 streaming links:
// 633 MB → 465 MB resident; see BENCHMARKS.md).
const DaemonGCPercent = 25

// TuneGC sets the collector for a long-running bridge, unless GOGC in the
// environment says otherwise.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(DaemonGCPercent)
	}
}
