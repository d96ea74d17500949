package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"

	"entitygraph/graph/generated"
	"entitygraph/graph/model"
	"entitygraph/graph/relay"
	"entitygraph/graph/resolvers"
	"entitygraph/internal/demo"
	"entitygraph/internal/errcode"
	"entitygraph/internal/persisted"
	"entitygraph/internal/workspace"
)

func noErrors(t *testing.T, r gqlResponse) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
}

func TestAccountPivot(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	q := `query($n: String!) { account(name: $n) {
		name upn displayName aadUserId tenantId sources
		signins { totalCount } officeActivity(first: 100) { totalCount nodes { operation } }
		alerts { totalCount nodes { name } }
		ipAddresses { ipAddress { address } source count failures }
		activitySummary { source app ipAddress { address } result count }
		timeline(bucket: "6h") { bucket points { source count } } firstSeen lastSeen } }`
	r := post(t, ts, q, map[string]any{"n": demo.SprayVictim})
	noErrors(t, r)
	a := r.Data["account"]
	if get(a, "upn") != demo.SprayVictim || get(a, "displayName") != "Megan Bowen" || get(a, "tenantId") != demo.TenantID || get(a, "aadUserId") == nil {
		t.Errorf("profile = %v", a)
	}
	if get(a, "alerts.totalCount") != 2.0 {
		t.Errorf("alerts = %v", get(a, "alerts"))
	}
	total := num(get(a, "signins.totalCount"))
	var spray map[string]any
	for _, ip := range get(a, "ipAddresses").([]any) {
		if get(ip, "ipAddress.address") == demo.SprayIP && get(ip, "source") == "SIGNIN_LOGS" {
			spray = ip.(map[string]any)
		}
	}
	if spray == nil || num(spray["count"]) != 5 || num(spray["failures"]) != 3 {
		t.Errorf("spray IP in the account's IPs = %v", spray)
	}
	var inbox bool
	for _, n := range get(a, "officeActivity.nodes").([]any) {
		inbox = inbox || get(n, "operation") == "New-InboxRule"
	}
	if !inbox {
		t.Error("the inbox rule is not among the account's Office activity")
	}
	timelineSignins := 0
	for _, p := range get(a, "timeline.points").([]any) {
		if get(p, "source") == "SigninLogs" {
			timelineSignins += num(get(p, "count"))
		}
	}
	if timelineSignins != total || get(a, "firstSeen") == nil || get(a, "lastSeen").(string) < get(a, "firstSeen").(string) {
		t.Errorf("timeline sign-ins %d, total %d, seen %v..%v", timelineSignins, total, get(a, "firstSeen"), get(a, "lastSeen"))
	}

	// Exact canonical forms, case-insensitive; never a substring. A name
	// nothing in the timespan knows is null, not an empty account.
	for name, want := range map[string]int{"MEGAN.BOWEN@CONTOSO.COM": total, "megan.bowen": total, "bowen": 0, "megan": 0, "bowen@contoso.com": 0} {
		r := post(t, ts, `query($n: String!) { account(name: $n) { signins { totalCount } } }`, map[string]any{"n": name})
		noErrors(t, r)
		if want == 0 {
			if r.Data["account"] != nil {
				t.Errorf("account %q: %v, want null", name, r.Data["account"])
			}
			continue
		}
		if got := num(get(r.Data, "account.signins.totalCount")); got != want {
			t.Errorf("account %q: %d sign-ins, want %d", name, got, want)
		}
	}

	// DOMAIN\user and bare names on Windows logons.
	r = post(t, ts, `{ a: account(name: "CONTOSO\\administrator") { domainUser hostLogons { host { name } sourceIp { address } result count } hosts { host { name } failures } }
		b: account(name: "administrator") { hostLogons { count } } c: account(name: "other\\administrator") { hostLogons { count } } }`, nil)
	noErrors(t, r)
	logons := get(r.Data, "a.hostLogons").([]any)
	if len(logons) != 1 || get(logons[0], "host.name") != "win-fs01" || get(logons[0], "sourceIp.address") != demo.BruteIP || num(get(logons[0], "count")) != 40 {
		t.Errorf("administrator logons = %v", logons)
	}
	if get(r.Data, "a.domainUser") != `contoso\administrator` || num(get(r.Data, "a.hosts.0.failures")) != 40 {
		t.Errorf("domainUser/hosts = %v / %v", get(r.Data, "a.domainUser"), get(r.Data, "a.hosts"))
	}
	if len(get(r.Data, "b.hostLogons").([]any)) != 1 || r.Data["c"] != nil {
		t.Errorf("bare/other-domain logons = %v / %v", get(r.Data, "b"), get(r.Data, "c"))
	}
}

