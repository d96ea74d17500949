// Package loaders batches facet look-ups per request: every key asked for
// one facet, timespan and page in one level of the request becomes one
// backend query, sent as soon as the level is ready (Levels), and a key
// asked twice is fetched once.
package loaders

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/singleflight"

	"entitygraph/internal/cache"
	"entitygraph/internal/calltrace"
	"entitygraph/internal/decorate"
	"entitygraph/internal/facets"
	"entitygraph/internal/sources"
)

// MaxBatch caps the keys of one backend query; larger fan-outs are split.
const MaxBatch = 100

// DefaultWait is how long a loader gathers keys before querying when the
// request's levels are not tracked (the dataloader library's own default).
const DefaultWait = 16 * time.Millisecond

// Shared is what all requests share, set out as the layers of
// decorate.Chain around each request's source: the result cache, the
// coalescing of identical queries in flight, the replicas' cache and the
// caller's budget. All are keyed by the source's partition (source,
// workspace set, and the caller when queries run as the caller), so
// nothing crosses from one workspace set or on-behalf-of caller to another.
type Shared struct {
	Cache  *cache.Cache[[]sources.Row] // nil: no cache
	Budget QueryBudget                 // per-caller backend query budget; nil: none
	// Remote, when set, is the cache level several replicas share behind
	// the local one (keyed by the same partition-first keys), and the
	// leases that let one replica query while the others wait.
	Remote Remote
	// Stopping, when cancelled (with cause ErrShuttingDown), cancels every
	// request's backend work.
	Stopping context.Context
	flight   singleflight.Group
}

// Remote is a result cache shared by replicas, with leases.
type Remote = decorate.RemoteStore

// RemoteWait bounds how long a replica waits for another's query before
// running it itself.
const RemoteWait = decorate.RemoteWait

// ErrShuttingDown is the error of work cancelled because the server stops.
var ErrShuttingDown = decorate.ErrShuttingDown

// QueryBudget admits a caller's backend queries: ok, or how long to wait.
type QueryBudget = decorate.QueryBudget

// Call is one backend call a request caused.
type Call = calltrace.Call

// Trace lists a request's backend calls in the order they finished.
type Trace = calltrace.Trace

// DefaultMaxShapes bounds the distinct backend queries (facet and query
// shape) one request may cause: aliases of one facet with distinct
// timespans would otherwise each be a query.
const DefaultMaxShapes = 200

// ErrTooManyShapes refuses a look-up past a request's MaxShapes.
var ErrTooManyShapes = errors.New("this request asks for too many distinct backend queries")

// DefaultLevelWait is the longest a miss waits for its level when levels
// are tracked: reached only while some field waits on work no loader
// sees, or does long work of its own.
const DefaultLevelWait = 100 * time.Millisecond

// Options tune batching.
type Options struct {
	Wait      time.Duration // batch window when levels are not tracked; 0: DefaultWait
	LevelWait time.Duration // backstop when they are; 0: DefaultLevelWait
	MaxBatch  int           // 0: MaxBatch; 1 turns batching off (one query per key)
	MaxShapes int           // distinct facet queries per request; 0: DefaultMaxShapes
}

type loaderKey struct {
	facet     string
	signature string // facets.Query.Signature: all but the keys
}

// Loaders holds one request's dataloaders.
type Loaders struct {
	src       sources.LogSource // the source behind the shared layers (decorate.Chain)
	combines  bool              // the source answers a level's rounds of one scan as one query
	partition string            // src.Partition(), computed once
	caller    string            // who the request's queries are counted against
	shared    *Shared
	opts      Options
	base      context.Context // detached from any one field, keeps the request deadline
	cancel    context.CancelCauseFunc
	trace     *Trace

	mu      sync.Mutex
	levels  *Levels              // nil: dispatch by the window alone
	pending map[loaderKey]*round // misses waiting for dispatch
	calls   map[string]*call     // every miss of the request, by cache key
	shapes  map[loaderKey]bool   // distinct facet queries asked
	timer   *time.Timer          // sends the pending rounds at the latest
	served  map[string]bool      // cache keys answered from the shared cache
	memo    sync.Map             // per-request results derived from loaded rows
}

