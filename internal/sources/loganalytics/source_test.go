package loganalytics

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/monitor/query/azlogs"

	"entitygraph/internal/demo"
	"entitygraph/internal/facets"
	"entitygraph/internal/kqlcheck"
	"entitygraph/internal/sources"
	"entitygraph/internal/sources/duckdb"
	"entitygraph/internal/workspace"
	"entitygraph/internal/workspace/workspacetest"
)

var anchor = workspacetest.Anchor

func demoWorkspace(t *testing.T) *duckdb.Store { return workspacetest.Demo(t) }

// Workspaces of the fake.
var (
	wsMain  = Workspace{Name: "soc", ID: "11111111-1111-1111-1111-111111111111", TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47"}
	wsOther = Workspace{Name: "subsidiary", ID: "22222222-2222-2222-2222-222222222222", TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47"}
)

func (f *fakeAzure) cloud() cloud.Configuration {
	return cloud.Configuration{
		ActiveDirectoryAuthorityHost: f.srv.URL + "/",
		Services:                     map[cloud.ServiceName]cloud.ServiceConfiguration{azlogs.ServiceName: {Audience: "https://api.loganalytics.io", Endpoint: f.srv.URL + "/v1"}},
	}
}

// newSource builds the real client stack: azidentity's client-secret flow
// against the fake Entra endpoint, azlogs against the fake query API, over
// a transport that trusts the fake's test CA.
func newSource(t *testing.T, f *fakeAzure, tune func(*Options)) *Source {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(f.tenant, f.clientID, f.secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: f.cloud(), Transport: f.srv.Client()},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{
		Workspaces: []Workspace{wsMain, wsOther},
		Cloud:      f.cloud(),
		Credential: cred,
		Transport:  f.srv.Client(),
		Retry:      policy.RetryOptions{MaxRetries: 3, RetryDelay: 20 * time.Millisecond, MaxRetryDelay: 3 * time.Second},
		ServerWait: 3 * time.Minute,
		Observer:   f.observe,
	}
	if tune != nil {
		tune(&opts)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ipQuery(keys ...string) facets.Query {
	return facets.Query{Keys: keys, Start: anchor.Add(-48 * time.Hour), End: anchor, Limit: 20}
}

func TestClientSecretFlowAndRequestShape(t *testing.T) {
	f := newFakeAzure(t, demoWorkspace(t))
	s := newSource(t, f, nil)
	res, err := s.Run(context.Background(), facets.IPSignins, ipQuery(demo.SprayIP))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 20 || res.Rows[0][facets.TotalColumn] != int64(62) || !strings.HasPrefix(res.Statement, "let _m = materialize(SigninLogs") {
		t.Fatalf("rows = %d, total %v, statement %.40q", len(res.Rows), res.Rows[0][facets.TotalColumn], res.Statement)
	}
	if _, ok := res.Rows[0]["TimeGenerated"].(time.Time); !ok {
		t.Errorf("TimeGenerated decoded as %T", res.Rows[0]["TimeGenerated"])
	}
	if m, ok := res.Rows[0]["LocationDetails"].(map[string]any); !ok || m["countryOrRegion"] != "RU" {
		t.Errorf("dynamic LocationDetails decoded as %#v", res.Rows[0]["LocationDetails"])
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.received) != 2 { // table discovery, then the facet
		t.Fatalf("received %d queries", len(f.received))
	}
	got := f.received[1]
	if got.Workspace != wsMain.ID || got.Principal != "app:entitygraph-app" || got.Prefer != "wait=180" || got.Timespan != "2026-11-28T12:00:00Z/2026-11-30T12:00:01Z" { // one second past the inclusive end
		t.Errorf("request = %+v", got)
	}
	if !strings.HasPrefix(f.received[0].KQL, "union isfuzzy=true") {
		t.Errorf("first query was not table discovery: %.60q", f.received[0].KQL)
	}
}

func TestDiscoveryQueryPassesTheKustoAnalyzer(t *testing.T) {
	c := kqlcheck.ForTest(t)
	res, err := c.Check(DiscoveryQuery(facetTables()))
	if err != nil {
		t.Fatal(err)
	}
	if errs := res.Errors(); len(errs) > 0 {
		t.Errorf("discovery KQL: %+v", errs)
	}
}

func TestTablesDiscoveredOnceAndMissingTablesNotQueried(t *testing.T) {
	dir := t.TempDir()
	store, _, err := workspace.Open(context.Background(), workspace.Options{Dir: "../duckdb/testdata/msticnb"})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	_ = dir
	f := newFakeAzure(t, store)
	s := newSource(t, f, nil)
	q := facets.Query{Keys: []string{"40.76.43.124"}, Start: time.Date(2019, 11, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2019, 11, 3, 0, 0, 0, 0, time.UTC), Limit: 5}
	res, err := s.Run(context.Background(), facets.IPHeartbeat, q)
	if err != nil || len(res.Rows) != 1 || res.Rows[0]["Computer"] != "MSTICAlertsWin1" {
		t.Fatalf("heartbeat = %v, %v", res.Rows, err)
	}
	for _, fc := range []*facets.Facet{facets.IPSignins, facets.IPAlerts, facets.IPDnsQueries} {
		if _, err := s.Run(context.Background(), fc, q); !errors.Is(err, sources.ErrTableUnavailable) {
			t.Errorf("%s: err = %v, want table unavailable", fc.Name, err)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.received) != 2 {
		t.Errorf("%d queries sent; want one discovery and one heartbeat", len(f.received))
	}
}

func TestFaults(t *testing.T) {
	syntax := `{"error":{"message":"The request had some invalid properties","code":"BadArgumentError","correlationId":"1e1d63ad-8f90-473e-854a-55f9c0411e40","innererror":{"code":"SyntaxError","message":"A recognition error occurred in the query.","innererror":{"code":"SYN0002","message":"Query could not be parsed at 'a' on line [1,4]","line":1,"pos":4,"token":"a"}}}}`
	cases := []struct {
		name     string
		faults   []fault
		kind     sources.Kind
		partial  bool
		ok       bool
		minTime  time.Duration
		deadline time.Duration
	}{
		{name: "401", faults: []fault{{status: 401}}, kind: sources.Unauthenticated},
		{name: "403", faults: []fault{{status: 403}}, kind: sources.Forbidden},
		{name: "400 syntax error", faults: []fault{{status: 400, body: syntax}}, kind: sources.BadQuery},
		{name: "500 then success", faults: []fault{{status: 500}}, ok: true},
		{name: "503 twice then success", faults: []fault{{status: 503}, {status: 503}}, ok: true},
		{name: "429 with Retry-After", faults: []fault{{status: 429, retryAfter: "1"}}, ok: true, minTime: time.Second},
		{name: "partial result", faults: []fault{{partial: true}}, partial: true},
		{name: "malformed body", faults: []fault{{body: `{"tables": [{"name": "PrimaryResult", "columns": [`}}, kind: sources.Unavailable},
		{name: "slow beyond the deadline", faults: []fault{{delay: 3 * time.Second}}, kind: sources.Unavailable, deadline: 300 * time.Millisecond},
		{name: "500 every time", faults: []fault{{status: 500}, {status: 500}, {status: 500}, {status: 500}}, kind: sources.Unavailable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeAzure(t, demoWorkspace(t))
			s := newSource(t, f, nil)
			if _, err := s.Run(context.Background(), facets.IPAlerts, ipQuery(demo.C2IP)); err != nil { // discovery + warm-up
				t.Fatal(err)
			}
			f.addFaults(wsMain.ID, c.faults...)
			ctx := context.Background()
			if c.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, c.deadline)
				defer cancel()
			}
			start := time.Now()
			res, err := s.Run(ctx, facets.IPSignins, ipQuery(demo.SprayIP))
			took := time.Since(start)
			var partial *sources.PartialError
			var se *sources.Error
			switch {
			case c.ok:
				if err != nil || len(res.Rows) != 20 {
					t.Fatalf("err = %v, rows %d", err, len(res.Rows))
				}
			case c.partial:
				if !errors.As(err, &partial) || len(res.Rows) != 20 {
					t.Fatalf("err = %v, rows %d; want partial rows", err, len(res.Rows))
				}
			default:
				if !errors.As(err, &se) || se.Kind != c.kind || se.Workspace != wsMain.Name {
					t.Fatalf("err = %v; want kind %d on workspace %s", err, c.kind, wsMain.Name)
				}
			}
			if took < c.minTime {
				t.Errorf("answered after %v, before the advertised %v", took, c.minTime)
			}
			if c.deadline > 0 && took > c.deadline+time.Second {
				t.Errorf("ran %v past a %v deadline", took, c.deadline)
			}
		})
	}
}

func TestConcurrencyCap(t *testing.T) {
	f := newFakeAzure(t, demoWorkspace(t))
	f.latency = 40 * time.Millisecond
	s := newSource(t, f, func(o *Options) { o.MaxConcurrent = 3 })
	var wg sync.WaitGroup
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Run(context.Background(), facets.IPSignins, ipQuery(demo.SprayIP)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if m := f.maxInflight.Load(); m > 3 || m < 2 {
		t.Errorf("max in flight at the service = %d, want at most 3 (and concurrency used)", m)
	}
}

func TestRateWindow(t *testing.T) {
	f := newFakeAzure(t, demoWorkspace(t))
	s := newSource(t, f, func(o *Options) { o.RateLimit, o.RateWindow = 4, 400*time.Millisecond })
	start := time.Now()
	for i := 0; i < 9; i++ { // 1 discovery + 8 queries: the window must turn over twice
		if _, err := s.Run(context.Background(), facets.IPSignins, ipQuery(demo.SprayIP)); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took < 800*time.Millisecond {
		t.Errorf("10 queries at 4 per 400ms took only %v", took)
	}
	// A window that cannot turn over during the test, however loaded the
	// machine: the budget refuses at once rather than wait past a deadline.
	s = newSource(t, f, func(o *Options) { o.RateLimit, o.RateWindow = 4, time.Hour })
	for i := 0; i < 5; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := s.Run(ctx, facets.IPSignins, ipQuery(demo.SprayIP))
		cancel()
		if err != nil {
			var se *sources.Error
			if !errors.As(err, &se) || se.Kind != sources.RateLimited {
				t.Fatalf("over budget: %v, want RateLimited", err)
			}
			return
		}
	}
	t.Error("the rate budget never refused within a short deadline")
}

func TestWorkspacesPerRequestAndOnBehalfOf(t *testing.T) {
	f := newFakeAzure(t, demoWorkspace(t))
	s := newSource(t, f, func(o *Options) {
		o.OBO = &OBO{TenantID: f.tenant, ClientID: f.clientID, ClientSecret: f.secret, DisableInstanceDiscovery: true}
	})
	analyst := sources.Caller{ID: "entra:" + f.tenant + "/analyst-1", TenantID: f.tenant, ObjectID: "analyst-1", Token: userToken("analyst-1")}
	src, err := s.ForScope(sources.Scope{Workspaces: []string{"soc", "subsidiary"}, Caller: analyst})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Run(context.Background(), facets.IPSignins, ipQuery(demo.SprayIP)); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	last := f.received[len(f.received)-1]
	users := append([]string(nil), f.oboUsers...)
	f.mu.Unlock()
	if last.Workspace != wsMain.ID || len(last.Additional) != 1 || last.Additional[0] != wsOther.ID {
		t.Errorf("workspaces = %s + %v", last.Workspace, last.Additional)
	}
	if last.Principal != "user:analyst-1" || len(users) != 1 {
		t.Errorf("queried as %q (OBO exchanges %v)", last.Principal, users)
	}
	if _, err := s.ForScope(sources.Scope{Workspaces: []string{"nope"}, Caller: analyst}); err == nil {
		t.Error("unknown workspace accepted")
	}
	// The partition carries the caller under on-behalf-of.
	other := analyst
	other.ObjectID, other.Token = "analyst-2", userToken("analyst-2")
	src2, _ := s.ForScope(sources.Scope{Workspaces: []string{"soc", "subsidiary"}, Caller: other})
	if src.Partition() == src2.Partition() {
		t.Errorf("two on-behalf-of callers share partition %q", src.Partition())
	}
	// Without a validated caller, on-behalf-of never falls back to the
	// service identity, even though one is configured.
	var se *sources.Error
	for _, c := range []sources.Caller{{ID: "local"}, {ID: "apikey:soar"}, {ID: "entra:x/y", TenantID: "x", ObjectID: "y"}} {
		_, err := s.ForScope(sources.Scope{Workspaces: []string{"soc"}, Caller: c})
		if !errors.As(err, &se) || se.Kind != sources.Unauthenticated {
			t.Errorf("caller %+v: %v, want Unauthenticated", c, err)
		}
	}
	if _, err := s.Run(context.Background(), facets.IPSignins, ipQuery(demo.SprayIP)); !errors.As(err, &se) || se.Kind != sources.Unauthenticated {
		t.Errorf("Run without a caller under on-behalf-of: %v", err)
	}
	// A token Entra refuses in the exchange fails the query.
	bad := analyst
	bad.ObjectID, bad.Token = "analyst-3", "not-a-jwt"
	src, err = s.ForScope(sources.Scope{Workspaces: []string{"soc"}, Caller: bad})
	if err == nil {
		_, err = src.Run(context.Background(), facets.IPSignins, ipQuery(demo.SprayIP))
	}
	if !errors.As(err, &se) || se.Kind != sources.Unauthenticated {
		t.Errorf("refused assertion: %v", err)
	}
}

func TestSecretsNeverInErrors(t *testing.T) {
	f := newFakeAzure(t, demoWorkspace(t))
	s := newSource(t, f, nil)
	f.mu.Lock()
	f.secret = "a-different-secret" // the source's secret is now refused
	f.mu.Unlock()
	_, err := s.Run(context.Background(), facets.IPSignins, ipQuery(demo.SprayIP))
	var se *sources.Error
	if !errors.As(err, &se) || se.Kind != sources.Unauthenticated {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "s3cret-value") || strings.Contains(err.Error(), "a-different-secret") {
		t.Errorf("a secret leaked into the error: %v", err)
	}
}

// TestLateArrivingFlows: a facet on another time column than
// TimeGenerated (flows by FlowStartTime_t) sends an API timespan widened by
// LateArrival, so a flow ingested after the window still reaches the KQL
// filter; TimeGenerated facets send the window itself.
func TestLateArrivingFlows(t *testing.T) {
	f := newFakeAzure(t, demoWorkspace(t))
	s := newSource(t, f, nil)
	q := ipQuery(demo.C2IP)
	for _, c := range []struct {
		facet *facets.Facet
		end   string
	}{
		{facets.IPNetflows, "2026-11-30T14:00:01Z"},
		{facets.IPSignins, "2026-11-30T12:00:01Z"},
	} {
		if _, err := s.Run(context.Background(), c.facet, q); err != nil {
			t.Fatal(err)
		}
		f.mu.Lock()
		got := f.received[len(f.received)-1].Timespan
		f.mu.Unlock()
		if got != "2026-11-28T12:00:00Z/"+c.end {
			t.Errorf("%s: timespan %s, want end %s", c.facet.Name, got, c.end)
		}
	}
}