func TestHostPivot(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	r := post(t, ts, `{ host(name: "WEB-VM-01.contoso.local") {
		name fqdn dnsDomain osFamily osVersion azureResourceId agentId mdeDeviceId environment
		ipAddresses { ipAddress { address } source }
		alerts { totalCount nodes { name hosts { name } } }
		networkConnections { remoteIp count remoteUrls }
		netflows(first: 1) { totalCount }
		heartbeat { computerIp } vmComputer { ipv4Addresses } networkInterface { publicIpAddresses }
		timeline { points { source } } } }`, nil)
	noErrors(t, r)
	h := r.Data["host"]
	checks := map[string]any{
		"name": demo.BeaconHost, "fqdn": "web-vm-01.contoso.local", "dnsDomain": "contoso.local", "osFamily": "Linux",
		"environment": "Azure", "alerts.totalCount": 1.0, "alerts.nodes.0.hosts.0.name": demo.BeaconHost,
		"heartbeat.computerIp": demo.BeaconPublic, "vmComputer.ipv4Addresses.0": demo.BeaconIP,
		"networkInterface.publicIpAddresses.0": demo.BeaconPublic,
	}
	expectPaths(t, h, checks)
	for _, f := range []string{"osVersion", "azureResourceId", "agentId", "mdeDeviceId"} {
		if get(h, f) == nil {
			t.Errorf("%s is null", f)
		}
	}
	addrs := map[string]bool{}
	for _, a := range get(h, "ipAddresses").([]any) {
		addrs[get(a, "ipAddress.address").(string)+" "+get(a, "source").(string)] = true
	}
	for _, want := range []string{demo.BeaconIP + " HEARTBEAT", demo.BeaconPublic + " HEARTBEAT", demo.BeaconIP + " VM_COMPUTER", demo.BeaconIP + " NSG_INTERFACE", demo.BeaconPublic + " NSG_INTERFACE", demo.BeaconIP + " MDE_DEVICE"} {
		if !addrs[want] {
			t.Errorf("ipAddresses lack %s (have %v)", want, addrs)
		}
	}
	var c2 float64
	for _, c := range get(h, "networkConnections").([]any) {
		if get(c, "remoteIp") == demo.C2IP {
			c2 = get(c, "count").(float64)
		}
	}
	if c2 != 120 {
		t.Errorf("connections to the C2 = %v", c2)
	}

	r = post(t, ts, `{ host(name: "linux-db-02") { logons { account { name } sourceIp { address } result count } eventSummary { os process count } alerts { nodes { name } } } }`, nil)
	noErrors(t, r)
	var success int
	for _, l := range get(r.Data, "host.logons").([]any) {
		if get(l, "result") == "SUCCESS" && get(l, "sourceIp.address") == demo.BruteIP {
			success += num(get(l, "count"))
			if get(l, "account.name") != demo.BruteAccount {
				t.Errorf("logon %v", l)
			}
		}
	}
	if success != 2 || get(r.Data, "host.alerts.nodes.0.name") != "SSH brute force succeeded" {
		t.Errorf("linux-db-02: %d successful logons from the brute-force IP; alerts %v", success, get(r.Data, "host.alerts"))
	}
	if len(get(r.Data, "host.eventSummary").([]any)) == 0 {
		t.Error("no event summary")
	}
}

