package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entitygraph/graph/resolvers"
	"entitygraph/internal/config"
	"entitygraph/internal/demo"
	"entitygraph/internal/errcode"
	"entitygraph/internal/sources/geo"
	"entitygraph/internal/sources/ti/providers"
)

// vtFake answers VirusTotal v3 with the recorded ip.json and counts calls.
func vtFake(t *testing.T) (*httptest.Server, *atomic.Int32) {
	body, err := os.ReadFile("../sources/ti/testdata/vt3_ip.json")
	if err != nil {
		t.Fatal(err)
	}
	resolutions, err := os.ReadFile("../sources/ti/testdata/vt3_resolutions.json")
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("X-Apikey") != "vt-key" {
			http.Error(w, "{}", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/resolutions") {
			w.Write(resolutions)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func intelServer(t *testing.T, vt *httptest.Server, perMinute float64) *httptest.Server {
	store := demoWorkspace(t)
	svc, err := providers.Build(config.TI{Providers: map[string]config.TIProvider{
		"VirusTotal": {APIKey: "vt-key", BaseURL: vt.URL, PerMinute: perMinute, PerDay: 500},
	}}, vt.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	g, err := geo.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Source: store, Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store, Now: func() time.Time { return anchor }, TI: svc, Geo: g}}})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts
}

