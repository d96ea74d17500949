package server

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"entitygraph/graph/generated"
	"entitygraph/graph/resolvers"
	"entitygraph/internal/admission"
	"entitygraph/internal/demo"
	"entitygraph/internal/errcode"
	"entitygraph/internal/facets"
	"entitygraph/internal/loaders"
	"entitygraph/internal/sources"
)

// countingSource counts the facet queries that reach the store.
type countingSource struct {
	sources.LogSource
	runs atomic.Int64
}

func (c *countingSource) Run(ctx context.Context, f *facets.Facet, q facets.Query) (sources.Result, error) {
	c.runs.Add(1)
	return c.LogSource.Run(ctx, f, q)
}

// syncBuffer is a log destination tests read.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// countingListener counts the bytes the server reads from its connections.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, n: &l.n}, nil
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// nest wraps inner in n levels of open…close.
func nest(n int, open, inner, close string) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

// repeat joins n copies of format (with %d for the index).
func repeat(n int, format string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, format, i)
		b.WriteByte(' ')
	}
	return b.String()
}

// fragmentLadder: fragment i spreads fragment i-1 twice, so the query
// expands to 2^levels copies of the innermost selection.
func fragmentLadder(levels int) string {
	var b strings.Builder
	b.WriteString(`{ ipAddress(address: "` + demo.SprayIP + `") { ...F` + fmt.Sprint(levels) + ` } }` + "\n")
	b.WriteString(`fragment F0 on IpAddress { alerts(first: 5) { nodes { name } } }` + "\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "fragment F%d on IpAddress { ...F%d ... on IpAddress { ...F%d } }\n", i, i-1, i-1)
	}
	return b.String()
}

// TestCostWalkIsLinear: whatever the query, the cost walk visits each
// written selection at most once, its arithmetic saturates instead of
// overflowing, and the verdict is the right one.
func TestCostWalkIsLinear(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &resolvers.Resolver{}}).Schema()
	chain := `{ alert(id: "x") { ` + nest(13, `relatedAlerts(first: 100) { name `, ``, `} `) + `} }`
	cases := []struct {
		name      string
		query     string
		overCost  bool // data cost over the default limit
		overIntro bool // introspection over its budget, or more than one __schema
		maxDepth  int  // expected depth bound (0: skip)
	}{
		{"13 levels of relatedAlerts(first: 100)", chain, true, false, 0},
		{"fragments spreading the next twice, 25 levels", fragmentLadder(25), true, false, 0},
		{"1,600 aliased __schema", "{ " + repeat(1600, "s%d: __schema { types { name fields { name type { name } } } }") + "}", false, true, 0},
		{"10,000 aliased __type", "{ " + repeat(10000, `t%d: __type(name: "IpAddress") { fields { name type { ofType { name } } } }`) + "}", false, true, 0},
		{"44 levels of introspection", `{ __schema { types { fields { type { ` + nest(40, "ofType { ", "name", "} ") + ` } } } } }`, false, false, 46},
		{"GraphiQL's schema load", introspectionQuery, false, false, 16},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQuery(schema, c.query)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			cost, visited := operationCost(doc.Operations[0], nil)
			written := countSelections(doc)
			if visited > written {
				t.Errorf("visited %d selections of %d written", visited, written)
			}
			if (cost.cost > DefaultMaxCost) != c.overCost || (cost.intro > DefaultMaxIntrospectionCost || cost.schemas > maxSchemaSelections) != c.overIntro || cost.cost < 0 || cost.intro < 0 {
				t.Errorf("cost %d, introspection %d", cost.cost, cost.intro)
			}
			if c.maxDepth > 0 && max(cost.depth, cost.introspectionDep) > c.maxDepth {
				t.Errorf("depth %d / %d", cost.depth, cost.introspectionDep)
			}
			if c.name == "44 levels of introspection" && cost.introspectionDep <= DefaultMaxIntrospectionDepth {
				t.Errorf("introspection depth %d passes the limit", cost.introspectionDep)
			}
			if c.name == "GraphiQL's schema load" {
				t.Logf("GraphiQL's schema load: introspection cost %d, depth %d", cost.intro, cost.introspectionDep)
			}
			if c.name == "GraphiQL's schema load" && (cost.introspectionDep > DefaultMaxIntrospectionDepth || cost.intro*2 > DefaultMaxIntrospectionCost) {
				t.Errorf("GraphiQL's own query: depth %d, cost %d (two loads must fit)", cost.introspectionDep, cost.intro)
			}
		})
	}
}

// hostileServer serves the demo workspace over a source that counts
// queries, logging to a buffer.
func hostileServer(t *testing.T) (*httptest.Server, *countingSource, *syncBuffer) {
	store := demoWorkspace(t)
	src := &countingSource{LogSource: store}
	logs := &syncBuffer{}
	s := New(Options{Source: src, Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Batching: loaders.Options{Wait: 5 * time.Millisecond},
		Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store, Now: func() time.Time { return anchor }, MaxTimespan: 365 * 24 * time.Hour}}})
	s.SetReady()
	ts := httptest.NewUnstartedServer(s)
	ts.Listener = &countingListener{Listener: ts.Listener}
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, src, logs
}

