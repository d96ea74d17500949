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
// once, as a remote Log Analytics workspace would.
type slowSource struct {
	sources.LogSource
	latency time.Duration
	slots   chan struct{}
	queries atomic.Int64

	mu    sync.Mutex
	spans [][2]time.Time // each query, from its call to its answer
}

func (s *slowSource) Run(ctx context.Context, f *facets.Facet, q facets.Query) (sources.Result, error) {
	called := time.Now()
	defer func() {
		s.mu.Lock()
		s.spans = append(s.spans, [2]time.Time{called, time.Now()})
		s.mu.Unlock()
	}()
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return sources.Result{}, ctx.Err()
	}
	defer func() { <-s.slots }()
	s.queries.Add(1)
	select {
	case <-time.After(s.latency):
	case <-ctx.Done():
		return sources.Result{}, ctx.Err()
	}
	return s.LogSource.Run(ctx, f, q)
}

// busy merges the queries' spans: how many disjoint stretches (levels sent
// one after another) and how long at least one query was out.
func (s *slowSource) busy() (levels int, total time.Duration) {
	s.mu.Lock()
	spans := append([][2]time.Time(nil), s.spans...)
	s.mu.Unlock()
	sort.Slice(spans, func(i, j int) bool { return spans[i][0].Before(spans[j][0]) })
	var end time.Time
	for _, sp := range spans {
		if sp[0].After(end) {
			levels++
			total += sp[1].Sub(sp[0])
			end = sp[1]
		} else if sp[1].After(end) {
			total += sp[1].Sub(end)
			end = sp[1]
		}
	}
	return levels, total
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
	refLevels := 0
	for _, mode := range []struct {
		name     string
		maxBatch int
	}{{"batched (one query per facet per level)", 0}, {"unbatched (one query per parent: N+1)", 1}} {
		src := &slowSource{LogSource: store, latency: latency, slots: make(chan struct{}, concurrency)}
		srv := server.New(server.Options{Source: src, Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store}},
			Batching: loaders.Options{MaxBatch: mode.maxBatch}, Limits: server.Limits{MaxCost: 1 << 30}, RequestTimeout: 10 * time.Minute})
		ts := httptest.NewServer(srv)
		start := time.Now()
		out, err := post(ts.URL+"/graphql", pivotQuery, map[string]any{"a": addrs})
		took := time.Since(start)
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
