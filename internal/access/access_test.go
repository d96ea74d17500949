package access_test

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"entitygraph/internal/access"
	"entitygraph/internal/access/entratest"
	"entitygraph/internal/errcode"
	"entitygraph/internal/sources"
)

const (
	tenant      = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	otherTenant = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
	soarKey     = "eg_live_4bd1c2b0a7d9e3f6"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// clock is a settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type harness struct {
	issuer *entratest.Issuer
	clock  *clock
	guard  *access.Guard
	srv    *httptest.Server
	passed atomic.Int32 // requests that reached the handler behind the guard
	mu     sync.Mutex
	last   sources.Scope
	who    *access.Principal
}

func baseConfig(iss *entratest.Issuer) *access.Config {
	return &access.Config{
		Entra:   &access.Entra{TenantID: tenant, Audience: entratest.Audience, ClientID: "22222222-0000-0000-0000-000000000002", AuthorityHost: iss.AuthorityHost()},
		APIKeys: []access.APIKey{{Name: "soar", SHA256: sha(soarKey), Workspaces: []string{"soc"}, RequestsPerMinute: 3}},
		Grants: []access.Grant{
			{Role: "Entitygraph.Reader", Workspaces: []string{"soc"}},
			{Group: "11111111-1111-1111-1111-111111111111", Workspaces: []string{"*"}},
		},
		AllowedHosts: []string{"entitygraph.contoso.com"},
	}
}

func newHarness(t *testing.T, cfg func(*access.Config)) *harness {
	t.Helper()
	h := &harness{issuer: entratest.New(t, tenant), clock: &clock{t: time.Now()}}
	c := baseConfig(h.issuer)
	if cfg != nil {
		cfg(c)
	}
	g, err := access.NewGuard(access.Options{Config: c, Listen: "10.1.2.3:8443", Workspaces: []string{"soc", "subsidiary", "lab"}, Defaults: []string{"soc"},
		HTTPClient: h.issuer.Client(), Now: h.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	h.guard = g
	h.srv = httptest.NewServer(g.CheckHost(g.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.passed.Add(1)
		sc, _ := sources.ScopeFrom(r.Context())
		p, _ := access.PrincipalFrom(r.Context())
		h.mu.Lock()
		h.last, h.who = sc, p
		h.mu.Unlock()
		w.Write([]byte(`{"data":{}}`))
	}))))
	t.Cleanup(h.srv.Close)
	return h
}

type response struct {
	status int
	code   string
	ext    map[string]any
}

