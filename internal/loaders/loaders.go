// Package loaders batches facet look-ups per request: every key asked for
// one facet, timespan and page in one level of the request becomes one
// backend query, sent as soon as the level is ready (Levels), and a key
// asked twice is fetched once.
package loaders

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/singleflight"

	"entitygraph/internal/cache"
	"entitygraph/internal/facets"
	"entitygraph/internal/metrics"
	"entitygraph/internal/sources"
	"entitygraph/internal/telemetry"
)

// MaxBatch caps the keys of one backend query; larger fan-outs are split.
const MaxBatch = 100

// DefaultWait is how long a loader gathers keys before querying: sibling
// resolvers of one level call Load within a few milliseconds of each other
// (the dataloader library's own default). A loaded machine needs more.
const DefaultWait = 16 * time.Millisecond

// Shared is what all requests share: the result cache, and the coalescing
// of identical queries in flight (two analysts opening the same IP at once
// cost one query).
//
// Both are keyed by the source's partition (source, workspace set, and the
// caller when queries run as the caller), so nothing crosses from one
// workspace set or on-behalf-of caller to another.
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
type Remote interface {
	GetRows(ctx context.Context, cacheKeys []string) (map[string][]sources.Row, error)
	SetRows(ctx context.Context, rows map[string][]sources.Row, ttl time.Duration) error
	Lease(ctx context.Context, key string, ttl time.Duration) (release func(), held bool, err error)
	WaitRows(ctx context.Context, lease string, cacheKeys []string, wait time.Duration) map[string][]sources.Row
}

// RemoteWait bounds how long a replica waits for another's query before
// running it itself.
const RemoteWait = 5 * time.Second

// ErrShuttingDown is the error of work cancelled because the server stops.
var ErrShuttingDown = errors.New("the server is shutting down")

