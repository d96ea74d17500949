// Package calltrace records the backend calls of one request: what
// extensions.trace shows, what metrics count, what benchmarks read.
package calltrace

import (
	"context"
	"sync"
	"time"

	"entitygraph/internal/metrics"
)

// Call is one backend call a request caused.
type Call struct {
	Source     string  `json:"source"`
	Facet      string  `json:"facet"`
	Table      string  `json:"table"`
	Statement  string  `json:"statement"`
	Keys       int     `json:"keys"`
	Rows       int     `json:"rows"`
	DurationMs float64 `json:"durationMs"`
	Cached     bool    `json:"cached"`
	Coalesced  bool    `json:"coalesced,omitempty"` // shared an identical query another request had in flight
	Shared     bool    `json:"shared,omitempty"`    // answered from the cache the replicas share (Redis)
	Skipped    bool    `json:"skipped,omitempty"`   // table unavailable: nothing was sent
	Error      string  `json:"error,omitempty"`
}

// Trace lists a request's backend calls in the order they finished.
type Trace struct {
	mu    sync.Mutex
	calls []Call
}

// Add records a call (nil trace: only metrics).
func (t *Trace) Add(c Call) {
	outcome := "query"
	switch {
	case c.Cached:
		outcome = "cached"
	case c.Coalesced:
		outcome = "coalesced"
	case c.Skipped:
		outcome = "skipped"
	case c.Error != "":
		outcome = "error"
	}
	metrics.Backend(c.Source, c.Facet, outcome, c.Keys, time.Duration(c.DurationMs*float64(time.Millisecond)))
	if t == nil {
		return
	}
	t.mu.Lock()
	t.calls = append(t.calls, c)
	t.mu.Unlock()
}

// Calls returns a copy of the calls so far.
func (t *Trace) Calls() []Call {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Call(nil), t.calls...)
}

// Queries counts the calls that reached a backend.
func (t *Trace) Queries() int {
	n := 0
	for _, c := range t.Calls() {
		if !c.Cached && !c.Skipped && !c.Coalesced {
			n++
		}
	}
	return n
}

// Record adds a call made outside the loaders (threat-intel look-ups).
func (t *Trace) Record(c Call) { t.Add(c) }

type ctxKey struct{}

// With stores a request's trace in a context.
func With(ctx context.Context, t *Trace) context.Context { return context.WithValue(ctx, ctxKey{}, t) }

// From returns the context's trace, or nil.
func From(ctx context.Context) *Trace {
	t, _ := ctx.Value(ctxKey{}).(*Trace)
	return t
}
