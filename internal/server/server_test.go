package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"entitygraph/graph/resolvers"
	"entitygraph/internal/cache"
	"entitygraph/internal/demo"
	"entitygraph/internal/errcode"
	"entitygraph/internal/facets"
	"entitygraph/internal/loaders"
	"entitygraph/internal/sources"
	"entitygraph/internal/sources/duckdb"
	"entitygraph/internal/workspace"
	"entitygraph/internal/workspace/workspacetest"
)

var anchor = workspacetest.Anchor

func demoWorkspace(t *testing.T) *duckdb.Store { return workspacetest.Demo(t) }

func newServer(t *testing.T, src sources.LogSource, store *duckdb.Store, results ...*cache.Cache[[]sources.Row]) *httptest.Server {
	t.Helper()
	var c *cache.Cache[[]sources.Row]
	if len(results) > 0 {
		c = results[0]
	}
	s := New(Options{
		Source:       src,
		Cache:        c,
		Batching:     loaders.Options{Wait: 50 * time.Millisecond}, // generous: CI machines are loaded
		Resolver:     &resolvers.Resolver{Config: resolvers.Config{Tables: store, Now: func() time.Time { return anchor }, MaxTimespan: 30 * 24 * time.Hour}},
		ExampleQuery: workspace.ExampleQuery(true),
	})
	s.SetReady()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts
}

