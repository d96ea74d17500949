package main

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"sort"
	"sync"
	"time"

	"entitygraph/graph/resolvers"
	"entitygraph/internal/demo"
	"entitygraph/internal/facets"
	"entitygraph/internal/server"
	"entitygraph/internal/sources"
	"entitygraph/internal/workspace"
)

// missSummaryQuery asks for every log facet of the IP summary.
const missSummaryQuery = `{ ipAddress(address: "` + demo.SprayIP + `") { type origin
  alerts(first: 10) { totalCount nodes { name severity } } signins(first: 5) { totalCount nodes { userPrincipalName resultType } }
  azureActivity { totalCount } officeActivity { totalCount } commonSecurityLog { totalCount }
  hostLogons { count } relatedAccounts { source count } hosts { source }
  heartbeat { computer } vmComputer { computer } networkInterface { virtualMachine }
  netflows(first: 3) { totalCount } netflowSummary { flowRecords } networkConnections { count }
  bookmarks { totalCount } dnsQueries { totalCount } } }`

// recordingSource remembers the queries it ran.
type recordingSource struct {
	sources.LogSource
	mu    sync.Mutex
	calls []recorded
}

type recorded struct {
	f *facets.Facet
	q facets.Query
}

func (r *recordingSource) Run(ctx context.Context, f *facets.Facet, q facets.Query) (sources.Result, error) {
	r.mu.Lock()
	r.calls = append(r.calls, recorded{f, q})
	r.mu.Unlock()
	return r.LogSource.Run(ctx, f, q)
}

// missFloor measures the cache-miss IP summary (no result cache: every
// facet queried) against its engine floor, the slowest of its statements
// run alone on the same DuckDB, side by side in one run.
func missFloor(runs int, verbose bool) error {
	store, _, err := workspace.Open(context.Background(), workspace.Options{DemoScale: 1})
	if err != nil {
		return err
	}
	defer store.Close()
	rec := &recordingSource{LogSource: store}
	srv := server.New(server.Options{Source: rec, Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store}}})
	srv.SetReady()
	ts := httptest.NewServer(srv)
	defer ts.Close()

	summaryOnce := func() (time.Duration, error) {
		start := time.Now()
		_, err := post(ts.URL+"/graphql", missSummaryQuery, nil)
		return time.Since(start), err
	}
	for i := 0; i < 3; i++ { // warm-up: statements prepared, pages in memory
		rec.mu.Lock()
		rec.calls = nil
		rec.mu.Unlock()
		if _, err := summaryOnce(); err != nil {
			return err
		}
	}
	rec.mu.Lock()
	calls := append([]recorded(nil), rec.calls...)
	rec.mu.Unlock()

	// Rounds interleave the summary and its statements alone, so both meet
	// the same machine: a drift in its speed moves both sides of the ratio.
	var summary []time.Duration
	alone := make([][]time.Duration, len(calls))
	for i := 0; i < runs; i++ {
		d, err := summaryOnce()
		if err != nil {
			return err
		}
		summary = append(summary, d)
		for j, c := range calls {
			start := time.Now()
			if _, err := store.Run(context.Background(), c.f, c.q); err != nil && !errors.Is(err, sources.ErrTableUnavailable) {
				return fmt.Errorf("%s: %w", c.f.Name, err)
			}
			alone[j] = append(alone[j], time.Since(start))
		}
	}

	type statement struct {
		name string
		p50  time.Duration
	}
	var each []statement
	var sum time.Duration
	for j, c := range calls {
		each = append(each, statement{c.f.Name, median(alone[j])})
		sum += median(alone[j])
	}
	sort.Slice(each, func(i, j int) bool { return each[i].p50 > each[j].p50 })
	p50 := median(summary)
	if verbose {
		for _, e := range each {
			fmt.Printf("    %-34s %v\n", e.name, e.p50.Round(10*time.Microsecond))
		}
	}
	fmt.Printf("cache-miss IP summary (%d backend queries, no result cache), demo workspace, %d runs, one client\n", len(calls), runs)
	fmt.Printf("  whole summary through the server: %s\n", percentiles(summary))
	fmt.Printf("  its statements alone on the same DuckDB, p50: slowest %s %v, next %s %v; all %d one after another %v\n",
		each[0].name, each[0].p50.Round(10*time.Microsecond), each[1].name, each[1].p50.Round(10*time.Microsecond), len(each), sum.Round(time.Millisecond))
	fmt.Printf("  summary p50 / slowest statement p50: %.2f; / all statements one after another: %.2f\n",
		float64(p50)/float64(each[0].p50), float64(p50)/float64(sum))
	return nil
}