func (h *harness) do(t *testing.T, method string, header map[string]string) response {
	t.Helper()
	req, _ := http.NewRequest(method, h.srv.URL+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	out := response{status: resp.StatusCode}
	if len(body.Errors) > 0 {
		out.ext = body.Errors[0].Extensions
		out.code, _ = out.ext["code"].(string)
	}
	return out
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

// TestTokenValidation: every forged, stale or foreign token is refused
// with 401 UNAUTHENTICATED before anything behind the guard runs.
func TestTokenValidation(t *testing.T) {
	h := newHarness(t, nil)
	iss := h.issuer
	now := h.clock.now()
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := iss.Claims("analyst-1", now, "Entitygraph.Reader")
		if mod != nil {
			mod(c)
		}
		return c
	}
	valid := iss.Sign(t, "k1", claims(nil))
	parts := strings.Split(valid, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), "analyst-1", "analyst-9", 1))) + "." + parts[2]
	unsigned := func(alg string, c jwt.MapClaims) string {
		hdr, _ := json.Marshal(map[string]any{"alg": alg, "typ": "JWT", "kid": "k1"})
		body, _ := json.Marshal(c)
		return base64.RawURLEncoding.EncodeToString(hdr) + "." + base64.RawURLEncoding.EncodeToString(body) + "."
	}
	pub, _ := x509.MarshalPKIXPublicKey(iss.PublicKey("k1"))
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(nil))
	hs.Header["kid"] = "k1"
	hsToken, _ := hs.SignedString(pemKey)
	iss.AddKey(t, "k-other", false)

	cases := []struct {
		name  string
		token string
		ok    bool
	}{
		{"valid", valid, true},
		{"v1 issuer", iss.Sign(t, "k1", claims(func(c jwt.MapClaims) { c["iss"] = "https://sts.windows.net/" + tenant + "/" })), true},
		{"client id as audience", iss.Sign(t, "k1", claims(func(c jwt.MapClaims) { c["aud"] = "22222222-0000-0000-0000-000000000002" })), true},
		{"expired within the skew", iss.Sign(t, "k1", claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() })), true},
		{"expired", iss.Sign(t, "k1", claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-3 * time.Minute).Unix() })), false},
		{"no expiry", iss.Sign(t, "k1", claims(func(c jwt.MapClaims) { delete(c, "exp") })), false},
		{"not yet valid", iss.Sign(t, "k1", claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(3 * time.Minute).Unix() })), false},
		{"wrong audience", iss.Sign(t, "k1", claims(func(c jwt.MapClaims) { c["aud"] = "https://management.azure.com" })), false},
		{"wrong issuer", iss.Sign(t, "k1", claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.example/" + tenant + "/v2.0" })), false},
		{"other tenant", iss.Sign(t, "k1", claims(func(c jwt.MapClaims) {
			c["iss"] = iss.AuthorityHost() + otherTenant + "/v2.0"
			c["tid"] = otherTenant
		})), false},
		{"other tenant's tid under our issuer", iss.Sign(t, "k1", claims(func(c jwt.MapClaims) { c["tid"] = otherTenant })), false},
		{"no oid", iss.Sign(t, "k1", claims(func(c jwt.MapClaims) { delete(c, "oid") })), false},
		{"alg none", unsigned("none", claims(nil)), false},
		{"HS256 keyed with the public key", hsToken, false},
		{"unpublished key", iss.Sign(t, "k-other", claims(nil)), false},
		{"tampered payload", tampered, false},
		{"garbage", "not.a.jwt", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := h.passed.Load()
			r := h.do(t, "POST", bearer(c.token))
			reached := h.passed.Load() - before
			if c.ok && (r.status != 200 || reached != 1) {
				t.Errorf("refused a valid token: %d %s", r.status, r.code)
			}
			if !c.ok && (r.status != 401 || r.code != errcode.Unauthenticated || reached != 0) {
				t.Errorf("status %d code %q, %d requests got through", r.status, r.code, reached)
			}
		})
	}
	if n := iss.Metadata.Load(); n != 1 {
		t.Errorf("OpenID metadata fetched %d times, want once", n)
	}
}

// TestKeyRotation: a token signed with a key published after the key set
// was cached is accepted once the set is refreshed; unknown key ids cannot
// make the server download the set more than once a minute.
func TestKeyRotation(t *testing.T) {
	h := newHarness(t, nil)
	iss := h.issuer
	if r := h.do(t, "POST", bearer(iss.Token(t, "a1", "Entitygraph.Reader"))); r.status != 200 {
		t.Fatalf("valid token: %d", r.status)
	}
	iss.AddKey(t, "k2", false)
	h.clock.add(61 * time.Second)
	rotated := iss.Sign(t, "k2", iss.Claims("a1", h.clock.now(), "Entitygraph.Reader"))
	fetches := iss.JWKS.Load()
	for i := 0; i < 20; i++ {
		if r := h.do(t, "POST", bearer(rotated)); r.status != 401 {
			t.Fatalf("token of an unpublished key: %d", r.status)
		}
	}
	if got := iss.JWKS.Load() - fetches; got != 1 {
		t.Errorf("20 unknown-kid tokens caused %d key-set downloads, want 1", got)
	}
	iss.Publish("k2")
	h.clock.add(61 * time.Second)
	if r := h.do(t, "POST", bearer(rotated)); r.status != 200 {
		t.Errorf("after rotation: %d %s", r.status, r.code)
	}
}