type gqlResponse struct {
	Data       map[string]any `json:"data"`
	Errors     []gqlError     `json:"errors"`
	Extensions struct {
		Trace []loaders.Call `json:"trace"`
	} `json:"extensions"`
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

func post(t *testing.T, ts *httptest.Server, query string, vars map[string]any) gqlResponse {
	t.Helper()
	return postWithin(t, ts, query, vars, 5*time.Minute)
}

// get walks a decoded JSON value by keys and indexes ("a.b.0.c").
func get(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i := 0
			for _, c := range p {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}

const fullSummary = `query($ip: String!) { ipAddress(address: $ip) {
  address version type origin timespan { start end }
  alerts(first: 10) { totalCount nodes { id systemAlertId name severity tactics rawEntities } }
  signins(first: 5) { totalCount pageInfo { hasNextPage endCursor } nodes { userPrincipalName resultType success countryOrRegion account { name } } }
  azureActivity { totalCount }
  officeActivity(first: 20) { totalCount nodes { operation clientIp account { name } } }
  commonSecurityLog { totalCount nodes { deviceAction requestUrl } }
  hostLogons { host { name } account { name } os logonType result count }
  relatedAccounts { account { name } source details count failures }
  hosts { host { name } source sourceId }
  heartbeat { computer computerIp osType host { name } }
  vmComputer { computer ipv4Addresses }
  networkInterface { virtualMachine privateIpAddresses publicIpAddresses host { name } }
  netflows(first: 3) { totalCount nodes { externalIps direction destinationPort } }
  netflowSummary { l7Protocol direction flowRecords allowedOutFlows externalIps }
  networkConnections { host { name } remoteUrls count initiatingProcessFolderPath }
  bookmarks { totalCount nodes { name queryResultRow } }
  dnsQueries(first: 2) { totalCount nodes { name clientIp ipAddresses } }
} }`

// TestDemoStories: the README's stories answer as it says, and the full IP
// summary costs exactly one backend query per facet.
func TestDemoStories(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)

	t.Run("password spray", func(t *testing.T) {
		r := post(t, ts, fullSummary, map[string]any{"ip": demo.SprayIP})
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		ip := r.Data["ipAddress"]
		checks := map[string]any{
			"type": "PUBLIC", "origin": "EXTERNAL", "alerts.totalCount": 2.0,
			"signins.totalCount": 62.0, "signins.pageInfo.hasNextPage": true,
			"signins.nodes.0.userPrincipalName": demo.SprayVictim, "signins.nodes.0.success": true,
			"signins.nodes.0.countryOrRegion": "RU", "officeActivity.totalCount": 13.0,
			"hostLogons.0": nil, "heartbeat": nil,
		}
		expectPaths(t, ip, checks)
		ops := map[string]bool{}
		for _, n := range get(ip, "officeActivity.nodes").([]any) {
			ops[get(n, "operation").(string)] = true
		}
		if !ops["New-InboxRule"] {
			t.Errorf("the inbox rule is missing: %v", ops)
		}
		var victim, others int
		for _, a := range get(ip, "relatedAccounts").([]any) {
			if get(a, "source") != "SIGNIN_LOGS" {
				continue
			}
			if get(a, "account.name") == demo.SprayVictim {
				victim++
				if num(get(a, "count")) != 5 || num(get(a, "failures")) != 3 {
					t.Errorf("victim sign-ins = %v", a)
				}
			} else {
				others++
				if num(get(a, "failures")) != 3 || num(get(a, "count")) != 3 {
					t.Errorf("sprayed account = %v", a)
				}
			}
		}
		if victim != 1 || others != 19 {
			t.Errorf("sprayed accounts: victim %d, others %d", victim, others)
		}
		assertOneQueryPerFacet(t, r.Extensions.Trace)
	})

	t.Run("C2 beacon", func(t *testing.T) {
		r := post(t, ts, fullSummary, map[string]any{"ip": demo.C2IP})
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		ip := r.Data["ipAddress"]
		checks := map[string]any{
			"alerts.totalCount": 1.0, "netflows.totalCount": 120.0, "commonSecurityLog.totalCount": 120.0,
			"dnsQueries.totalCount": 120.0, "dnsQueries.nodes.0.name": demo.C2Domain,
			"networkConnections.0.host.name": demo.BeaconHost, "networkConnections.0.count": 120.0,
			"networkConnections.0.initiatingProcessFolderPath": "/tmp/.cache",
			"netflowSummary.0.allowedOutFlows":                 120.0, "netflowSummary.0.externalIps.0": demo.C2IP,
		}
		expectPaths(t, ip, checks)
	})

	t.Run("beaconing host's private IP is internal", func(t *testing.T) {
		r := post(t, ts, fullSummary, map[string]any{"ip": demo.BeaconIP})
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		ip := r.Data["ipAddress"]
		if get(ip, "origin") != "INTERNAL" || get(ip, "type") != "PRIVATE" {
			t.Errorf("origin/type = %v/%v", get(ip, "origin"), get(ip, "type"))
		}
		sources := map[string]bool{}
		for _, h := range get(ip, "hosts").([]any) {
			if get(h, "host.name") != demo.BeaconHost {
				t.Errorf("host sighting %v", h)
			}
			sources[get(h, "source").(string)] = true
		}
		if len(sources) != 4 {
			t.Errorf("host sources = %v, want MDE, Heartbeat, VMComputer, NSG", sources)
		}
		if get(ip, "heartbeat.computerIp") != demo.BeaconPublic || get(ip, "networkInterface.host.name") != demo.BeaconHost {
			t.Errorf("heartbeat/interface = %v / %v", get(ip, "heartbeat"), get(ip, "networkInterface"))
		}
	})

	t.Run("SSH brute force gets in", func(t *testing.T) {
		r := post(t, ts, fullSummary, map[string]any{"ip": demo.BruteIP})
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		ip := r.Data["ipAddress"]
		var success, failedLinux, failedWindows int
		for _, l := range get(ip, "hostLogons").([]any) {
			switch {
			case get(l, "result") == "SUCCESS":
				success += num(get(l, "count"))
				if get(l, "account.name") != demo.BruteAccount || get(l, "host.name") != demo.BruteHost {
					t.Errorf("successful logon %v", l)
				}
			case get(l, "os") == "LINUX":
				failedLinux += num(get(l, "count"))
			default:
				failedWindows += num(get(l, "count"))
			}
		}
		if success != 2 || failedLinux != 180 || failedWindows != 40 {
			t.Errorf("logons: %d success, %d linux failures, %d windows failures", success, failedLinux, failedWindows)
		}
		if get(ip, "bookmarks.totalCount") != 1.0 || get(ip, "alerts.nodes.0.name") != "SSH brute force succeeded" {
			t.Errorf("bookmarks/alerts = %v / %v", get(ip, "bookmarks"), get(ip, "alerts"))
		}
	})
}

func assertOneQueryPerFacet(t *testing.T, trace []loaders.Call) {
	t.Helper()
	seen := map[string]int{}
	for _, c := range trace {
		seen[c.Facet]++
		if c.Statement == "" || c.Source != duckdb.Name || c.Keys != 1 {
			t.Errorf("trace call %+v", c)
		}
	}
	for _, f := range facets.IPFacets {
		if seen[f.Name] != 1 {
			t.Errorf("facet %s ran %d times", f.Name, seen[f.Name])
		}
	}
	if len(trace) != len(facets.IPFacets) {
		t.Errorf("full summary issued %d queries, want %d (one per facet)", len(trace), len(facets.IPFacets))
	}
}

// TestBatching: many IPs in one request cost one query per facet.
func TestBatching(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	var b strings.Builder
	b.WriteString("{")
	ips := []string{demo.SprayIP, demo.C2IP, demo.BruteIP, demo.BeaconIP, "52.170.14.20", "8.8.8.8"}
	for i, ip := range ips {
		b.WriteString(strings.NewReplacer("N", string(rune('a'+i)), "IP", ip).Replace(
			`N: ipAddress(address: "IP") { signins(first: 2) { totalCount } alerts { totalCount } relatedAccounts { count } } `))
	}
	b.WriteString("}")
	r := post(t, ts, b.String(), nil)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	perFacet := map[string]int{}
	for _, c := range r.Extensions.Trace {
		perFacet[c.Facet]++
		// Account resolution runs once for the level's account names.
		if c.Keys != len(ips) && !strings.HasPrefix(c.Facet, "account.links.") {
			t.Errorf("%s ran for %d keys, want %d", c.Facet, c.Keys, len(ips))
		}
	}
	for f, n := range perFacet {
		if n != 1 {
			t.Errorf("%s: %d queries", f, n)
		}
	}
	if get(r.Data, "a.signins.totalCount") != 62.0 || get(r.Data, "f.signins.totalCount") != 0.0 {
		t.Errorf("batched results mixed up: %v", r.Data)
	}
}

func TestPagination(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	q := `query($after: String) { ipAddress(address: "` + demo.SprayIP + `") { signins(first: 25, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { time } } } } }`
	var after any
	seen := 0
	var last string
	for page := 0; page < 5; page++ {
		r := post(t, ts, q, map[string]any{"after": after})
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		c := get(r.Data, "ipAddress.signins")
		edges := get(c, "edges").([]any)
		for _, e := range edges {
			tm := get(e, "node.time").(string)
			if last != "" && tm > last {
				t.Errorf("not newest first: %s after %s", tm, last)
			}
			last = tm
		}
		seen += len(edges)
		if get(c, "pageInfo.hasPreviousPage") != (page > 0) {
			t.Errorf("page %d hasPreviousPage = %v", page, get(c, "pageInfo.hasPreviousPage"))
		}
		if get(c, "pageInfo.hasNextPage") != true {
			break
		}
		after = get(c, "pageInfo.endCursor")
	}
	if seen != 62 {
		t.Errorf("paged through %d sign-ins, want 62", seen)
	}
}

func TestBadInput(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	cases := []struct {
		name, query, arg string
	}{
		{"invalid IP", `{ ipAddress(address: "300.1.1.1") { address } }`, "address"},
		{"SQL in the IP", `{ ipAddress(address: "1.1.1.1' OR '1'='1") { address } }`, "address"},
		{"IPv6 zone", `{ ipAddress(address: "fe80::1%eth0") { address } }`, "address"},
		{"end before start", `{ ipAddress(address: "1.1.1.1", timespan: {start: "2026-11-30T00:00:00Z", end: "2026-11-29T00:00:00Z"}) { address } }`, "timespan"},
		{"unparsable last", `{ ipAddress(address: "1.1.1.1", timespan: {last: "2 fortnights"}) { address } }`, "timespan.last"},
		{"span over the maximum", `{ ipAddress(address: "1.1.1.1", timespan: {last: "400d"}) { address } }`, "timespan"},
		{"first over 100", `{ ipAddress(address: "1.1.1.1") { signins(first: 101) { totalCount } } }`, "first"},
		{"negative first", `{ ipAddress(address: "1.1.1.1") { alerts(first: -1) { totalCount } } }`, "first"},
		{"foreign cursor", `{ ipAddress(address: "1.1.1.1") { alerts(after: "bm90LWEtY3Vyc29y") { totalCount } } }`, "after"},
		{"bad node id", `{ node(id: "!!") { id } }`, "id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := post(t, ts, c.query, nil)
			if len(r.Errors) != 1 {
				t.Fatalf("errors = %+v", r.Errors)
			}
			e := r.Errors[0]
			if e.Extensions["code"] != errcode.BadUserInput || e.Extensions["argument"] != c.arg {
				t.Errorf("error = %+v, want BAD_USER_INPUT on %s", e, c.arg)
			}
			if len(r.Extensions.Trace) != 0 {
				t.Errorf("bad input still queried: %+v", r.Extensions.Trace)
			}
		})
	}
}

