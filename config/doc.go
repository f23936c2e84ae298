// Package config reads dualpower's configuration file: the accounts on each
// network, the links that mirror one account to others with their rules, the
// mentions map and scheduled announcements (DESIGN.md §5; every key and its
// default is documented in config.example.yaml at the repository root).
//
// Load reads a file; Parse does the same for bytes already in hand, with the
// environment lookup injected so tests do not touch the process environment.
// Both decode strictly, set defaults, expand ${VAR} and check everything they
// can check offline, and report every problem at once: the error they return
// is an errors.Join of *Problem values, each naming the file, the line and
// the key ("config.yaml:14: links.alice-to-x.to[1]: unknown account
// \"alice-bsky\""). Problems(err) takes the list back out.
//
// Rules of the format, and its caveats:
//
//   - ${VAR} and ${VAR:-default} are expanded from the environment in scalar
//     values after the YAML is parsed, so a value with YAML-special characters
//     cannot change the document's shape. "$$" writes one dollar sign; a "$"
//     not followed by "{" or "$" is kept as written ("costs $5"). Keys and
//     names are never expanded. An unset variable without a default is a
//     problem; one set to "" gives "".
//   - Every secret key x of a network (access_token, consumer_key, …) also
//     accepts x_file, the path of a file holding the value (Docker secrets);
//     the file's trailing newlines are trimmed. Relative paths, like a
//     relative data_dir, are taken from the config file's directory, not the
//     working directory, so a service finds the same files wherever it runs.
//   - A key written without a value ("poll:" or "poll: ~") means the empty
//     value, the same as "" — for poll that is "never read", for http.listen
//     "no HTTP server", for a list the empty list. An absent key keeps its
//     default.
//   - Dates are YYYY-MM-DD or RFC 3339. All times are held in UTC. A date in a
//     window's from means 00:00 UTC of that day; a date in its until means
//     the end of that day, so "until: 2027-06-30" includes the 30th.
//   - YAML anchors, aliases and merge keys ("<<: *defaults") work, so a
//     collective can share one set of rules among many links. Top-level keys
//     starting with "x-" are ignored, as in Docker Compose: a place to define
//     anchors ("x-rules: &shared {…}").
//   - Cron specs (poll, announcement schedules) use the five standard fields
//     or a descriptor (@hourly, @every 15m) and run in the daemon's local
//     time zone unless the spec starts with CRON_TZ=Area/City.
//   - What can only be checked online (credentials, the network's limits) is
//     left to the engine's check command.
//
// Secrets are held as providers.Secret, which prints "<redacted>" through
// fmt, JSON and YAML. Problem messages never repeat the value of a secret
// key, nor of an unknown key (a secret written under a misspelt key stays
// out of the logs); a secret file is named by its path, never by content.
package config
