package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"entitygraph/graph/resolvers"
	"entitygraph/internal/demo"
	"entitygraph/internal/loaders"
)

// TestSpans: a request continues the caller's trace, is named after its
// operation, has one child span per backend query (facet, keys, rows,
// statement hash — never the statement), and answers extensions.traceId.
func TestSpans(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	defer otel.SetTracerProvider(prev)

	store := demoWorkspace(t)
	s := New(Options{Source: store, Batching: loaders.Options{Wait: 5 * time.Millisecond},
		Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store, Now: func() time.Time { return anchor }}}})
	ts := httptest.NewServer(s)
	defer ts.Close()
	const parent = "4bf92f3577b34da6a3ce929d0e0e4736"
	body, _ := json.Marshal(map[string]any{"query": `query Spray { ipAddresses(addresses: ["` + demo.SprayIP + `", "` + demo.C2IP + `"]) { signins { totalCount } alerts { totalCount } } }`})
	req, _ := http.NewRequest("POST", ts.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-"+parent+"-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var out struct {
		Extensions map[string]any `json:"extensions"`
	}
	json.Unmarshal(raw, &out)
	if out.Extensions["traceId"] != parent {
		t.Errorf("extensions.traceId = %v, want the caller's %s", out.Extensions["traceId"], parent)
	}
	var server sdktrace.ReadOnlySpan
	backend := map[string]sdktrace.ReadOnlySpan{}
	for _, sp := range rec.Ended() {
		if sp.SpanContext().TraceID().String() != parent {
			t.Errorf("span %q is outside the caller's trace", sp.Name())
		}
		switch {
		case sp.Name() == "query Spray":
			server = sp
		case strings.HasPrefix(sp.Name(), "backend "):
			backend[sp.Name()] = sp
		}
	}
	if server == nil {
		t.Fatalf("no span named after the operation; spans: %v", names(rec.Ended()))
	}
	attrs := map[string]any{}
	for _, a := range server.Attributes() {
		attrs[string(a.Key)] = a.Value.AsInterface()
	}
	if attrs["graphql.operation.type"] != "query" || attrs["graphql.operation.name"] != "Spray" || attrs["graphql.document"] != nil {
		t.Errorf("request span attributes %v", attrs)
	}
	if len(backend) != 2 {
		t.Fatalf("backend spans %v, want one per facet", names(rec.Ended()))
	}
	sp := backend["backend ip.signins"]
	attrs = map[string]any{}
	for _, a := range sp.Attributes() {
		attrs[string(a.Key)] = a.Value.AsInterface()
	}
	if attrs["entitygraph.keys"] != int64(2) || attrs["entitygraph.rows"] == nil || attrs["db.query.hash"] == nil || sp.Parent().SpanID() != server.SpanContext().SpanID() {
		t.Errorf("backend span attributes %v, parent %v", attrs, sp.Parent().SpanID())
	}
	for _, a := range sp.Attributes() {
		if strings.Contains(a.Value.Emit(), demo.SprayIP) {
			t.Errorf("a key reached a span attribute: %s", a.Key)
		}
	}
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name())
	}
	return out
}
