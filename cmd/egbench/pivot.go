package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"entitygraph/graph/resolvers"
	"entitygraph/internal/cache"
	"entitygraph/internal/demo"
	"entitygraph/internal/facets"
	"entitygraph/internal/loaders"
	"entitygraph/internal/server"
	"entitygraph/internal/sources"
	"entitygraph/internal/workspace"
)

// slowSource adds a fixed latency to every query and allows only a few at
// once, as a remote Log Analytics workspace would. With overlap the local
// engine runs during the latency and the answer comes at the later of the
// two, as a remote engine's work is inside its round trip; without, the
// engine's time comes on top of the latency.
type slowSource struct {
	sources.LogSource
	latency time.Duration
	overlap bool
	slots   chan struct{}
	queries atomic.Int64

	mu    sync.Mutex
	calls []backendCall
}

// backendCall is one query: from its call to its answer, and its time in
// the engine.
type backendCall struct {
	from, to time.Time
	engine   time.Duration
	facet    string
}

func (s *slowSource) Run(ctx context.Context, f *facets.Facet, q facets.Query) (res sources.Result, err error) {
	called := time.Now()
	var engine time.Duration
	defer func() {
		s.mu.Lock()
		s.calls = append(s.calls, backendCall{called, time.Now(), engine, f.Name})
		s.mu.Unlock()
	}()
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return sources.Result{}, ctx.Err()
	}
	defer func() { <-s.slots }()
	s.queries.Add(1)
	latency := time.NewTimer(s.latency)
	defer latency.Stop()
	waitLatency := func() error {
		select {
		case <-latency.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if !s.overlap {
		if err := waitLatency(); err != nil {
			return sources.Result{}, err
		}
	}
	start := time.Now()
	res, err = s.LogSource.Run(ctx, f, q)
	engine = time.Since(start)
	if s.overlap {
		if err := waitLatency(); err != nil {
			return sources.Result{}, err
		}
	}
	return res, err
}

// stretch is a run of overlapping queries (a level sent at once), with
// its slowest query's time in the engine.
type stretch struct {
	from, to time.Time
	slowest  time.Duration
	facet    string // the slowest query's
}

// stretches merges the queries' spans into disjoint stretches, in order.
func (s *slowSource) stretches() []stretch {
	s.mu.Lock()
	calls := append([]backendCall(nil), s.calls...)
	s.mu.Unlock()
	sort.Slice(calls, func(i, j int) bool { return calls[i].from.Before(calls[j].from) })
	var out []stretch
	for _, c := range calls {
		if len(out) == 0 || c.from.After(out[len(out)-1].to) {
			out = append(out, stretch{c.from, c.to, c.engine, c.facet})
			continue
		}
		last := &out[len(out)-1]
		if c.to.After(last.to) {
			last.to = c.to
		}
		if c.engine > last.slowest {
			last.slowest, last.facet = c.engine, c.facet
		}
	}
	return out
}

// busy: how many stretches (levels sent one after another) and how long
// at least one query was out.
func (s *slowSource) busy() (levels int, total time.Duration) {
	st := s.stretches()
	for _, x := range st {
		total += x.to.Sub(x.from)
	}
	return len(st), total
}

// levelBreakdown splits the wall into the levels (each one's span and its
// slowest query's engine time, its latency aside) and the gaps between
// them, where only resolvers work.
func (s *slowSource) levelBreakdown(start, end time.Time) string {
	var out []string
	prev := start
	for _, x := range s.stretches() {
		out = append(out, fmt.Sprintf("gap %v", x.from.Sub(prev).Round(time.Millisecond)),
			fmt.Sprintf("level %v (slowest in the engine %v, %s)", x.to.Sub(x.from).Round(time.Millisecond), x.slowest.Round(time.Millisecond), x.facet))
		prev = x.to
	}
	out = append(out, fmt.Sprintf("gap %v", end.Sub(prev).Round(time.Millisecond)))
	return strings.Join(out, ", ")
}

// pivotQuery: 100 IPs → their accounts → each account's alerts and sign-ins.
const pivotQuery = `query($a: [String!]!) { ipAddresses(addresses: $a) { address
  relatedAccounts { account { name alerts(first: 5) { totalCount nodes { name } } signins(first: 5) { totalCount } } } } }`

const summaryQuery = `{ ipAddress(address: "` + demo.SprayIP + `") { type origin
  alerts { totalCount } signins { totalCount } relatedAccounts { count } hostLogons { count } hosts { source }
  officeActivity { totalCount } netflowSummary { flowRecords } networkConnections { count } dnsQueries { totalCount } } }`

func post(url, query string, vars map[string]any) (map[string]any, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if errs, ok := out["errors"]; ok {
		return nil, fmt.Errorf("errors: %v", errs)
	}
	return out, nil
}

func pivot(latency time.Duration, concurrency, scale int, measure time.Duration) error {
	store, rep, err := workspace.Open(context.Background(), workspace.Options{DemoScale: scale})
	if err != nil {
		return err
	}
	defer store.Close()
	fmt.Printf("demo workspace: %d rows (scale %d); every backend query +%v, at most %d at once; GOMAXPROCS %d\n",
		rep.Load.Rows, scale, latency, concurrency, runtime.GOMAXPROCS(0))

	addrs := []any{demo.SprayIP, demo.C2IP, demo.BruteIP, demo.BeaconIP, "52.170.14.20", "52.170.14.21", "40.76.43.124", "13.107.6.152"}
	for i := len(addrs); i < 100; i++ {
		addrs = append(addrs, fmt.Sprintf("198.51.100.%d", i))
	}
	// One unmeasured run first, so that no mode pays the engine's first
	// plans of these statements.
	warm := httptest.NewServer(server.New(server.Options{Source: store, Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store}},
		Limits: server.Limits{MaxCost: 1 << 30}, RequestTimeout: 10 * time.Minute}))
	_, err = post(warm.URL+"/graphql", pivotQuery, map[string]any{"a": addrs})
	warm.Close()
	if err != nil {
		return err
	}
	refLevels := 0
	for _, mode := range []struct {
		name     string
		maxBatch int
		overlap  bool
	}{
		{"batched (one query per facet per level)", 0, false},
		{"batched, engine inside the latency", 0, true},
		{"unbatched (one query per parent: N+1)", 1, false},
	} {
		src := &slowSource{LogSource: store, latency: latency, overlap: mode.overlap, slots: make(chan struct{}, concurrency)}
		srv := server.New(server.Options{Source: src, Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store}},
			Batching: loaders.Options{MaxBatch: mode.maxBatch}, Limits: server.Limits{MaxCost: 1 << 30}, RequestTimeout: 10 * time.Minute})
		ts := httptest.NewServer(srv)
		start := time.Now()
		out, err := post(ts.URL+"/graphql", pivotQuery, map[string]any{"a": addrs})
		end := time.Now()
		took := end.Sub(start)
		ts.Close()
		if err != nil {
			return err
		}
		accounts := 0
		for _, ip := range out["data"].(map[string]any)["ipAddresses"].([]any) {
			accounts += len(ip.(map[string]any)["relatedAccounts"].([]any))
		}
		levels, busy := src.busy()
		if refLevels == 0 {
			refLevels = levels // the batched run's levels are the pivot's
		}
		levels = refLevels
		fmt.Printf("  %-42s 100 IPs → %d account rows: %4d queries, %d levels, %8v wall = %.1f× (levels × latency); queries out %v (%.0f%% of the wall)\n",
			mode.name, accounts, src.queries.Load(), levels, took.Round(time.Millisecond), float64(took)/float64(time.Duration(levels)*latency),
			busy.Round(time.Millisecond), 100*float64(busy)/float64(took))
		if mode.maxBatch == 0 {
			fmt.Printf("    where the wall went: %s\n", src.levelBreakdown(start, end))
		}

	}

	// Cached throughput: the same single-IP summary, answered from the shared cache.
	results, err := cache.New[[]sources.Row](256<<20, time.Hour)
	if err != nil {
		return err
	}
	defer results.Close()
	srv := server.New(server.Options{Source: store, Cache: results, Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store}}})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	if _, err := post(ts.URL+"/graphql", summaryQuery, nil); err != nil {
		return err
	}
	results.Wait()
	var done atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(measure)
	workers := 2 * runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if _, err := post(ts.URL+"/graphql", summaryQuery, nil); err != nil {
					fmt.Println("request failed:", err)
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	fmt.Printf("  cached single-IP summary (%d facets): %.0f requests/s with %d clients over %v\n",
		len(facets.IPFacets), float64(done.Load())/measure.Seconds(), workers, measure)
	return nil
}
