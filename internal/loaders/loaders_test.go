package loaders

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entitygraph/internal/cache"
	"entitygraph/internal/facets"
	"entitygraph/internal/sources"
)

// echoSource answers every key with one row and counts calls.
type echoSource struct {
	calls atomic.Int32
	mu    sync.Mutex
	sizes []int
	ctxOK atomic.Bool
}

func (e *echoSource) Name() string      { return "echo" }
func (e *echoSource) Partition() string { return "echo" }

func (e *echoSource) Run(ctx context.Context, f *facets.Facet, q facets.Query) (sources.Result, error) {
	e.calls.Add(1)
	e.mu.Lock()
	e.sizes = append(e.sizes, len(q.Keys))
	e.mu.Unlock()
	e.ctxOK.Store(ctx.Err() == nil)
	rows := make([]sources.Row, 0, len(q.Keys))
	for _, k := range q.Keys {
		rows = append(rows, sources.Row{facets.KeyColumn: k})
	}
	return sources.Result{Statement: "echo", Rows: rows}, nil
}

func TestBatchesAndCaps(t *testing.T) {
	cases := []struct {
		name    string
		keys    int
		repeat  int // each key asked this many times
		queries int
	}{
		{"one key", 1, 1, 1},
		{"a level of 50 parents", 50, 1, 1},
		{"same key from two paths", 10, 2, 1},
		{"fan-out over the cap is split", MaxBatch + 30, 1, 2},
	}
	span := facets.Query{Start: time.Unix(0, 0), End: time.Unix(3600, 0)}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := &echoSource{}
			l := New(context.Background(), src, nil, &Trace{}, Options{})
			defer l.Close()
			var wg sync.WaitGroup
			for r := 0; r < c.repeat; r++ {
				for i := 0; i < c.keys; i++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						key := fmt.Sprintf("10.0.%d.%d", i/250, i%250)
						rows, err := l.Load(context.Background(), facets.IPSignins, withPage(span, 0, 10), key)
						if err != nil || len(rows) != 1 || rows[0][facets.KeyColumn] != key {
							t.Errorf("Load(%s) = %v, %v", key, rows, err)
						}
					}()
				}
			}
			wg.Wait()
			if got := int(src.calls.Load()); got != c.queries {
				t.Errorf("%d backend queries (batch sizes %v), want %d", got, src.sizes, c.queries)
			}
			if n := l.Trace().Queries(); n != c.queries {
				t.Errorf("trace counts %d queries", n)
			}
		})
	}
}

// TestDetachedContext: the batch outlives the caller that started it.
func TestDetachedContext(t *testing.T) {
	src := &echoSource{}
	l := New(context.Background(), src, nil, &Trace{}, Options{})
	defer l.Close()
	first, cancel := context.WithCancel(context.Background())
	span := facets.Query{Start: time.Unix(0, 0), End: time.Unix(3600, 0)}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		l.Load(first, facets.IPAlerts, span, "1.1.1.1")
	}()
	cancel() // the first caller gives up at once
	go func() {
		defer wg.Done()
		if _, err := l.Load(context.Background(), facets.IPAlerts, span, "2.2.2.2"); err != nil {
			t.Errorf("second caller: %v", err)
		}
	}()
	wg.Wait()
	if !src.ctxOK.Load() {
		t.Error("the batch ran with a cancelled context")
	}
}

func TestDistinctLoadersPerPageAndSpan(t *testing.T) {
	src := &echoSource{}
	l := New(context.Background(), src, nil, &Trace{}, Options{})
	defer l.Close()
	a := facets.Query{Start: time.Unix(0, 0), End: time.Unix(3600, 0)}
	b := facets.Query{Start: time.Unix(0, 0), End: time.Unix(7200, 0)}
	var wg sync.WaitGroup
	for _, q := range []facets.Query{withPage(a, 0, 10), withPage(a, 0, 10), withPage(a, 10, 10), withPage(b, 0, 10)} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.Load(context.Background(), facets.IPSignins, q, "1.1.1.1")
		}()
	}
	wg.Wait()
	if got := src.calls.Load(); got != 3 {
		t.Errorf("%d queries, want 3 (two pages of one span, one of another)", got)
	}
}