// QueryBudget admits a caller's backend queries: ok, or how long to wait.
type QueryBudget interface {
	TakeQuery(caller string) (ok bool, retryAfter time.Duration)
}

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
	src       sources.LogSource
	partition string // src.Partition(), computed once
	caller    string // who the request's queries are counted against
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
	return &Loaders{src: src, partition: src.Partition(), shared: shared, opts: opts, base: base, cancel: cancel, trace: trace, pending: map[loaderKey]*round{}, calls: map[string]*call{}, shapes: map[loaderKey]bool{}, served: map[string]bool{}}
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
	if rows, ok := l.localHit(ctx, f, ck); ok {
		return rows, nil
	}
	if rows, ok := l.remoteHit(ctx, f, ck); ok {
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
			r = &round{f: f, q: q, signature: lk.signature}
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
// holds them, without waiting or starting anything: callers serve hits
// inline and fan out only for misses.
func (l *Loaders) Cached(ctx context.Context, f *facets.Facet, q facets.Query, key string) ([]sources.Row, bool) {
	q.Keys = nil
	return l.localHit(ctx, f, l.cacheKey(f, q.Signature(), key))
}

// localHit answers a key from the local cache, tracing it once per request.
func (l *Loaders) localHit(ctx context.Context, f *facets.Facet, ck string) ([]sources.Row, bool) {
	rows, ok := l.shared.Cache.Get(ck)
	if !ok {
		return nil, false
	}
	l.mu.Lock()
	first := !l.served[ck] // a key loaded twice in one request is traced once
	l.served[ck] = true
	l.mu.Unlock()
	if first {
		l.trace.add(Call{Source: l.src.Name(), Facet: f.Name, Table: f.Table, Keys: 1, Rows: len(rows), Cached: true})
		if span := trace.SpanFromContext(ctx); span.IsRecording() {
			span.AddEvent("cache hit", trace.WithAttributes(attribute.String("entitygraph.facet", f.Name), attribute.Int("entitygraph.rows", len(rows))))
		}
	}
	return rows, true
}

// round is the keys of one facet query waiting for dispatch.
type round struct {
	f         *facets.Facet
	q         facets.Query
	signature string
	keys      []string
	calls     []*call
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
	for _, r := range rounds {
		go l.run(r)
	}
}

// run queries one round through a dataloader sized to it, so the batch
// starts as soon as its keys are in, and hands each waiting field's token
// back before waking it.
func (l *Loaders) run(r *round) {
	ld := dataloader.NewBatchedLoader(l.batchFn(r.f, r.q, r.signature),
		dataloader.WithBatchCapacity[string, []sources.Row](len(r.keys)),
		dataloader.WithWait[string, []sources.Row](l.opts.Wait))
	rows, errs := ld.LoadMany(l.base, r.keys)()
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

// cacheKey names one key's rows of one facet query in the shared cache:
// the source's partition first, so nothing crosses workspace sets or
// on-behalf-of callers.
func (l *Loaders) cacheKey(f *facets.Facet, signature, key string) string {
	return l.partition + "|" + f.Name + "|" + signature + "|" + key
}

func (l *Loaders) batchFn(f *facets.Facet, template facets.Query, signature string) dataloader.BatchFunc[string, []sources.Row] {
	partition := l.partition
	return func(_ context.Context, all []string) []*dataloader.Result[[]sources.Row] {
		out := make([]*dataloader.Result[[]sources.Row], len(all))
		cacheKey := func(k string) string { return l.cacheKey(f, signature, k) }
		var keys []string
		var pos []int
		hits, hitRows := 0, 0
		for i, k := range all {
			if rows, ok := l.shared.Cache.Get(cacheKey(k)); ok {
				out[i] = &dataloader.Result[[]sources.Row]{Data: rows}
				hits++
				hitRows += len(rows)
				continue
			}
			keys = append(keys, k)
			pos = append(pos, i)
		}
		if hits > 0 {
			l.trace.add(Call{Source: l.src.Name(), Facet: f.Name, Table: f.Table, Keys: hits, Rows: hitRows, Cached: true})
		}
		if len(keys) == 0 {
			return out
		}
		flightKey := partition + "|" + f.Name + "|" + signature + "|" + strings.Join(keys, "\x00")
		var releaseLease func()
		keys, pos, releaseLease = l.remote(f, flightKey, keys, pos, out, cacheKey)
		defer releaseLease()
		if len(keys) == 0 {
			return out
		}
		if l.shared.Budget != nil {
			if ok, wait := l.shared.Budget.TakeQuery(l.caller); !ok {
				err := &sources.Error{Source: l.src.Name(), Kind: sources.RateLimited, RetryAfter: wait,
					Err: fmt.Errorf("the caller's backend query budget is spent for %v", wait.Round(time.Second))}
				l.trace.add(Call{Source: l.src.Name(), Facet: f.Name, Table: f.Table, Keys: len(keys), Error: err.Error()})
				for _, i := range pos {
					out[i] = &dataloader.Result[[]sources.Row]{Error: err}
				}
				return out
			}
		}
		q := template
		q.Keys = keys
		started := time.Now()
		flightKey = partition + "|" + f.Name + "|" + signature + "|" + strings.Join(keys, "\x00")
		leader := false
		ctx, span := telemetry.Tracer().Start(l.base, "backend "+f.Name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
			attribute.String("entitygraph.source", l.src.Name()), attribute.String("entitygraph.facet", f.Name),
			attribute.String("entitygraph.table", f.Table), attribute.Int("entitygraph.keys", len(keys))))
		v, err, _ := l.shared.flight.Do(flightKey, func() (any, error) {
			leader = true
			return l.src.Run(ctx, f, q)
		})
		coalesced := !leader
		res, _ := v.(sources.Result)
		span.SetAttributes(attribute.Int("entitygraph.rows", len(res.Rows)), attribute.Bool("entitygraph.coalesced", coalesced))
		if res.Statement != "" {
			span.SetAttributes(attribute.String("db.query.hash", statementHash(res.Statement)))
		}
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
		call := Call{
			Source: l.src.Name(), Facet: f.Name, Table: f.Table, Statement: res.Statement,
			Keys: len(keys), Rows: len(res.Rows), DurationMs: float64(time.Since(started).Microseconds()) / 1000,
			Coalesced: coalesced,
		}
		if err != nil && errors.Is(context.Cause(l.base), ErrShuttingDown) {
			err = fmt.Errorf("%w: %w", ErrShuttingDown, err)
		}
		var partial *sources.PartialError
		if err != nil && !errors.As(err, &partial) {
			if !errors.Is(err, sources.ErrTableUnavailable) {
				call.Error = err.Error()
			} else {
				call.Skipped = true
			}
			for _, i := range pos {
				out[i] = &dataloader.Result[[]sources.Row]{Error: err}
			}
			l.trace.add(call)
			return out
		}
		if partial != nil {
			call.Error = partial.Error()
		}
		l.trace.add(call)
		byKey := make(map[string][]sources.Row, len(keys))
		for _, r := range res.Rows {
			k, _ := r[facets.KeyColumn].(string)
			byKey[k] = append(byKey[k], r)
		}
		var stored map[string][]sources.Row
		if partial == nil && l.shared.Remote != nil && l.shared.Cache.TTL() > 0 {
			stored = make(map[string][]sources.Row, len(keys))
		}
		for j, k := range keys {
			// Partial rows are returned with their error, and not cached.
			out[pos[j]] = &dataloader.Result[[]sources.Row]{Data: byKey[k], Error: err}
			if partial == nil {
				l.shared.Cache.Set(cacheKey(k), byKey[k], rowsCost(byKey[k]))
				if stored != nil {
					stored[cacheKey(k)] = byKey[k]
				}
			}
		}
		if len(stored) > 0 && leader {
			l.shared.Remote.SetRows(l.base, stored, l.shared.Cache.TTL())
		}
		return out
	}
}

// remoteHit answers a key the replicas' shared cache holds at once, like a
// local hit: only misses wait for the batch window.
func (l *Loaders) remoteHit(ctx context.Context, f *facets.Facet, ck string) ([]sources.Row, bool) {
	r := l.shared.Remote
	if r == nil || l.shared.Cache.TTL() <= 0 {
		return nil, false
	}
	found, err := r.GetRows(ctx, []string{ck})
	if err != nil {
		metrics.SharedCache("error", 1)
		return nil, false
	}
	rows, ok := found[ck]
	if !ok {
		metrics.SharedCache("miss", 1)
		return nil, false
	}
	metrics.SharedCache("hit", 1)
	l.shared.Cache.Set(ck, rows, rowsCost(rows))
	l.mu.Lock()
	first := !l.served[ck]
	l.served[ck] = true
	l.mu.Unlock()
	if first {
		l.trace.add(Call{Source: l.src.Name(), Facet: f.Name, Table: f.Table, Keys: 1, Rows: len(rows), Cached: true, Shared: true})
	}
	return rows, true
}

// remote takes a batch's lease on the replicas' shared state: when another
// replica holds it (it is querying the same keys), waits at most
// RemoteWait for the rows it stores. It returns the keys still to query,
// their positions, and the lease's release.
func (l *Loaders) remote(f *facets.Facet, flightKey string, keys []string, pos []int, out []*dataloader.Result[[]sources.Row], cacheKey func(string) string) ([]string, []int, func()) {
	r := l.shared.Remote
	if r == nil || l.shared.Cache.TTL() <= 0 {
		return keys, pos, func() {}
	}
	cks := make([]string, len(keys))
	for i, k := range keys {
		cks[i] = cacheKey(k)
	}
	found := map[string][]sources.Row{}
	release, held, err := r.Lease(l.base, flightKey, RemoteWait+30*time.Second)
	if err == nil && held {
		found = r.WaitRows(l.base, flightKey, cks, RemoteWait)
	}
	if len(found) == 0 {
		return keys, pos, release
	}
	var restKeys []string
	var restPos []int
	hitRows := 0
	for i, k := range keys {
		rows, ok := found[cks[i]]
		if !ok {
			restKeys = append(restKeys, k)
			restPos = append(restPos, pos[i])
			continue
		}
		out[pos[i]] = &dataloader.Result[[]sources.Row]{Data: rows}
		l.shared.Cache.Set(cks[i], rows, rowsCost(rows))
		hitRows += len(rows)
	}
	l.trace.add(Call{Source: l.src.Name(), Facet: f.Name, Table: f.Table, Keys: len(found), Rows: hitRows, Cached: true, Shared: true})
	return restKeys, restPos, release
}

type ctxKey struct{}

// statementHash names a statement in spans without carrying its values.
func statementHash(st string) string {
	sum := sha256.Sum256([]byte(st))
	return hex.EncodeToString(sum[:8])
}

// rowsCost approximates the bytes rows hold in memory.
func rowsCost(rows []sources.Row) int64 {
	cost := int64(64)
	for _, r := range rows {
		for k, v := range r {
			cost += int64(len(k)) + 16
			if s, ok := v.(string); ok {
				cost += int64(len(s))
			}
		}
	}
	return cost
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
