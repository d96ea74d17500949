package telemetry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel"
)

// TestOTLPExport: with OTEL_EXPORTER_OTLP_ENDPOINT set, spans reach the
// collector over OTLP/HTTP; without it nothing is exported.
func TestOTLPExport(t *testing.T) {
	var posts, bytes atomic.Int64
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && r.URL.Path == "/v1/traces" {
			b, _ := io.ReadAll(r.Body)
			posts.Add(1)
			bytes.Add(int64(len(b)))
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	prev := otel.GetTracerProvider()
	defer otel.SetTracerProvider(prev)

	if Enabled(func(string) string { return "" }) {
		t.Error("tracing on with no OTEL_* variable")
	}
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	shutdown, err := Setup(context.Background(), os.Getenv, "test")
	if err != nil {
		t.Fatal(err)
	}
	_, span := Tracer().Start(context.Background(), "backend ip.signins")
	span.End()
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if posts.Load() == 0 || bytes.Load() == 0 {
		t.Errorf("the collector received %d posts, %d bytes", posts.Load(), bytes.Load())
	}
}