func TestThreatIntelThroughGraphQL(t *testing.T) {
	vt, calls := vtFake(t)
	ts := intelServer(t, vt, 1000)
	q := `{ ipAddress(address: "` + demo.C2IP + `") { threatIntel { verdict results { provider verdict status summary cached details raw } }
		passiveDns { hostname sources } geo { countryCode countryName source } whois { asn asName cidr } } }`
	r := post(t, ts, q, nil)
	noErrors(t, r)
	results := map[string]any{}
	for _, res := range get(r.Data, "ipAddress.threatIntel.results").([]any) {
		results[get(res, "provider").(string)] = res
	}
	if get(r.Data, "ipAddress.threatIntel.verdict") != "HIGH" || get(results["VirusTotal"], "verdict") != "HIGH" ||
		get(results["VirusTotal"], "details.malicious") != 5.0 || get(results["VirusTotal"], "raw.data.attributes.asn") != 396507.0 {
		t.Errorf("VirusTotal = %v", results["VirusTotal"])
	}
	if get(results["SentinelTI"], "verdict") != "HIGH" || get(results["OTX"], "status") != "DISABLED" {
		t.Errorf("SentinelTI / OTX = %v / %v", results["SentinelTI"], results["OTX"])
	}
	names := map[string]bool{}
	for _, p := range get(r.Data, "ipAddress.passiveDns").([]any) {
		names[get(p, "hostname").(string)] = true
	}
	if !names[demo.C2Domain] || !names["franttini.com.ua"] || get(r.Data, "ipAddress.geo.countryCode") == nil || get(r.Data, "ipAddress.whois.asn") == nil {
		t.Errorf("passiveDns/geo/whois = %v", r.Data)
	}
	// The repeat is served from the cache: no provider call, and the trace says so.
	before := calls.Load()
	r = post(t, ts, `{ ipAddress(address: "`+demo.C2IP+`") { threatIntel(providers: ["VirusTotal"]) { results { provider cached } } } }`, nil)
	noErrors(t, r)
	if calls.Load() != before || get(r.Data, "ipAddress.threatIntel.results.0.cached") != true {
		t.Errorf("repeat made %d calls; result %v", calls.Load()-before, r.Data)
	}
	var tiCalls int
	for _, c := range r.Extensions.Trace {
		if c.Source == "ti" && c.Facet == "VirusTotal" {
			tiCalls++
			if !c.Cached {
				t.Errorf("trace %+v not cached", c)
			}
		}
	}
	if tiCalls != 1 {
		t.Errorf("trace has %d VirusTotal calls", tiCalls)
	}
	// Private addresses and external: false make no call.
	r = post(t, ts, `{ a: ipAddress(address: "10.0.1.4") { threatIntel { results { provider status } } geo { countryCode } whois { asn } }
		b: ipAddress(address: "8.8.8.8") { threatIntel(external: false) { results { provider status } } } }`, nil)
	noErrors(t, r)
	if calls.Load() != before || get(r.Data, "a.threatIntel.results.0.status") != "NOT_APPLICABLE" || get(r.Data, "b.threatIntel.results.0.status") != "NOT_APPLICABLE" {
		t.Errorf("private/TLP:RED: %v (calls %d)", r.Data, calls.Load()-before)
	}
	if get(r.Data, "a.geo") != nil || get(r.Data, "a.whois") != nil {
		t.Errorf("private geo/whois = %v", r.Data["a"])
	}
	r = post(t, ts, `{ ipAddress(address: "8.8.8.8") { threatIntel(providers: ["Nope"]) { verdict } } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["argument"] != "providers" {
		t.Errorf("unknown provider: %+v", r.Errors)
	}
	r = post(t, ts, `{ providers { name configured enabled external requestsPerMinute remainingToday resetAt } }`, nil)
	noErrors(t, r)
	if get(r.Data, "providers.0.name") != "VirusTotal" || get(r.Data, "providers.0.enabled") != true || num(get(r.Data, "providers.0.remainingToday")) != 498 { // one look-up, one passive-DNS call
		t.Errorf("providers = %v", get(r.Data, "providers.0"))
	}
}

// TestThreatIntelBudget: 200 concurrent GraphQL requests for distinct IPs
// never make the provider see more calls than the bucket allows.
func TestThreatIntelBudget(t *testing.T) {
	vt, calls := vtFake(t)
	ts := intelServer(t, vt, 4)
	var wg sync.WaitGroup
	var limited atomic.Int32
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := fmt.Sprintf(`{ ipAddress(address: "45.33.%d.%d") { threatIntel(providers: ["VirusTotal"]) { results { status retryAfter } } } }`, i/250, 1+i%250)
			r := post(t, ts, q, nil)
			if get(r.Data, "ipAddress.threatIntel.results.0.status") == "RATE_LIMITED" && num(get(r.Data, "ipAddress.threatIntel.results.0.retryAfter")) > 0 {
				limited.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := calls.Load(); n > 4 || limited.Load() != 200-n {
		t.Errorf("provider saw %d calls; %d answered RATE_LIMITED", n, limited.Load())
	}
}

// TestDefer: with Accept: multipart/mixed the log facets come in the first
// part and the deferred threat intelligence in a later one; without it,
// @defer is refused rather than answered with nulls.
func TestDefer(t *testing.T) {
	vt, _ := vtFake(t)
	ts := intelServer(t, vt, 1000)
	q := `{ ipAddress(address: "` + demo.C2IP + `") { alerts { totalCount } ... @defer(label: "intel") { threatIntel { verdict } } } }`
	body, _ := json.Marshal(map[string]any{"query": q})
	req, _ := http.NewRequest("POST", ts.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "multipart/mixed; deferSpec=20220824, application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(resp.Body, params["boundary"])
	var parts []map[string]any
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		var part map[string]any
		raw, _ := io.ReadAll(p)
		if err := json.Unmarshal(raw, &part); err != nil {
			t.Fatalf("part %q: %v", raw, err)
		}
		parts = append(parts, part)
	}
	if len(parts) < 2 {
		t.Fatalf("%d parts: %v", len(parts), parts)
	}
	first, _ := json.Marshal(parts[0])
	if !strings.Contains(string(first), `"alerts":{"totalCount":1}`) || strings.Contains(string(first), "verdict") || parts[0]["hasNext"] != true {
		t.Errorf("first part: %s", first)
	}
	rest, _ := json.Marshal(parts[1:])
	if !strings.Contains(string(rest), `"verdict":"HIGH"`) || !strings.Contains(string(rest), `"label":"intel"`) || !strings.Contains(string(rest), `"hasNext":false`) {
		t.Errorf("later parts: %s", rest)
	}

	r := post(t, ts, q, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != errcode.DeferNeedsMultipart || r.Data != nil {
		t.Errorf("without multipart: %+v", r)
	}
}
