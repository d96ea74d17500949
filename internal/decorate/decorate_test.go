package decorate

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/singleflight"

	"entitygraph/internal/cache"
	"entitygraph/internal/calltrace"
	"entitygraph/internal/facets"
	"entitygraph/internal/sources"
)

// fake answers every key with one row naming its partition, and counts
// the keys it was asked.
type fake struct {
	partition string
	delay     time.Duration
	err       error
	calls     atomic.Int32
	mu        sync.Mutex
	asked     [][]string
}

func (f *fake) Name() string      { return "fake" }
func (f *fake) Partition() string { return f.partition }

func (f *fake) Run(ctx context.Context, fc *facets.Facet, q facets.Query) (sources.Result, error) {
	f.calls.Add(1)
	f.mu.Lock()
	f.asked = append(f.asked, append([]string(nil), q.Keys...))
	f.mu.Unlock()
	time.Sleep(f.delay)
	var rows []sources.Row
	for _, k := range q.Keys {
		rows = append(rows, sources.Row{facets.KeyColumn: k, "from": f.partition})
	}
	return sources.Result{Statement: "fake", Rows: rows}, f.err
}

var span = facets.Query{Start: time.Unix(0, 0), End: time.Unix(3600, 0), Limit: 10}

func keys(ks ...string) facets.Query { q := span; q.Keys = ks; return q }

func newCache(t *testing.T) *cache.Cache[[]sources.Row] {
	c, err := cache.New[[]sources.Row](1<<20, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func rowKeys(rows []sources.Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprint(r[facets.KeyColumn], "@", r["from"]))
	}
	sort.Strings(out)
	return out
}

func TestCache(t *testing.T) {
	c := newCache(t)
	a, b := &fake{partition: "ws-a"}, &fake{partition: "ws-b"}
	ca, cb := Cache(a, c), Cache(b, c)
	ctx := context.Background()
	if _, err := ca.Run(ctx, facets.IPSignins, keys("k1", "k2")); err != nil {
		t.Fatal(err)
	}
	c.Wait()
	tr := &calltrace.Trace{}
	res, err := ca.Run(calltrace.With(ctx, tr), facets.IPSignins, keys("k1", "k2", "k3"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(a.asked); got != "[[k1 k2] [k3]]" {
		t.Errorf("keys asked of the source: %s, want only the miss the second time", got)
	}
	if got := fmt.Sprint(rowKeys(res.Rows)); got != "[k1@ws-a k2@ws-a k3@ws-a]" {
		t.Errorf("rows %s", got)
	}
	if calls := tr.Calls(); len(calls) != 1 || !calls[0].Cached || calls[0].Keys != 2 {
		t.Errorf("trace %+v, want one cached call of 2 keys", calls)
	}
	// Another partition shares the cache but never its rows.
	res, _ = cb.Run(ctx, facets.IPSignins, keys("k1"))
	if b.calls.Load() != 1 || fmt.Sprint(rowKeys(res.Rows)) != "[k1@ws-b]" {
		t.Errorf("partition b: %d calls, rows %v", b.calls.Load(), rowKeys(res.Rows))
	}
	c.Wait()
	if h, ok := ca.(Peeker).Peek(ctx, facets.IPSignins, span.Signature(), "k3"); !ok || rowKeys(h.Rows)[0] != "k3@ws-a" {
		t.Errorf("Peek k3: %v %v", h, ok)
	}
	if _, ok := ca.(Peeker).Peek(ctx, facets.IPAlerts, span.Signature(), "k3"); ok {
		t.Error("Peek answered another facet's key")
	}
	// Failures and partial results are not stored.
	for _, err := range []error{errors.New("down"), &sources.PartialError{Err: errors.New("truncated")}} {
		f := &fake{partition: "ws-c", err: err}
		cf := Cache(f, c)
		cf.Run(ctx, facets.IPSignins, keys("x"))
		c.Wait()
		cf.Run(ctx, facets.IPSignins, keys("x"))
		if f.calls.Load() != 2 {
			t.Errorf("%v: stored (%d source calls)", err, f.calls.Load())
		}
	}
}

func TestCoalesce(t *testing.T) {
	var g singleflight.Group
	a := &fake{partition: "ws-a", delay: 200 * time.Millisecond}
	b := &fake{partition: "ws-b", delay: 200 * time.Millisecond}
	ca, cb := Coalesce(a, &g), Coalesce(b, &g)
	traces := make([]*calltrace.Trace, 6)
	var wg sync.WaitGroup
	for i := range traces {
		traces[i] = &calltrace.Trace{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			src := ca
			if i%2 == 1 {
				src = cb
			}
			res, err := src.Run(calltrace.With(context.Background(), traces[i]), facets.IPSignins, keys("k1"))
			want := map[bool]string{false: "[k1@ws-a]", true: "[k1@ws-b]"}[i%2 == 1]
			if err != nil || fmt.Sprint(rowKeys(res.Rows)) != want {
				t.Errorf("caller %d: %v %v, want %s", i, rowKeys(res.Rows), err, want)
			}
		}()
	}
	wg.Wait()
	if a.calls.Load() != 1 || b.calls.Load() != 1 {
		t.Errorf("source calls: a %d, b %d, want one per partition", a.calls.Load(), b.calls.Load())
	}
	followers := 0
	for _, tr := range traces {
		for _, c := range tr.Calls() {
			if c.Coalesced {
				followers++
			}
		}
	}
	if followers != 4 {
		t.Errorf("%d followers traced as coalesced, want 4", followers)
	}
}

// memStore is a RemoteStore in memory, with leases.
type memStore struct {
	mu     sync.Mutex
	rows   map[string][]sources.Row
	leases map[string]bool
}

func (m *memStore) GetRows(_ context.Context, cks []string) (map[string][]sources.Row, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string][]sources.Row{}
	for _, k := range cks {
		if r, ok := m.rows[k]; ok {
			out[k] = r
		}
	}
	return out, nil
}

func (m *memStore) SetRows(_ context.Context, rows map[string][]sources.Row, _ time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, r := range rows {
		m.rows[k] = r
	}
	return nil
}

func (m *memStore) Lease(_ context.Context, key string, _ time.Duration) (func(), bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	held := m.leases[key]
	if !held {
		m.leases[key] = true
	}
	return func() {
		if !held {
			m.mu.Lock()
			delete(m.leases, key)
			m.mu.Unlock()
		}
	}, held, nil
}

func (m *memStore) WaitRows(ctx context.Context, lease string, cks []string, wait time.Duration) map[string][]sources.Row {
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		m.mu.Lock()
		held := m.leases[lease]
		m.mu.Unlock()
		if !held {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	found, _ := m.GetRows(ctx, cks)
	return found
}

func TestRemote(t *testing.T) {
	store := &memStore{rows: map[string][]sources.Row{}, leases: map[string]bool{}}
	one, two := &fake{partition: "ws-a", delay: 100 * time.Millisecond}, &fake{partition: "ws-a"}
	r1, r2 := Remote(one, store, time.Hour), Remote(two, store, time.Hour)
	ctx := context.Background()
	// Replica 2 asks while replica 1 queries: it waits for the lease and
	// reads replica 1's rows.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := r1.Run(ctx, facets.IPSignins, keys("k1", "k2")); err != nil {
			t.Error(err)
		}
	}()
	time.Sleep(20 * time.Millisecond)
	tr := &calltrace.Trace{}
	res, err := r2.Run(calltrace.With(ctx, tr), facets.IPSignins, keys("k1", "k2"))
	wg.Wait()
	if err != nil || two.calls.Load() != 0 || len(res.Rows) != 2 {
		t.Errorf("replica 2: %d source calls, %d rows, %v", two.calls.Load(), len(res.Rows), err)
	}
	if calls := tr.Calls(); len(calls) != 1 || !calls[0].Shared {
		t.Errorf("trace %+v, want one shared call", calls)
	}
	if h, ok := r2.(Peeker).Peek(ctx, facets.IPSignins, span.Signature(), "k2"); !ok || !h.Shared {
		t.Errorf("Peek: %v %v", h, ok)
	}
	other := Remote(&fake{partition: "ws-b"}, store, time.Hour)
	if _, ok := other.(Peeker).Peek(ctx, facets.IPSignins, span.Signature(), "k2"); ok {
		t.Error("another partition read the shared rows")
	}
}

