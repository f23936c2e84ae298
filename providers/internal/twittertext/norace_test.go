//go:build !race

package twittertext

const raceEnabled = false
