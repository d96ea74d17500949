package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entitygraph/graph/resolvers"
	"entitygraph/internal/cache"
	"entitygraph/internal/config"
	"entitygraph/internal/demo"
	"entitygraph/internal/facets"
	"entitygraph/internal/loaders"
	"entitygraph/internal/redisstate"
	"entitygraph/internal/redisstate/redistest"
	"entitygraph/internal/sources"
	"entitygraph/internal/sources/duckdb"
	"entitygraph/internal/sources/geo"
	"entitygraph/internal/sources/ti/providers"
)

// partitionedSource counts the queries that reach the engine, under a
// partition of its own (another workspace set, as far as sharing goes).
type partitionedSource struct {
	sources.LogSource
	partition string
	runs      atomic.Int32
}

func (c *partitionedSource) Partition() string { return c.partition }

func (c *partitionedSource) Run(ctx context.Context, f *facets.Facet, q facets.Query) (sources.Result, error) {
	c.runs.Add(1)
	return c.LogSource.Run(ctx, f, q)
}

func sharedClient(t *testing.T, url, prefix string) *redisstate.Client {
	t.Helper()
	c, err := redisstate.Open(redisstate.Options{URL: url, Replicas: 3, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// replica is one server instance with its own local cache and its own
// connection to the shared state.
func replica(t *testing.T, src sources.LogSource, store *duckdb.Store, shared *redisstate.Client) *httptest.Server {
	t.Helper()
	local, err := cache.New[[]sources.Row](64<<20, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(local.Close)
	s := New(Options{
		Source: src, Cache: local, Remote: shared, SharedState: shared,
		Batching: loaders.Options{Wait: 20 * time.Millisecond},
		Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store, Now: func() time.Time { return anchor }, MaxTimespan: 30 * 24 * time.Hour}},
	})
	s.SetReady()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts
}

// TestReplicasShareTheCache: three replicas share one Redis. The second
// answers a summary the first fetched with no engine query and the same
// data; a replica of another workspace set (partition) gets nothing from
// it; with Redis gone every replica still answers, and says it is degraded.
func TestReplicasShareTheCache(t *testing.T) {
	srv := redistest.Start(t)
	prefix := fmt.Sprintf("eg-cache-%d:", time.Now().UnixNano())
	store := demoWorkspace(t)
	srcs := []*partitionedSource{{LogSource: store, partition: store.Partition()}, {LogSource: store, partition: store.Partition()},
		{LogSource: store, partition: "duckdb|another-workspace"}}
	var reps []*httptest.Server
	for _, s := range srcs {
		reps = append(reps, replica(t, s, store, sharedClient(t, srv.URL(), prefix)))
	}
	vars := map[string]any{"ip": demo.SprayIP}
	first := post(t, reps[0], fullSummary, vars)
	noErrors(t, first)
	if srcs[0].runs.Load() < 15 {
		t.Fatalf("replica 1 sent %d queries", srcs[0].runs.Load())
	}
	second := post(t, reps[1], fullSummary, vars)
	noErrors(t, second)
	if n := srcs[1].runs.Load(); n != 0 {
		t.Errorf("replica 2 sent %d engine queries for a summary replica 1 fetched", n)
	}
	for _, c := range second.Extensions.Trace {
		if !c.Cached || !c.Shared {
			t.Errorf("replica 2: %s not answered from the shared cache: %+v", c.Facet, c)
		}
	}
	if !reflect.DeepEqual(first.Data, second.Data) {
		t.Error("replica 2's answer differs from replica 1's")
	}
	third := post(t, reps[2], fullSummary, vars)
	noErrors(t, third)
	if n := srcs[2].runs.Load(); n < 15 {
		t.Errorf("a replica of another workspace set sent %d queries: it was answered from another partition's rows", n)
	}

	srv.Stop()
	again := post(t, reps[1], fullSummary, map[string]any{"ip": demo.BruteIP})
	noErrors(t, again)
	if srcs[1].runs.Load() == 0 {
		t.Error("with Redis down, replica 2 answered a new summary without querying")
	}
	if status, body, _ := fetch(t, reps[1].URL+"/readyz"); status != 200 || !strings.Contains(body, "shared state: degraded") {
		t.Errorf("/readyz with Redis down: %d %q", status, body)
	}
}

// TestReplicasCoalesce: two replicas asked the same summary at once, over
// a slow engine, send one query per facet between them.
func TestReplicasCoalesce(t *testing.T) {
	srv := redistest.Start(t)
	prefix := fmt.Sprintf("eg-flight-%d:", time.Now().UnixNano())
	store := demoWorkspace(t)
	slow := &slowSource{LogSource: store, delay: 300 * time.Millisecond}
	a := &partitionedSource{LogSource: slow, partition: store.Partition()}
	b := &partitionedSource{LogSource: slow, partition: store.Partition()}
	ra, rb := replica(t, a, store, sharedClient(t, srv.URL(), prefix)), replica(t, b, store, sharedClient(t, srv.URL(), prefix))
	const q = `{ ipAddress(address: "` + demo.SprayIP + `") { alerts { totalCount } signins { totalCount } azureActivity { totalCount } officeActivity { totalCount } } }`
	var wg sync.WaitGroup
	for _, ts := range []*httptest.Server{ra, rb} {
		wg.Add(1)
		go func(ts *httptest.Server) {
			defer wg.Done()
			noErrors(t, post(t, ts, q, nil))
		}(ts)
	}
	wg.Wait()
	if n := a.runs.Load() + b.runs.Load(); n != 4 {
		t.Errorf("two replicas sent %d queries for 4 facets asked at once", n)
	}
}

type slowSource struct {
	sources.LogSource
	delay time.Duration
}

func (s *slowSource) Run(ctx context.Context, f *facets.Facet, q facets.Query) (sources.Result, error) {
	time.Sleep(s.delay)
	return s.LogSource.Run(ctx, f, q)
}

// tiReplicas are three servers whose VirusTotal (the fake vt) has a daily
// quota of perDay, counted and cached through one Redis.
func tiReplicas(t *testing.T, url, prefix string, vt *httptest.Server, perDay int) []*httptest.Server {
	store := demoWorkspace(t)
	g, err := geo.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	var reps []*httptest.Server
	for i := 0; i < 3; i++ {
		svc, err := providers.Build(config.TI{Providers: map[string]config.TIProvider{
			"VirusTotal": {APIKey: "vt-key", BaseURL: vt.URL, PerMinute: 1000, PerDay: perDay},
		}}, vt.Client(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(svc.Close)
		shared := sharedClient(t, url, prefix)
		svc.SetAllowance(shared)
		svc.SetAnswerStore(shared)
		s := New(Options{Source: store, Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store, Now: func() time.Time { return anchor }, TI: svc, Geo: g}}})
		ts := httptest.NewServer(s)
		t.Cleanup(ts.Close)
		reps = append(reps, ts)
	}
	return reps
}

const vtLookup = `query($ip: String!) { ipAddress(address: $ip) { threatIntel(providers: ["VirusTotal"]) { results { provider status cached } } } }`

// TestReplicasShareTIQuota: a provider with a daily quota of 10, asked for
// 100 distinct addresses through three replicas: 10 calls in all.
func TestReplicasShareTIQuota(t *testing.T) {
	srv := redistest.Start(t)
	vt, calls := vtFake(t)
	reps := tiReplicas(t, srv.URL(), fmt.Sprintf("eg-ti-%d:", time.Now().UnixNano()), vt, 10)
	var limited atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := post(t, reps[i%3], vtLookup, map[string]any{"ip": fmt.Sprintf("45.33.%d.%d", i/200+1, i%200+1)})
			if strings.Contains(fmt.Sprint(r.Data), "RATE_LIMITED") {
				limited.Add(1)
			}
		}(i)
	}
	wg.Wait()
	if n := calls.Load(); n > 10 || n < 9 {
		t.Errorf("%d provider calls for a daily quota of 10 shared by 3 replicas", n)
	}
	if limited.Load() < 90 {
		t.Errorf("%d of 100 look-ups rate-limited, want at least 90", limited.Load())
	}
}

