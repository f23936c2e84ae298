package providers

// Secret is a credential. It prints as "<redacted>" through fmt, %v, %s,
// %q, JSON and YAML encoders, so it cannot reach a log line or an error
// string by accident; Reveal gives the value to the code that must send it.
type Secret string

const redacted = "<redacted>"

// Reveal returns the secret's value. Call it only where the value is sent.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return s.String() }

// MarshalText is used by encoding/json, YAML and zerolog alike.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