func TestAlertGraph(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	r := post(t, ts, `{ all: alerts { totalCount } high: alerts(minSeverity: HIGH) { totalCount nodes { severity } }
		medium: alerts(minSeverity: MEDIUM, status: ["New"]) { totalCount } closed: alerts(status: ["Closed"]) { totalCount }
		page: alerts(first: 1) { pageInfo { hasNextPage } nodes { id systemAlertId name } } }`, nil)
	noErrors(t, r)
	expectPaths(t, r.Data, map[string]any{"all.totalCount": 4.0, "high.totalCount": 3.0, "medium.totalCount": 4.0, "closed.totalCount": 0.0, "page.pageInfo.hasNextPage": true})
	for _, n := range get(r.Data, "high.nodes").([]any) {
		if get(n, "severity") != "HIGH" {
			t.Errorf("minSeverity HIGH returned %v", n)
		}
	}

	r = post(t, ts, `{ ipAddress(address: "`+demo.C2IP+`") { alerts { nodes { id systemAlertId } } } }`, nil)
	noErrors(t, r)
	global := get(r.Data, "ipAddress.alerts.nodes.0.id").(string)
	system := get(r.Data, "ipAddress.alerts.nodes.0.systemAlertId").(string)
	q := `query($id: ID!) { alert(id: $id) { name systemAlertId
		entities { __typename ... on IpAddress { address } ... on Host { name } ... on DnsEntity { domainName } }
		ipAddresses { address } hosts { name heartbeat { computer } } accounts { name } relatedAlerts { name } } }`
	for _, id := range []string{global, system} {
		r := post(t, ts, q, map[string]any{"id": id})
		noErrors(t, r)
		a := r.Data["alert"]
		if get(a, "systemAlertId") != system || get(a, "hosts.0.heartbeat.computer") != demo.BeaconHost || len(get(a, "ipAddresses").([]any)) != 2 {
			t.Errorf("alert(%s) = %v", id, a)
		}
		types := []string{}
		for _, e := range get(a, "entities").([]any) {
			types = append(types, get(e, "__typename").(string))
		}
		if strings.Join(types, ",") != "IpAddress,Host,IpAddress,DnsEntity" {
			t.Errorf("entity types = %v", types)
		}
	}
	r = post(t, ts, `{ ipAddress(address: "`+demo.SprayIP+`") { alerts { nodes { name relatedAlerts { name } } } } }`, nil)
	noErrors(t, r)
	for _, n := range get(r.Data, "ipAddress.alerts.nodes").([]any) {
		rel := get(n, "relatedAlerts").([]any)
		if len(rel) != 1 || get(rel[0], "name") == get(n, "name") {
			t.Errorf("%v: related %v", get(n, "name"), rel)
		}
	}
	// An unknown alert is null, and the error says where it was looked for
	// (as far back as --max-timespan: 30 days on this server).
	r = post(t, ts, `{ alert(id: "no-such-alert") { name } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "NOT_FOUND" || !strings.Contains(r.Errors[0].Message, "2026-10-31T12:01:00Z") || get(r.Data, "alert") != nil {
		t.Errorf("unknown alert: %v %v", r.Data, r.Errors)
	}
}

// TestPivotQueryCounts: a depth-3 pivot costs the same number of backend
// queries for 1, 10 and 100 parents.
func TestPivotQueryCounts(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	counts := map[int]int{}
	alone := ""
	for _, n := range []int{1, 10, 100} {
		addrs := []any{demo.SprayIP}
		for i := 1; i < n; i++ {
			addrs = append(addrs, fmt.Sprintf("198.51.100.%d", i))
		}
		r := post(t, ts, `query($a: [String!]!) { ipAddresses(addresses: $a) { address relatedAccounts { account { name
			alerts(first: 5) { totalCount } signins(first: 5) { totalCount } ipAddresses { count } } } } }`, map[string]any{"a": addrs})
		noErrors(t, r)
		if got := len(get(r.Data, "ipAddresses").([]any)); got != n {
			t.Fatalf("%d IPs returned for %d", got, n)
		}
		counts[n] = len(r.Extensions.Trace)
		// The spray IP's answer is the same alone and among 100 keys (past
		// 16 keys the SQL pre-selects no text by substring).
		if first := fmt.Sprint(get(r.Data, "ipAddresses.0")); n == 1 {
			alone = first
		} else if first != alone {
			t.Errorf("N=%d: the first address answers differently than alone:\n%s\n%s", n, first, alone)
		}
		for _, c := range r.Extensions.Trace {
			if strings.HasPrefix(c.Facet, "ip.") && c.Keys != n {
				t.Errorf("N=%d: %s batched %d keys", n, c.Facet, c.Keys)
			}
		}
	}
	if counts[1] != counts[10] || counts[10] != counts[100] || counts[1] == 0 {
		t.Errorf("backend queries per N: %v", counts)
	}
}

func TestNodeIDs(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	r := post(t, ts, `{ ipAddress(address: "`+demo.SprayIP+`") { id alerts(first: 1) { nodes { id name } } } account(name: "`+demo.SprayVictim+`") { id } host(name: "`+demo.BeaconHost+`") { id } }`, nil)
	noErrors(t, r)
	ids := []any{get(r.Data, "ipAddress.id"), get(r.Data, "ipAddress.alerts.nodes.0.id"), get(r.Data, "account.id"), get(r.Data, "host.id")}
	n := post(t, ts, `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on IpAddress { address } ... on Alert { name } ... on Account { accountName: name } ... on Host { hostName: name } } }`, map[string]any{"ids": ids})
	noErrors(t, n)
	nodes := get(n.Data, "nodes").([]any)
	want := []string{"IpAddress", "Alert", "Account", "Host"}
	for i, node := range nodes {
		if get(node, "__typename") != want[i] || get(node, "id") != ids[i] {
			t.Errorf("node %d = %v, want a %s with id %v", i, node, want[i], ids[i])
		}
	}
	if get(nodes[1], "name") != get(r.Data, "ipAddress.alerts.nodes.0.name") {
		t.Errorf("alert refetch = %v", nodes[1])
	}
	for _, bad := range []string{"x", model.EncodeID("Planet", "mars"), model.EncodeID("IpAddress", "999.1.1.1"), model.EncodeID("Host", "two words"), strings.Repeat("A", 300)} {
		r := post(t, ts, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": bad})
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
			t.Errorf("node(%.20q): %+v", bad, r.Errors)
		}
	}
	tooMany := make([]any, 101)
	for i := range tooMany {
		tooMany[i] = ids[0]
	}
	if r := post(t, ts, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": tooMany}); len(r.Errors) != 1 || r.Errors[0].Extensions["argument"] != "ids" {
		t.Errorf("101 ids: %+v", r.Errors)
	}
}

// TestMalformedAlertEntities: one alert's broken Entities fails its own
// edges; the list and the other alerts stand.
func TestMalformedAlertEntities(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "SecurityAlert.jsonl"), []byte(
		`{"TimeGenerated":"2026-11-30T10:00:00Z","SystemAlertId":"a-good","AlertName":"good","Entities":"[{\"$id\":\"2\",\"Type\":\"ip\",\"Address\":\"1.2.3.4\"}]","ExtendedProperties":"{}"}
{"TimeGenerated":"2026-11-30T09:00:00Z","SystemAlertId":"a-bad","AlertName":"bad","Entities":"[{\"Type\":\"ip\",\"Address\":\"1.2.3.4\"","ExtendedProperties":"{\"Source IPs\":\"1.2.3.4\"}"}
`), 0o644)
	store, _, err := workspace.Open(context.Background(), workspace.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ts := newServer(t, store, store)
	r := post(t, ts, `{ ipAddress(address: "1.2.3.4") { alerts { totalCount nodes { name ipAddresses { address } } } } }`, nil)
	nodes := get(r.Data, "ipAddress.alerts.nodes").([]any)
	if len(nodes) != 2 || get(nodes[0], "ipAddresses.0.address") != "1.2.3.4" || get(nodes[1], "ipAddresses") != nil {
		t.Fatalf("alerts = %v", nodes)
	}
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "MALFORMED_SOURCE_DATA" || r.Errors[0].Path[3] != 1.0 {
		t.Errorf("errors = %+v", r.Errors)
	}
}

// TestRealExports: Adele Vance's account across the Training Lab's
// sign-ins, Office and Azure activity; host MSTICAlertsWin1 from msticnb.
func TestRealExports(t *testing.T) {
	store, _, err := workspace.Open(context.Background(), workspace.Options{Dir: "../sources/duckdb/testdata/traininglab"})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ts := newServer(t, store, store)
	r := post(t, ts, `{ account(name: "AdeleV@M365x816222.OnMicrosoft.com", timespan: {start: "2021-04-01T00:00:00Z", end: "2021-05-01T00:00:00Z"}) {
		upn displayName sources signins { totalCount } officeActivity { totalCount } azureActivity { totalCount nodes { caller } }
		ipAddresses { ipAddress { address } source count } } }`, nil)
	noErrors(t, r)
	a := r.Data["account"]
	expectPaths(t, a, map[string]any{"upn": "adelev@m365x816222.onmicrosoft.com", "displayName": "Adele Vance", "signins.totalCount": 56.0, "officeActivity.totalCount": 151.0, "azureActivity.totalCount": 23.0})
	ips := map[string]int{}
	for _, ip := range get(a, "ipAddresses").([]any) {
		ips[get(ip, "ipAddress.address").(string)+" "+get(ip, "source").(string)] = num(get(ip, "count"))
	}
	if ips["175.45.176.99 SIGNIN_LOGS"] != 56 || ips["37.142.150.162 AZURE_ACTIVITY"] != 23 || ips["175.45.176.99 OFFICE_ACTIVITY"] != 135 {
		t.Errorf("account IPs = %v", ips)
	}

	msticnb, _, err := workspace.Open(context.Background(), workspace.Options{Dir: "../sources/duckdb/testdata/msticnb"})
	if err != nil {
		t.Fatal(err)
	}
	defer msticnb.Close()
	ts2 := newServer(t, msticnb, msticnb)
	r = post(t, ts2, `{ host(name: "MSTICAlertsWin1", timespan: {start: "2019-11-01T00:00:00Z", end: "2019-11-03T00:00:00Z"}) {
		name osFamily osVersion environment azureResourceId heartbeat { computerIp } ipAddresses { ipAddress { address origin } source } } }`, nil)
	h := r.Data["host"]
	expectPaths(t, h, map[string]any{"name": "msticalertswin1", "osFamily": "Windows", "heartbeat.computerIp": "40.76.43.124",
		"ipAddresses.0.ipAddress.address": "40.76.43.124", "ipAddresses.0.ipAddress.origin": "INTERNAL", "ipAddresses.0.source": "HEARTBEAT"})
	onlyMissingTables(t, r.Errors)
}

func TestLimits(t *testing.T) {
	store := demoWorkspace(t)
	s := New(Options{Source: store, Limits: Limits{MaxDepth: 6, MaxCost: 500},
		Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store, Now: func() time.Time { return anchor }}}})
	ts := httptest.NewServer(s)
	defer ts.Close()

	deep := `{ ipAddress(address: "1.1.1.1") { relatedAccounts { account { alerts { nodes { relatedAlerts { hosts { alerts { totalCount } } } } } } } } }`
	r := post(t, ts, deep, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.TooDeep || r.Data != nil || len(r.Extensions.Trace) != 0 {
		t.Errorf("deep query: %+v %v", r.Errors, r.Data)
	}
	wide := `{ ipAddresses(addresses: ["1.1.1.1", "2.2.2.2", "3.3.3.3"]) { relatedAccounts { account { alerts(first: 100) { nodes { name } } } } } }`
	r = post(t, ts, wide, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.QueryTooComplex || len(r.Extensions.Trace) != 0 {
		t.Errorf("costly query: %+v", r.Errors)
	}
	body := `{"query": "{ ipAddress(address: \"1.1.1.1\") { alerts(first: 10) { nodes { name } } signins { totalCount } } }", "extensions": {"cost": true}}`
	resp, err := http.Post(ts.URL+"/graphql", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Extensions struct {
			Cost map[string]float64 `json:"cost"`
		} `json:"extensions"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	// ipAddress 1 + alerts 1 + nodes 10 + signins 1
	if out.Extensions.Cost["cost"] != 13 || out.Extensions.Cost["depth"] != 4 || out.Extensions.Cost["limit"] != 500 {
		t.Errorf("extensions.cost = %v", out.Extensions.Cost)
	}
}