// Memo returns the request's value for key, computing it with fn the first
// time (concurrent callers of one key may each compute it; the first
// stored wins).
func (l *Loaders) Memo(key string, fn func() any) any {
	if v, ok := l.memo.Load(key); ok {
		return v
	}
	v, _ := l.memo.LoadOrStore(key, fn())
	return v
}

// Remember stores a value for key unless one is there.
func (l *Loaders) Remember(key string, v any) { l.memo.LoadOrStore(key, v) }

// New creates the loaders of one request over what requests share (nil:
// nothing).
func New(ctx context.Context, src sources.LogSource, shared *Shared, trace *Trace, opts Options) *Loaders {
	if shared == nil {
		shared = &Shared{}
	}
	if opts.Wait <= 0 {
		opts.Wait = DefaultWait
	}
	if opts.LevelWait <= 0 {
		opts.LevelWait = DefaultLevelWait
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = MaxBatch
	}
	if opts.MaxShapes <= 0 {
		opts.MaxShapes = DefaultMaxShapes
	}
	base, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	if dl, ok := ctx.Deadline(); ok {
		var cancelDL context.CancelFunc
		base, cancelDL = context.WithDeadline(base, dl)
		cancelCause := cancel
		cancel = func(err error) { cancelCause(err); cancelDL() } // the cause first: it reaches the child
	}
	if shared.Stopping != nil {
		stopping := shared.Stopping
		release := context.AfterFunc(stopping, func() { cancel(context.Cause(stopping)) })
		cancelCause := cancel
		cancel = func(err error) { release(); cancelCause(err) }
	}
	base = calltrace.With(base, trace)
	chain := decorate.Chain(src, decorate.Layers{Cache: shared.Cache, Flight: &shared.flight, Remote: shared.Remote, Budget: shared.Budget})
	sc, combines := src.(sources.ScanCombiner)
	return &Loaders{src: chain, combines: combines && sc.CombinesScans(), partition: src.Partition(), shared: shared, opts: opts, base: base, cancel: cancel, trace: trace, pending: map[loaderKey]*round{}, calls: map[string]*call{}, shapes: map[loaderKey]bool{}, served: map[string]bool{}}
}

// CountAgainst sets who the request's backend queries are counted against.
func (l *Loaders) CountAgainst(caller string) { l.caller = caller }

// Close cancels queries still running once the request is over.
func (l *Loaders) Close() { l.cancel(context.Canceled) }

// Trace returns the request's backend-call trace.
func (l *Loaders) Trace() *Trace { return l.trace }

// Load returns the rows of facet f for one key; q holds everything else
// (timespan, page, filters). Keys of equal f and q asked in one level of
// the request are batched into one query.
//
// A key the shared cache holds is answered at once; only misses wait for
// their level to be ready (Levels) or, when levels are not tracked, for
// the batch window.
func (l *Loaders) Load(ctx context.Context, f *facets.Facet, q facets.Query, key string) ([]sources.Row, error) {
	q.Keys = nil
	lk := loaderKey{facet: f.Name, signature: q.Signature()}
	ck := l.cacheKey(f, lk.signature, key)
	if rows, ok := l.hit(ctx, f, lk.signature, ck, key, false); ok {
		return rows, nil
	}
	l.mu.Lock()
	c, seen := l.calls[ck]
	if !seen {
		r, ok := l.pending[lk]
		if !ok {
			if !l.shapes[lk] && len(l.shapes) >= l.opts.MaxShapes {
				l.mu.Unlock()
				return nil, fmt.Errorf("%w (limit %d)", ErrTooManyShapes, l.opts.MaxShapes)
			}
			l.shapes[lk] = true
			r = &round{f: f, q: q}
			l.pending[lk] = r
		}
		c = &call{done: make(chan struct{})}
		l.calls[ck] = c
		r.keys = append(r.keys, key)
		r.calls = append(r.calls, c)
		if len(r.keys) >= l.opts.MaxBatch {
			delete(l.pending, lk)
			go l.run(r)
		} else if l.timer == nil {
			l.timer = time.AfterFunc(l.window(), l.flush)
		}
	}
	if c.finished {
		l.mu.Unlock()
		return c.rows, c.err
	}
	c.waiters++
	l.mu.Unlock()
	l.levels.add(-1) // the field waits; run hands its token back
	<-c.done
	return c.rows, c.err
}

