package geo

import (
	"net/netip"
	"testing"
)

// Well-known addresses and who announces them.
func TestEmbeddedLookups(t *testing.T) {
	db, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		ip      string
		country string
		asn     uint32
	}{
		{"8.8.8.8", "US", 15169},
		{"1.1.1.1", "", 13335}, // registered to APNIC/Cloudflare research; country varies by source
		{"2001:4860:4860::8888", "US", 15169},
		{"9.9.9.9", "", 19281},
		{"208.67.222.222", "US", 36692},
		{"193.0.6.139", "NL", 3333}, // RIPE NCC
		{"140.82.112.3", "US", 36459},
	}
	for _, c := range cases {
		a := netip.MustParseAddr(c.ip)
		net, ok, err := db.Owner(a)
		if err != nil || !ok || net.ASN != c.asn || net.ASName == "" || !net.CIDR.Contains(a) {
			t.Errorf("%s: owner %+v, %v, %v; want AS%d", c.ip, net, ok, err, c.asn)
		}
		loc, ok, err := db.Locate(a)
		if err != nil || !ok || loc.CountryName == "" {
			t.Errorf("%s: location %+v, %v, %v", c.ip, loc, ok, err)
		}
		if c.country != "" && loc.CountryCode != c.country {
			t.Errorf("%s: country %s, want %s", c.ip, loc.CountryCode, c.country)
		}
	}
	for _, private := range []string{"10.0.0.1", "192.168.1.1", "127.0.0.1", "fe80::1"} {
		if _, ok, _ := db.Owner(netip.MustParseAddr(private)); ok {
			t.Errorf("%s has an owner", private)
		}
	}
}
