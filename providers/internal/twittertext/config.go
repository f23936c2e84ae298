package twittertext

import (
	"embed"
	"encoding/json"
	"fmt"
)

// Range gives every code point from Start to End (both included) the weight
// Weight, in scale units.
type Range struct {
	Start  int `json:"start"`
	End    int `json:"end"`
	Weight int `json:"weight"`
}

// Config is one of twitter-text's weighted-length configurations.
//
// Weights are in scale units: with Scale 100, a code point of weight 100
// counts 1 toward MaxWeightedTweetLength and one of weight 200 counts 2.
type Config struct {
	// Version is the configuration's version number (1, 2, 3); informative.
	Version int `json:"version"`
	// MaxWeightedTweetLength is the most a valid post may weigh.
	MaxWeightedTweetLength int `json:"maxWeightedTweetLength"`
	// Scale is how many weight units make one unit of length.
	Scale int `json:"scale"`
	// DefaultWeight is the weight of a code point in no range, and of a
	// whole emoji sequence when EmojiParsingEnabled.
	DefaultWeight int `json:"defaultWeight"`
	// TransformedURLLength is what a URL counts for, whatever its length
	// (in length units, not weight units).
	TransformedURLLength int `json:"transformedURLLength"`
	// EmojiParsingEnabled makes an emoji sequence (a ZWJ family, a flag, a
	// skin-toned hand…) weigh DefaultWeight as a whole.
	EmojiParsingEnabled bool `json:"emojiParsingEnabled"`
	// Ranges give code points other weights; the first range that holds a
	// code point wins.
	Ranges []Range `json:"ranges"`
}

//go:embed configs/v1.json configs/v2.json configs/v3.json
var configFiles embed.FS

// The configurations twitter-text ships (configs/*.json, Apache-2.0, see
// configs/LICENSE-APACHE).
var (
	// V1 is the original configuration: 140 code points, every one weighs 1.
	V1 = mustLoad("configs/v1.json")
	// V2 is the 280 configuration: code points up to U+10FF and a few
	// punctuation ranges weigh 1, everything else 2.
	V2 = mustLoad("configs/v2.json")
	// V3 is V2 with emoji sequences weighing 2 as a whole. It is what X
	// uses today.
	V3 = mustLoad("configs/v3.json")
	// Default is the configuration X uses: V3.
	Default = V3
)

func mustLoad(name string) Config {
	raw, err := configFiles.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("twittertext: %s: %v", name, err))
	}
	c, err := ParseConfig(raw)
	if err != nil {
		panic(fmt.Sprintf("twittertext: %s: %v", name, err))
	}
	return c
}

// ParseConfig reads a configuration in twitter-text's JSON form (the
// v*.json files) and checks that it can be used.
func ParseConfig(raw []byte) (Config, error) {
	var c Config
	if err := json.Unmarshal(raw, &c); err != nil {
		return Config{}, fmt.Errorf("twittertext: config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate reports whether c can weigh text: a positive scale and maximum,
// non-negative weights, and ranges whose start is not after their end.
func (c Config) Validate() error {
	switch {
	case c.Scale <= 0:
		return fmt.Errorf("twittertext: config: scale %d is not positive", c.Scale)
	case c.MaxWeightedTweetLength <= 0:
		return fmt.Errorf("twittertext: config: maxWeightedTweetLength %d is not positive", c.MaxWeightedTweetLength)
	case c.DefaultWeight < 0:
		return fmt.Errorf("twittertext: config: defaultWeight %d is negative", c.DefaultWeight)
	case c.TransformedURLLength < 0:
		return fmt.Errorf("twittertext: config: transformedURLLength %d is negative", c.TransformedURLLength)
	}
	for i, r := range c.Ranges {
		if r.Start > r.End || r.Weight < 0 {
			return fmt.Errorf("twittertext: config: range %d (%d..%d weight %d) is malformed", i, r.Start, r.End, r.Weight)
		}
	}
	return nil
}

// weight is the weight of one code point outside any URL or emoji.
func (c Config) weight(r rune) int {
	for _, rg := range c.Ranges {
		if int(r) >= rg.Start && int(r) <= rg.End {
			return rg.Weight
		}
	}
	return c.DefaultWeight
}