func TestTimelineBuckets(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	r := post(t, ts, `{ ipAddress(address: "`+demo.SprayIP+`") { signins { totalCount } timeline(bucket: "15m") { bucket points { time source count } } firstSeen lastSeen } }`, nil)
	noErrors(t, r)
	sum := 0
	for _, p := range get(r.Data, "ipAddress.timeline.points").([]any) {
		if get(p, "source") == "SigninLogs" {
			sum += num(get(p, "count"))
			if !strings.HasSuffix(get(p, "time").(string), ":00:00Z") && !strings.Contains(get(p, "time").(string), ":15:00") && !strings.Contains(get(p, "time").(string), ":30:00") && !strings.Contains(get(p, "time").(string), ":45:00") {
				t.Errorf("point not on a 15m boundary: %v", p)
			}
		}
	}
	if sum != num(get(r.Data, "ipAddress.signins.totalCount")) {
		t.Errorf("timeline counts %d sign-ins of %v", sum, get(r.Data, "ipAddress.signins.totalCount"))
	}
	for _, bad := range []string{"soon", "10s", "1ms"} {
		r := post(t, ts, `query($b: String) { ipAddress(address: "1.1.1.1") { timeline(bucket: $b) { bucket } } }`, map[string]any{"b": bad})
		if len(r.Errors) != 1 || r.Errors[0].Extensions["argument"] != "bucket" {
			t.Errorf("bucket %q: %+v", bad, r.Errors)
		}
	}
}