func TestCanonicalAddress(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	r := post(t, ts, `{ a: ipAddress(address: "::ffff:`+demo.SprayIP+`") { address version id signins { totalCount } } b: ipAddress(address: " `+demo.SprayIP+` ") { id } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	if get(r.Data, "a.address") != demo.SprayIP || get(r.Data, "a.version") != 4.0 || get(r.Data, "a.signins.totalCount") != 62.0 {
		t.Errorf("mapped address = %v", r.Data["a"])
	}
	id := get(r.Data, "a.id").(string)
	if get(r.Data, "b.id") != id {
		t.Errorf("ids differ: %v", r.Data)
	}
	n := post(t, ts, `query($id: ID!) { node(id: $id) { id ... on IpAddress { address } } }`, map[string]any{"id": id})
	if get(n.Data, "node.address") != demo.SprayIP {
		t.Errorf("node refetch = %v %v", n.Data, n.Errors)
	}
}

// failingSource fails or panics for chosen tables and delegates the rest.
type failingSource struct {
	sources.LogSource
	fail  map[string]error
	panic string
}

func (f failingSource) Run(ctx context.Context, fc *facets.Facet, q facets.Query) (sources.Result, error) {
	if fc.Table == f.panic {
		panic("boom in " + fc.Table)
	}
	if err, ok := f.fail[fc.Table]; ok {
		return sources.Result{}, err
	}
	return f.LogSource.Run(ctx, fc, q)
}

// TestPartialFailure: a failing or missing table nulls only its own field.
func TestPartialFailure(t *testing.T) {
	store := demoWorkspace(t)
	src := failingSource{LogSource: store, panic: "CommonSecurityLog", fail: map[string]error{
		"SigninLogs":     errors.New("disk on fire"),
		"OfficeActivity": &sources.TableError{Table: "OfficeActivity"},
		"DnsEvents":      context.DeadlineExceeded,
	}}
	ts := newServer(t, src, store)
	r := post(t, ts, fullSummary, map[string]any{"ip": demo.SprayIP})
	ip := r.Data["ipAddress"]
	if ip == nil || get(ip, "alerts.totalCount") != 2.0 {
		t.Fatalf("other facets lost: %v", r.Data)
	}
	for _, field := range []string{"signins", "officeActivity", "dnsQueries", "commonSecurityLog"} {
		if get(ip, field) != nil {
			t.Errorf("%s = %v, want null", field, get(ip, field))
		}
	}
	codes := map[string]any{}
	for _, e := range r.Errors {
		codes[e.Path[len(e.Path)-1].(string)] = e.Extensions["code"]
		if strings.Contains(e.Message, "disk on fire") {
			t.Errorf("internal error text leaked: %s", e.Message)
		}
	}
	want := map[string]any{"signins": "SOURCE_UNAVAILABLE", "officeActivity": "TABLE_UNAVAILABLE", "dnsQueries": "TIMEOUT", "commonSecurityLog": "SOURCE_UNAVAILABLE"}
	for field, code := range want {
		if codes[field] != code {
			t.Errorf("%s error code = %v, want %v (all: %+v)", field, codes[field], code, r.Errors)
		}
	}
	// relatedAccounts keeps Azure and host-logon accounts, and reports the
	// sign-in failure beside them.
	if accts := get(ip, "relatedAccounts"); accts == nil {
		t.Errorf("relatedAccounts = null despite other sources: %+v", r.Errors)
	}
	if codes["relatedAccounts"] != "SOURCE_UNAVAILABLE" {
		t.Errorf("relatedAccounts partial error = %v", codes["relatedAccounts"])
	}
}

func TestMissingTablesWorkspace(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(dir+"/Heartbeat.jsonl", []byte(`{"TimeGenerated":"2026-11-30T11:00:00Z","Computer":"solo","ComputerIP":"52.1.1.1"}`+"\n"), 0o644)
	store, _, err := workspace.Open(context.Background(), workspace.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ts := newServer(t, store, store)
	r := post(t, ts, `{ ipAddress(address: "52.1.1.1") { origin heartbeat { computer } signins { totalCount } hosts { host { name } } } }`, nil)
	if get(r.Data, "ipAddress.origin") != "INTERNAL" || get(r.Data, "ipAddress.heartbeat.computer") != "solo" {
		t.Errorf("data = %v", r.Data)
	}
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "TABLE_UNAVAILABLE" || r.Errors[0].Extensions["table"] != "SigninLogs" {
		t.Errorf("errors = %+v", r.Errors)
	}
	for _, c := range r.Extensions.Trace {
		if c.Table == "SigninLogs" && !c.Skipped {
			t.Errorf("missing table was queried: %+v", c)
		}
	}
}

func TestHTTPEndpoints(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	for path, want := range map[string]string{
		"/":                               "graphiql.min.js",
		"/assets/graphiql.min.js":         "GraphiQL",
		"/assets/react.production.min.js": "React",
		"/healthz":                        "ok",
		"/favicon.ico":                    "<svg",
		"/readyz":                         "ready",
		"/graphql?query=" + url.QueryEscape(`{ ipAddress(address: "`+demo.C2IP+`") { alerts { totalCount } } }`): `"totalCount":1`,
	} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		req.Header.Set("GraphQL-Require-Preflight", "1") // GET queries need a non-simple header
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, body lacks %q", path, resp.StatusCode, want)
		}
	}
	// After the queries above, the backend calls are counted by facet.
	resp, _ := http.Get(ts.URL + "/metrics")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `entitygraph_backend_calls_total{facet="ip.alerts",outcome=`) {
		t.Errorf("/metrics lacks the backend calls:\n%.500s", body)
	}
	resp, _ = http.Get(ts.URL + "/")
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), demo.SprayIP) || strings.Contains(string(body), "https://") {
		t.Errorf("GraphiQL page: example query missing or a remote URL is referenced")
	}
}

// TestColumnsOnDemand: all table columns are read only when a query selects
// "columns"; typed fields alone fetch a narrow projection.
func TestColumnsOnDemand(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	narrow := post(t, ts, `{ ipAddress(address: "`+demo.SprayIP+`") { signins(first: 1) { nodes { userPrincipalName } } } }`, nil)
	wide := post(t, ts, `fragment F on Signin { columns } { ipAddress(address: "`+demo.SprayIP+`") { signins(first: 1) { edges { node { ...F } } } } }`, nil)
	if len(narrow.Extensions.Trace) != 1 || len(wide.Extensions.Trace) != 1 {
		t.Fatalf("traces: %+v / %+v", narrow.Extensions.Trace, wide.Extensions.Trace)
	}
	// Neither selects totalCount, so neither counts.
	if !strings.Contains(narrow.Extensions.Trace[0].Statement, `SELECT _key, "TimeGenerated"`) || !strings.Contains(wide.Extensions.Trace[0].Statement, "SELECT * EXCLUDE (_rid) FROM _m") ||
		strings.Contains(wide.Extensions.Trace[0].Statement, "_total") {
		t.Errorf("narrow: %s\nwide: %s", narrow.Extensions.Trace[0].Statement, wide.Extensions.Trace[0].Statement)
	}
	cols, _ := get(wide.Data, "ipAddress.signins.edges.0.node.columns").(map[string]any)
	if cols["CorrelationId"] == nil || cols["Type"] != "SigninLogs" || cols["_key"] != nil || cols["_rid"] != nil {
		t.Errorf("columns = %v", cols)
	}

	// A latest row: its decoders' columns, or the whole row when asked.
	nic := post(t, ts, `{ ipAddress(address: "10.0.1.4") { networkInterface { virtualMachine subnet region } } }`, nil)
	nicWide := post(t, ts, `{ ipAddress(address: "10.0.1.4") { networkInterface { virtualMachine columns } } }`, nil)
	noErrors(t, nic)
	noErrors(t, nicWide)
	if get(nic.Data, "ipAddress.networkInterface.subnet") == nil || get(nic.Data, "ipAddress.networkInterface.region") != "eastus" {
		t.Errorf("narrow latest row: %v", nic.Data)
	}
	if len(nic.Extensions.Trace) != 1 || strings.Contains(nic.Extensions.Trace[0].Statement, `"Name_s"`) {
		t.Errorf("narrow latest row read: %+v", nic.Extensions.Trace)
	}
	if wideCols, _ := get(nicWide.Data, "ipAddress.networkInterface.columns").(map[string]any); wideCols["Name_s"] != "web-vm-01-nic" {
		t.Errorf("columns of the latest row = %v", wideCols)
	}

	// VMComputer rows: the same, through the IP and through the host.
	vm := post(t, ts, `{ ipAddress(address: "10.0.1.4") { vmComputer { computer osFullName agentId ipv4Addresses host { vmComputer { osFamily } } } } }`, nil)
	vmWide := post(t, ts, `{ ipAddress(address: "10.0.1.4") { vmComputer { columns } } }`, nil)
	noErrors(t, vm)
	noErrors(t, vmWide)
	if get(vm.Data, "ipAddress.vmComputer.osFullName") == nil || get(vm.Data, "ipAddress.vmComputer.agentId") == nil ||
		get(vm.Data, "ipAddress.vmComputer.host.vmComputer.osFamily") == nil {
		t.Errorf("narrow VMComputer rows: %v", vm.Data)
	}
	for _, c := range vm.Extensions.Trace {
		if strings.Contains(c.Statement, `, * FROM "VMComputer"`) {
			t.Errorf("%s read whole rows: %s", c.Facet, c.Statement)
		}
	}
	if wideCols, _ := get(vmWide.Data, "ipAddress.vmComputer.columns").(map[string]any); len(wideCols) <= len(facets.IPVMComputer.Columns) {
		t.Errorf("columns of the VMComputer row = %v", wideCols)
	}
}

// TestCacheAcrossRequests: a repeated summary is served from the shared
// cache, and the trace says so.
func TestCacheAcrossRequests(t *testing.T) {
	store := demoWorkspace(t)
	c, err := cache.New[[]sources.Row](64<<20, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ts := newServer(t, store, store, c)
	first := post(t, ts, fullSummary, map[string]any{"ip": demo.BruteIP})
	c.Wait()
	second := post(t, ts, fullSummary, map[string]any{"ip": demo.BruteIP})
	if len(first.Errors)+len(second.Errors) > 0 {
		t.Fatalf("errors: %+v %+v", first.Errors, second.Errors)
	}
	a, _ := json.Marshal(first.Data)
	b, _ := json.Marshal(second.Data)
	if !bytes.Equal(a, b) {
		t.Errorf("cached answer differs")
	}
	for _, call := range second.Extensions.Trace {
		if !call.Cached || call.Statement != "" {
			t.Errorf("second request queried: %+v", call)
		}
	}
	ipCalls := 0
	for _, call := range second.Extensions.Trace {
		if strings.HasPrefix(call.Facet, "ip.") {
			ipCalls++
		}
	}
	if ipCalls != len(facets.IPFacets) {
		t.Errorf("%d cached calls of IP facets, want %d", ipCalls, len(facets.IPFacets))
	}
}

// TestPanicIsInternal: a panicking resolver yields INTERNAL with the
// request id, never a crash or a stack trace.
func TestPanicIsInternal(t *testing.T) {
	store := demoWorkspace(t)
	s := New(Options{Source: store, Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store, Now: func() time.Time { panic("clock broke") }}}})
	ts := httptest.NewServer(s)
	defer ts.Close()
	r := post(t, ts, `{ ipAddress(address: "1.2.3.4") { address } workspace { source } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.Internal || strings.Contains(r.Errors[0].Message, "clock") {
		t.Fatalf("errors = %+v", r.Errors)
	}
	if !strings.Contains(r.Errors[0].Message, "request ") || get(r.Data, "workspace.source") != "duckdb" {
		t.Errorf("message %q, data %v", r.Errors[0].Message, r.Data)
	}
}

// TestMsticnbIP: the notebook's own test data for 40.76.43.124 makes it an
// INTERNAL address of host MSTICAlertsWin1, as the notebook concludes.
func TestMsticnbIP(t *testing.T) {
	store, _, err := workspace.Open(context.Background(), workspace.Options{Dir: "../sources/duckdb/testdata/msticnb"})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ts := newServer(t, store, store)
	r := post(t, ts, `{ ipAddress(address: "40.76.43.124", timespan: {start: "2019-11-01T00:00:00Z", end: "2019-11-03T00:00:00Z"}) {
		type origin hosts { host { name } source } heartbeat { computer osType osName environment resourceGroup } } }`, nil)
	ip := r.Data["ipAddress"]
	checks := map[string]any{
		"type": "PUBLIC", "origin": "INTERNAL", "hosts.0.host.name": "msticalertswin1", "hosts.0.source": "HEARTBEAT",
		"heartbeat.computer": "MSTICAlertsWin1", "heartbeat.osType": "Windows", "heartbeat.environment": "Azure",
	}
	expectPaths(t, ip, checks)
	onlyMissingTables(t, r.Errors)
}

func TestCORS(t *testing.T) {
	store := demoWorkspace(t)
	s := New(Options{Source: store, CORSOrigins: []string{"https://soc.example"},
		Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store, Now: func() time.Time { return anchor }}}})
	ts := httptest.NewServer(s)
	defer ts.Close()
	pre, _ := http.NewRequest(http.MethodOptions, ts.URL+"/graphql", nil)
	pre.Header.Set("Origin", "https://soc.example")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(pre)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "https://soc.example" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	other, _ := http.NewRequest(http.MethodGet, ts.URL+"/graphql?query=%7B__typename%7D", nil)
	other.Header.Set("Origin", "https://evil.example")
	resp, err = http.DefaultClient.Do(other)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("an unlisted origin was allowed")
	}
}