// TestHostileRequests: one row per attack; each asserts the answer, the
// backend queries it caused, the bytes the server read, and that a normal
// query still works afterwards.
func TestHostileRequests(t *testing.T) {
	ts, src, logs := hostileServer(t)
	gql := func(q string) string { b, _ := json.Marshal(map[string]any{"query": q}); return string(b) }
	distinctSpans := "{ " + repeat(300, `a%[1]d: ipAddress(address: "`+demo.SprayIP+`", timespan: {last: "1%[1]dm"}) { signins(first: 1) { totalCount } }`) + "}"
	sameName := "{ " + strings.Repeat(`workspace { source } `, 2500) + "}"
	marker := "SECRET-BODY-MARKER"
	cases := []struct {
		name        string
		body        string
		chunked     bool // no Content-Length: the server must stop reading
		status      int
		code        string // extensions.code of the first error
		maxBackend  int64  // facet queries allowed
		maxBodyRead int64  // bytes the server may read (0: no check)
	}{
		{"cost overflow: 13 levels of relatedAlerts(first: 100)", gql(`{ alert(id: "x") { ` + nest(13, `relatedAlerts(first: 100) { name `, ``, `} `) + `} }`), false, 200, errcode.QueryTooComplex, 0, 0},
		{"exponential fragments", gql(fragmentLadder(25)), false, 200, errcode.QueryTooComplex, 0, 0},
		{"1,600 aliased __schema", gql("{ " + repeat(1600, "s%d: __schema { types { name } }") + "}"), false, 200, errcode.QueryTooComplex, 0, 0},
		{"2 aliased __schema", gql("{ a: __schema { types { name } } b: __schema { types { name } } }"), false, 200, errcode.QueryTooComplex, 0, 0},
		{"1,000 aliased __type (over the token limit)", gql("{ " + repeat(1000, `t%d: __type(name: "IpAddress") { fields { name type { ofType { name } } } }`) + "}"), false, 200, "GRAPHQL_PARSE_FAILED", 0, 0},
		{"90,000 __typename (over the token limit)", gql("{ " + strings.Repeat("__typename ", 90000) + "}"), false, 200, "GRAPHQL_PARSE_FAILED", 0, 0},
		{"3,000 __typename", gql("{ " + strings.Repeat("__typename ", 3000) + "}"), false, 200, errcode.QueryTooComplex, 0, 0},
		{"44 levels of introspection", gql(`{ __schema { types { fields { type { ` + nest(40, "ofType { ", "name", "} ") + ` } } } } }`), false, 200, errcode.TooDeep, 0, 0},
		{"2,500 same-name fields", gql(sameName), false, 200, errcode.QueryTooComplex, 0, 0},
		{"999 conflicting fields under one alias", gql("{ " + repeat(999, `a: ipAddress(address: "1.2.3.%d") { address }`) + "}"), false, 200, errcode.QueryTooComplex, 0, 0},
		{"one alias through 600 fragments", gql("{ " + repeat(600, "...Q%d") + "}\n" + repeat(600, `fragment Q%[1]d on Query { a: ipAddress(address: "1.2.%[1]d.1") { address } }`)), false, 200, errcode.QueryTooComplex, 0, 0},
		{"300 aliases with distinct timespans", gql(distinctSpans), false, 200, errcode.QueryTooComplex, loaders.DefaultMaxShapes, 0},
		{"2 MB body with a length", gql(strings.Repeat(" ", 2<<20)), false, 413, errcode.RequestTooLarge, 0, 64 << 10},
		{"2 MB body, chunked", gql("{ " + strings.Repeat("__typename ", 200000) + "}"), true, 413, errcode.RequestTooLarge, 0, DefaultMaxBody + 256<<10 + 16<<10}, // net/http drains up to 256 KiB after the answer
		{"malformed JSON", `{"query": "{ __typename }", "` + marker + strings.Repeat("x", 500000), false, 400, errcode.BadRequest, 0, 0},
		{"batched operations", `[{"query":"{ ipAddress(address: \"` + demo.SprayIP + `\") { signins { totalCount } } }"}, {"query":"{ __typename }"}]`, false, 400, errcode.BadRequest, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := src.runs.Load()
			read := ts.Listener.(*countingListener)
			readBefore := read.n.Load()
			var body io.Reader = strings.NewReader(c.body)
			if c.chunked {
				body = io.MultiReader(body) // hides the length
			}
			req, _ := http.NewRequest("POST", ts.URL+"/graphql", body)
			req.Close = true
			if !c.chunked {
				req.ContentLength = int64(len(c.body))
				// Wait for the server's go-ahead: one that refuses the body
				// answers first instead of resetting a connection mid-write.
				req.Header.Set("Expect", "100-continue")
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var out gqlResponse
			json.Unmarshal(raw, &out)
			code := ""
			for _, e := range out.Errors {
				if c, _ := e.Extensions["code"].(string); c != "" {
					code = c
					break
				}
			}
			if resp.StatusCode != c.status || code != c.code {
				t.Errorf("status %d code %q, want %d %q: %.300s", resp.StatusCode, code, c.status, c.code, raw)
			}
			if n := src.runs.Load() - before; n > c.maxBackend {
				t.Errorf("%d backend queries, at most %d allowed", n, c.maxBackend)
			}
			if n := read.n.Load() - readBefore; c.maxBodyRead > 0 && n > c.maxBodyRead {
				t.Errorf("the server read %d bytes, at most %d allowed", n, c.maxBodyRead)
			}
			if len(raw) > 64<<10 {
				t.Errorf("a %d-byte answer", len(raw))
			}
			if normal := post(t, ts, `{ ipAddress(address: "`+demo.C2IP+`") { alerts { totalCount } } }`, nil); len(normal.Errors) != 0 || get(normal.Data, "ipAddress.alerts.totalCount") != 1.0 {
				t.Errorf("a normal query afterwards: %+v", normal)
			}
		})
	}
	if l := logs.String(); strings.Contains(l, marker) || len(l) > 64<<10 {
		t.Errorf("request bodies reached the log (%d bytes)", len(l))
	}
}

