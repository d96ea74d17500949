package loganalytics

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"entitygraph/graph/resolvers"
	"entitygraph/internal/access"
	"entitygraph/internal/access/entratest"
	"entitygraph/internal/cache"
	"entitygraph/internal/demo"
	"entitygraph/internal/loaders"
	"entitygraph/internal/server"
	"entitygraph/internal/sources"
	"entitygraph/internal/sources/duckdb"
	"entitygraph/internal/sources/ti"
	"entitygraph/internal/workspace"
)

// intruder is the only account the subsidiary workspace's sign-ins name.
const intruder = "intruder@fabrikam.com"

// subsidiaryStore holds sign-ins from the spray IP that only the
// subsidiary workspace has.
func subsidiaryStore(t *testing.T) *duckdb.Store {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	for i := 0; i < 3; i++ {
		row, _ := json.Marshal(map[string]any{
			"TimeGenerated": anchor.Add(-time.Duration(i+1) * time.Hour).Format(time.RFC3339), "IPAddress": demo.SprayIP,
			"UserPrincipalName": intruder, "ResultType": "50126", "AppDisplayName": "Azure Portal",
		})
		b.Write(append(row, '\n'))
	}
	if err := os.WriteFile(filepath.Join(dir, "SigninLogs.jsonl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	store, _, err := workspace.Open(context.Background(), workspace.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// countingTI is a threat-intel provider that counts its look-ups.
type countingTI struct{ calls atomic.Int32 }

func (c *countingTI) Name() string   { return "Counting" }
func (c *countingTI) External() bool { return false }
func (c *countingTI) Lookup(context.Context, netip.Addr) (ti.Result, error) {
	c.calls.Add(1)
	return ti.Result{Status: ti.OK, Verdict: ti.None}, nil
}

type accessRig struct {
	fake   *fakeAzure
	issuer *entratest.Issuer
	ts     *httptest.Server
	intel  *countingTI
}

const soarKey = "soar-automation-key"

// newAccessRig serves the Log Analytics fake (soc: the demo rows;
// subsidiary: the intruder's) behind Entra and API-key authentication.
func newAccessRig(t *testing.T, obo, withCache bool) *accessRig {
	t.Helper()
	f := newFakeAzure(t, demoWorkspace(t))
	f.stores[wsOther.ID] = subsidiaryStore(t)
	src := newSource(t, f, func(o *Options) {
		if obo {
			o.OBO = &OBO{TenantID: f.tenant, ClientID: f.clientID, ClientSecret: f.secret, DisableInstanceDiscovery: true}
		}
	})
	iss := entratest.New(t, f.tenant)
	all, defaults := server.Workspaces(src)
	guard, err := access.NewGuard(access.Options{Config: &access.Config{
		Entra:   &access.Entra{TenantID: f.tenant, Audience: entratest.Audience, AuthorityHost: iss.AuthorityHost()},
		APIKeys: []access.APIKey{{Name: "soar", SHA256: sha256Hex(soarKey), Workspaces: []string{"soc"}}},
		Grants: []access.Grant{
			{Role: "Reader.SOC", Workspaces: []string{"soc"}},
			{Role: "Reader.Sub", Workspaces: []string{"subsidiary"}},
			{Role: "Reader.All", Workspaces: []string{"*"}},
		},
	}, Listen: "127.0.0.1:0", Workspaces: all, Defaults: defaults, HTTPClient: iss.Client()})
	if err != nil {
		t.Fatal(err)
	}
	intel := &countingTI{}
	svc, err := ti.NewService(ti.Options{External: true})
	if err != nil {
		t.Fatal(err)
	}
	svc.Register(intel, ti.ProviderConfig{Enabled: true}, true)
	svc.SetCallerBudget(guard.Meter())
	t.Cleanup(svc.Close)
	var results *cache.Cache[[]sources.Row]
	if withCache {
		if results, err = cache.New[[]sources.Row](64<<20, time.Minute); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(results.Close)
	}
	s := server.New(server.Options{Source: src, Cache: results, Access: guard, Batching: loaders.Options{Wait: 20 * time.Millisecond},
		Resolver: &resolvers.Resolver{Config: resolvers.Config{Now: func() time.Time { return anchor }, TI: svc, Meter: guard.Meter()}}})
	s.SetReady()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return &accessRig{fake: f, issuer: iss, ts: ts, intel: intel}
}

type answer struct {
	status int
	body   map[string]any
}

func (a answer) codes() []string {
	var out []string
	errs, _ := a.body["errors"].([]any)
	for _, e := range errs {
		ext, _ := e.(map[string]any)["extensions"].(map[string]any)
		c, _ := ext["code"].(string)
		out = append(out, c)
	}
	return out
}

// upns lists the sign-in accounts of a signins answer.
func (a answer) upns() map[string]bool {
	out := map[string]bool{}
	data, _ := a.body["data"].(map[string]any)
	ip, _ := data["ipAddress"].(map[string]any)
	conn, _ := ip["signins"].(map[string]any)
	nodes, _ := conn["nodes"].([]any)
	for _, n := range nodes {
		out[n.(map[string]any)["userPrincipalName"].(string)] = true
	}
	return out
}

func (r *accessRig) post(t *testing.T, query string, header map[string]string) answer {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest("POST", r.ts.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return answer{}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Errorf("%d %s: %v", resp.StatusCode, raw, err)
	}
	return answer{resp.StatusCode, out}
}

func (r *accessRig) as(t *testing.T, oid, workspaces string, roles ...string) map[string]string {
	h := map[string]string{"Authorization": "Bearer " + r.issuer.Token(t, oid, roles...)}
	if workspaces != "" {
		h[access.WorkspaceHeader] = workspaces
	}
	return h
}

// facetQueries are the queries the fake received, discovery excluded.
func (f *fakeAzure) facetQueries() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []received
	for _, r := range f.received {
		if !strings.HasPrefix(r.KQL, "union isfuzzy=true") {
			out = append(out, r)
		}
	}
	return out
}

// receivedAs says whether any query (discovery included) ran as principal.
func (f *fakeAzure) receivedAs(principal string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.received {
		if r.Principal == principal {
			return true
		}
	}
	return false
}

const signinsQuery = `{ ipAddress(address: "` + demo.SprayIP + `") { signins(first: 100) { totalCount nodes { userPrincipalName } } } }`

// TestIsolationUnderServiceIdentity: with the result cache on, no row of
// one workspace set reaches a request on another, sequentially or
// concurrently; callers reading the same set share results.
func TestIsolationUnderServiceIdentity(t *testing.T) {
	r := newAccessRig(t, false, true)
	f := r.fake
	socOnly := func(a answer) bool { u := a.upns(); return u[demo.SprayVictim] && !u[intruder] }
	subOnly := func(a answer) bool { u := a.upns(); return len(u) == 1 && u[intruder] }

	if a := r.post(t, signinsQuery, r.as(t, "u1", "", "Reader.SOC")); !socOnly(a) || len(f.facetQueries()) != 1 {
		t.Fatalf("u1 on soc: %v (queries %d)", a.upns(), len(f.facetQueries()))
	}
	a := r.post(t, signinsQuery, r.as(t, "u2", "subsidiary", "Reader.Sub"))
	q := f.facetQueries()
	if !subOnly(a) || len(q) != 2 || q[1].Workspace != wsOther.ID || len(q[1].Additional) != 0 {
		t.Errorf("u2 on subsidiary after u1 on soc: %v (queries %+v)", a.upns(), q)
	}
	a = r.post(t, signinsQuery, r.as(t, "u2", "soc", "Reader.Sub"))
	if a.status != 403 || strings.Join(a.codes(), ",") != "FORBIDDEN" || len(f.facetQueries()) != 2 {
		t.Errorf("u2 naming soc: %d %v, queries %d", a.status, a.codes(), len(f.facetQueries()))
	}
	a = r.post(t, signinsQuery, r.as(t, "u3", "subsidiary, soc,soc", "Reader.All"))
	q = f.facetQueries()
	if u := a.upns(); !u[intruder] || !u[demo.SprayVictim] || len(q) != 3 || q[2].Workspace != wsMain.ID || len(q[2].Additional) != 1 || q[2].Additional[0] != wsOther.ID {
		t.Errorf("u3 on both: %v (queries %+v)", u, q)
	}
	// Another reader of soc alone, under the service identity, may reuse u1's result.
	if a := r.post(t, signinsQuery, r.as(t, "u4", "", "Reader.SOC")); !socOnly(a) || len(f.facetQueries()) != 3 {
		t.Errorf("u4 on soc: %v, queries %d (want the cached answer)", a.upns(), len(f.facetQueries()))
	}

	// Concurrently, without the cache: identical queries on two workspaces
	// are never coalesced into one.
	r = newAccessRig(t, false, false)
	r.fake.latency = 100 * time.Millisecond
	var wg sync.WaitGroup
	var leaks atomic.Int32
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				if a := r.post(t, signinsQuery, r.as(t, "u1", "", "Reader.SOC")); !socOnly(a) {
					leaks.Add(1)
				}
			} else if a := r.post(t, signinsQuery, r.as(t, "u2", "subsidiary", "Reader.Sub")); !subOnly(a) {
				leaks.Add(1)
			}
		}()
	}
	wg.Wait()
	workspaces := map[string]bool{}
	for _, q := range r.fake.facetQueries() {
		workspaces[q.Workspace] = true
	}
	if leaks.Load() != 0 || !workspaces[wsMain.ID] || !workspaces[wsOther.ID] {
		t.Errorf("%d answers held another workspace's rows; workspaces queried %v", leaks.Load(), workspaces)
	}
}