// TestDocumentedQueries: the README's queries and GraphiQL's default tab
// run on the demo without errors.
func TestDocumentedQueries(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	queries := []string{workspace.ExampleQuery(true)}
	for _, block := range strings.Split(string(readme), "```graphql\n")[1:] {
		queries = append(queries, strings.SplitN(block, "```", 2)[0])
	}
	if len(queries) < 3 {
		t.Fatalf("found %d queries", len(queries))
	}
	for i, q := range queries {
		r := post(t, ts, q, nil)
		if len(r.Errors) > 0 || r.Data == nil {
			t.Errorf("query %d: %+v", i, r.Errors)
		}
	}
}

// TestSentinelThreatIntel reads both TI schemas: the demo's current
// ThreatIntelIndicators, and msticpy's legacy ThreatIntelligenceIndicator export.
func TestSentinelThreatIntel(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	r := post(t, ts, `{ ipAddress(address: "`+demo.C2IP+`") { sentinelThreatIntel { totalCount nodes { table value confidence active threatType description tags } } } }`, nil)
	// The demo has no legacy table: that source is skipped, not an error.
	noErrors(t, r)
	n := get(r.Data, "ipAddress.sentinelThreatIntel.nodes.0")
	expectPaths(t, n, map[string]any{"table": "ThreatIntelIndicators", "value": demo.C2IP, "confidence": 90.0, "active": true, "threatType": "malicious-activity", "description": "Cobalt Strike team server", "tags.1": "cobaltstrike"})

	legacy, _, err := workspace.Open(context.Background(), workspace.Options{Dir: "../sources/duckdb/testdata/msticpy-ti"})
	if err != nil {
		t.Fatal(err)
	}
	defer legacy.Close()
	ts2 := newServer(t, legacy, legacy)
	r = post(t, ts2, `{ ipAddress(address: "51.255.107.37", timespan: {start: "2019-08-05T00:00:00Z", end: "2019-08-06T00:00:00Z"}) {
		sentinelThreatIntel { totalCount nodes { table id confidence active action threatType description validUntil } } } }`, nil)
	noErrors(t, r)
	n = get(r.Data, "ipAddress.sentinelThreatIntel.nodes.0")
	expectPaths(t, n, map[string]any{"table": "ThreatIntelligenceIndicator", "confidence": 70.0, "active": true, "action": "alert", "threatType": "Malware",
		"description": "IPv4 indicator from ransomwaretracker.RW_IPBL", "validUntil": "2019-09-03T22:16:15.923Z"})
	if get(r.Data, "ipAddress.sentinelThreatIntel.totalCount") != 1.0 {
		t.Errorf("legacy total = %v", get(r.Data, "ipAddress.sentinelThreatIntel.totalCount"))
	}
}

// TestIntrospectionWithinLimits: GraphiQL's introspection query (deep,
// list-heavy) is not priced like a backend query.
func TestIntrospectionWithinLimits(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	q := `query IntrospectionQuery { __schema { queryType { name } mutationType { name } subscriptionType { name }
	  types { ...FullType } directives { name description locations args { ...InputValue } } } }
	fragment FullType on __Type { kind name description
	  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
	  inputFields { ...InputValue } interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
	  possibleTypes { ...TypeRef } }
	fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
	fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }`
	r := post(t, ts, q, nil)
	noErrors(t, r)
	if types, _ := get(r.Data, "__schema.types").([]any); len(types) < 50 {
		t.Errorf("introspection returned %d types", len(types))
	}
}

// TestLocalExample: on a real export (the Sentinel training lab's
// portal CSVs) GraphiQL's default tab names entities that occur in it,
// asks only for facets whose tables loaded, validates, and answers without
// a single TABLE_UNAVAILABLE.
func TestLocalExample(t *testing.T) {
	store, _, err := workspace.Open(context.Background(), workspace.Options{Dir: "../sources/duckdb/testdata/traininglab"})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	q := workspace.LocalExample(store)
	if strings.Contains(q, demo.SprayIP) || strings.Contains(q, demo.C2IP) || !strings.Contains(q, "ipAddress(address:") || !strings.Contains(q, "account(name:") {
		t.Fatalf("example:\n%s", q)
	}
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &resolvers.Resolver{}}).Schema()
	if _, errs := gqlparser.LoadQuery(schema, q); len(errs) > 0 {
		t.Fatalf("the example does not validate: %v\n%s", errs, q)
	}
	s := New(Options{Source: store, Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store, MaxTimespan: 90 * 24 * time.Hour}}})
	ts := httptest.NewServer(s)
	defer ts.Close()
	r := post(t, ts, q, nil)
	for _, e := range r.Errors {
		t.Errorf("%s: %s", e.Extensions["code"], e.Message)
	}
	if get(r.Data, "ipAddress.address") == nil || get(r.Data, "account.name") == nil {
		t.Errorf("data: %v", r.Data)
	}
	if n, _ := get(r.Data, "ipAddress.signins.totalCount").(float64); n == 0 {
		t.Errorf("the example IP has no sign-ins in its span:\n%s", q)
	}
}

