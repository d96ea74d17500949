package providers

import (
	"context"
	"encoding/base64"
	"fmt"
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

	"entitygraph/internal/config"
	"entitygraph/internal/sources/ti"
)

func testdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fakeProviders speaks every provider's protocol from one TLS server,
// checks keys, counts calls, and serves recorded real responses.
type fakeProviders struct {
	srv   *httptest.Server
	calls atomic.Int32
	mu    sync.Mutex
	byIP  map[string]func(w http.ResponseWriter)
	seen  []string
}

const key = "k-0123456789abcdef"

func newFake(t *testing.T) *fakeProviders {
	f := &fakeProviders{byIP: map[string]func(w http.ResponseWriter){}}
	serve := func(body []byte) func(w http.ResponseWriter) {
		return func(w http.ResponseWriter) { w.Header().Set("Content-Type", "application/json"); w.Write(body) }
	}
	mux := http.NewServeMux()
	route := func(pattern, header string, answer func(r *http.Request) []byte) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			f.calls.Add(1)
			f.mu.Lock()
			f.seen = append(f.seen, r.URL.Path)
			special := f.byIP[r.PathValue("ip")+r.URL.Query().Get("ipAddress")]
			f.mu.Unlock()
			want := key
			if header == "Authorization" {
				want = "Basic " + base64.StdEncoding.EncodeToString([]byte("id:"+key))
			}
			if r.Header.Get(header) != want {
				http.Error(w, `{"error":"bad key"}`, http.StatusUnauthorized)
				return
			}
			if special != nil {
				special(w)
				return
			}
			body := answer(r)
			if body == nil {
				http.NotFound(w, r)
				return
			}
			serve(body)(w)
		})
	}
	route("GET /api/v3/ip_addresses/{ip}", "X-Apikey", func(r *http.Request) []byte { return testdata(t, "vt3_ip.json") })
	route("GET /api/v3/ip_addresses/{ip}/resolutions", "X-Apikey", func(r *http.Request) []byte { return testdata(t, "vt3_resolutions.json") })
	route("GET /api/v1/indicators/IPv4/{ip}/general", "X-Otx-Api-Key", func(r *http.Request) []byte {
		if b, err := os.ReadFile(filepath.Join("..", "testdata", "otx_"+r.PathValue("ip")+".json")); err == nil {
			return b
		}
		return nil
	})
	route("GET /api/ipr/{ip}", "Authorization", func(r *http.Request) []byte {
		if b, err := os.ReadFile(filepath.Join("..", "testdata", "xforce_"+r.PathValue("ip")+".json")); err == nil {
			return b
		}
		return nil
	})
	route("GET /v3/community/{ip}", "Key", func(r *http.Request) []byte {
		if r.PathValue("ip") == "51.91.185.74" {
			return testdata(t, "greynoise_community.json")
		}
		return nil
	})
	route("GET /api/v2/check", "Key", func(r *http.Request) []byte { return testdata(t, "abuseipdb_check.json") })
	route("GET /v2/smoke/{ip}", "X-Api-Key", func(r *http.Request) []byte {
		if r.PathValue("ip") == "193.27.228.147" {
			return testdata(t, "crowdsec_smoke.json")
		}
		return nil
	})
	f.srv = httptest.NewTLSServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeProviders) on(ip string, h func(w http.ResponseWriter)) {
	f.mu.Lock()
	f.byIP[ip] = h
	f.mu.Unlock()
}

func (f *fakeProviders) config(perMinute float64) config.TI {
	p := func() config.TIProvider {
		return config.TIProvider{APIKey: key, BaseURL: f.srv.URL, PerMinute: perMinute}
	}
	xf := p()
	xf.APIID = "id"
	return config.TI{Providers: map[string]config.TIProvider{"VirusTotal": p(), "OTX": p(), "XForce": xf, "GreyNoise": p(), "AbuseIPDB": p()}}
}

