package server

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"entitygraph/graph/resolvers"
	"entitygraph/internal/loaders"
	"entitygraph/internal/sources/geo"
)

// TestExploreInChromium opens the investigation pages in headless
// Chromium (tools/browsercheck/explore.js, playwright-core) against the
// real handler on the demo: each story by URL and by the search box, the
// numbers the panels must show, a pivot to the account and back, the
// timeline brush, the KQL toggle, the map, the pivot graph growing, a
// 390 px phone; no console error and no request off the server's origin.
// EG_SHOTS=docs writes the README's screenshots.
func TestExploreInChromium(t *testing.T) {
	chromium := os.Getenv("EG_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	script, _ := filepath.Abs("../../tools/browsercheck/explore.js")
	_, nodeErr := exec.LookPath("node")
	_, chromeErr := os.Stat(chromium)
	_, pwErr := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "playwright-core"))
	if nodeErr != nil || chromeErr != nil || pwErr != nil {
		if os.Getenv("EG_REQUIRE_BROWSER") == "1" {
			t.Fatalf("browser test needs node, %s and npm ci --prefix tools/browsercheck: %v %v %v", chromium, nodeErr, chromeErr, pwErr)
		}
		t.Skip("node, Chromium or playwright-core missing")
	}
	store := demoWorkspace(t)
	g, err := geo.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Options{Source: store, Batching: loaders.Options{Wait: 20 * time.Millisecond},
		Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store, Now: func() time.Time { return anchor }, MaxTimespan: 30 * 24 * time.Hour, Geo: g}}})
	srv.SetReady()
	ts := httptest.NewServer(srv)
	defer ts.Close()
	shots := os.Getenv("EG_SHOTS")
	if shots != "" {
		shots, _ = filepath.Abs(filepath.Join("../..", shots))
	}
	cmd := exec.Command("node", script)
	cmd.Env = append(os.Environ(), "EG_URL="+ts.URL, "EG_SHOTS="+shots, "EG_CHROMIUM="+chromium)
	cmd.Stderr = os.Stderr
	done := make(chan struct{})
	var out []byte
	go func() { out, err = cmd.Output(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		cmd.Process.Kill()
		t.Fatal("the browser run took over 5 minutes")
	}
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	var res struct {
		Failures, ConsoleErrors, Offsite []string
	}
	line := strings.TrimSpace(string(out))
	if i := strings.LastIndex(line, "\n"); i >= 0 {
		line = line[i+1:]
	}
	if err := json.Unmarshal([]byte(line), &res); err != nil {
		t.Fatalf("browser output: %v\n%s", err, out)
	}
	for _, f := range res.Failures {
		t.Error(f)
	}
	for _, e := range res.ConsoleErrors {
		t.Errorf("console error: %s", e)
	}
	for _, u := range res.Offsite {
		t.Errorf("request off the server: %s", u)
	}
}

// TestExplorePages: the shell, its assets and headers, without a browser.
func TestExplorePages(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	for path, want := range map[string]string{
		"/explore/ip/193.27.228.147?last=2d":         "explore.js",
		"/explore/account/CONTOSO%5Cmegan.bowen":     "explore.js",
		"/explore/static/explore.js":                 "each panel asks /graphql",
		"/explore/static/vendor/cytoscape.min.js":    "cytoscape",
		"/explore/static/vendor/countries-110m.json": "Topology",
		"/explore/static/vendor/LICENSES.txt":        "world-atlas",
	} {
		status, body, header := fetch(t, ts.URL+path)
		if status != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: %d, want %q in the body", path, status, want)
		}
		if csp := header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "connect-src 'self'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
	}
	if status, _, _ := fetch(t, ts.URL+"/explore/static/"); status != 404 {
		t.Errorf("the static directory is listed: %d", status)
	}
}
