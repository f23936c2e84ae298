// Package all registers every network adapter: import it for its side
// effect, as the command does.
package all

import (
	_ "github.com/dualpower/dualpower/providers/mastodon" // mastodon
	_ "github.com/dualpower/dualpower/providers/twitter"  // twitter, x
)