// TestIsolationOnBehalfOf: queries run as each analyst; an analyst Log
// Analytics denies gets FORBIDDEN, never another analyst's cached or
// in-flight rows; an API key has no identity to act as.
func TestIsolationOnBehalfOf(t *testing.T) {
	r := newAccessRig(t, true, true)
	f := r.fake
	f.deny["user:denied"] = true
	if a := r.post(t, signinsQuery, r.as(t, "ok", "", "Reader.SOC")); !a.upns()[demo.SprayVictim] {
		t.Fatalf("allowed analyst: %v %v", a.upns(), a.codes())
	}
	// The denied analyst's own request reaches Log Analytics (its table
	// discovery, refused with 403) instead of u1's cached rows or tables.
	a := r.post(t, signinsQuery, r.as(t, "denied", "", "Reader.SOC"))
	if strings.Join(a.codes(), ",") != "FORBIDDEN" || len(a.upns()) != 0 || !f.receivedAs("user:denied") {
		t.Errorf("denied analyst after the allowed one: %v %v", a.codes(), a.upns())
	}
	if a := r.post(t, signinsQuery, r.as(t, "ok", "", "Reader.SOC")); !a.upns()[demo.SprayVictim] || len(f.facetQueries()) != 1 {
		t.Errorf("allowed analyst again: %v, queries %d (want the cached answer)", a.upns(), len(f.facetQueries()))
	}
	key := r.post(t, signinsQuery, map[string]string{"X-Api-Key": soarKey})
	if key.status != 401 || strings.Join(key.codes(), ",") != "UNAUTHENTICATED" || len(f.facetQueries()) != 1 {
		t.Errorf("API key under on-behalf-of: %d %v", key.status, key.codes())
	}

	// Concurrently, on a fresh server: in-flight queries are not shared.
	r = newAccessRig(t, true, true)
	r.fake.deny["user:denied"] = true
	r.fake.latency = 100 * time.Millisecond
	var wg sync.WaitGroup
	var wrong atomic.Int32
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				if a := r.post(t, signinsQuery, r.as(t, "ok", "", "Reader.SOC")); !a.upns()[demo.SprayVictim] {
					wrong.Add(1)
				}
			} else if a := r.post(t, signinsQuery, r.as(t, "denied", "", "Reader.SOC")); len(a.upns()) != 0 || strings.Join(a.codes(), ",") != "FORBIDDEN" {
				wrong.Add(1)
			}
		}()
	}
	wg.Wait()
	if wrong.Load() != 0 {
		t.Errorf("%d concurrent answers were another analyst's", wrong.Load())
	}
	if !r.fake.receivedAs("user:ok") || !r.fake.receivedAs("user:denied") || r.fake.receivedAs("app:"+r.fake.clientID) {
		t.Error("queries did not run as each analyst, and only as them")
	}
}