func build(t *testing.T, c config.TI, f *fakeProviders) *ti.Service {
	svc, err := Build(c, f.srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	return svc
}

func byProvider(rs []ti.Result) map[string]ti.Result {
	out := map[string]ti.Result{}
	for _, r := range rs {
		out[r.Provider] = r
	}
	return out
}

// TestRealResponses: verdicts and fields from the providers' real answers.
func TestRealResponses(t *testing.T) {
	f := newFake(t)
	svc := build(t, f.config(1000), f)
	cases := []struct {
		ip       string
		provider string
		verdict  ti.Verdict
		status   ti.Status
		detail   string
		value    any
	}{
		{"51.75.29.61", "OTX", ti.High, ti.OK, "pulseCount", 49},
		{"52.183.120.194", "OTX", ti.None, ti.OK, "pulseCount", 0},
		{"51.75.29.61", "XForce", ti.None, ti.OK, "score", 1.0},
		{"52.183.120.194", "XForce", ti.None, ti.OK, "country", "United States"},
		{"23.129.64.130", "VirusTotal", ti.High, ti.OK, "malicious", 5},
		{"23.129.64.130", "VirusTotal", ti.High, ti.OK, "asOwner", "EMERALD-ONION"},
		{"51.91.185.74", "GreyNoise", ti.High, ti.OK, "classification", "malicious"},
		{"52.183.120.194", "GreyNoise", ti.None, ti.NotFound, "", nil},
		{"38.75.137.9", "AbuseIPDB", ti.None, ti.OK, "isp", "GlobalTeleHost Corp."},
		{"8.8.4.4", "OTX", ti.None, ti.NotFound, "", nil},
	}
	for _, c := range cases {
		rs, err := svc.Lookup(context.Background(), netip.MustParseAddr(c.ip), ti.LookupOptions{Providers: []string{c.provider}, External: true})
		if err != nil {
			t.Fatal(err)
		}
		r := rs[0]
		if r.Verdict != c.verdict || r.Status != c.status {
			t.Errorf("%s %s: %s/%s (%s), want %s/%s", c.provider, c.ip, r.Verdict, r.Status, r.Error, c.verdict, c.status)
		}
		if c.detail != "" && fmt.Sprint(r.Details[c.detail]) != fmt.Sprint(c.value) {
			t.Errorf("%s %s: %s = %v, want %v", c.provider, c.ip, c.detail, r.Details[c.detail], c.value)
		}
		if r.Status == ti.OK && (len(r.Raw) == 0 || r.Reference == "" || r.Summary == "" || r.FetchedAt.IsZero()) {
			t.Errorf("%s %s: result lacks raw/reference/summary/time: %+v", c.provider, c.ip, r)
		}
	}
	pd, problems := svc.PassiveDNS(context.Background(), netip.MustParseAddr("8.8.8.8"), ti.LookupOptions{External: true})
	merged := ti.MergeResolutions(pd)
	if len(problems) > 0 || len(merged) < 2 || merged[0].Sources[0] != "VirusTotal" {
		t.Errorf("passive DNS = %+v, problems %+v", merged, problems)
	}
}

func TestFailures(t *testing.T) {
	cases := []struct {
		name    string
		handler func(w http.ResponseWriter)
		status  ti.Status
		retry   time.Duration
	}{
		{"401", func(w http.ResponseWriter) { http.Error(w, `{"error":"Wrong API key"}`, http.StatusUnauthorized) }, ti.Unauthorized, 0},
		{"403", func(w http.ResponseWriter) { http.Error(w, `{}`, http.StatusForbidden) }, ti.Unauthorized, 0},
		{"429 with a long Retry-After", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "3600")
			http.Error(w, `{}`, http.StatusTooManyRequests)
		}, ti.RateLimited, time.Hour},
		{"500", func(w http.ResponseWriter) { http.Error(w, `oops`, 500) }, ti.Failed, 0},
		{"truncated body", func(w http.ResponseWriter) { w.Write([]byte(`{"pulse_info": {"count": 4`)) }, ti.Failed, 0},
		{"not JSON", func(w http.ResponseWriter) { w.Write([]byte(`<html>maintenance</html>`)) }, ti.Failed, 0},
		{"timeout", func(w http.ResponseWriter) { time.Sleep(1500 * time.Millisecond) }, ti.Failed, 0},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			ip := fmt.Sprintf("45.33.32.%d", i+1)
			f.on(ip, c.handler)
			svc := build(t, f.config(1000), f)
			ctx, cancel := context.WithTimeout(context.Background(), 800*time.Millisecond)
			defer cancel()
			rs, _ := svc.Lookup(ctx, netip.MustParseAddr(ip), ti.LookupOptions{Providers: []string{"OTX"}, External: true})
			r := rs[0]
			if r.Status != c.status || r.Verdict != ti.Unknown || r.RetryAfter != c.retry {
				t.Errorf("status %s verdict %s retry %v error %q", r.Status, r.Verdict, r.RetryAfter, r.Error)
			}
			if strings.Contains(r.Error, key) || strings.Contains(r.Error, f.srv.URL) {
				t.Errorf("error leaks the key or URL: %q", r.Error)
			}
			// Failures are not cached: a second look-up calls again.
			before := f.calls.Load()
			svc.Lookup(context.Background(), netip.MustParseAddr(ip), ti.LookupOptions{Providers: []string{"OTX"}, External: true})
			if f.calls.Load() == before && c.status != ti.RateLimited {
				t.Error("a failure was cached")
			}
		})
	}
}

