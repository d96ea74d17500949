package entitykey_test

import (
	"strings"
	"testing"

	"entitygraph/internal/entitykey"
	"entitygraph/internal/sources/duckdb"
)

var tricky = []string{
	"web-vm-01", "WEB-VM-01.contoso.local", "web-vm-01.", "10.0.1.4", "10.0.1.4.in-addr", "999.1.1.1", "1.2.3",
	"::ffff:10.0.1.4", "2001:db8::1", ".hidden", "a..b", "", "ÜBER-HOST.example", "straße.de", "Win-FS01$",
	"host_name.corp.contoso.com", "MiXeD.Case.Example",
}

// TestHostGoEqualsDuckDB: the Go key and the SQL the facets render agree
// on tricky names, so host(name:) finds what the facets key rows by.
func TestHostGoEqualsDuckDB(t *testing.T) {
	s, err := duckdb.Open(duckdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	q := "SELECT " + strings.ReplaceAll(strings.ReplaceAll(entitykey.HostSQL, "$0", "?"), "$$", "$")
	for _, name := range tricky {
		args := make([]any, strings.Count(q, "?"))
		for i := range args {
			args[i] = name
		}
		var got string
		if err := s.DB().QueryRow(q, args...).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := entitykey.Host(name); got != want {
			t.Errorf("%q: DuckDB %q, Go %q", name, got, want)
		}
	}
}

func TestHost(t *testing.T) {
	for in, want := range map[string]string{
		"WEB-VM-01.contoso.local": "web-vm-01", "10.0.1.4": "10.0.1.4", "999.1.1.1": "999.1.1.1", "10.0.1.4.in-addr": "10",
		"::ffff:10.0.1.4": "::ffff:10", "web-vm-01.": "web-vm-01", ".hidden": "",
	} {
		if got := entitykey.Host(in); got != want {
			t.Errorf("Host(%q) = %q, want %q", in, got, want)
		}
	}
}
