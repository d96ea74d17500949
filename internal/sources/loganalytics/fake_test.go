package loganalytics

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entitygraph/internal/facets"
	"entitygraph/internal/sources/duckdb"
)

// fakeAzure is an in-process TLS fake of the Entra token endpoint and the
// Log Analytics query API. It issues tokens to the configured client (and,
// on-behalf-of, for any user assertion), checks them on every query,
// records what it received, and answers facet queries from a DuckDB store
// through an oracle: the SQL twin of each KQL text the source observed.
// Faults are served first, per workspace id.
type fakeAzure struct {
	t        *testing.T
	srv      *httptest.Server
	tenant   string
	clientID string
	secret   string
	store    *duckdb.Store            // every workspace's rows, unless stores names one
	stores   map[string]*duckdb.Store // by workspace id
	deny     map[string]bool          // principals refused with 403
	latency  time.Duration
	// rejectGroups answers every combined query (facets.Group) 400
	// SemanticError, as a service that disagrees with its KQL would.
	rejectGroups bool

	mu       sync.Mutex
	tokens   map[string]string // access token → principal
	issued   int
	oboUsers []string
	received []received
	faults   map[string][]fault
	oracle   map[string]oracleEntry

	inflight, maxInflight atomic.Int32
}

type received struct {
	Workspace  string
	KQL        string
	Timespan   string
	Additional []string
	Prefer     string
	Principal  string
}

type fault struct {
	status     int
	retryAfter string
	body       string
	delay      time.Duration
	partial    bool
}

type oracleEntry struct {
	f *facets.Facet
	q facets.Query
}

func newFakeAzure(t *testing.T, store *duckdb.Store) *fakeAzure {
	f := &fakeAzure{t: t, tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47", clientID: "entitygraph-app", secret: "s3cret-value",
		store: store, stores: map[string]*duckdb.Store{}, deny: map[string]bool{}, tokens: map[string]string{}, faults: map[string][]fault{}, oracle: map[string]oracleEntry{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", f.openid)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", f.token)
	mux.HandleFunc("POST /v1/workspaces/{id}/query", f.query)
	f.srv = httptest.NewTLSServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// observe is the source's Observer: it teaches the fake each query's twin.
func (f *fakeAzure) observe(fc *facets.Facet, q facets.Query, kql string) {
	f.mu.Lock()
	f.oracle[kql] = oracleEntry{fc, q}
	f.mu.Unlock()
}

func (f *fakeAzure) addFaults(workspace string, fs ...fault) {
	f.mu.Lock()
	f.faults[workspace] = append(f.faults[workspace], fs...)
	f.mu.Unlock()
}

func (f *fakeAzure) openid(w http.ResponseWriter, r *http.Request) {
	base := f.srv.URL + "/" + r.PathValue("tenant")
	json.NewEncoder(w).Encode(map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"issuer":                                base + "/v2.0",
		"tenant_region_scope":                   "NA",
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
	})
}

func tokenError(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	json.NewEncoder(w).Encode(map[string]any{"error": code, "error_description": desc, "error_codes": []int{7000215}})
}

func (f *fakeAzure) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, "invalid_request", err.Error())
		return
	}
	if r.PathValue("tenant") != f.tenant {
		tokenError(w, "invalid_tenant", "unknown tenant")
		return
	}
	f.mu.Lock()
	secret := f.secret
	f.mu.Unlock()
	if r.Form.Get("client_id") != f.clientID || r.Form.Get("client_secret") != secret {
		tokenError(w, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
		return
	}
	if !strings.Contains(r.Form.Get("scope"), "https://api.loganalytics.io/.default") {
		tokenError(w, "invalid_scope", "unexpected scope "+r.Form.Get("scope"))
		return
	}
	principal := "app:" + f.clientID
	switch r.Form.Get("grant_type") {
	case "client_credentials":
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		if r.Form.Get("requested_token_use") != "on_behalf_of" {
			tokenError(w, "invalid_grant", "not on_behalf_of")
			return
		}
		claims, err := unverifiedClaims(r.Form.Get("assertion"))
		if err != nil {
			tokenError(w, "invalid_grant", "AADSTS50013: Assertion failed signature validation.")
			return
		}
		principal = "user:" + fmt.Sprint(claims["oid"])
		f.mu.Lock()
		f.oboUsers = append(f.oboUsers, principal)
		f.mu.Unlock()
	default:
		tokenError(w, "unsupported_grant_type", r.Form.Get("grant_type"))
		return
	}
	f.mu.Lock()
	f.issued++
	tok := fmt.Sprintf("fake-access-token-%d", f.issued)
	f.tokens[tok] = principal
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": tok})
}

// laError writes a Log Analytics error body.
func laError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "code": code, "correlationId": "00000000-0000-0000-0000-000000000000"}})
}

var discoveredTable = regexp.MustCompile(`project TableName = "([A-Za-z0-9_]+)"`)

