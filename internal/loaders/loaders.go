// Package loaders batches facet look-ups per request: every key asked for
// one facet, timespan and page within a short window becomes one backend
// query, and a key asked twice is fetched once.
package loaders

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"entitygraph/internal/facets"
	"entitygraph/internal/sources"
)

// MaxBatch caps the keys of one backend query; larger fan-outs are split.
const MaxBatch = 100

// batchWait is how long a loader gathers keys before querying. Sibling
// resolvers of one level call Load within microseconds of each other.
const batchWait = 2 * time.Millisecond

// Span is a resolved, absolute timespan.
type Span struct {
	Start, End time.Time
}

// Page selects rows of an Events facet per key.
type Page struct {
	Offset, Limit int
	AllColumns    bool // every table column, not only those the typed model reads
}

type loaderKey struct {
	facet string
	span  Span
	page  Page
}

// Loaders holds one request's dataloaders.
type Loaders struct {
	src    sources.LogSource
	base   context.Context // detached from any one field, keeps the request deadline
	cancel context.CancelFunc
	trace  *Trace

	mu      sync.Mutex
	loaders map[loaderKey]*dataloader.Loader[string, []sources.Row]
}

// New creates the loaders of one request.
func New(ctx context.Context, src sources.LogSource, trace *Trace) *Loaders {
	base, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if dl, ok := ctx.Deadline(); ok {
		cancel()
		base, cancel = context.WithDeadline(context.WithoutCancel(ctx), dl)
	}
	return &Loaders{src: src, base: base, cancel: cancel, trace: trace, loaders: map[loaderKey]*dataloader.Loader[string, []sources.Row]{}}
}

// Close cancels queries still running once the request is over.
func (l *Loaders) Close() { l.cancel() }

// Trace returns the request's backend-call trace.
func (l *Loaders) Trace() *Trace { return l.trace }

// Load returns the rows of facet f for one key.
func (l *Loaders) Load(ctx context.Context, f *facets.Facet, span Span, page Page, key string) ([]sources.Row, error) {
	lk := loaderKey{facet: f.Name, span: span, page: page}
	l.mu.Lock()
	ld, ok := l.loaders[lk]
	if !ok {
		ld = dataloader.NewBatchedLoader(l.batchFn(f, span, page),
			dataloader.WithBatchCapacity[string, []sources.Row](MaxBatch),
			dataloader.WithWait[string, []sources.Row](batchWait))
		l.loaders[lk] = ld
	}
	l.mu.Unlock()
	return ld.Load(ctx, key)()
}

func (l *Loaders) batchFn(f *facets.Facet, span Span, page Page) dataloader.BatchFunc[string, []sources.Row] {
	return func(_ context.Context, keys []string) []*dataloader.Result[[]sources.Row] {
		out := make([]*dataloader.Result[[]sources.Row], len(keys))
		q := facets.Query{Keys: keys, Start: span.Start, End: span.End, Offset: page.Offset, Limit: page.Limit, AllColumns: page.AllColumns}
		started := time.Now()
		res, err := l.src.Run(l.base, f, q)
		call := Call{
			Source: l.src.Name(), Facet: f.Name, Table: f.Table, Statement: res.Statement,
			Keys: len(keys), Rows: len(res.Rows), DurationMs: float64(time.Since(started).Microseconds()) / 1000,
		}
		if err != nil {
			if !errors.Is(err, sources.ErrTableUnavailable) {
				call.Error = err.Error()
			} else {
				call.Skipped = true
			}
			for i := range out {
				out[i] = &dataloader.Result[[]sources.Row]{Error: err}
			}
			l.trace.add(call)
			return out
		}
		l.trace.add(call)
		byKey := make(map[string][]sources.Row, len(keys))
		for _, r := range res.Rows {
			k, _ := r[facets.KeyColumn].(string)
			byKey[k] = append(byKey[k], r)
		}
		for i, k := range keys {
			out[i] = &dataloader.Result[[]sources.Row]{Data: byKey[k]}
		}
		return out
	}
}

type ctxKey struct{}

// Middleware gives every HTTP request its own loaders and trace.
func Middleware(src sources.LogSource, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		l := New(ctx, src, &Trace{})
		defer l.Close()
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, ctxKey{}, l)))
	})
}

// With stores loaders in a context (for tests and non-HTTP callers).
func With(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// For returns the request's loaders.
func For(ctx context.Context) (*Loaders, error) {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	if !ok {
		return nil, fmt.Errorf("loaders: none in context")
	}
	return l, nil
}

// SourceName names the log source behind the loaders.
func (l *Loaders) SourceName() string { return l.src.Name() }
