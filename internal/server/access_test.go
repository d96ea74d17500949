package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"entitygraph/graph/resolvers"
	"entitygraph/internal/access"
	"entitygraph/internal/audit"
	"entitygraph/internal/cache"
	"entitygraph/internal/config"
	"entitygraph/internal/demo"
	"entitygraph/internal/errcode"
	"entitygraph/internal/loaders"
	"entitygraph/internal/sources"
	"entitygraph/internal/sources/ti/providers"
)

func keyHash(k string) string {
	s := sha256.Sum256([]byte(k))
	return hex.EncodeToString(s[:])
}

// auditLines decodes the audit lines written to buf.
func auditLines(t *testing.T, buf *syncBuffer) []audit.Line {
	var out []audit.Line
	for _, s := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if s == "" {
			continue
		}
		var line audit.Line
		if err := json.Unmarshal([]byte(s), &line); err != nil {
			t.Fatalf("audit line %q: %v", s, err)
		}
		out = append(out, line)
	}
	return out
}

type accessServer struct {
	ts    *httptest.Server
	audit *syncBuffer
	vt    func() int32
}

// newAccessServer serves the demo workspace to two API-key callers, "alice"
// and "bob", with small budgets, VirusTotal (8 calls a day) faked.
func newAccessServer(t *testing.T, budgets access.Budgets) *accessServer {
	t.Helper()
	store := demoWorkspace(t)
	vt, calls := vtFake(t)
	svc, err := providers.Build(config.TI{Providers: map[string]config.TIProvider{
		"VirusTotal": {APIKey: "vt-key", BaseURL: vt.URL, PerMinute: 1000, PerDay: 8},
	}}, vt.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	guard, err := access.NewGuard(access.Options{Config: &access.Config{
		APIKeys: []access.APIKey{
			{Name: "alice", SHA256: keyHash("alice-key"), Workspaces: []string{"local"}},
			{Name: "bob", SHA256: keyHash("bob-key"), Workspaces: []string{"*"}},
		},
		Budgets: budgets,
	}, Listen: "127.0.0.1:0", Workspaces: []string{"local"}})
	if err != nil {
		t.Fatal(err)
	}
	svc.SetCallerBudget(guard.Meter())
	results, err := cache.New[[]sources.Row](64<<20, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(results.Close)
	buf := &syncBuffer{}
	s := New(Options{Source: store, Cache: results, Access: guard, Audit: audit.New(buf),
		Batching: loaders.Options{Wait: 20 * time.Millisecond},
		Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store, Now: func() time.Time { return anchor }, TI: svc, Meter: guard.Meter()}}})
	s.SetReady()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return &accessServer{ts: ts, audit: buf, vt: calls.Load}
}

func (a *accessServer) post(t *testing.T, key, op, query string) (int, gqlResponse) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "operationName": op})
	req, _ := http.NewRequest("POST", a.ts.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "ApiKey "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out gqlResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return resp.StatusCode, out
}

func tiQuery(ip string) string {
	return `query TI { ipAddress(address: "` + ip + `") { threatIntel(providers: ["VirusTotal"]) { results { provider status retryAfter } } } }`
}

