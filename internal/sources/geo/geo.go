// Package geo answers where an IP is and which network owns it, offline:
// a country database and an ASN database ship in the binary (see
// data/README.md for their sources and licences); a configured MaxMind
// GeoLite2/GeoIP2 City or ASN file, or an ip-location-db/DB-IP City file,
// adds region, city and coordinates.
package geo

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"sync"

	"github.com/oschwald/maxminddb-golang/v2"
)

//go:embed data/country.mmdb.gz data/asn.mmdb.gz data/countries.json
var data embed.FS

// Attribution names the embedded data's sources, as their licences ask.
const (
	CountrySource = "ip-location-db geo-whois-asn-country (CC BY 4.0, NRO)"
	ASNSource     = "ip-location-db asn: RouteViews, NRO, DB-IP IP to ASN Lite (CC BY 4.0, db-ip.com)"
)

// Location is where an address is.
type Location struct {
	CountryCode string
	CountryName string
	Region      string
	City        string
	Latitude    *float64
	Longitude   *float64
	Source      string
}

// Network is who announces an address.
type Network struct {
	ASN    uint32
	ASName string
	CIDR   netip.Prefix
	Source string
}

// DB holds the databases.
type DB struct {
	country, asn *maxminddb.Reader
	city         *maxminddb.Reader // optional
	cityASN      *maxminddb.Reader // optional: a configured ASN file replaces the embedded one
	cityName     string
	asnName      string
	names        map[string]string
}

var (
	embeddedOnce sync.Once
	embedded     *DB
	embeddedErr  error
)

func gunzip(name string) ([]byte, error) {
	f, err := data.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("geo: %s: %w", name, err)
	}
	return io.ReadAll(zr)
}

// Embedded opens the shipped databases (once per process).
func Embedded() (*DB, error) {
	embeddedOnce.Do(func() {
		db := &DB{names: map[string]string{}}
		for _, x := range []struct {
			file string
			dst  **maxminddb.Reader
		}{{"data/country.mmdb.gz", &db.country}, {"data/asn.mmdb.gz", &db.asn}} {
			b, err := gunzip(x.file)
			if err != nil {
				embeddedErr = err
				return
			}
			if *x.dst, err = maxminddb.OpenBytes(b); err != nil {
				embeddedErr = fmt.Errorf("geo: %s: %w", x.file, err)
				return
			}
		}
		b, err := data.ReadFile("data/countries.json")
		if err == nil {
			err = json.NewDecoder(bytes.NewReader(b)).Decode(&db.names)
		}
		if err != nil {
			embeddedErr = fmt.Errorf("geo: countries.json: %w", err)
			return
		}
		embedded = db
	})
	return embedded, embeddedErr
}

// WithFiles returns a copy that also reads a City database and/or replaces
// the ASN database with a configured file (empty paths are skipped).
func (db *DB) WithFiles(cityPath, asnPath string) (*DB, error) {
	out := *db
	if cityPath != "" {
		r, err := maxminddb.Open(cityPath)
		if err != nil {
			return nil, fmt.Errorf("geo: city database: %w", err)
		}
		out.city, out.cityName = r, r.Metadata.DatabaseType
	}
	if asnPath != "" {
		r, err := maxminddb.Open(asnPath)
		if err != nil {
			return nil, fmt.Errorf("geo: ASN database: %w", err)
		}
		out.cityASN, out.asnName = r, r.Metadata.DatabaseType
	}
	return &out, nil
}

// Locate decodes both City layouts: MaxMind's nested GeoIP2 records (also
// used by DB-IP's mmdb) and ip-location-db's flat ones.
// Locate returns the address's location, or false when no database knows it.
func (db *DB) Locate(a netip.Addr) (Location, bool, error) {
	if db.city != nil {
		res := db.city.Lookup(a)
		if res.Found() {
			var flat struct {
				CountryCode string   `maxminddb:"country_code"`
				City        string   `maxminddb:"city"`
				State1      string   `maxminddb:"state1"`
				Latitude    *float64 `maxminddb:"latitude"`
				Longitude   *float64 `maxminddb:"longitude"`
			}
			var nested struct {
				Country struct {
					ISOCode string            `maxminddb:"iso_code"`
					Names   map[string]string `maxminddb:"names"`
				} `maxminddb:"country"`
				Subdivisions []struct {
					Names map[string]string `maxminddb:"names"`
				} `maxminddb:"subdivisions"`
				City struct {
					Names map[string]string `maxminddb:"names"`
				} `maxminddb:"city"`
				Location struct {
					Latitude  *float64 `maxminddb:"latitude"`
					Longitude *float64 `maxminddb:"longitude"`
				} `maxminddb:"location"`
			}
			loc := Location{Source: db.cityName}
			if err := res.Decode(&nested); err == nil && nested.Country.ISOCode != "" {
				loc.CountryCode, loc.City = nested.Country.ISOCode, nested.City.Names["en"]
				if len(nested.Subdivisions) > 0 {
					loc.Region = nested.Subdivisions[0].Names["en"]
				}
				loc.Latitude, loc.Longitude = nested.Location.Latitude, nested.Location.Longitude
				loc.CountryName = nested.Country.Names["en"]
			} else if err := res.Decode(&flat); err == nil && flat.CountryCode != "" {
				loc.CountryCode, loc.City, loc.Region = flat.CountryCode, flat.City, flat.State1
				loc.Latitude, loc.Longitude = flat.Latitude, flat.Longitude
			} else if err != nil {
				return Location{}, false, fmt.Errorf("geo: city record: %w", err)
			}
			if loc.CountryCode != "" {
				if loc.CountryName == "" {
					loc.CountryName = db.names[loc.CountryCode]
				}
				return loc, true, nil
			}
		}
	}
	var rec struct {
		CountryCode string `maxminddb:"country_code"`
	}
	res := db.country.Lookup(a)
	if !res.Found() {
		return Location{}, false, res.Err()
	}
	if err := res.Decode(&rec); err != nil {
		return Location{}, false, fmt.Errorf("geo: country record: %w", err)
	}
	return Location{CountryCode: rec.CountryCode, CountryName: db.names[rec.CountryCode], Source: CountrySource}, rec.CountryCode != "", nil
}

// Owner returns the announcing network, or false when unknown.
func (db *DB) Owner(a netip.Addr) (Network, bool, error) {
	r, source := db.asn, ASNSource
	if db.cityASN != nil {
		r, source = db.cityASN, db.asnName
	}
	res := r.Lookup(a)
	if !res.Found() {
		return Network{}, false, res.Err()
	}
	var rec struct {
		Number uint32 `maxminddb:"autonomous_system_number"`
		Org    string `maxminddb:"autonomous_system_organization"`
	}
	if err := res.Decode(&rec); err != nil {
		return Network{}, false, fmt.Errorf("geo: ASN record: %w", err)
	}
	return Network{ASN: rec.Number, ASName: rec.Org, CIDR: res.Prefix(), Source: source}, rec.Number != 0, nil
}