// TestBoundedParseCache: documents over maxCachedQuery are never kept,
// and the cache is bounded by bytes, not entries.
func TestBoundedParseCache(t *testing.T) {
	c := newBoundedCache(1<<20, 16, func(q string, _ *ast.QueryDocument) string { return q })
	big := strings.Repeat("x", maxCachedQuery+1)
	for i := 0; i < 20; i++ {
		c.Add(context.Background(), fmt.Sprint(i)+big, &ast.QueryDocument{})
	}
	small := "{ __typename }"
	c.Add(context.Background(), small, &ast.QueryDocument{})
	c.c.Wait()
	for i := 0; i < 20; i++ {
		if _, ok := c.Get(context.Background(), fmt.Sprint(i)+big); ok {
			t.Fatal("an oversized document was cached")
		}
	}
	if _, ok := c.Get(context.Background(), small); !ok {
		t.Error("a small document was not cached")
	}
}

//go:embed testdata/introspection.graphql
var introspectionQuery string

// gateSource holds every query until the gate opens.
type gateSource struct {
	sources.LogSource
	entered chan struct{}
	gate    chan struct{}
	runs    atomic.Int64
}

func (g *gateSource) Run(ctx context.Context, f *facets.Facet, q facets.Query) (sources.Result, error) {
	g.runs.Add(1)
	select {
	case g.entered <- struct{}{}:
	default:
	}
	<-g.gate
	return g.LogSource.Run(ctx, f, q)
}

// TestAdmission: past the server's capacity a request waits its turn, then
// gets 503 SERVER_BUSY with Retry-After and costs no backend query; the
// request at work finishes, and the next one is served.
func TestAdmission(t *testing.T) {
	store := demoWorkspace(t)
	src := &gateSource{LogSource: store, entered: make(chan struct{}, 1), gate: make(chan struct{})}
	s := New(Options{Source: src, Admission: admission.New(admission.Options{MaxConcurrent: 1, MaxWait: 200 * time.Millisecond}),
		Batching: loaders.Options{Wait: time.Millisecond},
		Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store, Now: func() time.Time { return anchor }}}})
	ts := httptest.NewServer(s)
	defer ts.Close()
	q := `{ ipAddress(address: "` + demo.SprayIP + `") { signins { totalCount } } }`
	first := make(chan gqlResponse, 1)
	go func() { first <- post(t, ts, q, nil) }()
	<-src.entered
	before := src.runs.Load()
	body, _ := json.Marshal(map[string]any{"query": q})
	resp, err := http.Post(ts.URL+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var busy gqlResponse
	json.NewDecoder(resp.Body).Decode(&busy)
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || len(busy.Errors) != 1 || busy.Errors[0].Extensions["code"] != errcode.ServerBusy || src.runs.Load() != before {
		t.Errorf("over capacity: %d %q %+v (backend queries %d → %d)", resp.StatusCode, resp.Header.Get("Retry-After"), busy.Errors, before, src.runs.Load())
	}
	close(src.gate)
	if r := <-first; len(r.Errors) != 0 {
		t.Errorf("the request at work: %+v", r.Errors)
	}
	if r := post(t, ts, q, nil); len(r.Errors) != 0 {
		t.Errorf("after: %+v", r.Errors)
	}
}

// TestGateParsesOnce: a document already validated (in the parse cache) is
// not parsed again by the pre-validation gate; a new one is.
func TestGateParsesOnce(t *testing.T) {
	parsed := newBoundedCache(1<<20, 16, func(q string, _ *ast.QueryDocument) string { return q })
	e := limitsExtension{parsed: parsed}
	over := "{ " + strings.Repeat("__typename ", 3000) + "}"
	if err := e.MutateOperationParameters(context.Background(), &graphql.RawParams{Query: over}); err == nil {
		t.Fatal("an uncached over-limit document passed the gate")
	}
	parsed.Add(context.Background(), over, &ast.QueryDocument{})
	parsed.c.Wait()
	if err := e.MutateOperationParameters(context.Background(), &graphql.RawParams{Query: over}); err != nil {
		t.Errorf("a cached document was parsed again: %v", err)
	}
}
