package bridge

import (
	"strings"
	"sync"
)

// Identities is the map of who is who across networks: each linked pair of
// accounts, plus the pairs written in mentions.map. A mention of a known
// person is rewritten to their handle on the target network; everyone else
// is written so that they cannot be pinged by mistake.
type Identities struct {
	mu    sync.RWMutex
	other map[string][]string // normalised handle -> the same person's other handles
}

// NewIdentities starts a map from mentions.map ("@alice@social.example" ->
// "@alice_x"); each pair works both ways.
func NewIdentities(pairs map[string]string) *Identities {
	ids := &Identities{other: map[string][]string{}}
	for a, b := range pairs {
		ids.Add(a, b)
	}
	return ids
}

func normHandle(h string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(h), "@"))
}

// Add records that handles a and b are the same person.
func (ids *Identities) Add(a, b string) {
	a, b = normHandle(a), normHandle(b)
	if a == "" || b == "" || a == b {
		return
	}
	ids.mu.Lock()
	defer ids.mu.Unlock()
	ids.other[a] = appendNew(ids.other[a], b)
	ids.other[b] = appendNew(ids.other[b], a)
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// Map returns the handle, without '@', under which the person behind handle
// is known on network, if they are.
func (ids *Identities) Map(handle, network string) (string, bool) {
	if ids == nil {
		return "", false
	}
	wantFedi := network != "twitter"
	h := normHandle(handle)
	if isFediverse(h) == wantFedi {
		return "", false // already in the target's form: the same network
	}
	ids.mu.RLock()
	defer ids.mu.RUnlock()
	for _, o := range ids.other[h] {
		if isFediverse(o) == wantFedi {
			return o, true
		}
	}
	return "", false
}