func TestSharedCache(t *testing.T) {
	src := &echoSource{}
	c, err := cache.New[[]sources.Row](1<<20, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	span := facets.Query{Start: time.Unix(0, 0), End: time.Unix(3600, 0)}
	first := New(context.Background(), src, &Shared{Cache: c}, &Trace{}, Options{})
	first.Load(context.Background(), facets.IPSignins, withPage(span, 0, 5), "1.1.1.1")
	first.Close()
	c.Wait()
	second := New(context.Background(), src, &Shared{Cache: c}, &Trace{}, Options{})
	defer second.Close()
	var wg sync.WaitGroup
	for _, k := range []string{"1.1.1.1", "2.2.2.2"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows, err := second.Load(context.Background(), facets.IPSignins, withPage(span, 0, 5), k)
			if err != nil || len(rows) != 1 || rows[0][facets.KeyColumn] != k {
				t.Errorf("Load(%s) = %v, %v", k, rows, err)
			}
		}()
	}
	wg.Wait()
	if src.calls.Load() != 2 || src.sizes[1] != 1 {
		t.Errorf("backend calls %d with batch sizes %v: the cached key was queried again", src.calls.Load(), src.sizes)
	}
	var cached, queried int
	for _, call := range second.Trace().Calls() {
		if call.Cached {
			cached += call.Keys
		} else {
			queried += call.Keys
		}
	}
	if cached != 1 || queried != 1 || second.Trace().Queries() != 1 {
		t.Errorf("trace: %+v", second.Trace().Calls())
	}
}

// failSource always fails.
type failSource struct{ calls atomic.Int32 }

func (f *failSource) Name() string      { return "fail" }
func (f *failSource) Partition() string { return "fail" }
func (f *failSource) Run(context.Context, *facets.Facet, facets.Query) (sources.Result, error) {
	f.calls.Add(1)
	return sources.Result{}, fmt.Errorf("backend down")
}

func TestErrorsAreNotCached(t *testing.T) {
	src := &failSource{}
	c, _ := cache.New[[]sources.Row](1<<20, time.Minute)
	defer c.Close()
	span := facets.Query{Start: time.Unix(0, 0), End: time.Unix(3600, 0)}
	for i := 0; i < 2; i++ {
		l := New(context.Background(), src, &Shared{Cache: c}, &Trace{}, Options{})
		if _, err := l.Load(context.Background(), facets.IPAlerts, span, "1.1.1.1"); err == nil {
			t.Fatal("no error")
		}
		l.Close()
		c.Wait()
	}
	if src.calls.Load() != 2 {
		t.Errorf("%d calls: an error was cached", src.calls.Load())
	}
}

func withPage(q facets.Query, offset, limit int) facets.Query {
	q.Offset, q.Limit = offset, limit
	return q
}

// slowEcho answers after a delay, so that identical queries overlap.
type slowEcho struct{ echoSource }

func (s *slowEcho) Run(ctx context.Context, f *facets.Facet, q facets.Query) (sources.Result, error) {
	time.Sleep(50 * time.Millisecond)
	return s.echoSource.Run(ctx, f, q)
}