// TestReplicasShareTIAnswers: one address asked of three replicas in turn
// costs one provider call; the others answer from the shared store.
func TestReplicasShareTIAnswers(t *testing.T) {
	srv := redistest.Start(t)
	vt, calls := vtFake(t)
	reps := tiReplicas(t, srv.URL(), fmt.Sprintf("eg-tia-%d:", time.Now().UnixNano()), vt, 500)
	for i, ts := range reps {
		r := post(t, ts, vtLookup, map[string]any{"ip": demo.C2IP})
		noErrors(t, r)
		res := get(r.Data, "ipAddress.threatIntel.results.0")
		if get(res, "status") != "OK" || get(res, "cached") != (i > 0) {
			t.Errorf("replica %d: %v", i+1, res)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d provider calls for one address asked of three replicas", n)
	}
}

// emptySource is a workspace with the same tables and no rows.
type emptySource struct{ partitionedSource }

func (e *emptySource) Run(ctx context.Context, f *facets.Facet, q facets.Query) (sources.Result, error) {
	e.runs.Add(1)
	return sources.Result{Statement: "-- empty"}, nil
}

// TestReplicasKeepPartitionsApart: replicas of two workspace sets and two
// on-behalf-of callers (two partitions with the demo's rows, two empty)
// ask the same summaries concurrently through one Redis: each partition
// only ever sees its own rows.
func TestReplicasKeepPartitionsApart(t *testing.T) {
	srv := redistest.Start(t)
	prefix := fmt.Sprintf("eg-part-%d:", time.Now().UnixNano())
	store := demoWorkspace(t)
	// Two workspace sets × two on-behalf-of callers: four partitions, as
	// Log Analytics names them; two see the demo's rows, two an empty set.
	full := func(p string) sources.LogSource { return &partitionedSource{LogSource: store, partition: p} }
	empty := func(p string) sources.LogSource {
		return &emptySource{partitionedSource{LogSource: store, partition: p}}
	}
	srcs := []sources.LogSource{
		full("loganalytics|ws-a|as:tenant/u1"), empty("loganalytics|ws-a|as:tenant/u2"),
		empty("loganalytics|ws-b|as:tenant/u1"), full("loganalytics|ws-b|as:tenant/u2"),
	}
	isEmpty := []bool{false, true, true, false}
	var reps []*httptest.Server
	for _, src := range srcs {
		reps = append(reps, replica(t, src, store, sharedClient(t, srv.URL(), prefix)))
	}
	const q = `query($ip: String!) { ipAddress(address: $ip) { signins { totalCount } alerts { totalCount } relatedAccounts { count } } }`
	var wg sync.WaitGroup
	for round := 0; round < 3; round++ {
		for i, ts := range reps {
			for _, ip := range []string{demo.SprayIP, demo.C2IP, demo.BruteIP} {
				wg.Add(1)
				go func(i int, ts *httptest.Server, ip string) {
					defer wg.Done()
					r := post(t, ts, q, map[string]any{"ip": ip})
					signins := num(get(r.Data, "ipAddress.signins.totalCount"))
					alerts := num(get(r.Data, "ipAddress.alerts.totalCount"))
					if isEmpty[i] && (signins != 0 || alerts != 0) {
						t.Errorf("empty partition %d, %s: %d sign-ins, %d alerts: rows crossed partitions", i, ip, signins, alerts)
					}
					if !isEmpty[i] && ip == demo.SprayIP && signins == 0 {
						t.Errorf("full workspace set, %s: no sign-ins", ip)
					}
				}(i, ts, ip)
			}
		}
	}
	wg.Wait()
}

// fetch GETs a URL and returns the status, body and headers.
func fetch(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}