// TestBudgetCacheAndPrivacy: 200 concurrent look-ups of distinct IPs never
// exceed the bucket; a repeat is served from the cache; private IPs and
// external: false make no call.
func TestBudgetCacheAndPrivacy(t *testing.T) {
	f := newFake(t)
	c := f.config(0)
	vt := c.Providers["VirusTotal"]
	vt.PerMinute = 4 // VirusTotal public API
	c.Providers = map[string]config.TIProvider{"VirusTotal": vt}
	svc := build(t, c, f)
	var wg sync.WaitGroup
	var limited atomic.Int32
	var answered sync.Map // an IP the provider answered, to repeat
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ip := netip.AddrFrom4([4]byte{45, 33, byte(i / 250), byte(1 + i%250)})
			rs, _ := svc.Lookup(context.Background(), ip, ti.LookupOptions{Providers: []string{"VirusTotal"}, External: true})
			if rs[0].Status == ti.RateLimited && rs[0].RetryAfter > 0 {
				limited.Add(1)
			} else {
				answered.Store("ip", ip)
			}
		}()
	}
	wg.Wait()
	if n := f.calls.Load(); n != 4 || limited.Load() != 196 {
		t.Errorf("provider saw %d calls, %d answered RATE_LIMITED; want 4 and 196", n, limited.Load())
	}
	svc.Wait()
	before := f.calls.Load()
	repeat, _ := answered.Load("ip")
	rs, _ := svc.Lookup(context.Background(), repeat.(netip.Addr), ti.LookupOptions{Providers: []string{"VirusTotal"}, External: true})
	if f.calls.Load() != before || !rs[0].Cached {
		t.Errorf("repeat: cached %v, calls %d → %d", rs[0].Cached, before, f.calls.Load())
	}
	for _, ip := range []string{"10.0.0.5", "192.168.1.1", "100.64.1.1", "127.0.0.1", "fe80::1", "192.0.2.1"} {
		rs, _ := svc.Lookup(context.Background(), netip.MustParseAddr(ip), ti.LookupOptions{External: true})
		if r := byProvider(rs)["VirusTotal"]; r.Status != ti.NotApplicable {
			t.Errorf("%s: %s", ip, r.Status)
		}
	}
	rs, _ = svc.Lookup(context.Background(), netip.MustParseAddr("45.33.9.9"), ti.LookupOptions{External: false})
	if r := byProvider(rs)["VirusTotal"]; r.Status != ti.NotApplicable || f.calls.Load() != before {
		t.Errorf("external: false → %s, calls %d", r.Status, f.calls.Load())
	}
	info := svc.Providers()
	if info[0].Name != "VirusTotal" || info[0].RemainingToday != 496 {
		t.Errorf("providers = %+v", info[0])
	}
}

func TestBreaker(t *testing.T) {
	f := newFake(t)
	for i := 1; i <= 8; i++ {
		f.on(fmt.Sprintf("45.33.1.%d", i), func(w http.ResponseWriter) { http.Error(w, "down", 500) })
	}
	svc := build(t, f.config(1000), f)
	for i := 1; i <= 8; i++ {
		svc.Lookup(context.Background(), netip.MustParseAddr(fmt.Sprintf("45.33.1.%d", i)), ti.LookupOptions{Providers: []string{"OTX"}, External: true})
	}
	// 5 failing look-ups (3 attempts each) open the breaker; the rest make no call.
	if n := f.calls.Load(); n != 15 {
		t.Errorf("%d calls; want 15 before the breaker opened", n)
	}
	if info := svc.Providers(); info[1].LastError == "" {
		t.Errorf("last error not reported: %+v", info[1])
	}
}