func TestCoalescesIdenticalQueries(t *testing.T) {
	src := &slowEcho{}
	shared := &Shared{}
	span := facets.Query{Start: time.Unix(0, 0), End: time.Unix(3600, 0)}
	var wg sync.WaitGroup
	traces := make([]*Trace, 5)
	for i := range traces {
		traces[i] = &Trace{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := New(context.Background(), src, shared, traces[i], Options{})
			defer l.Close()
			if rows, err := l.Load(context.Background(), facets.IPAlerts, span, "1.1.1.1"); err != nil || len(rows) != 1 {
				t.Errorf("Load = %v, %v", rows, err)
			}
		}()
	}
	wg.Wait()
	if n := src.calls.Load(); n != 1 {
		t.Errorf("%d backend queries for 5 identical requests", n)
	}
	queries := 0
	for _, tr := range traces {
		queries += tr.Queries()
	}
	if queries != 1 {
		t.Errorf("traces count %d queries", queries)
	}
}

// TestCacheHitsSkipTheBatchWindow: with a batch window far longer than the
// test, a cached key is answered at once while a miss still waits for its
// window.
func TestCacheHitsSkipTheBatchWindow(t *testing.T) {
	src := &echoSource{}
	c, err := cache.New[[]sources.Row](1<<20, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	span := withPage(facets.Query{Start: time.Unix(0, 0), End: time.Unix(3600, 0)}, 0, 5)
	warm := New(context.Background(), src, &Shared{Cache: c}, &Trace{}, Options{Wait: time.Millisecond})
	warm.Load(context.Background(), facets.IPSignins, span, "1.1.1.1")
	warm.Close()
	c.Wait()

	l := New(context.Background(), src, &Shared{Cache: c}, &Trace{}, Options{Wait: time.Hour})
	defer l.Close()
	missDone := make(chan struct{})
	go func() {
		l.Load(context.Background(), facets.IPSignins, span, "9.9.9.9")
		close(missDone)
	}()
	hit := make(chan []sources.Row, 1)
	go func() {
		rows, _ := l.Load(context.Background(), facets.IPSignins, span, "1.1.1.1")
		hit <- rows
	}()
	select {
	case rows := <-hit:
		if len(rows) != 1 {
			t.Errorf("cached rows = %v", rows)
		}
	case <-time.After(time.Minute): // a hang detector: the hit must not wait the hour
		t.Fatal("a cached key waited for the batch window")
	}
	select {
	case <-missDone:
		t.Error("the miss did not wait for its window")
	default:
	}
	if n := src.calls.Load(); n != 1 {
		t.Errorf("backend calls %d, want the warm-up's 1", n)
	}
}

// TestLevelsNeverSplit: fields of one level are batched however long the
// slowest takes to reach its loader (here far past the batch window), and
// sent as soon as the last one waits, not after the window; the next
// level, asked as the answers arrive, is again one query.
func TestLevelsNeverSplit(t *testing.T) {
	src := &echoSource{}
	l := New(context.Background(), src, nil, &Trace{}, Options{Wait: time.Millisecond, LevelWait: time.Minute})
	defer l.Close()
	levels := l.TrackLevels()
	span := facets.Query{Start: time.Unix(0, 0), End: time.Unix(3600, 0)}
	const fields = 4
	levels.Expect(fields)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < fields; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer levels.Done(0)
			if i == fields-1 {
				time.Sleep(200 * time.Millisecond) // a busy resolver: 200× the window
			}
			key := fmt.Sprintf("10.0.0.%d", i)
			if _, err := l.Load(context.Background(), facets.IPSignins, withPage(span, 0, 10), key); err != nil {
				t.Error(err)
			}
			// The next level, from this field's answer.
			if _, err := l.Load(context.Background(), facets.IPAlerts, withPage(span, 0, 10), key); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := src.calls.Load(); got != 2 {
		t.Errorf("%d queries (batch sizes %v), want 2: one per level", got, src.sizes)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("took %v: the levels waited for the backstop", took)
	}
}

// TestLevelsOffUsesTheWindow: a request whose fields cannot be counted
// falls back to the batch window.
func TestLevelsOffUsesTheWindow(t *testing.T) {
	src := &echoSource{}
	l := New(context.Background(), src, nil, &Trace{}, Options{Wait: 20 * time.Millisecond, LevelWait: time.Minute})
	defer l.Close()
	levels := l.TrackLevels()
	levels.Expect(2) // a second field that never comes
	levels.Off()
	span := facets.Query{Start: time.Unix(0, 0), End: time.Unix(3600, 0)}
	done := make(chan error, 1)
	go func() {
		_, err := l.Load(context.Background(), facets.IPSignins, withPage(span, 0, 10), "10.0.0.1")
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the load waited for the level backstop, not the window")
	}
}

// TestEachHandsTheTokenBack: pieces of one field (loaders.Each) keep the
// level open until every piece waits, then the caller's next keys form
// one batch with its siblings'.
func TestEachHandsTheTokenBack(t *testing.T) {
	src := &echoSource{}
	l := New(context.Background(), src, nil, &Trace{}, Options{Wait: time.Millisecond, LevelWait: time.Minute})
	defer l.Close()
	levels := l.TrackLevels()
	ctx := With(context.Background(), l)
	span := facets.Query{Start: time.Unix(0, 0), End: time.Unix(3600, 0)}
	const fields = 3
	levels.Expect(fields)
	var wg sync.WaitGroup
	for i := 0; i < fields; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer levels.Done(0)
			Each(ctx, 3, func(j int) error {
				if j == 2 {
					time.Sleep(50 * time.Millisecond)
				}
				_, err := l.Load(ctx, facets.AccountLinksSignins, withPage(span, 0, 10), fmt.Sprintf("u%d-%d", i, j))
				return err
			})
			time.Sleep(time.Duration(i) * 20 * time.Millisecond) // callers resume at different times
			if _, err := l.Load(ctx, facets.AccountAlerts, withPage(span, 0, 10), fmt.Sprintf("u%d", i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := src.calls.Load(); got != 2 {
		t.Errorf("%d queries (batch sizes %v), want 2", got, src.sizes)
	}
}

// TestLevelBackstop: a level whose count never reaches zero (a field that
// waits on something no loader sees) is sent after LevelWait, as one query,
// and not before.
func TestLevelBackstop(t *testing.T) {
	src := &echoSource{}
	l := New(context.Background(), src, nil, &Trace{}, Options{Wait: time.Millisecond, LevelWait: 150 * time.Millisecond})
	defer l.Close()
	levels := l.TrackLevels()
	levels.Expect(3) // the third field never reports
	start := time.Now()
	loadFields(t, l, levels, 2)
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Errorf("sent after %v, before the level could be known complete", took)
	}
	if got := src.calls.Load(); got != 1 || fmt.Sprint(src.sizes) != "[2]" {
		t.Errorf("%d queries (batch sizes %v), want one of both keys", got, src.sizes)
	}
}

// TestRoundsGoWhole: a round holds every key of its level when it is sent,
// and goes as one query however long the keys take to reach the
// dataloader (it submits each from a goroutine of its own; on a loaded
// machine one started past the batch window and a 100-key round went as
// 99 + 1). Here the window is a nanosecond.
func TestRoundsGoWhole(t *testing.T) {
	for range 5 {
		src := &echoSource{}
		l := New(context.Background(), src, nil, &Trace{}, Options{Wait: time.Nanosecond, LevelWait: time.Minute})
		levels := l.TrackLevels()
		levels.Expect(60)
		loadFields(t, l, levels, 60)
		l.Close()
		if got := src.calls.Load(); got != 1 {
			t.Fatalf("%d queries (batch sizes %v), want 1", got, src.sizes)
		}
	}
}

// loadFields runs n fields at once, each loading one address's sign-ins
// and reporting itself done to levels.
func loadFields(t *testing.T, l *Loaders, levels *Levels, n int) {
	t.Helper()
	span := facets.Query{Start: time.Unix(0, 0), End: time.Unix(3600, 0)}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer levels.Done(0)
			if _, err := l.Load(context.Background(), facets.IPSignins, withPage(span, 0, 10), fmt.Sprintf("10.0.0.%d", i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}