// TestTrustedDocuments: every README example validates against the
// schema; under persisted-only a document runs by id (documentId, the
// persistedQuery extension, GET) and any other text is refused before it
// reaches a backend.
func TestTrustedDocuments(t *testing.T) {
	docs, err := persisted.Load("../../persisted-queries.json", true)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile("../../persisted-queries.json")
	var m persisted.Manifest
	json.Unmarshal(raw, &m)
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &resolvers.Resolver{}}).Schema()
	for _, op := range m.Operations {
		if _, errs := gqlparser.LoadQuery(schema, op.Body); len(errs) > 0 {
			t.Errorf("README example %s does not validate: %v", op.Name, errs)
		}
	}
	store := demoWorkspace(t)
	src := &countingSource{LogSource: store}
	s := New(Options{Source: src, Documents: docs, Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store, Now: func() time.Time { return anchor }}}})
	ts := httptest.NewServer(s)
	defer ts.Close()
	first := m.Operations[0]
	send := func(body map[string]any) gqlResponse {
		b, _ := json.Marshal(body)
		resp, err := http.Post(ts.URL+"/graphql", "application/json", strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out gqlResponse
		json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	for name, body := range map[string]map[string]any{
		"documentId": {"documentId": first.ID},
		"APQ hash":   {"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": first.ID}}},
		"the text":   {"query": first.Body},
	} {
		if r := send(body); len(r.Errors) != 0 || r.Data == nil {
			t.Errorf("%s: %+v", name, r.Errors)
		}
	}
	before := src.runs.Load()
	for name, c := range map[string]struct {
		body map[string]any
		code string
	}{
		"other text":   {map[string]any{"query": `{ ipAddress(address: "` + demo.SprayIP + `") { signins { totalCount } } }`}, "PERSISTED_QUERY_NOT_ALLOWED"},
		"unknown id":   {map[string]any{"documentId": persisted.Hash("{ x }")}, "PERSISTED_QUERY_NOT_FOUND"},
		"APQ register": {map[string]any{"query": "{ __typename }", "extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": persisted.Hash("{ __typename }")}}}, "PERSISTED_QUERY_NOT_FOUND"},
	} {
		if r := send(c.body); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != c.code {
			t.Errorf("%s: %+v", name, r.Errors)
		}
	}
	if n := src.runs.Load() - before; n != 0 {
		t.Errorf("refused documents caused %d backend queries", n)
	}
	req, _ := http.NewRequest("GET", ts.URL+"/graphql?documentId="+first.ID, nil)
	req.Header.Set("GraphQL-Require-Preflight", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out gqlResponse
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(out.Errors) != 0 || out.Data == nil {
		t.Errorf("GET by documentId: %d %+v", resp.StatusCode, out.Errors)
	}
}

// TestClientExamples: the README's curl and Python clients run against the
// demo and print its answers; the README shows every example file as it is.
func TestClientExamples(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"curl.sh", "client.py", "client.ps1", "logicapp-http-action.json"} {
		b, err := os.ReadFile(filepath.Join("../../examples", f))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(readme), string(b)) {
			t.Errorf("the README does not show examples/%s as it is", f)
		}
	}
	ts := newServer(t, demoWorkspace(t), demoWorkspace(t))
	env := append(os.Environ(), "EG_URL="+ts.URL)
	required := os.Getenv("EG_REQUIRE_CLIENTS") != ""
	run := func(name string, args ...string) string {
		if _, err := exec.LookPath(name); err != nil {
			if required {
				t.Fatalf("%s is not installed", name)
			}
			t.Skipf("%s is not installed", name)
		}
		cmd := exec.Command(name, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			if required || !strings.Contains(string(out), "No module named") {
				t.Fatalf("%s %v: %v\n%s", name, args, err, out)
			}
			t.Skipf("%s: %s", name, out)
		}
		return string(out)
	}
	if out := run("sh", "../../examples/curl.sh"); !strings.Contains(out, `"totalCount":2`) || !strings.Contains(out, "Password spray attack") {
		t.Errorf("curl.sh printed %s", out)
	}
	if out := run("python3", "../../examples/client.py", demo.SprayIP); !strings.Contains(out, demo.SprayVictim) {
		t.Errorf("client.py printed %s", out)
	}
}