type countdown struct{ left atomic.Int32 }

func (c *countdown) TakeQuery(caller string) (bool, time.Duration) {
	if caller != "alice" {
		return false, time.Minute
	}
	return c.left.Add(-1) >= 0, time.Minute
}

func TestBudget(t *testing.T) {
	src := &fake{partition: "ws-a"}
	b := &countdown{}
	b.left.Store(2)
	s := Budget(src, b)
	tr := &calltrace.Trace{}
	ctx := calltrace.With(WithCaller(context.Background(), "alice"), tr)
	var refused error
	for i := 0; i < 4; i++ {
		if _, err := s.Run(ctx, facets.IPSignins, keys(fmt.Sprint(i))); err != nil {
			refused = err
		}
	}
	var se *sources.Error
	if src.calls.Load() != 2 || !errors.As(refused, &se) || se.Kind != sources.RateLimited || se.RetryAfter != time.Minute {
		t.Errorf("%d queries sent, refusal %v", src.calls.Load(), refused)
	}
	if n := len(tr.Calls()); n != 2 {
		t.Errorf("%d refusals traced, want 2", n)
	}
	if _, err := s.Run(WithCaller(context.Background(), "bob"), facets.IPSignins, keys("x")); err == nil || src.calls.Load() != 2 {
		t.Error("another caller spent alice's budget")
	}
}

func TestTraced(t *testing.T) {
	cases := []struct {
		name    string
		err     error
		skipped bool
		errText string
	}{
		{"answer", nil, false, ""},
		{"missing table", &sources.TableError{Table: "SigninLogs"}, true, ""},
		{"failure", errors.New("boom"), false, "boom"},
		{"partial", &sources.PartialError{Err: errors.New("truncated")}, false, "truncated"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := &calltrace.Trace{}
			Traced(&fake{partition: "p", err: c.err}).Run(calltrace.With(context.Background(), tr), facets.IPSignins, keys("a", "b"))
			calls := tr.Calls()
			if len(calls) != 1 {
				t.Fatalf("%d calls", len(calls))
			}
			got := calls[0]
			if got.Keys != 2 || got.Rows != 2 || got.Statement != "fake" || got.Skipped != c.skipped || (c.errText == "") != (got.Error == "") {
				t.Errorf("%+v", got)
			}
		})
	}
}
