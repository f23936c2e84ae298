//go:build race

package twittertext

// raceEnabled shrinks the long inputs of TestHostileInputsStayFast: the
// race detector makes everything an order of magnitude slower.
const raceEnabled = true
