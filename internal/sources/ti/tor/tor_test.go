package tor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"entitygraph/internal/sources/ti"
)

func TestRefreshAndLookup(t *testing.T) {
	list := "ExitNode 0011BD2485AD45D984EC4159C88FC066E5E3300E\nPublished 2026-11-29 10:00:00\nExitAddress 185.220.101.1 2026-11-29 11:03:24\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			w.Write([]byte("<html>captive portal</html>"))
			return
		}
		w.Write([]byte(list))
	}))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "exit-addresses")
	os.WriteFile(path, []byte("ExitAddress 1.1.1.1 2026-01-01 00:00:00\n"), 0o644)
	p := &Provider{Path: path}
	if r, _ := p.Lookup(context.Background(), netip.MustParseAddr("185.220.101.1")); r.Verdict != ti.None {
		t.Fatalf("before refresh: %+v", r)
	}
	if err := (&Refresher{URL: srv.URL + "/broken", Path: path}).Refresh(context.Background()); err == nil {
		t.Error("a page without exit addresses was accepted")
	}
	time.Sleep(10 * time.Millisecond) // a new modification time
	if err := (&Refresher{URL: srv.URL, Path: path}).Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	r, err := p.Lookup(context.Background(), netip.MustParseAddr("185.220.101.1"))
	if err != nil || r.Verdict != ti.Medium || r.Details["published"] != "2026-11-29 11:03:24" {
		t.Errorf("after refresh: %+v, %v", r, err)
	}
}