func (f *fakeAzure) query(w http.ResponseWriter, r *http.Request) {
	n := f.inflight.Add(1)
	defer f.inflight.Add(-1)
	for {
		m := f.maxInflight.Load()
		if n <= m || f.maxInflight.CompareAndSwap(m, n) {
			break
		}
	}
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	principal, ok := f.tokens[tok]
	f.mu.Unlock()
	if !ok {
		laError(w, http.StatusUnauthorized, "InvalidTokenError", "The provided authentication is not valid for this resource")
		return
	}
	var body struct {
		Query      string   `json:"query"`
		Timespan   string   `json:"timespan"`
		Workspaces []string `json:"workspaces"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		laError(w, http.StatusBadRequest, "BadArgumentError", "body: "+err.Error())
		return
	}
	ws := r.PathValue("id")
	f.mu.Lock()
	f.received = append(f.received, received{Workspace: ws, KQL: body.Query, Timespan: body.Timespan, Additional: body.Workspaces, Prefer: r.Header.Get("Prefer"), Principal: principal})
	var ft *fault
	if q := f.faults[ws]; len(q) > 0 {
		ft = &q[0]
		f.faults[ws] = q[1:]
	}
	entry, known := f.oracle[body.Query]
	denied := f.deny[principal]
	rejected := f.rejectGroups && known && len(entry.f.Members()) > 0
	f.mu.Unlock()
	if denied {
		laError(w, http.StatusForbidden, "InsufficientAccessError", "The provided credentials have insufficient access to perform the requested operation")
		return
	}
	if rejected {
		laError(w, http.StatusBadRequest, "SemanticError", "A semantic error occurred.")
		return
	}

	if f.latency > 0 {
		time.Sleep(f.latency)
	}
	partial := false
	if ft != nil {
		if ft.delay > 0 {
			select {
			case <-time.After(ft.delay):
			case <-r.Context().Done():
				return
			}
		}
		if ft.retryAfter != "" {
			w.Header().Set("Retry-After", ft.retryAfter)
		}
		if ft.status != 0 {
			if ft.body != "" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(ft.status)
				w.Write([]byte(ft.body))
				return
			}
			laError(w, ft.status, http.StatusText(ft.status), "injected fault")
			return
		}
		if ft.body != "" {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(ft.body))
			return
		}
		partial = ft.partial
	}

	var table map[string]any
	switch {
	case strings.HasPrefix(body.Query, "union isfuzzy=true"):
		have := f.storeFor(ws).Tables()
		rows := [][]any{}
		for _, m := range discoveredTable.FindAllStringSubmatch(body.Query, -1) {
			if _, ok := have[m[1]]; ok {
				rows = append(rows, []any{m[1]})
			}
		}
		table = map[string]any{"name": "PrimaryResult", "columns": []map[string]string{{"name": "TableName", "type": "string"}}, "rows": rows}
	case known:
		if err := checkTimespan(body.Timespan, entry.q, entry.f); err != nil {
			laError(w, http.StatusBadRequest, "BadArgumentError", err.Error())
			return
		}
		// Each workspace answers from its own rows, appended in order.
		for _, id := range append([]string{ws}, body.Workspaces...) {
			t, err := twinTable(r.Context(), f.storeFor(id).DB(), entry.f, entry.q)
			if err != nil {
				laError(w, http.StatusBadRequest, "SemanticError", err.Error())
				return
			}
			if table == nil {
				table = t
			} else {
				table["rows"] = append(table["rows"].([][]any), t["rows"].([][]any)...)
			}
		}
	default:
		laError(w, http.StatusBadRequest, "BadArgumentError", "SyntaxError: the fake knows no twin of this query")
		return
	}
	resp := map[string]any{"tables": []any{table}}
	if partial {
		resp["error"] = map[string]any{"code": "PartialError", "message": "There were some errors when processing your query.",
			"details": []any{map[string]any{"code": "EngineError", "message": "Something went wrong processing your query on the server."}}}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

func (f *fakeAzure) storeFor(workspace string) *duckdb.Store {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.stores[workspace]; ok {
		return s
	}
	return f.store
}

// checkTimespan: the API timespan starts at the query's start (whole
// seconds), ends after its end — by at most a second, plus LateArrival for
// facets on another time column.
func checkTimespan(ts string, q facets.Query, f *facets.Facet) error {
	late := time.Duration(0)
	if f.Time != "TimeGenerated" {
		late = LateArrival
	}
	parts := strings.Split(ts, "/")
	if len(parts) != 2 {
		return fmt.Errorf("timespan %q is not start/end", ts)
	}
	start, err1 := time.Parse(time.RFC3339, parts[0])
	end, err2 := time.Parse(time.RFC3339, parts[1])
	if err1 != nil || err2 != nil || start.After(q.Start) || !end.After(q.End) || q.Start.Sub(start) >= time.Second || end.Sub(q.End) > time.Second+late {
		return fmt.Errorf("timespan %q does not match the query's %v..%v", ts, q.Start, q.End)
	}
	return nil
}

// twinTable answers a facet query with its SQL twin; a group
// (facets.Group) as Kusto documents its union: each member's answer, rows
// tagged with the member and their order, the columns of all (a column
// of one member is null in another's rows).
func twinTable(ctx context.Context, db *sql.DB, fc *facets.Facet, q facets.Query) (map[string]any, error) {
	if len(fc.Members()) == 0 {
		st, err := fc.Render(facets.SQL, q)
		if err != nil {
			return nil, err
		}
		return sqlTable(ctx, db, st)
	}
	var cols []map[string]string
	index := map[string]int{}
	addCol := func(name, typ string) {
		if _, ok := index[name]; !ok {
			index[name] = len(cols)
			cols = append(cols, map[string]string{"name": name, "type": typ})
		}
	}
	type part struct {
		t      map[string]any
		member int
	}
	var parts []part
	for i, m := range fc.Members() {
		st, err := m.Facet.Render(facets.SQL, m.Within(q))
		if err != nil {
			return nil, err
		}
		t, err := sqlTable(ctx, db, st)
		if err != nil {
			return nil, err
		}
		for _, c := range t["columns"].([]map[string]string) {
			addCol(c["name"], c["type"])
		}
		parts = append(parts, part{t, i})
	}
	addCol(facets.MemberColumn, "long")
	addCol(facets.OrderColumn, "long")
	rows := [][]any{}
	for _, p := range parts {
		pc := p.t["columns"].([]map[string]string)
		for j, src := range p.t["rows"].([][]any) {
			row := make([]any, len(cols))
			for k, v := range src {
				row[index[pc[k]["name"]]] = v
			}
			row[index[facets.MemberColumn]] = int64(p.member)
			if fc.Members()[p.member].Ordered() {
				row[index[facets.OrderColumn]] = int64(j + 1)
			}
			rows = append(rows, row)
		}
	}
	// Kusto documents no order for union's output: the fake interleaves
	// the members' rows, so only their order column can put them back.
	for i := 0; i < len(rows)/2; i += 2 {
		j := len(rows) - 1 - i
		rows[i], rows[j] = rows[j], rows[i]
	}
	return map[string]any{"name": "PrimaryResult", "columns": cols, "rows": rows}, nil
}

// sqlTable runs the SQL twin and renders the result as Log Analytics does:
// datetimes as text, numbers as JSON numbers, dynamic values as JSON text.
func sqlTable(ctx context.Context, db *sql.DB, st facets.Statement) (map[string]any, error) {
	rs, err := db.QueryContext(ctx, st.Text, st.Args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	cts, err := rs.ColumnTypes()
	if err != nil {
		return nil, err
	}
	cols := make([]map[string]string, len(cts))
	for i, c := range cts {
		cols[i] = map[string]string{"name": c.Name(), "type": laType(c.DatabaseTypeName())}
	}
	rows := [][]any{}
	vals := make([]any, len(cts))
	ptrs := make([]any, len(cts))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]any, len(cts))
		for i, v := range vals {
			row[i] = laValue(v, cols[i]["type"])
		}
		rows = append(rows, row)
	}
	return map[string]any{"name": "PrimaryResult", "columns": cols, "rows": rows}, rs.Err()
}

func laType(duck string) string {
	switch {
	case strings.HasPrefix(duck, "TIMESTAMP"):
		return "datetime"
	case duck == "BIGINT" || duck == "INTEGER" || duck == "HUGEINT" || duck == "SMALLINT" || duck == "UBIGINT":
		return "long"
	case duck == "DOUBLE" || duck == "FLOAT" || strings.HasPrefix(duck, "DECIMAL"):
		return "real"
	case duck == "BOOLEAN":
		return "bool"
	case duck == "JSON" || strings.HasSuffix(duck, "[]") || strings.HasPrefix(duck, "STRUCT") || strings.HasPrefix(duck, "MAP"):
		return "dynamic"
	}
	return "string"
}

func laValue(v any, typ string) any {
	if v == nil {
		return nil
	}
	switch typ {
	case "datetime":
		return v.(time.Time).UTC().Format("2006-01-02T15:04:05.9999999Z")
	case "dynamic":
		if s, ok := v.(string); ok {
			return s // JSON text already
		}
		b, _ := json.Marshal(v)
		return string(b)
	case "long":
		switch x := v.(type) {
		case int64:
			return x
		case int32:
			return int64(x)
		}
		n, _ := strconv.ParseInt(fmt.Sprint(v), 10, 64)
		return n
	}
	return v
}

// userToken is an unsigned JWT carrying an analyst's tenant and object id.
func userToken(oid string) string {
	enc := func(m map[string]any) string {
		b, _ := json.Marshal(m)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]any{"alg": "none", "typ": "JWT"}) + "." + enc(map[string]any{"oid": oid, "tid": "72f988bf-86f1-41af-91ab-2d7cd011db47", "aud": "api://entitygraph"}) + ".c2ln"
}

func unverifiedClaims(token string) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	return claims, json.Unmarshal(payload, &claims)
}
