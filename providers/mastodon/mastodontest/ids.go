package mastodontest

import (
	"math/rand"
	"time"
)

// idGen makes IDs that sort by creation the way the flavor's IDs do:
// Mastodon's snowflake-like numbers (milliseconds shifted left 16 bits, the
// low bits not contiguous) or GoToSocial's 26-character ULIDs. Both stay
// strictly increasing even when the fake clock stands still or goes back.
// Callers hold the server lock.
type idGen struct {
	flavor Flavor
	rng    *rand.Rand
	last   uint64 // Mastodon: the last snowflake
	lastMS uint64 // GoToSocial: the last ULID's time part
	hi, lo uint64 // GoToSocial: the last ULID's random part (16 + 64 bits)
}

func newIDGen(f Flavor, seed int64) *idGen {
	return &idGen{flavor: f, rng: rand.New(rand.NewSource(seed))}
}

func (g *idGen) next(now time.Time) string {
	ms := uint64(max(now.UnixMilli(), 0))
	if g.flavor == GoToSocial {
		return g.nextULID(ms)
	}
	id := ms<<16 | uint64(g.rng.Intn(1<<16))
	if id <= g.last {
		id = g.last + 1 + uint64(g.rng.Intn(997))
	}
	g.last = id
	return formatUint(id)
}

func formatUint(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

func (g *idGen) nextULID(ms uint64) string {
	if ms > g.lastMS {
		g.lastMS = ms
		g.hi = uint64(g.rng.Intn(1 << 15)) // leave room to count up
		g.lo = g.rng.Uint64()
	} else {
		// Monotonic: same (or earlier) millisecond, count the random part up.
		inc := uint64(1 + g.rng.Intn(1000))
		lo := g.lo + inc
		if lo < g.lo {
			g.hi++
		}
		g.lo = lo
	}
	// 128 bits: 48 of time, 80 of randomness (16 in hi, 64 in lo).
	hi := g.lastMS<<16 | (g.hi & 0xffff)
	lo := g.lo
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// cmpID orders two IDs of the same flavor: numeric strings by length then
// digits, ULIDs (fixed length) lexically. Unknown shapes order consistently.
func cmpID(a, b string) int {
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
