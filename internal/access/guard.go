package access

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"entitygraph/internal/errcode"
	"entitygraph/internal/sources"
)

// WorkspaceHeader lets a request pick workspaces by name ("soc,subsidiary").
const WorkspaceHeader = "X-Entitygraph-Workspaces"

// APIKeyHeader carries an automation key (as does "Authorization: ApiKey <key>").
const APIKeyHeader = "X-Api-Key"

// MaxWorkspacesPerRequest is Log Analytics' own cap on one query's workspaces.
const MaxWorkspacesPerRequest = 100

// Options configure a Guard.
type Options struct {
	Config     *Config  // nil: no authentication (loopback only; see CheckListen)
	Listen     string   // the listen address, whose host is an allowed Host header
	Workspaces []string // every workspace the source has
	Defaults   []string // those a request naming none reads
	HTTPClient *http.Client
	Now        func() time.Time
	Logger     *slog.Logger
}

// Guard authenticates and authorizes requests.
type Guard struct {
	opts     Options
	entra    *EntraVerifier
	keys     []storedKey
	hosts    map[string]bool
	known    map[string]bool
	meter    *Meter
	defaults []string
}

type storedKey struct {
	cfg  APIKey
	hash []byte
}

// NewGuard validates the configuration and builds the guard.
func NewGuard(opts Options) (*Guard, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	g := &Guard{opts: opts, hosts: map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}, known: map[string]bool{}}
	for _, w := range opts.Workspaces {
		g.known[w] = true
	}
	g.defaults = opts.Defaults
	if len(g.defaults) == 0 && len(opts.Workspaces) > 0 {
		g.defaults = opts.Workspaces[:1]
	}
	if host, _, err := net.SplitHostPort(opts.Listen); err == nil && host != "" {
		if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
			g.hosts[strings.ToLower(host)] = true
		}
	}
	c := opts.Config
	if c == nil {
		return g, nil
	}
	if err := c.Validate(opts.Workspaces); err != nil {
		return nil, err
	}
	for _, h := range c.AllowedHosts {
		g.hosts[hostOnly(h)] = true
	}
	if c.Entra != nil {
		v, err := NewEntraVerifier(*c.Entra, opts.HTTPClient, opts.Now)
		if err != nil {
			return nil, err
		}
		g.entra = v
	}
	for _, k := range c.APIKeys {
		h, _ := hex.DecodeString(k.SHA256)
		g.keys = append(g.keys, storedKey{cfg: k, hash: h})
	}
	g.meter = NewMeter(c.Budgets, opts.Now)
	return g, nil
}

// Meter is the per-caller budget keeper; nil without an access section.
func (g *Guard) Meter() *Meter { return g.meter }

// Enabled says whether callers must authenticate.
func (g *Guard) Enabled() bool { return g.opts.Config != nil }

// CheckListen refuses to serve without authentication on anything but a
// loopback address, unless insecure is set (then it returns a warning).
func CheckListen(listen string, cfg *Config, insecure bool) (warning string, err error) {
	if cfg != nil || isLoopback(listen) {
		return "", nil
	}
	if insecure {
		return fmt.Sprintf("--insecure-no-auth: serving %s WITHOUT AUTHENTICATION; anyone who reaches it reads every workspace and spends every threat-intel quota", listen), nil
	}
	return "", fmt.Errorf("refusing to listen on %s without authentication: add an access section (Entra ID or API keys) to the config, listen on a loopback address, or pass --insecure-no-auth", listen)
}

func isLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func hostOnly(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.TrimSuffix(strings.Trim(h, "[]"), ".")
}

