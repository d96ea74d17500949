// Command geodb rebuilds the geo and ASN databases the server embeds, from
// npm packages (fetched with `npm pack`, nothing is downloaded here):
//
//	cd /tmp && npm pack @ip-location-db/asn @ip-location-db/geo-whois-asn-country-mmdb countries-list
//	go run ./cmd/geodb -out internal/sources/geo/data /tmp/ip-location-db-asn-*.tgz \
//	    /tmp/ip-location-db-geo-whois-asn-country-mmdb-*.tgz /tmp/countries-list-*.tgz
//
// It writes country.mmdb.gz (the package's mmdb, recompressed), asn.mmdb.gz
// (built with mmdbwriter from the ASN CSVs, in GeoLite2-ASN's record
// layout) and countries.json (ISO 3166 code → English name).
package main

import (
	"archive/tar"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

func main() {
	out := flag.String("out", "internal/sources/geo/data", "output directory")
	flag.Parse()
	if err := run(*out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "geodb:", err)
		os.Exit(1)
	}
}

// files reads every regular file of the npm tarballs, by base name.
func files(tarballs []string) (map[string][]byte, map[string]string, error) {
	got := map[string][]byte{}
	versions := map[string]string{}
	for _, path := range tarballs {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, err
		}
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		tr := tar.NewReader(gz)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", path, err)
			}
			if h.Typeflag != tar.TypeReg {
				continue
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				return nil, nil, err
			}
			name := filepath.Base(h.Name)
			if name == "package.json" {
				var p struct{ Name, Version string }
				if json.Unmarshal(b, &p) == nil && p.Name != "" {
					versions[p.Name] = p.Version
				}
				continue
			}
			got[name] = b
		}
		f.Close()
	}
	return got, versions, nil
}

func writeGz(path string, data []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	if _, err := zw.Write(data); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}

func run(out string, tarballs []string) error {
	in, versions, err := files(tarballs)
	if err != nil {
		return err
	}
	country, ok := in["geo-whois-asn-country.mmdb"]
	if !ok {
		return fmt.Errorf("geo-whois-asn-country.mmdb not in the tarballs")
	}
	if err := writeGz(filepath.Join(out, "country.mmdb.gz"), country); err != nil {
		return err
	}

	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: "entitygraph-ASN",
		Description:  map[string]string{"en": "IP to ASN from @ip-location-db/asn (RouteViews, the five RIRs and DB-IP IP to ASN Lite; CC BY 4.0)"},
		RecordSize:   28,
		IPVersion:    6,
	})
	if err != nil {
		return err
	}
	ranges := 0
	for _, name := range []string{"asn-ipv4.csv", "asn-ipv6.csv"} {
		data, ok := in[name]
		if !ok {
			return fmt.Errorf("%s not in the tarballs", name)
		}
		r := csv.NewReader(strings.NewReader(string(data)))
		r.FieldsPerRecord = -1
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if len(rec) < 3 {
				continue
			}
			asn, err := strconv.ParseUint(rec[2], 10, 32)
			if err != nil {
				continue
			}
			value := mmdbtype.Map{"autonomous_system_number": mmdbtype.Uint32(asn)}
			if len(rec) > 3 && rec[3] != "" {
				value["autonomous_system_organization"] = mmdbtype.String(rec[3])
			}
			if err := tree.InsertRange(net.ParseIP(rec[0]), net.ParseIP(rec[1]), value); err != nil {
				continue // reserved networks are refused: not routable anyway
			}
			ranges++
		}
	}
	var buf strings.Builder
	if _, err := tree.WriteTo(&buf); err != nil {
		return err
	}
	if err := writeGz(filepath.Join(out, "asn.mmdb.gz"), []byte(buf.String())); err != nil {
		return err
	}

	var countries map[string]struct{ Name string }
	if err := json.Unmarshal(in["countries.min.json"], &countries); err != nil {
		return fmt.Errorf("countries.min.json: %w", err)
	}
	names := map[string]string{}
	for code, c := range countries {
		names[code] = c.Name
	}
	b, _ := json.MarshalIndent(names, "", " ")
	if err := os.WriteFile(filepath.Join(out, "countries.json"), b, 0o644); err != nil {
		return err
	}
	meta := map[string]any{"built": time.Now().UTC().Format(time.RFC3339), "asnRanges": ranges, "packages": versions}
	mb, _ := json.MarshalIndent(meta, "", " ")
	fmt.Printf("%s\n", mb)
	return os.WriteFile(filepath.Join(out, "build.json"), mb, 0o644)
}