func TestAPIKeys(t *testing.T) {
	h := newHarness(t, nil)
	for _, c := range []struct {
		name   string
		header map[string]string
		status int
	}{
		{"Authorization: ApiKey", map[string]string{"Authorization": "ApiKey " + soarKey}, 200},
		{"X-Api-Key", map[string]string{"X-Api-Key": soarKey}, 200},
		{"wrong key", map[string]string{"X-Api-Key": soarKey + "x"}, 401},
		{"the stored hash as the key", map[string]string{"X-Api-Key": sha(soarKey)}, 401},
		{"key as a bearer token", bearer(soarKey), 401},
		{"no credentials", nil, 401},
		{"basic auth", map[string]string{"Authorization": "Basic c29hcjpzZWNyZXQ="}, 401},
	} {
		before := h.passed.Load()
		r := h.do(t, "POST", c.header)
		if r.status != c.status || (c.status == 401 && (r.code != errcode.Unauthenticated || h.passed.Load() != before)) {
			t.Errorf("%s: %d %s", c.name, r.status, r.code)
		}
	}
	h.mu.Lock()
	who := h.who
	h.mu.Unlock()
	if who.ID != "apikey:soar" || who.Kind != access.KindAPIKey || strings.Join(who.Workspaces, ",") != "soc" {
		t.Errorf("principal = %+v", who)
	}
	// A key removed from the configuration no longer works.
	removed := newHarness(t, func(c *access.Config) { c.APIKeys = nil })
	if r := removed.do(t, "POST", map[string]string{"X-Api-Key": soarKey}); r.status != 401 || removed.passed.Load() != 0 {
		t.Errorf("removed key: %d", r.status)
	}
}

// TestWorkspaceGrants: the header is de-duplicated and sorted; naming a
// workspace outside the caller's grants is FORBIDDEN and nothing runs.
func TestWorkspaceGrants(t *testing.T) {
	h := newHarness(t, nil)
	reader := h.issuer.Token(t, "reader", "Entitygraph.Reader")
	everything := h.issuer.Sign(t, "k1", func() jwt.MapClaims {
		c := h.issuer.Claims("admin", h.clock.now())
		c["groups"] = []string{"11111111-1111-1111-1111-111111111111"}
		return c
	}())
	nothing := h.issuer.Token(t, "nobody")
	cases := []struct {
		name, token, header string
		status              int
		code, scope         string
	}{
		{"defaults", reader, "", 200, "", "soc"},
		{"granted", reader, "soc", 200, "", "soc"},
		{"outside the grants", reader, "soc,subsidiary", 403, errcode.Forbidden, ""},
		{"unknown", reader, "nope", 400, errcode.BadUserInput, ""},
		{"group grant, sorted and de-duplicated", everything, " subsidiary, lab,soc,lab ", 200, "", "lab,soc,subsidiary"},
		{"no grant at all", nothing, "", 403, errcode.Forbidden, ""},
		{"api key outside its workspaces", "", "lab", 403, errcode.Forbidden, ""},
	}
	for _, c := range cases {
		hdr := bearer(c.token)
		if c.token == "" {
			hdr = map[string]string{"X-Api-Key": soarKey}
		}
		if c.header != "" {
			hdr[access.WorkspaceHeader] = c.header
		}
		before := h.passed.Load()
		r := h.do(t, "POST", hdr)
		if r.status != c.status || r.code != c.code {
			t.Errorf("%s: %d %q, want %d %q", c.name, r.status, r.code, c.status, c.code)
			continue
		}
		if c.status != 200 {
			if h.passed.Load() != before {
				t.Errorf("%s: the request went through", c.name)
			}
			if c.code == errcode.Forbidden && c.header != "" && r.ext["workspace"] == nil {
				t.Errorf("%s: the error does not name the workspace: %v", c.name, r.ext)
			}
			continue
		}
		h.mu.Lock()
		got := strings.Join(h.last.Workspaces, ",")
		h.mu.Unlock()
		if got != c.scope {
			t.Errorf("%s: scope %q, want %q", c.name, got, c.scope)
		}
	}
	h.mu.Lock()
	c := h.last.Caller
	h.mu.Unlock()
	if c.ID != "entra:"+tenant+"/admin" || c.ObjectID != "admin" || c.Token == "" {
		t.Errorf("caller = %+v", c)
	}
}