// TestRejectedCredentialsCostNothing: every refused credential is 401
// UNAUTHENTICATED with no Log Analytics query, no token exchange and no
// threat-intel call; forged tokens carrying a victim's oid spend nothing
// of the victim's.
func TestRejectedCredentialsCostNothing(t *testing.T) {
	r := newAccessRig(t, true, true)
	iss := r.issuer
	now := time.Now()
	sign := func(mod func(jwt.MapClaims)) string {
		c := iss.Claims("victim", now, "Reader.All")
		mod(c)
		return iss.Sign(t, "k1", c)
	}
	iss.AddKey(t, "k-unpublished", false)
	unknownKey := iss.Sign(t, "k-unpublished", iss.Claims("victim", now, "Reader.All"))
	query := `{ ipAddress(address: "` + demo.SprayIP + `") { signins { totalCount } threatIntel { verdict } } }`
	for name, header := range map[string]map[string]string{
		"none":                {},
		"unsigned (alg none)": {"Authorization": "Bearer " + userToken("victim")},
		"expired":             {"Authorization": "Bearer " + sign(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() })},
		"not yet valid":       {"Authorization": "Bearer " + sign(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() })},
		"wrong audience":      {"Authorization": "Bearer " + sign(func(c jwt.MapClaims) { c["aud"] = "https://api.loganalytics.io" })},
		"wrong issuer":        {"Authorization": "Bearer " + sign(func(c jwt.MapClaims) { c["iss"] = "https://login.example/" + r.fake.tenant + "/v2.0" })},
		"unknown key":         {"Authorization": "Bearer " + unknownKey},
		"wrong API key":       {"X-Api-Key": soarKey + "-guess"},
	} {
		for i := 0; i < 5; i++ {
			a := r.post(t, query, header)
			if a.status != 401 || strings.Join(a.codes(), ",") != "UNAUTHENTICATED" {
				t.Errorf("%s: %d %v", name, a.status, a.codes())
			}
		}
	}
	r.fake.mu.Lock()
	received, exchanges, issued := len(r.fake.received), len(r.fake.oboUsers), r.fake.issued
	r.fake.mu.Unlock()
	if received != 0 || exchanges != 0 || issued != 0 || r.intel.calls.Load() != 0 {
		t.Errorf("refused requests caused %d queries, %d token exchanges, %d tokens, %d TI calls", received, exchanges, issued, r.intel.calls.Load())
	}
	// The real victim is unaffected.
	if a := r.post(t, query, r.as(t, "victim", "", "Reader.All")); a.status != 200 || len(a.codes()) != 0 || r.intel.calls.Load() != 1 {
		t.Errorf("victim: %d %v", a.status, a.codes())
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