// CheckHost answers 421 to a Host header not on the allow-list (the
// listen address, loopback names, access.allowedHosts): a page whose name
// an attacker rebinds to this server's address gets nothing.
func (g *Guard) CheckHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.hosts[hostOnly(r.Host)] {
			writeError(w, http.StatusMisdirectedRequest, errcode.MisdirectedRequest, "this server does not answer for host "+strconv.Quote(truncate(r.Host, 100)), nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Protect authenticates the caller, admits it within its request budget,
// resolves the workspaces it reads, and puts the principal and the scope
// in the request context. Nothing after it runs for a refused request.
func (g *Guard) Protect(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && !preflighted(r) {
			writeError(w, http.StatusBadRequest, errcode.BadRequest, "a GET query needs a header a cross-site page cannot send without CORS consent: Authorization, X-Api-Key, "+WorkspaceHeader+", GraphQL-Require-Preflight, or Content-Type: application/json", nil)
			return
		}
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r) // CORS preflight: carries no credentials
			return
		}
		p, err := g.authenticate(r)
		if err != nil {
			g.opts.Logger.Info("request refused", "reason", err.Error(), "client", r.RemoteAddr)
			w.Header().Set("WWW-Authenticate", `Bearer, ApiKey`)
			writeError(w, http.StatusUnauthorized, errcode.Unauthenticated, err.Error(), nil)
			return
		}
		if ok, wait := g.meter.TakeRequest(p.ID, p.requestsPerMinute); !ok {
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeError(w, http.StatusTooManyRequests, errcode.RateLimited, "request budget spent for "+p.Name, map[string]any{"retryAfter": secs})
			return
		}
		ws, status, code, ext, err := g.scope(p, r.Header.Get(WorkspaceHeader))
		if err != nil {
			writeError(w, status, code, err.Error(), ext)
			return
		}
		ctx := WithPrincipal(r.Context(), p)
		ctx = sources.WithScope(ctx, sources.Scope{Workspaces: ws, Caller: sources.Caller{ID: p.ID, TenantID: p.TenantID, ObjectID: p.ObjectID, Token: p.token}})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// preflighted says the request carries a header (or content type) that
// makes a browser ask for CORS consent first.
func preflighted(r *http.Request) bool {
	for _, h := range []string{"Authorization", APIKeyHeader, WorkspaceHeader, "GraphQL-Require-Preflight"} {
		if r.Header.Get(h) != "" {
			return true
		}
	}
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	return strings.HasPrefix(ct, "application/json") || strings.HasPrefix(ct, "application/graphql-response+json")
}

func (g *Guard) authenticate(r *http.Request) (*Principal, error) {
	if g.opts.Config == nil {
		return &Principal{Kind: KindLocal, ID: "local", Name: "local", Workspaces: expand([]string{"*"}, g.opts.Workspaces)}, nil
	}
	auth := strings.TrimSpace(r.Header.Get("Authorization"))
	scheme, cred, _ := strings.Cut(auth, " ")
	cred = strings.TrimSpace(cred)
	switch {
	case strings.EqualFold(scheme, "bearer") && cred != "":
		if g.entra == nil {
			return nil, errors.New("bearer tokens are not accepted here (no access.entra); use an API key")
		}
		p, err := g.entra.Verify(r.Context(), cred)
		if err != nil {
			return nil, err
		}
		grant(p, g.opts.Config.Grants, g.opts.Workspaces)
		return p, nil
	case strings.EqualFold(scheme, "apikey") && cred != "":
		return g.apiKey(cred)
	case auth == "" && r.Header.Get(APIKeyHeader) != "":
		return g.apiKey(strings.TrimSpace(r.Header.Get(APIKeyHeader)))
	case auth != "":
		return nil, errors.New("unsupported Authorization scheme (use Bearer or ApiKey)")
	}
	return nil, errors.New("authentication required: send Authorization: Bearer <Entra ID token>, or an API key")
}

// apiKey finds the key whose SHA-256 matches, comparing every stored hash
// in constant time.
func (g *Guard) apiKey(key string) (*Principal, error) {
	sum := sha256.Sum256([]byte(key))
	var found *APIKey
	for i := range g.keys {
		if subtle.ConstantTimeCompare(sum[:], g.keys[i].hash) == 1 {
			found = &g.keys[i].cfg
		}
	}
	if found == nil {
		return nil, errors.New("unknown API key")
	}
	return &Principal{Kind: KindAPIKey, ID: "apikey:" + found.Name, Name: found.Name, requestsPerMinute: found.RequestsPerMinute,
		Workspaces: expand(found.Workspaces, g.opts.Workspaces)}, nil
}

// scope resolves the request's workspaces: those the header names (each
// must be configured and granted), else the defaults the caller may read,
// else the first workspace granted.
func (g *Guard) scope(p *Principal, header string) ([]string, int, string, map[string]any, error) {
	if len(p.Workspaces) == 0 {
		return nil, http.StatusForbidden, errcode.Forbidden, nil, fmt.Errorf("%s is granted no workspace", p.Name)
	}
	header = strings.TrimSpace(header)
	if header == "" {
		var ws []string
		for _, d := range g.defaults {
			if p.mayRead(d) {
				ws = append(ws, d)
			}
		}
		if len(ws) == 0 {
			for _, w := range g.opts.Workspaces {
				if p.mayRead(w) {
					ws = []string{w}
					break
				}
			}
		}
		sort.Strings(ws)
		return ws, 0, "", nil, nil
	}
	seen := map[string]bool{}
	var ws []string
	for _, name := range strings.Split(header, ",") {
		name = strings.TrimSpace(name)
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		if len(seen) > MaxWorkspacesPerRequest {
			return nil, http.StatusBadRequest, errcode.BadUserInput, map[string]any{"argument": WorkspaceHeader},
				fmt.Errorf("at most %d workspaces per request", MaxWorkspacesPerRequest)
		}
		if !g.known[name] {
			return nil, http.StatusBadRequest, errcode.BadUserInput, map[string]any{"argument": WorkspaceHeader},
				fmt.Errorf("unknown workspace %q (configured: %s)", truncate(name, 100), strings.Join(g.opts.Workspaces, ", "))
		}
		if !p.mayRead(name) {
			return nil, http.StatusForbidden, errcode.Forbidden, map[string]any{"workspace": name},
				fmt.Errorf("%s may not read workspace %s", p.Name, name)
		}
		ws = append(ws, name)
	}
	if len(ws) == 0 {
		return nil, http.StatusBadRequest, errcode.BadUserInput, map[string]any{"argument": WorkspaceHeader}, errors.New("no workspace named")
	}
	sort.Strings(ws)
	return ws, 0, "", nil, nil
}

// writeError answers as a GraphQL server does: {"errors":[…]} with
// extensions.code.
func writeError(w http.ResponseWriter, status int, code, msg string, ext map[string]any) {
	if ext == nil {
		ext = map[string]any{}
	}
	ext["code"] = code
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"message": msg, "extensions": ext}}})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
