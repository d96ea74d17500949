package loganalytics

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"entitygraph/internal/cache"
	"entitygraph/internal/demo"
	"entitygraph/internal/sources"
)

// scannedTable is the table a facet query (or group) reads.
var scannedTable = regexp.MustCompile(`^(?:let _[sm] = materialize\()?([A-Za-z_0-9]+)\n`)

// TestScansShared: through Log Analytics a level's facet queries of one
// scan go as one query (facets.Group) — the address's sign-ins, Office
// and Azure activity pages each share their table's query with the
// accounts seen there — and the answers equal DuckDB's. Each member is
// cached as itself: a later request for one alone sends nothing.
func TestScansShared(t *testing.T) {
	store := demoWorkspace(t)
	f := newFakeAzure(t, store)
	results, err := cache.New[[]sources.Row](64<<20, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	direct := graphServer(t, store, store)
	viaLA := cachedGraphServer(t, newSource(t, f, nil), store, results)
	ip := `ipAddress(address: "` + demo.SprayIP + `")`
	summary := `{ ` + ip + ` { alerts { totalCount } signins(first: 30) { totalCount nodes { time userPrincipalName resultType } }
	  azureActivity { totalCount nodes { operationName } } officeActivity(first: 30) { totalCount nodes { time operation clientIp } }
	  relatedAccounts { account { name } source count failures details firstSeen lastSeen } } }`
	a := postGraphQL(t, direct.URL, summary, nil)
	b := postGraphQL(t, viaLA.URL, summary, nil)
	if a["errors"] != nil || b["errors"] != nil {
		t.Fatalf("errors: direct %v / Log Analytics %v", a["errors"], b["errors"])
	}
	ja, _ := json.Marshal(a["data"])
	jb, _ := json.Marshal(b["data"])
	if !bytes.Equal(ja, jb) || len(ja) < 1000 {
		t.Errorf("answers differ:\nDuckDB:        %.800s\nLog Analytics: %.800s", ja, jb)
	}
	sent := func() (perTable map[string]int, groups, total int) {
		f.mu.Lock()
		defer f.mu.Unlock()
		perTable = map[string]int{}
		for _, r := range f.received {
			if strings.HasPrefix(r.KQL, "union isfuzzy=true") {
				continue // table discovery
			}
			total++
			if strings.HasPrefix(r.KQL, "let _s = materialize(") {
				groups++
			}
			if m := scannedTable.FindStringSubmatch(r.KQL); m != nil {
				perTable[m[1]]++
			}
		}
		return perTable, groups, total
	}
	perTable, groups, total := sent()
	for _, table := range []string{"SigninLogs", "OfficeActivity", "AzureActivity"} {
		if perTable[table] != 1 {
			t.Errorf("%s: %d queries, want 1 (a page and its accounts share one)", table, perTable[table])
		}
	}
	// alerts, three shared scans, and the host logons (Windows and Linux)
	// the related accounts fold in.
	if groups != 3 || total != 6 {
		t.Errorf("%d queries, %d of them shared; want 6 and 3 (%v)", total, groups, perTable)
	}
	for _, alone := range []string{
		`{ ` + ip + ` { signins(first: 30) { totalCount nodes { time userPrincipalName resultType } } } }`,
		`{ ` + ip + ` { relatedAccounts { account { name } count } } }`,
	} {
		if out := postGraphQL(t, viaLA.URL, alone, nil); out["errors"] != nil {
			t.Fatal(out["errors"])
		}
	}
	if _, _, again := sent(); again != total {
		t.Errorf("members asked alone sent %d queries; each is cached as itself", again-total)
	}
}

// TestRefusedGroupGoesApart: when the service refuses a combined query,
// its members go alone and the answer is whole.
func TestRefusedGroupGoesApart(t *testing.T) {
	store := demoWorkspace(t)
	f := newFakeAzure(t, store)
	f.rejectGroups = true
	direct := graphServer(t, store, store)
	viaLA := graphServer(t, newSource(t, f, func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil)) }), store)
	q := `{ ipAddress(address: "` + demo.SprayIP + `") { signins(first: 30) { totalCount nodes { time userPrincipalName } } relatedAccounts { source count failures } } }`
	a := postGraphQL(t, direct.URL, q, nil)
	b := postGraphQL(t, viaLA.URL, q, nil)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) || a["errors"] != nil {
		t.Errorf("answers differ:\nDuckDB:        %.600s\nLog Analytics: %.600s", ja, jb)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	refused, signins := 0, 0
	for _, r := range f.received {
		if strings.HasPrefix(r.KQL, "let _s = materialize(") {
			refused++
		} else if m := scannedTable.FindStringSubmatch(r.KQL); m != nil && m[1] == "SigninLogs" {
			signins++
		}
	}
	if refused != 1 || signins != 2 {
		t.Errorf("%d combined queries refused, %d sign-in queries alone; want 1 and 2", refused, signins)
	}
}
