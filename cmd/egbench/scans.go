package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"entitygraph/graph/resolvers"
	"entitygraph/internal/decorate"
	"entitygraph/internal/facets"
	"entitygraph/internal/loaders"
	"entitygraph/internal/server"
	"entitygraph/internal/sources"
	"entitygraph/internal/workspace"
)

// memberRunner answers a group (facets.Group) as Log Analytics does —
// every member's answer, rows tagged with their member and order — by
// running each member on the local engine.
type memberRunner struct{ sources.LogSource }

func (m memberRunner) Run(ctx context.Context, f *facets.Facet, q facets.Query) (sources.Result, error) {
	if len(f.Members()) == 0 {
		return m.LogSource.Run(ctx, f, q)
	}
	entries := make([][]sources.Row, len(f.Members()))
	for i, mb := range f.Members() {
		res, err := m.LogSource.Run(ctx, mb.Facet, mb.Within(q))
		if err != nil {
			return sources.Result{}, err
		}
		entries[i] = res.Rows
	}
	return sources.Result{Statement: f.Name, Rows: decorate.JoinMembers(f, entries)}, nil
}

// combining is a slow source that combines scans, as Log Analytics does.
type combining struct{ *slowSource }

func (combining) CombinesScans() bool { return true }

// sharedScans measures the cache-miss IP summary under Log Analytics'
// model (latency added to every query, at most `concurrency` at once, the
// engine's time inside the latency) with each facet its own query and
// with a level's queries of one scan shared, alternating runs.
func sharedScans(latency time.Duration, concurrency, runs int) error {
	store, _, err := workspace.Open(context.Background(), workspace.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	fmt.Printf("cache-miss IP summary (%s), every query +%v, at most %d at once, engine inside the latency; %d alternating runs\n",
		"19 facets", latency, concurrency, runs)
	walls := map[bool][]time.Duration{}
	queries := map[bool]int64{}
	for i := 0; i < 2*runs; i++ {
		shared := i%2 == 1
		slow := &slowSource{LogSource: memberRunner{store}, latency: latency, overlap: true, slots: make(chan struct{}, concurrency)}
		var src sources.LogSource = slow
		if shared {
			src = combining{slow}
		}
		srv := server.New(server.Options{Source: src, Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store}},
			Batching: loaders.Options{}, RequestTimeout: time.Minute})
		ts := httptest.NewServer(srv)
		start := time.Now()
		_, err := post(ts.URL+"/graphql", missSummaryQuery, nil)
		walls[shared] = append(walls[shared], time.Since(start))
		ts.Close()
		if err != nil {
			return err
		}
		queries[shared] = slow.queries.Load()
	}
	for _, shared := range []bool{false, true} {
		name := "each facet its own query"
		if shared {
			name = "a level's scans shared"
		}
		fmt.Printf("  %-26s %2d queries, wall %s\n", name, queries[shared], percentiles(walls[shared]))
	}
	return nil
}
