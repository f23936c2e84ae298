package twittertest

// Statuses returns the IDs of the user's live posts (the newest version of
// each), oldest first.
func (u *User) Statuses() []string {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	var out []string
	for _, t := range u.timeline {
		if t.live() {
			out = append(out, t.id)
		}
	}
	return out
}