// Cached returns the rows of facet f for one key when the local cache
// holds them, without a round trip or a batch: callers serve hits inline
// and fan out only for the rest (whose look-ups in the replicas' cache
// then run concurrently, in Load).
func (l *Loaders) Cached(ctx context.Context, f *facets.Facet, q facets.Query, key string) ([]sources.Row, bool) {
	sig := q.Signature() // Query.Signature leaves the keys out
	return l.hit(ctx, f, sig, l.cacheKey(f, sig, key), key, true)
}

// hit answers a key the shared layers hold (only the local cache when
// local), tracing it once per request.
func (l *Loaders) hit(ctx context.Context, f *facets.Facet, sig, ck, key string, local bool) ([]sources.Row, bool) {
	var h decorate.Hit
	var ok bool
	if lp, can := l.src.(decorate.LocalPeeker); local && can {
		h, ok = lp.PeekLocal(f, sig, key)
	} else if p, can := l.src.(decorate.Peeker); can && !local {
		h, ok = p.Peek(ctx, f, sig, key)
	}
	if !ok {
		return nil, false
	}
	l.mu.Lock()
	first := !l.served[ck] // a key loaded twice in one request is traced once
	l.served[ck] = true
	l.mu.Unlock()
	if first {
		l.trace.Add(Call{Source: l.src.Name(), Facet: f.Name, Table: f.Table, Keys: 1, Rows: len(h.Rows), Cached: true, Shared: h.Shared})
		if span := trace.SpanFromContext(ctx); span.IsRecording() {
			span.AddEvent("cache hit", trace.WithAttributes(attribute.String("entitygraph.facet", f.Name), attribute.Int("entitygraph.rows", len(h.Rows))))
		}
	}
	return h.Rows, true
}

// round is the keys of one facet query waiting for dispatch.
type round struct {
	f     *facets.Facet
	q     facets.Query
	keys  []string
	calls []*call
}

// call is one key's result, shared by every field of the request that
// asked for it.
type call struct {
	done     chan struct{}
	finished bool
	waiters  int // fields blocked on done
	rows     []sources.Row
	err      error
}

// window is how long a miss waits at most before its round is sent: the
// batch window, or the backstop when levels are tracked.
func (l *Loaders) window() time.Duration {
	if l.levels.Tracking() {
		return l.opts.LevelWait
	}
	return l.opts.Wait
}

// flush sends every waiting round now.
func (l *Loaders) flush() {
	l.mu.Lock()
	rounds := l.pending
	l.pending = map[loaderKey]*round{}
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	l.mu.Unlock()
	for _, g := range l.groups(rounds) {
		if len(g) == 1 {
			go l.run(g[0])
		} else {
			go l.runGroup(g)
		}
	}
}

// groups partitions a level's rounds into those sent as one query: rounds
// of one scan (facets.Combine) when the source combines scans, else each
// alone.
func (l *Loaders) groups(rounds map[loaderKey]*round) [][]*round {
	rs := make([]*round, 0, len(rounds))
	for _, r := range rounds {
		rs = append(rs, r)
	}
	if !l.combines || len(rs) < 2 {
		out := make([][]*round, len(rs))
		for i, r := range rs {
			out[i] = []*round{r}
		}
		return out
	}
	ms := make([]facets.Member, len(rs))
	for i, r := range rs {
		q := r.q
		q.Keys = r.keys
		ms[i] = facets.Member{Facet: r.f, Query: q}
	}
	var out [][]*round
	for _, idx := range facets.Combine(ms) {
		g := make([]*round, len(idx))
		for i, j := range idx {
			g[i] = rs[j]
		}
		out = append(out, g)
	}
	return out
}

