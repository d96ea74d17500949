// Package entitykey defines, once, how entity names become keys: in Go for
// what users type and rows carry, and as the SQL and KQL the facets render,
// so that every engine and the resolvers agree (TestHostGoEqualsDuckDB).
package entitykey

import (
	"regexp"
	"strings"
)

// ipv4Shaped is a name made of four dot-separated groups of 1–3 digits: a
// host known by its address, kept whole rather than cut at the first dot.
const ipv4Shaped = `[0-9]{1,3}([.][0-9]{1,3}){3}`

var ipv4ShapedRe = regexp.MustCompile(`^` + ipv4Shaped + `$`)

// Host is a host's key: the lower-cased first DNS label, so that
// "WEB-VM-01.contoso.local" (MDE) and "web-vm-01" (Heartbeat) are one
// host; an IPv4-shaped name is kept whole.
func Host(name string) string {
	n := strings.ToLower(name)
	if ipv4ShapedRe.MatchString(n) {
		return n
	}
	short, _, _ := strings.Cut(n, ".")
	return short
}

// Account is an account name's key: lower-cased (resolution to a person
// happens on top of it, in internal/identity).
func Account(name string) string { return strings.ToLower(name) }

// Templates of Host for the facet renderers, $0 the name expression ("$$"
// a literal dollar).
const (
	HostSQL = `(CASE WHEN regexp_full_match(lower($0), '` + ipv4Shaped + `') THEN lower($0) ELSE split_part(lower($0), '.', 1) END)`
	HostKQL = `iff(tolower($0) matches regex "^` + ipv4Shaped + `$$", tolower($0), tostring(split(tolower($0), ".")[0]))`
)
