package geo

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// writeDB writes a one-network mmdb with the given record.
func writeDB(t *testing.T, dbType, cidr string, rec mmdbtype.Map) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, RecordSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	_, network, _ := net.ParseCIDR(cidr)
	if err := tree.Insert(network, rec); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), dbType+".mmdb")
	f, _ := os.Create(path)
	defer f.Close()
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCityLayouts: MaxMind's nested GeoIP2 City records and
// ip-location-db's flat ones both give region, city and coordinates.
func TestCityLayouts(t *testing.T) {
	nested := writeDB(t, "GeoLite2-City", "81.2.69.0/24", mmdbtype.Map{
		"country":      mmdbtype.Map{"iso_code": mmdbtype.String("GB"), "names": mmdbtype.Map{"en": mmdbtype.String("United Kingdom")}},
		"subdivisions": mmdbtype.Slice{mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String("England")}}},
		"city":         mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String("London")}},
		"location":     mmdbtype.Map{"latitude": mmdbtype.Float64(51.5142), "longitude": mmdbtype.Float64(-0.0931)},
	})
	flat := writeDB(t, "dbip-city-lite", "81.2.69.0/24", mmdbtype.Map{
		"country_code": mmdbtype.String("GB"), "state1": mmdbtype.String("England"), "city": mmdbtype.String("London"),
		"latitude": mmdbtype.Float32(51.5142), "longitude": mmdbtype.Float32(-0.0931),
	})
	asn := writeDB(t, "GeoLite2-ASN", "81.2.69.0/24", mmdbtype.Map{
		"autonomous_system_number": mmdbtype.Uint32(20712), "autonomous_system_organization": mmdbtype.String("Andrews & Arnold Ltd"),
	})
	base, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{nested, flat} {
		db, err := base.WithFiles(path, asn)
		if err != nil {
			t.Fatal(err)
		}
		loc, ok, err := db.Locate(netip.MustParseAddr("81.2.69.160"))
		if err != nil || !ok || loc.CountryCode != "GB" || loc.CountryName != "United Kingdom" || loc.Region != "England" || loc.City != "London" ||
			loc.Latitude == nil || *loc.Latitude < 51.51 || loc.Longitude == nil || *loc.Longitude > -0.09 {
			t.Errorf("%s: %+v, %v, %v", filepath.Base(path), loc, ok, err)
		}
		owner, ok, err := db.Owner(netip.MustParseAddr("81.2.69.160"))
		if err != nil || !ok || owner.ASN != 20712 || owner.Source != "GeoLite2-ASN" {
			t.Errorf("configured ASN database: %+v %v %v", owner, ok, err)
		}
		// Outside the City file, the embedded country database answers.
		loc, ok, _ = db.Locate(netip.MustParseAddr("8.8.8.8"))
		if !ok || loc.CountryCode != "US" || loc.City != "" {
			t.Errorf("fallback: %+v", loc)
		}
	}
}
