package loganalytics

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"entitygraph/graph/resolvers"
	"entitygraph/internal/access"
	"entitygraph/internal/cache"
	"entitygraph/internal/demo"
	"entitygraph/internal/loaders"
	"entitygraph/internal/server"
	"entitygraph/internal/sources"
	"entitygraph/internal/sources/duckdb"
)

func graphServer(t *testing.T, src sources.LogSource, store *duckdb.Store) *httptest.Server {
	t.Helper()
	return cachedGraphServer(t, src, store, nil)
}

// cachedGraphServer is graphServer with a result cache (nil: none).
func cachedGraphServer(t *testing.T, src sources.LogSource, store *duckdb.Store, results *cache.Cache[[]sources.Row]) *httptest.Server {
	t.Helper()
	s := server.New(server.Options{Source: src, Cache: results, Batching: loaders.Options{Wait: 50 * time.Millisecond},
		Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store, Now: func() time.Time { return anchor }}}})
	s.SetReady()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts
}

func postGraphQL(t *testing.T, url, query string, header http.Header) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest("POST", url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return out
}

// parityQueries exercise every IpAddress, Account, Host and Alert facet.
var parityQueries = []string{
	`{ ipAddress(address: "` + demo.SprayIP + `") { type origin alerts { totalCount nodes { systemAlertId name severity entities { __typename } columns } }
	   signins(first: 30) { totalCount nodes { time userPrincipalName resultType countryOrRegion columns } } azureActivity { totalCount }
	   officeActivity(first: 30) { totalCount nodes { time operation clientIp columns } } relatedAccounts { account { name } source count failures details firstSeen lastSeen }
	   timeline(bucket: "1h") { points { time source count } } firstSeen lastSeen } }`,
	`{ ipAddress(address: "` + demo.C2IP + `") { sentinelThreatIntel { totalCount nodes { table value confidence active threatType description tags columns } } commonSecurityLog(first: 5) { totalCount nodes { time deviceAction requestUrl sourcePort columns } }
	   netflows(first: 5) { totalCount nodes { flowStartTime externalIps allowedOutFlows columns } } netflowSummary { l7Protocol direction flowRecords allowedOutFlows externalIps firstFlow lastFlow }
	   networkConnections { host { name } remoteUrls count firstSeen } dnsQueries(first: 5) { totalCount nodes { time name ipAddresses resultCode } } } }`,
	`{ ipAddress(address: "` + demo.BeaconIP + `") { origin hosts { host { name } source sourceId lastSeen } heartbeat { time computer computerIp osVersion columns }
	   vmComputer { computer ipv4Addresses agentId columns } networkInterface { virtualMachine privateIpAddresses publicIpAddresses } } }`,
	`{ ipAddress(address: "` + demo.BruteIP + `") { hostLogons { host { name } account { name } os logonType result count firstSeen lastSeen } bookmarks { totalCount nodes { name queryResultRow columns } } } }`,
	`{ account(name: "` + demo.SprayVictim + `") { upn displayName aadUserId tenantId domainUser sources signins { totalCount } azureActivity(first: 3) { totalCount nodes { operationName columns } }
	   officeActivity { totalCount } hostLogons { host { name } } alerts { totalCount nodes { name relatedAlerts { name } } } bookmarks { totalCount }
	   ipAddresses { ipAddress { address } source count failures firstSeen lastSeen } hosts { host { name } } activitySummary { source operation app ipAddress { address } result count failures }
	   timeline(bucket: "6h") { points { time source count } } firstSeen lastSeen } }`,
	`{ account(name: "contoso\\administrator") { domainUser hostLogons { host { name } sourceIp { address } result count } hosts { host { name } failures } } }`,
	`{ host(name: "` + demo.BeaconHost + `") { fqdn dnsDomain osFamily osVersion azureResourceId agentId mdeDeviceId environment ipAddresses { ipAddress { address } source lastSeen }
	   logons { account { name } result count } alerts { totalCount } processes { totalCount } scheduledTasks { totalCount } accountChanges { totalCount } notableEvents { totalCount }
	   eventSummary { os facility severity process count } heartbeat { computer } vmComputer { computer } networkInterface { virtualMachine }
	   netflows(first: 3) { totalCount nodes { destinationIp } } networkConnections { remoteIp count } bookmarks { totalCount } timeline { points { time source count } } } }`,
	`{ host(name: "` + demo.BruteHost + `") { logons { account { name } sourceIp { address } os logonType result count firstSeen lastSeen } eventSummary { os facility severity process count }
	   bookmarks { nodes { name } } alerts { nodes { name hosts { name } accounts { name } ipAddresses { address } } } } }`,
	`{ host(name: "win-fs01") { logons { account { name } result count } eventSummary { os eventId channel activity count } processes(first: 3) { totalCount } } }`,
	`{ alerts(first: 10) { totalCount nodes { systemAlertId name severity status time tactics techniques compromisedEntity extendedProperties entities { __typename } } }
	   high: alerts(minSeverity: HIGH, status: ["New"]) { totalCount } }`,
}