// TestCallerTIShare: each caller may spend only its share of a provider's
// daily quota (8 × 0.25 = 2 calls); one caller spending its share leaves
// the other's look-ups intact, and Query.me shows what is left.
func TestCallerTIShare(t *testing.T) {
	a := newAccessServer(t, access.Budgets{TIShare: 0.25, RefreshPerHour: 1})
	status := func(r gqlResponse) string { return get(r.Data, "ipAddress.threatIntel.results.0.status").(string) }
	for i, ip := range []string{"45.33.1.1", "45.33.1.2"} {
		if _, r := a.post(t, "alice-key", "TI", tiQuery(ip)); status(r) != "OK" {
			t.Fatalf("alice's look-up %d: %s", i, status(r))
		}
	}
	_, r := a.post(t, "alice-key", "TI", tiQuery("45.33.1.3"))
	if status(r) != "RATE_LIMITED" || get(r.Data, "ipAddress.threatIntel.results.0.retryAfter") == nil {
		t.Errorf("alice's third look-up: %v", r.Data)
	}
	if n := a.vt(); n != 2 {
		t.Errorf("VirusTotal saw %d calls, want 2", n)
	}
	if _, r := a.post(t, "bob-key", "TI", tiQuery("45.33.1.3")); status(r) != "OK" {
		t.Errorf("bob's look-up after alice spent her share: %s", status(r))
	}
	// A cached answer costs no share.
	if _, r := a.post(t, "alice-key", "TI", tiQuery("45.33.1.3")); status(r) != "OK" {
		t.Errorf("alice, cached: %s", status(r))
	}
	// refresh: true is limited per caller (1 an hour here).
	refresh := `{ ipAddress(address: "45.33.1.3") { threatIntel(providers: ["VirusTotal"], refresh: true) { results { status } } } }`
	_, r1 := a.post(t, "bob-key", "", refresh)
	_, r2 := a.post(t, "bob-key", "", refresh)
	if get(r1.Data, "ipAddress.threatIntel.results.0.status") != "OK" || get(r2.Data, "ipAddress.threatIntel.results.0.status") != "RATE_LIMITED" {
		t.Errorf("refreshes: %v then %v", r1.Data, r2.Data)
	}
	me := `{ me { principal kind principalId workspaces activeWorkspaces budgets { name remaining resetAt } } }`
	_, m := a.post(t, "alice-key", "", me)
	noErrors(t, m)
	left := map[string]float64{}
	for _, b := range get(m.Data, "me.budgets").([]any) {
		left[get(b, "name").(string)] = get(b, "remaining").(float64)
	}
	if get(m.Data, "me.principal") != "alice" || get(m.Data, "me.kind") != "API_KEY" || get(m.Data, "me.principalId") != "apikey:alice" ||
		get(m.Data, "me.activeWorkspaces.0") != "local" || left["VirusTotal calls today"] != 0 {
		t.Errorf("alice's me = %v", m.Data)
	}
	_, m = a.post(t, "bob-key", "", me)
	for _, b := range get(m.Data, "me.budgets").([]any) {
		left[get(b, "name").(string)] = get(b, "remaining").(float64)
	}
	if left["VirusTotal calls today"] != 0 || left["threat-intel refreshes per hour"] != 0 {
		t.Errorf("bob's budgets = %v", left)
	}
}