// TestHostAndCrossSite: a rebinding Host is answered 421; a GET without a
// header that needs CORS consent is refused; nothing runs behind the guard.
func TestHostAndCrossSite(t *testing.T) {
	h := newHarness(t, nil)
	tok := h.issuer.Token(t, "a1", "Entitygraph.Reader")
	for _, c := range []struct {
		host   string
		status int
	}{
		{"attacker.example", 421}, {"attacker.example:8443", 421}, {"10.1.2.3:8443", 200}, {"localhost:8443", 200},
		{"127.0.0.1", 200}, {"[::1]:8443", 200}, {"ENTITYGRAPH.contoso.com", 200}, {"entitygraph.contoso.com.evil.example", 421},
	} {
		before := h.passed.Load()
		hdr := bearer(tok)
		hdr["Host"] = c.host
		r := h.do(t, "POST", hdr)
		if r.status != c.status || (c.status == 421 && h.passed.Load() != before) {
			t.Errorf("Host %s: %d", c.host, r.status)
		}
	}
	open, _ := access.NewGuard(access.Options{Listen: "127.0.0.1:8080", Workspaces: []string{"local"}})
	var reached atomic.Int32
	srv := httptest.NewServer(open.CheckHost(open.Protect(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached.Add(1) }))))
	defer srv.Close()
	get := func(header string) int {
		req, _ := http.NewRequest("GET", srv.URL+"/graphql?query=%7B__typename%7D", nil)
		if header != "" {
			req.Header.Set(header, "1")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := get(""); s != 400 || reached.Load() != 0 {
		t.Errorf("simple cross-site GET: %d, reached %d", s, reached.Load())
	}
	if s := get("GraphQL-Require-Preflight"); s != 200 || reached.Load() != 1 {
		t.Errorf("GET with a preflight header: %d", s)
	}
}

func TestCheckListen(t *testing.T) {
	cfg := &access.Config{}
	for _, c := range []struct {
		listen   string
		cfg      *access.Config
		insecure bool
		ok, warn bool
	}{
		{"127.0.0.1:8080", nil, false, true, false},
		{"localhost:8080", nil, false, true, false},
		{"[::1]:8080", nil, false, true, false},
		{"0.0.0.0:8080", nil, false, false, false},
		{":8080", nil, false, false, false},
		{"10.0.0.5:8080", nil, false, false, false},
		{"0.0.0.0:8080", nil, true, true, true},
		{"0.0.0.0:8080", cfg, false, true, false},
	} {
		warn, err := access.CheckListen(c.listen, c.cfg, c.insecure)
		if (err == nil) != c.ok || (warn != "") != c.warn {
			t.Errorf("%s access=%v insecure=%v: warning %q, err %v", c.listen, c.cfg != nil, c.insecure, warn, err)
		}
	}
}

// TestRequestBudget: an API key's requests per minute; other callers are
// unaffected.
func TestRequestBudget(t *testing.T) {
	h := newHarness(t, nil)
	key := map[string]string{"X-Api-Key": soarKey}
	for i := 0; i < 3; i++ {
		if r := h.do(t, "POST", key); r.status != 200 {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	before := h.passed.Load()
	r := h.do(t, "POST", key)
	if r.status != 429 || r.code != errcode.RateLimited || r.ext["retryAfter"] == nil || h.passed.Load() != before {
		t.Errorf("4th request: %d %s %v", r.status, r.code, r.ext)
	}
	if r := h.do(t, "POST", bearer(h.issuer.Token(t, "a1", "Entitygraph.Reader"))); r.status != 200 {
		t.Errorf("another caller: %d", r.status)
	}
	h.clock.add(20 * time.Second) // a third of a minute refills one request
	if r := h.do(t, "POST", key); r.status != 200 {
		t.Errorf("after refill: %d", r.status)
	}
}

func TestConfigValidation(t *testing.T) {
	iss := entratest.New(t, tenant)
	for name, mod := range map[string]func(*access.Config){
		"no authentication":       func(c *access.Config) { c.Entra, c.APIKeys = nil, nil },
		"plain key as sha256":     func(c *access.Config) { c.APIKeys[0].SHA256 = soarKey },
		"unknown workspace":       func(c *access.Config) { c.Grants[0].Workspaces = []string{"nope"} },
		"grant without a subject": func(c *access.Config) { c.Grants[0].Role = "" },
		"duplicate key names":     func(c *access.Config) { c.APIKeys = append(c.APIKeys, c.APIKeys[0]) },
		"no audience":             func(c *access.Config) { c.Entra.Audience, c.Entra.ClientID = "", "" },
	} {
		c := baseConfig(iss)
		mod(c)
		if _, err := access.NewGuard(access.Options{Config: c, Workspaces: []string{"soc", "subsidiary"}}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