// expectPaths checks values of a decoded response by path ("a.b.0.c").
func expectPaths(t *testing.T, v any, want map[string]any) {
	t.Helper()
	for path, w := range want {
		if got := get(v, path); got != w {
			t.Errorf("%s = %v, want %v", path, got, w)
		}
	}
}

// onlyMissingTables fails on any error but TABLE_UNAVAILABLE.
func onlyMissingTables(t *testing.T, errs []gqlError) {
	t.Helper()
	for _, e := range errs {
		if e.Extensions["code"] != "TABLE_UNAVAILABLE" {
			t.Errorf("unexpected error %+v", e)
		}
	}
}

// TestWorkspaceWarnings: what loading skipped reaches Query.workspace, and
// a server with nothing to serve is never ready, saying why.
func TestWorkspaceWarnings(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hello"), 0o644)
	os.WriteFile(filepath.Join(dir, "SignInLogz.csv"), []byte("TimeGenerated,IPAddress\n2026-11-29T10:00:00Z,1.2.3.4\n"), 0o644)
	store, _, err := workspace.Open(context.Background(), workspace.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s := New(Options{Source: store, Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store}}})
	s.SetUnready("the workspace holds no table export")
	ts := httptest.NewServer(s)
	defer ts.Close()
	r := post(t, ts, `{ workspace { warnings tables { name rows rejectedRows } } }`, nil)
	warnings, _ := json.Marshal(get(r.Data, "workspace.warnings"))
	if !strings.Contains(string(warnings), "notes.txt: not a table export") || !strings.Contains(string(warnings), "did you mean SigninLogs?") {
		t.Errorf("warnings = %s", warnings)
	}
	resp, err := http.Get(ts.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(body), "no table export") {
		t.Errorf("/readyz: %d %s", resp.StatusCode, body)
	}
}

