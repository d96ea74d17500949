// Package ipclass parses IP addresses canonically and classifies them by the
// IANA IPv4 and IPv6 special-purpose address registries (RFC 6890 and
// successors).
package ipclass

import (
	"errors"
	"net/netip"
	"strings"
)

// Type is the special-purpose class of an address; the values match the
// GraphQL IpAddressType enum.
type Type string

// Address classes.
const (
	Public              Type = "PUBLIC"
	Private             Type = "PRIVATE"
	Shared              Type = "SHARED" // 100.64.0.0/10, carrier-grade NAT
	Loopback            Type = "LOOPBACK"
	LinkLocal           Type = "LINK_LOCAL"
	Multicast           Type = "MULTICAST"
	Unspecified         Type = "UNSPECIFIED"
	Broadcast           Type = "BROADCAST"
	ThisNetwork         Type = "THIS_NETWORK"
	Documentation       Type = "DOCUMENTATION"
	Benchmarking        Type = "BENCHMARKING"
	ProtocolAssignments Type = "PROTOCOL_ASSIGNMENTS"
	Reserved            Type = "RESERVED"
	UniqueLocal         Type = "UNIQUE_LOCAL"
	IPv4Mapped          Type = "IPV4_MAPPED"
	Translation         Type = "TRANSLATION"
	DiscardOnly         Type = "DISCARD_ONLY"
	SiteLocal           Type = "SITE_LOCAL"
)

type rule struct {
	prefix netip.Prefix
	typ    Type
}

// Most specific prefixes first: the first match wins.
var rules = func() []rule {
	raw := []struct {
		p string
		t Type
	}{
		{"255.255.255.255/32", Broadcast},
		{"192.0.0.9/32", Public},  // Port Control Protocol anycast: globally reachable
		{"192.0.0.10/32", Public}, // TURN anycast: globally reachable
		{"0.0.0.0/32", Unspecified},
		{"0.0.0.0/8", ThisNetwork},
		{"10.0.0.0/8", Private},
		{"100.64.0.0/10", Shared},
		{"127.0.0.0/8", Loopback},
		{"169.254.0.0/16", LinkLocal},
		{"172.16.0.0/12", Private},
		{"192.0.0.0/24", ProtocolAssignments},
		{"192.0.2.0/24", Documentation},
		{"192.88.99.0/24", Reserved}, // deprecated 6to4 relay anycast
		{"192.168.0.0/16", Private},
		{"198.18.0.0/15", Benchmarking},
		{"198.51.100.0/24", Documentation},
		{"203.0.113.0/24", Documentation},
		{"224.0.0.0/4", Multicast},
		{"240.0.0.0/4", Reserved},
		{"::/128", Unspecified},
		{"::1/128", Loopback},
		{"::ffff:0:0/96", IPv4Mapped},
		{"64:ff9b::/96", Translation},
		{"64:ff9b:1::/48", Translation},
		{"100::/64", DiscardOnly},
		{"2001:2::/48", Benchmarking},
		{"2001:db8::/32", Documentation},
		{"3fff::/20", Documentation},
		{"2001::/23", ProtocolAssignments},
		{"fc00::/7", UniqueLocal},
		{"fe80::/10", LinkLocal},
		{"fec0::/10", SiteLocal},
		{"ff00::/8", Multicast},
	}
	out := make([]rule, len(raw))
	for i, r := range raw {
		out[i] = rule{netip.MustParsePrefix(r.p), r.t}
	}
	return out
}()

// Classify returns the special-purpose class of a canonical address.
func Classify(a netip.Addr) Type {
	for _, r := range rules {
		if r.prefix.Contains(a) {
			return r.typ
		}
	}
	if a.Is6() && !netip.MustParsePrefix("2000::/3").Contains(a) {
		return Reserved // outside global unicast space
	}
	return Public
}

// IsPrivate reports the classes the notebook treats as internal.
func IsPrivate(t Type) bool {
	switch t {
	case Private, Shared, UniqueLocal, SiteLocal:
		return true
	}
	return false
}

// ErrInvalid is returned for text that is not a single IP address.
var ErrInvalid = errors.New("not an IP address")

// Parse reads an IPv4 or IPv6 address in its usual text forms and returns
// its canonical form: IPv4-mapped IPv6 addresses are unmapped, zones are
// rejected (they name an interface of one machine, not an address).
func Parse(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, ErrInvalid
	}
	if a.Zone() != "" {
		return netip.Addr{}, errors.New("IPv6 zones are not accepted")
	}
	return a.Unmap(), nil
}
