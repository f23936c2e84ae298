package twittertext

import "strings"

// Punycode parameters (RFC 3492, section 5).
const (
	pcBase        = 36
	pcTMin        = 1
	pcTMax        = 26
	pcSkew        = 38
	pcDamp        = 700
	pcInitialBias = 72
	pcInitialN    = 128
	pcMaxDelta    = 1<<31 - 1
)

// punycodeEncode encodes a label by RFC 3492, without any mapping or case
// change (as the punycode.js that twitter-text uses does). It reports false
// when the encoding overflows.
func punycodeEncode(label []rune) (string, bool) {
	var out strings.Builder
	basic := 0
	for _, r := range label {
		if r < 0x80 {
			out.WriteRune(r)
			basic++
		}
	}
	handled := basic
	if basic > 0 {
		out.WriteByte('-')
	}
	n, delta, bias := rune(pcInitialN), 0, pcInitialBias
	for handled < len(label) {
		m := rune(0x7FFFFFFF)
		for _, r := range label {
			if r >= n && r < m {
				m = r
			}
		}
		if int64(m-n)*int64(handled+1) > int64(pcMaxDelta-delta) {
			return "", false
		}
		delta += int(m-n) * (handled + 1)
		n = m
		for _, r := range label {
			if r < n {
				if delta++; delta > pcMaxDelta-1 {
					return "", false
				}
			}
			if r != n {
				continue
			}
			q := delta
			for k := pcBase; ; k += pcBase {
				t := k - bias
				if t < pcTMin {
					t = pcTMin
				} else if t > pcTMax {
					t = pcTMax
				}
				if q < t {
					break
				}
				out.WriteByte(punycodeDigit(t + (q-t)%(pcBase-t)))
				q = (q - t) / (pcBase - t)
			}
			out.WriteByte(punycodeDigit(q))
			bias = punycodeAdapt(delta, handled+1, handled == basic)
			delta = 0
			handled++
		}
		delta++
		n++
	}
	return out.String(), true
}

func punycodeDigit(d int) byte {
	if d < 26 {
		return byte('a' + d)
	}
	return byte('0' + d - 26)
}

func punycodeAdapt(delta, points int, first bool) int {
	if first {
		delta /= pcDamp
	} else {
		delta /= 2
	}
	delta += delta / points
	k := 0
	for delta > ((pcBase-pcTMin)*pcTMax)/2 {
		delta /= pcBase - pcTMin
		k += pcBase
	}
	return k + (pcBase-pcTMin+1)*delta/(delta+pcSkew)
}