// runGroup queries rounds of one scan as one statement (facets.Group)
// and hands each round its member's rows.
func (l *Loaders) runGroup(rs []*round) {
	keys := slices.Sorted(slices.Values(rs[0].keys))
	ms := make([]facets.Member, len(rs))
	for i, r := range rs {
		ms[i] = facets.Member{Facet: r.f, Query: r.q}
	}
	g, q, err := facets.Group(ms, keys)
	if err != nil { // Combine formed the group: it cannot happen, but each round can still go alone
		for _, r := range rs {
			go l.run(r)
		}
		return
	}
	res, err := l.src.Run(decorate.WithCaller(l.base, l.caller), g, q)
	if se := (*sources.Error)(nil); errors.As(err, &se) && se.Kind == sources.BadQuery {
		// The service refused the combined statement (its KQL is proven by
		// the analyzer only): each member goes alone, as without groups.
		for _, r := range rs {
			go l.run(r)
		}
		return
	}
	var partial *sources.PartialError
	failed := err != nil && !errors.As(err, &partial)
	split := decorate.ByKey(res.Rows)
	byKey := make(map[string][][]sources.Row, len(keys))
	for _, k := range keys {
		byKey[k] = decorate.SplitMembers(g, split[k])
	}
	for i, r := range rs {
		rows := make([][]sources.Row, len(r.keys))
		errs := make([]error, len(r.keys))
		for j, k := range r.keys {
			errs[j] = err
			if !failed {
				rows[j] = byKey[k][i]
			}
		}
		l.finish(r, rows, errs)
	}
}

// roundGuard is how long a round's dataloader waits for keys before
// sending what it has. A round is whole when it runs (its keys are
// distinct, and the loader dispatches at their number), so this only
// guards against a round that never fills; it must outlast the
// goroutines LoadMany submits each key from, which on a loaded machine
// start late (with the batch window here, a 100-key round went as 99 + 1).
const roundGuard = time.Second

// run queries one round through a dataloader sized to it, so the batch
// starts as soon as its keys are in, and hands each waiting field's token
// back before waking it.
func (l *Loaders) run(r *round) {
	ld := dataloader.NewBatchedLoader(l.batchFn(r.f, r.q),
		dataloader.WithBatchCapacity[string, []sources.Row](len(r.keys)),
		dataloader.WithWait[string, []sources.Row](roundGuard))
	rows, errs := ld.LoadMany(l.base, r.keys)()
	l.finish(r, rows, errs)
}

// finish hands a round's rows (and errors, in key order) to its calls and
// each waiting field's token back before waking it.
func (l *Loaders) finish(r *round, rows [][]sources.Row, errs []error) {
	l.mu.Lock()
	waiters := 0
	for i, c := range r.calls {
		c.rows = rows[i]
		if len(errs) > i {
			c.err = errs[i]
		}
		c.finished = true
		waiters += c.waiters
	}
	l.mu.Unlock()
	l.levels.add(waiters)
	for _, c := range r.calls {
		close(c.done)
	}
}

// TrackLevels makes the request's dispatch follow its levels (see Levels)
// and returns the tracker the executor reports to.
func (l *Loaders) TrackLevels() *Levels {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.levels == nil {
		l.levels = newLevels(l.flush, l.flush)
	}
	return l.levels
}

// cacheKey names one key's rows of one facet query, as the shared layers
// do (decorate.CacheKey: the partition first).
func (l *Loaders) cacheKey(f *facets.Facet, signature, key string) string {
	return decorate.CacheKey(l.partition, f, signature, key)
}

// batchFn queries one batch of keys through the shared layers and splits
// the rows back per key; partial rows come with their error.
func (l *Loaders) batchFn(f *facets.Facet, template facets.Query) dataloader.BatchFunc[string, []sources.Row] {
	return func(_ context.Context, keys []string) []*dataloader.Result[[]sources.Row] {
		q := template
		q.Keys = keys
		res, err := l.src.Run(decorate.WithCaller(l.base, l.caller), f, q)
		out := make([]*dataloader.Result[[]sources.Row], len(keys))
		var partial *sources.PartialError
		if err != nil && !errors.As(err, &partial) {
			for i := range keys {
				out[i] = &dataloader.Result[[]sources.Row]{Error: err}
			}
			return out
		}
		split := decorate.ByKey(res.Rows)
		for i, k := range keys {
			out[i] = &dataloader.Result[[]sources.Row]{Data: split[k], Error: err}
		}
		return out
	}
}

type ctxKey struct{}

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