func TestLocalProviders(t *testing.T) {
	dir := t.TempDir()
	feeds := filepath.Join(dir, "feeds")
	os.MkdirAll(feeds, 0o755)
	os.WriteFile(filepath.Join(feeds, "blocklist.txt"), []byte("# scanners\n45.33.32.156\n198.51.100.0/24 ; test net\n"), 0o644)
	os.WriteFile(filepath.Join(feeds, "partner.csv"), []byte("indicator,description,confidence\n91.215.85.0/24,bulletproof hosting,90\n"), 0o644)
	os.WriteFile(filepath.Join(feeds, "bundle.json"), []byte(`{"type":"bundle","id":"bundle--1","objects":[
		{"type":"indicator","spec_version":"2.1","id":"indicator--1","pattern":"[ipv4-addr:value = '185.220.101.1']","pattern_type":"stix","name":"Tor relay","confidence":40},
		{"type":"indicator","spec_version":"2.1","id":"indicator--2","pattern":"[ipv4-addr:value = '1.2.3.4']","pattern_type":"stix","revoked":true}]}`), 0o644)
	torList := filepath.Join(dir, "exit-addresses")
	os.WriteFile(torList, []byte("ExitNode 0011BD2485AD45D984EC4159C88FC066E5E3300E\nPublished 2026-11-29 10:00:00\nLastStatus 2026-11-29 11:00:00\nExitAddress 185.220.101.1 2026-11-29 11:03:24\n"), 0o644)
	svc, err := Build(config.TI{Feeds: feeds, TorExitList: torList}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	cases := map[string]map[string]ti.Verdict{
		"45.33.32.156":  {"Feeds": ti.Medium, "Tor": ti.None},
		"198.51.100.77": {"Feeds": ti.Medium},
		"91.215.85.12":  {"Feeds": ti.High},
		"185.220.101.1": {"Feeds": ti.Medium, "Tor": ti.Medium},
		"1.2.3.4":       {"Feeds": ti.None},
	}
	for ip, want := range cases {
		rs, _ := svc.Lookup(context.Background(), netip.MustParseAddr(ip), ti.LookupOptions{External: false})
		got := byProvider(rs)
		for p, v := range want {
			if got[p].Verdict != v {
				t.Errorf("%s %s: %s (%s %s), want %s", ip, p, got[p].Verdict, got[p].Status, got[p].Error, v)
			}
		}
		if got["VirusTotal"].Status != ti.Disabled {
			t.Errorf("%s: unconfigured VirusTotal is %s", ip, got["VirusTotal"].Status)
		}
	}
}

// TestHostileProviderAnswers: a provider that redirects to another host
// never receives the key there, and an answer lacking what the verdict is
// made of is ERROR, not a clean OK.
func TestHostileProviderAnswers(t *testing.T) {
	f := newFake(t)
	var stolen atomic.Int32
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
		w.Write(testdata(t, "vt3_ip.json"))
	}))
	defer other.Close()
	c := f.config(0)
	p := c.Providers["VirusTotal"]
	c.Providers["CrowdSec"] = p
	svc := build(t, c, f)
	names := []string{"VirusTotal", "OTX", "XForce", "GreyNoise", "AbuseIPDB", "CrowdSec"}
	for i, answer := range []struct {
		name string
		h    func(w http.ResponseWriter)
	}{
		{"redirect to another host", func(w http.ResponseWriter) {
			w.Header().Set("Location", other.URL+"/api/v3/ip_addresses/45.33.2.1")
			w.WriteHeader(http.StatusFound)
		}},
		{"empty object", func(w http.ResponseWriter) { w.Header().Set("Content-Type", "application/json"); w.Write([]byte(`{}`)) }},
		{"null fields", func(w http.ResponseWriter) {
			w.Write([]byte(`{"data":{"attributes":{"last_analysis_stats":null},"abuseConfidenceScore":null},"pulse_info":null,"score":null,"noise":null,"riot":null,"scores":null}`))
		}},
	} {
		ip := fmt.Sprintf("45.33.2.%d", i+1)
		f.on(ip, answer.h)
		rs, err := svc.Lookup(context.Background(), netip.MustParseAddr(ip), ti.LookupOptions{Providers: names, External: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Status != ti.Failed || r.Verdict != ti.Unknown {
				t.Errorf("%s, %s: status %s verdict %s (%s)", answer.name, r.Provider, r.Status, r.Verdict, r.Error)
			}
			if strings.Contains(r.Error, key) {
				t.Errorf("%s: the key is in the error: %s", r.Provider, r.Error)
			}
		}
	}
	if n := stolen.Load(); n != 0 {
		t.Errorf("the other host received %d requests", n)
	}
}

// TestCrowdSec: the documented smoke answer, and 404 for an IP CrowdSec
// has not seen.
func TestCrowdSec(t *testing.T) {
	f := newFake(t)
	c := f.config(0)
	c.Providers = map[string]config.TIProvider{"CrowdSec": c.Providers["VirusTotal"]}
	svc := build(t, c, f)
	rs, err := svc.Lookup(context.Background(), netip.MustParseAddr("193.27.228.147"), ti.LookupOptions{External: true})
	if err != nil {
		t.Fatal(err)
	}
	r := byProvider(rs)["CrowdSec"]
	if r.Status != ti.OK || r.Verdict != ti.High || r.Details["score"] != 4 || r.Details["backgroundNoise"] != "high" ||
		fmt.Sprint(r.Details["behaviors"]) != "[HTTP Scan SSH Bruteforce]" || r.Details["firstSeen"] != "2026-09-02T11:15:00+00:00" ||
		r.Reference != "https://app.crowdsec.net/cti/193.27.228.147" || len(r.Raw) == 0 {
		t.Errorf("CrowdSec = %+v", r)
	}
	rs, _ = svc.Lookup(context.Background(), netip.MustParseAddr("45.33.9.1"), ti.LookupOptions{External: true})
	if r := byProvider(rs)["CrowdSec"]; r.Status != ti.NotFound || r.Verdict != ti.None {
		t.Errorf("unseen IP: %+v", r)
	}
}
