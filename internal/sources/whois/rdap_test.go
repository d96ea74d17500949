package whois

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"testing"
)

// TestARINResponse serves msticnb's recorded ARIN RDAP answer.
func TestARINResponse(t *testing.T) {
	body, err := os.ReadFile("testdata/rdap_response.json")
	if err != nil {
		t.Fatal(err)
	}
	var path string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		w.Header().Set("Content-Type", "application/rdap+json")
		w.Write(body)
	}))
	defer srv.Close()
	c := &Client{Server: srv.URL, HTTP: srv.Client()}
	n, err := c.Lookup(context.Background(), netip.MustParseAddr("20.36.64.1"))
	if err != nil {
		t.Fatal(err)
	}
	if path != "/ip/20.36.64.1" {
		t.Errorf("asked %s", path)
	}
	if n.Name == "" || n.Handle == "" || n.StartAddress == "" || n.Registry != "ARIN" || n.Registered == nil {
		t.Errorf("network = %+v", n)
	}
	for _, e := range n.AbuseEmails {
		if !strings.Contains(e, "@") {
			t.Errorf("abuse email %q", e)
		}
	}
}
