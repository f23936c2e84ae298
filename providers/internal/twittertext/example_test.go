package twittertext_test

import (
	"fmt"

	"github.com/dualpower/dualpower/providers/internal/twittertext"
)

func ExampleLength() {
	fmt.Println(twittertext.Length("Moved! Follow us at https://social.example.org/@us 🎉"))
	// Output: 46
}

func ExampleParse() {
	r := twittertext.Parse("故人西辞黄鹤楼", twittertext.V3)
	fmt.Println(r.WeightedLength, r.Permillage, r.Valid)
	// Output: 14 50 true
}

func ExampleTrimToWeight() {
	head, rest := twittertext.TrimToWeight("Supercalifragilistic👍🏽expialidocious", 21, twittertext.V3)
	fmt.Printf("%q %q\n", head, rest)
	// Output: "Supercalifragilistic" "👍🏽expialidocious"
}

func ExampleExtractMentions() {
	for _, m := range twittertext.ExtractMentions("cc @alice, @bob@social.example and RT:@carol") {
		fmt.Println(m.Value, m.Start, m.End)
	}
	// Output:
	// alice 3 9
	// carol 38 44
}