// TestCallerQueryBudget: backend queries per minute per caller; the
// refused facet is RATE_LIMITED with retryAfter and sends nothing; the
// other caller is unaffected; cache hits are free.
func TestCallerQueryBudget(t *testing.T) {
	a := newAccessServer(t, access.Budgets{QueriesPerMinute: 2})
	q := func(ip string) string {
		return `{ ipAddress(address: "` + ip + `") { signins { totalCount } alerts { totalCount } officeActivity { totalCount } } }`
	}
	_, r := a.post(t, "alice-key", "", q(demo.SprayIP))
	var limited []gqlError
	for _, e := range r.Errors {
		if e.Extensions["code"] == errcode.RateLimited {
			limited = append(limited, e)
		}
	}
	if len(limited) != 1 || limited[0].Extensions["retryAfter"] == nil {
		t.Fatalf("3 facets on a budget of 2: errors %+v", r.Errors)
	}
	if _, r := a.post(t, "bob-key", "", q(demo.SprayIP)); len(r.Errors) != 0 {
		t.Errorf("bob: %+v", r.Errors)
	}
	// Bob's request filled the cache: alice's repeat is served from it,
	// at no cost to her spent budget.
	if _, r := a.post(t, "alice-key", "", q(demo.SprayIP)); len(r.Errors) != 0 {
		t.Errorf("alice from the cache: %+v", r.Errors)
	}
	lines := auditLines(t, a.audit)
	first := lines[0]
	if first.BackendQueries != 2 || first.Outcome != "partial" || !contains(first.ErrorCodes, "RATE_LIMITED") {
		t.Errorf("alice's first request: %+v", first)
	}
	if last := lines[len(lines)-1]; last.BackendQueries != 0 || last.CachedCalls != 3 || last.Outcome != "ok" {
		t.Errorf("alice's cached request: %+v", last)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestAuditLines: one line per request, field by field, for an answered
// request and a refused one; neither holds the key.
func TestAuditLines(t *testing.T) {
	a := newAccessServer(t, access.Budgets{})
	q := `query Spray { ipAddress(address: "` + demo.SprayIP + `") { signins { totalCount } }
		account(name: "` + demo.SprayVictim + `") { upn } providers { name } }`
	if status, r := a.post(t, "alice-key", "", q); status != 200 || len(r.Errors) != 0 { // the name comes from the document
		t.Fatalf("%d %+v", status, r.Errors)
	}
	if status, _ := a.post(t, "wrong-key", "Spray", q); status != 401 {
		t.Fatalf("wrong key: %d", status)
	}
	lines := auditLines(t, a.audit)
	if len(lines) != 2 {
		t.Fatalf("%d audit lines, want 2", len(lines))
	}
	ok, refused := lines[0], lines[1]
	checks := []struct {
		name string
		good bool
	}{
		{"time", time.Since(ok.Time) < time.Minute},
		{"requestId", len(ok.RequestID) == 16},
		{"principal", ok.Principal == "apikey:alice" && ok.PrincipalKind == access.KindAPIKey},
		{"client", strings.HasPrefix(ok.Client, "127.0.0.1:")},
		{"method", ok.Method == "POST"},
		{"operation", ok.Operation == "Spray"},
		{"entities", strings.Join(ok.Entities, " ") == "ipAddress:"+demo.SprayIP+" account:"+demo.SprayVictim+" providers"},
		{"workspaces", strings.Join(ok.Workspaces, ",") == "local"},
		{"sources", strings.Join(ok.Sources, ",") == "duckdb"},
		{"facets", contains(ok.Facets, "ip.signins") && contains(ok.Facets, "account.profile")},
		{"backendQueries", ok.BackendQueries == len(ok.Facets)}, // each facet queried once; a repeat is a cached call
		{"duration", ok.DurationMs > 0},
		{"status", ok.Status == 200 && ok.Outcome == "ok" && len(ok.ErrorCodes) == 0},
		{"refused principal", refused.Principal == "" && refused.Status == 401 && refused.Outcome == "refused" && strings.Join(refused.ErrorCodes, ",") == "UNAUTHENTICATED"},
		{"refused did nothing", refused.BackendQueries == 0 && len(refused.Facets) == 0},
	}
	for _, c := range checks {
		if !c.good {
			t.Errorf("%s: answered %+v; refused %+v", c.name, ok, refused)
		}
	}
	raw := a.audit.String()
	for _, secret := range []string{"alice-key", "wrong-key", keyHash("alice-key")} {
		if strings.Contains(raw, secret) {
			t.Errorf("the audit log holds %q", secret)
		}
	}
}

// TestHostAllowList: a rebinding Host gets 421 on every page but the
// probes, which orchestrators call by pod address.
func TestHostAllowList(t *testing.T) {
	store := demoWorkspace(t)
	s := New(Options{Source: store, Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store}}})
	s.SetReady()
	for path, want := range map[string]int{"/": 421, "/graphql": 421, "/assets/graphiql.min.js": 421, "/healthz": 200, "/readyz": 200, "/metrics": 200} {
		req := httptest.NewRequest("POST", path, strings.NewReader(`{"query":"{ __typename }"}`))
		req.Host = "attacker.example:8080"
		req.Header.Set("Content-Type", "application/json")
		if path != "/graphql" {
			req.Method = "GET"
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != want {
			t.Errorf("%s with a foreign Host: %d, want %d", path, w.Code, want)
		}
	}
}