// TestUnknownEntitiesAndNodeIDs: an account or host nothing in the
// timespan names is null (a failing source never hides one); an entity's
// id carries its timespan, so refetching it gives the values it came with.
func TestUnknownEntitiesAndNodeIDs(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	r := post(t, ts, `{ a: account(name: "nobody@contoso.com") { name } h: host(name: "nope") { name }
		web: host(name: "`+demo.BeaconHost+`") { name } old: account(name: "`+demo.SprayVictim+`", timespan: {start: "2026-01-01T00:00:00Z", end: "2026-01-02T00:00:00Z"}) { name } }`, nil)
	noErrors(t, r)
	if r.Data["a"] != nil || r.Data["h"] != nil || r.Data["old"] != nil || get(r.Data, "web.name") != demo.BeaconHost {
		t.Errorf("unknown entities: %v", r.Data)
	}

	// Refetch by id over the id's own (one-hour) span, not the default two days.
	r = post(t, ts, `{ ipAddress(address: "`+demo.SprayIP+`", timespan: {last: "1h", end: "2026-11-29T07:30:00Z"}) { id signins { totalCount } } }`, nil)
	noErrors(t, r)
	id, narrow := get(r.Data, "ipAddress.id").(string), get(r.Data, "ipAddress.signins.totalCount")
	wide := get(post(t, ts, `{ ipAddress(address: "`+demo.SprayIP+`") { signins { totalCount } } }`, nil).Data, "ipAddress.signins.totalCount")
	again := post(t, ts, `query($id: ID!) { node(id: $id) { id ... on IpAddress { signins { totalCount } } } }`, map[string]any{"id": id})
	noErrors(t, again)
	if narrow == wide || get(again.Data, "node.signins.totalCount") != narrow || get(again.Data, "node.id") != id {
		t.Errorf("refetch: narrow %v, wide %v, by id %v (%v)", narrow, wide, get(again.Data, "node.signins.totalCount"), again.Data)
	}
	// An id of another server's longer timespan is refused; a made-up one is bad input.
	long := model.EncodeEntityID("IpAddress", demo.SprayIP, model.Span{Start: anchor.Add(-365 * 24 * time.Hour), End: anchor})
	for _, bad := range []string{long, "bm90IGFuIGlk"} {
		r := post(t, ts, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": bad})
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" {
			t.Errorf("node(%q): %+v", bad, r.Errors)
		}
	}

	// A source outage never makes an account vanish.
	failing := newServer(t, failingSource{LogSource: store, fail: map[string]error{"SigninLogs": errors.New("disk on fire")}}, store)
	r = post(t, failing, `{ account(name: "nobody@contoso.com") { name } }`, nil)
	if get(r.Data, "account.name") != "nobody@contoso.com" || len(r.Errors) == 0 {
		t.Errorf("with SigninLogs failing: %v %+v", r.Data, r.Errors)
	}
}

// TestHostActivity: the demo's persistence decodes end to end: Sysmon for
// Linux XML into process fields, cron and useradd lines, and Windows 4688,
// 4698, 4720/4732 and 1102 with their accounts and activity.
func TestHostActivity(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	r := post(t, ts, `{
	  linux: host(name: "`+demo.BruteHost+`") { processes { totalCount nodes { eventId processName commandLine parentProcessName account { name } } }
	    scheduledTasks { totalCount nodes { activity message } } accountChanges { totalCount nodes { activity message } } notableEvents { totalCount nodes { message } } }
	  win: host(name: "win-fs01") { processes { nodes { eventId activity processName commandLine account { name } } }
	    scheduledTasks { nodes { eventId account { name } } } accountChanges { nodes { eventId targetAccount { name } } } notableEvents { nodes { eventId activity } } } }`, nil)
	noErrors(t, r)
	procs := get(r.Data, "linux.processes.nodes").([]any)
	var curl bool
	for _, p := range procs {
		curl = curl || (get(p, "processName") == "/usr/bin/curl" && strings.Contains(get(p, "commandLine").(string), "update.sh") &&
			get(p, "parentProcessName") == "/usr/bin/bash" && get(p, "account.name") == "dbadmin" && get(p, "eventId") == 1.0)
	}
	if num(get(r.Data, "linux.processes.totalCount")) != 2 || !curl {
		t.Errorf("Linux processes: %v", get(r.Data, "linux.processes"))
	}
	if num(get(r.Data, "linux.scheduledTasks.totalCount")) != 4 || num(get(r.Data, "linux.accountChanges.totalCount")) != 2 || num(get(r.Data, "linux.notableEvents.totalCount")) != 1 {
		t.Errorf("Linux tasks/changes/notable: %v %v %v", get(r.Data, "linux.scheduledTasks.totalCount"), get(r.Data, "linux.accountChanges.totalCount"), get(r.Data, "linux.notableEvents.totalCount"))
	}
	wp := get(r.Data, "win.processes.nodes").([]any)
	if len(wp) != 2 || get(wp[0], "activity") != "4688 - A new process has been created." || get(wp[0], "account.name") != `contoso\megan.bowen` {
		t.Errorf("Windows processes: %v", wp)
	}
	if get(r.Data, "win.scheduledTasks.nodes.0.eventId") != 4698.0 || get(r.Data, "win.notableEvents.nodes.0.eventId") != 1102.0 {
		t.Errorf("Windows tasks/notable: %v / %v", get(r.Data, "win.scheduledTasks"), get(r.Data, "win.notableEvents"))
	}
	changes, _ := json.Marshal(get(r.Data, "win.accountChanges.nodes"))
	if !strings.Contains(string(changes), `"eventId":4720`) || !strings.Contains(string(changes), `helpdesk2`) || !strings.Contains(string(changes), `"eventId":4732`) {
		t.Errorf("Windows account changes: %s", changes)
	}
}