// TestEngineParity: the same fixture rows served by DuckDB directly and by
// the Log Analytics fake give identical GraphQL responses, shared scans
// (facets.Group) among them.
func TestEngineParity(t *testing.T) {
	store := demoWorkspace(t)
	f := newFakeAzure(t, store)
	direct := graphServer(t, store, store)
	viaLA := graphServer(t, newSource(t, f, nil), store)
	for i, q := range parityQueries {
		a := postGraphQL(t, direct.URL, q, nil)
		b := postGraphQL(t, viaLA.URL, q, nil)
		if a["errors"] != nil || b["errors"] != nil {
			t.Fatalf("query %d errors: direct %v / Log Analytics %v", i, a["errors"], b["errors"])
		}
		ja, _ := json.Marshal(a["data"])
		jb, _ := json.Marshal(b["data"])
		if !bytes.Equal(ja, jb) {
			t.Errorf("query %d differs:\nDuckDB:        %.600s\nLog Analytics: %.600s", i, ja, jb)
		}
		if len(ja) < 200 {
			t.Errorf("query %d answered too little to compare: %s", i, ja)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	shared := map[string]bool{}
	for _, r := range f.received {
		if m := scannedTable.FindStringSubmatch(r.KQL); m != nil && strings.HasPrefix(r.KQL, "let _s = materialize(") {
			shared[m[1]] = true
		}
	}
	// Parity holds with shared scans (facets.Group) among the queries:
	// sign-ins, Office and Azure activity, alerts, bookmarks, Windows and
	// Linux logons when written.
	if len(shared) < 5 {
		t.Errorf("shared scans on %v only: the parity queries no longer exercise groups", shared)
	}
}

// TestConcurrentRequests: 50 simultaneous GraphQL requests never hold more
// queries in flight at the service than the cap, and 429s are retried.
func TestConcurrentRequests(t *testing.T) {
	store := demoWorkspace(t)
	f := newFakeAzure(t, store)
	f.latency = 20 * time.Millisecond
	src := newSource(t, f, nil) // MaxConcurrent 5
	ts := graphServer(t, src, store)
	f.addFaults(wsMain.ID, fault{status: 429, retryAfter: "1"}, fault{status: 429, retryAfter: "1"})
	var wg sync.WaitGroup
	errs := make(chan any, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ip := []string{demo.SprayIP, demo.C2IP, demo.BruteIP, demo.BeaconIP}[i%4]
			out := postGraphQL(t, ts.URL, `{ ipAddress(address: "`+ip+`") { alerts { totalCount } signins { totalCount } relatedAccounts { count } } }`, nil)
			if out["errors"] != nil {
				errs <- out["errors"]
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("request failed: %v", e)
	}
	if m := f.maxInflight.Load(); m > 5 {
		t.Errorf("max in flight at the service = %d, over the cap of 5", m)
	}
}

// TestFieldErrorsThroughGraphQL: a refused workspace names itself; one
// failing query does not fail the others.
func TestFieldErrorsThroughGraphQL(t *testing.T) {
	store := demoWorkspace(t)
	f := newFakeAzure(t, store)
	ts := graphServer(t, newSource(t, f, nil), store)
	warm := postGraphQL(t, ts.URL, `{ ipAddress(address: "1.1.1.1") { alerts { totalCount } } }`, nil)
	if warm["errors"] != nil {
		t.Fatal(warm["errors"])
	}
	f.addFaults(wsMain.ID, fault{status: 403})
	out := postGraphQL(t, ts.URL, `{ ipAddress(address: "`+demo.SprayIP+`") { signins { totalCount } } }`, nil)
	errs, _ := out["errors"].([]any)
	if len(errs) != 1 {
		t.Fatalf("errors = %v", out["errors"])
	}
	ext := errs[0].(map[string]any)["extensions"].(map[string]any)
	if ext["code"] != "FORBIDDEN" || ext["workspace"] != wsMain.Name || ext["source"] != Name {
		t.Errorf("extensions = %v", ext)
	}
	f.addFaults(wsMain.ID, fault{partial: true})
	out = postGraphQL(t, ts.URL, `{ ipAddress(address: "`+demo.C2IP+`") { dnsQueries { totalCount } } }`, nil)
	errs, _ = out["errors"].([]any)
	data, _ := json.Marshal(out["data"])
	if len(errs) != 1 || errs[0].(map[string]any)["extensions"].(map[string]any)["code"] != "PARTIAL_RESULT" || !bytes.Contains(data, []byte(`"totalCount":120`)) {
		t.Errorf("partial: %s %v", data, out["errors"])
	}
	bad := postGraphQL(t, ts.URL, `{ ipAddress(address: "1.1.1.1") { address } }`, http.Header{access.WorkspaceHeader: {"nope"}})
	if errs, _ := bad["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["extensions"].(map[string]any)["code"] != "BAD_USER_INPUT" {
		t.Errorf("unknown workspace: %v", bad)
	}
}