// TestGraphQLOverHTTP: status codes as the GraphQL-over-HTTP specification
// gives them, for both response media types.
func TestGraphQLOverHTTP(t *testing.T) {
	ts := newServer(t, demoWorkspace(t), demoWorkspace(t))
	const gqlResp = "application/graphql-response+json"
	cases := []struct {
		name, accept, contentType, body string
		status                          int
		mediaType                       string
	}{
		{"parse error, json", "application/json", "application/json", `{"query":"{ ipAddress("}`, 200, "application/json"},
		{"validation error, json", "application/json", "application/json", `{"query":"{ nope }"}`, 200, "application/json"},
		{"empty document, json", "", "application/json", `{"query":""}`, 200, "application/json"},
		{"unknown operation name, json", "", "application/json", `{"query":"{ __typename }","operationName":"X"}`, 200, "application/json"},
		{"field error, json", "application/json", "application/json", `{"query":"{ ipAddress(address: \"x\") { address } }"}`, 200, "application/json"},
		{"parse error, graphql-response", gqlResp, "application/json", `{"query":"{ ipAddress("}`, 400, gqlResp},
		{"validation error, graphql-response", gqlResp, "application/json", `{"query":"{ nope }"}`, 400, gqlResp},
		{"field error, graphql-response", gqlResp, "application/json", `{"query":"{ ipAddress(address: \"x\") { address } }"}`, 200, gqlResp},
		{"malformed JSON body", "application/json", "application/json", `{"query":`, 400, "application/json"},
		{"unsupported media type", "application/json", "text/plain", `{"query":"{ __typename }"}`, 400, ""},
	}
	for _, c := range cases {
		req, _ := http.NewRequest("POST", ts.URL+"/graphql", strings.NewReader(c.body))
		req.Header.Set("Content-Type", c.contentType)
		if c.accept != "" {
			req.Header.Set("Accept", c.accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status || (c.mediaType != "" && !strings.HasPrefix(resp.Header.Get("Content-Type"), c.mediaType)) {
			t.Errorf("%s: %d %s, want %d %s: %.200s", c.name, resp.StatusCode, resp.Header.Get("Content-Type"), c.status, c.mediaType, raw)
		}
		if c.status != 400 || c.mediaType != "" {
			var out map[string]any
			if json.Unmarshal(raw, &out) != nil || out["errors"] == nil {
				t.Errorf("%s: no GraphQL errors in %.200s", c.name, raw)
			}
		}
	}
}