// TestHostNamedByAddress: a host whose logs name it by its IPv4 address is
// found by that address (a short name would cut it to "10").
func TestHostNamedByAddress(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	for i := 0; i < 3; i++ {
		b, _ := json.Marshal(map[string]any{"TimeGenerated": anchor.Add(-time.Duration(i+1) * time.Hour).Format(time.RFC3339), "Computer": "10.0.2.9",
			"Facility": "authpriv", "SeverityLevel": "info", "ProcessName": "sshd", "SyslogMessage": "Accepted publickey for deploy from 10.0.0.5 port 50000 ssh2"})
		lines = append(lines, string(b))
	}
	b, _ := json.Marshal(map[string]any{"TimeGenerated": anchor.Add(-time.Hour).Format(time.RFC3339), "Computer": "10.0.7.1",
		"Facility": "authpriv", "SeverityLevel": "info", "ProcessName": "sshd", "SyslogMessage": "Accepted publickey for deploy from 10.0.0.5 port 50000 ssh2"})
	lines = append(lines, string(b))
	os.WriteFile(filepath.Join(dir, "Syslog.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	store, _, err := workspace.Open(context.Background(), workspace.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ts := newServer(t, store, store)
	r := post(t, ts, `{ a: host(name: "10.0.2.9") { name eventSummary { count } } b: host(name: "10") { name } }`, nil)
	noErrors(t, r)
	if get(r.Data, "a.name") != "10.0.2.9" || num(get(r.Data, "a.eventSummary.0.count")) != 3 || r.Data["b"] != nil {
		t.Errorf("host by address: %v", r.Data)
	}
}

// TestPagesWithoutTotal: a connection that does not ask for totalCount is
// read without counting, and pages exactly as one that does.
func TestPagesWithoutTotal(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	walk := func(withTotal bool) (pages []string, stmts []string) {
		after := ""
		for i := 0; i < 10; i++ {
			sel := "pageInfo { hasNextPage endCursor } nodes { time userPrincipalName }"
			if withTotal {
				sel = "totalCount " + sel
			}
			r := post(t, ts, `query($a: String) { ipAddress(address: "`+demo.SprayIP+`") { signins(first: 25, after: $a) { `+sel+` } } }`, map[string]any{"a": nilIfEmpty(after)})
			noErrors(t, r)
			nodes, _ := json.Marshal(get(r.Data, "ipAddress.signins.nodes"))
			pages = append(pages, string(nodes))
			for _, c := range r.Extensions.Trace {
				stmts = append(stmts, c.Statement)
			}
			if get(r.Data, "ipAddress.signins.pageInfo.hasNextPage") != true {
				return pages, stmts
			}
			after = get(r.Data, "ipAddress.signins.pageInfo.endCursor").(string)
		}
		t.Fatal("no last page")
		return nil, nil
	}
	counted, withStmts := walk(true)
	plain, plainStmts := walk(false)
	if len(counted) != 3 || strings.Join(counted, "|") != strings.Join(plain, "|") {
		t.Errorf("pages differ: %d with totalCount, %d without", len(counted), len(plain))
	}
	for _, st := range plainStmts {
		if strings.Contains(st, "_total") {
			t.Errorf("counted without totalCount: %s", st)
		}
	}
	if !strings.Contains(strings.Join(withStmts, " "), "_total") {
		t.Error("totalCount asked, nothing counted")
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// TestBareTotalCount: a connection asked only for totalCount reads one row
// per key and builds no node, and counts the same.
func TestBareTotalCount(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	bare := post(t, ts, `{ ipAddress(address: "`+demo.SprayIP+`") { signins { totalCount } } }`, nil)
	full := post(t, ts, `{ ipAddress(address: "`+demo.SprayIP+`") { signins { totalCount pageInfo { hasNextPage } nodes { time } } } }`, nil)
	noErrors(t, bare)
	noErrors(t, full)
	// A bare total is a count: no row is sorted to choose a page.
	if get(bare.Data, "ipAddress.signins.totalCount") != get(full.Data, "ipAddress.signins.totalCount") || len(bare.Extensions.Trace) != 1 ||
		!strings.Contains(bare.Extensions.Trace[0].Statement, "count(*) AS _total FROM _m GROUP BY _key") ||
		strings.Contains(bare.Extensions.Trace[0].Statement, "row_number") || bare.Extensions.Trace[0].Rows != 1 {
		t.Errorf("bare totalCount: %v, trace %+v", bare.Data, bare.Extensions.Trace)
	}
	// Past the end of the rows, and for an address without rows, the total
	// still comes from the count.
	past := post(t, ts, `{ ipAddress(address: "`+demo.SprayIP+`") { signins(first: 2, after: "`+relay.Cursor(500)+`") { totalCount nodes { time } } } }`, nil)
	none := post(t, ts, `{ ipAddress(address: "198.51.100.77") { signins { totalCount } } }`, nil)
	noErrors(t, past)
	noErrors(t, none)
	if get(past.Data, "ipAddress.signins.totalCount") != get(full.Data, "ipAddress.signins.totalCount") || get(none.Data, "ipAddress.signins.totalCount") != 0.0 {
		t.Errorf("past the end: %v; no rows: %v", past.Data, none.Data)
	}
}
