// Package metrics exposes the server's Prometheus metrics: requests, and
// every backend call by source and facet (the query count is a first-class
// figure here).
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry holds the server's metrics (and Go's runtime ones).
var Registry = prometheus.NewRegistry()

var (
	requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "entitygraph_graphql_request_duration_seconds", Help: "GraphQL HTTP requests by status code.",
		Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
	}, []string{"code"})
	backendCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "entitygraph_backend_calls_total", Help: "Backend calls by source, facet and outcome (query, cached, coalesced, skipped, error).",
	}, []string{"source", "facet", "outcome"})
	backendKeys = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "entitygraph_backend_keys_per_query", Help: "Keys batched into one backend query.",
		Buckets: []float64{1, 2, 5, 10, 20, 50, 100},
	}, []string{"source"})
	backendDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "entitygraph_backend_query_duration_seconds", Help: "Backend query latency by source.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
	}, []string{"source"})
)

func init() {
	Registry.MustRegister(requests, backendCalls, backendKeys, backendDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}

// Backend records one backend call.
func Backend(source, facet, outcome string, keys int, d time.Duration) {
	backendCalls.WithLabelValues(source, facet, outcome).Inc()
	if outcome == "query" || outcome == "error" {
		backendKeys.WithLabelValues(source).Observe(float64(keys))
		backendDuration.WithLabelValues(source).Observe(d.Seconds())
	}
}

// Handler serves /metrics.
func Handler() http.Handler { return promhttp.HandlerFor(Registry, promhttp.HandlerOpts{}) }

// Instrument times the requests a handler serves.
func Instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := NewStatusRecorder(w)
		next.ServeHTTP(rec, r)
		requests.WithLabelValues(http.StatusText(rec.Code)).Observe(time.Since(start).Seconds())
	})
}

// StatusRecorder is a ResponseWriter that remembers the status it wrote
// (200 unless told otherwise) and lets streaming responses through.
type StatusRecorder struct {
	http.ResponseWriter
	Code int
}

// NewStatusRecorder wraps w.
func NewStatusRecorder(w http.ResponseWriter) *StatusRecorder {
	return &StatusRecorder{ResponseWriter: w, Code: http.StatusOK}
}

// WriteHeader records the status.
func (s *StatusRecorder) WriteHeader(code int) {
	s.Code = code
	s.ResponseWriter.WriteHeader(code)
}

// Flush lets streaming (multipart) responses through.
func (s *StatusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

var (
	redisUp = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "entitygraph_redis_up", Help: "1 while the shared state (Redis) answers, 0 while this replica uses its local fallbacks.",
	})
	sharedCache = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "entitygraph_shared_cache_total", Help: "Look-ups of the shared (Redis) result cache by outcome (hit, miss, error).",
	}, []string{"outcome"})
)

func init() { Registry.MustRegister(redisUp, sharedCache) }

// RedisUp records whether the shared state answers.
func RedisUp(up bool) {
	v := 0.0
	if up {
		v = 1
	}
	redisUp.Set(v)
}

// SharedCache counts n look-ups of the shared result cache with one outcome.
func SharedCache(outcome string, n int) { sharedCache.WithLabelValues(outcome).Add(float64(n)) }
