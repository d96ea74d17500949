package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"entitygraph/internal/demo"
	"entitygraph/internal/facets"
	"entitygraph/internal/sources/duckdb"
)

// statements measures what keeping facet statements prepared saves: the
// full IP summary's statements (every IP facet once, for one address), run
// one after another on the demo workspace, with statements prepared once
// per shape and with every statement parsed and planned anew — side by
// side in one run.
func statements(runs int) error {
	dir, err := os.MkdirTemp("", "egbench-stmts")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	now := time.Now().UTC().Truncate(time.Minute)
	if _, err := demo.Write(dir, demo.Options{Now: now, Scale: 1}); err != nil {
		return err
	}
	q := facets.Query{Keys: []string{demo.SprayIP}, Start: now.Add(-48 * time.Hour), End: now, Limit: 20, Bucket: time.Hour}
	ctx := context.Background()
	measure := func(prepared int) ([]time.Duration, error) {
		s, err := duckdb.Open(duckdb.Options{PreparedStatements: prepared})
		if err != nil {
			return nil, err
		}
		defer s.Close()
		if _, err := s.LoadDir(ctx, dir); err != nil {
			return nil, err
		}
		var out []time.Duration
		for i := 0; i < runs+1; i++ {
			start := time.Now()
			for _, f := range facets.IPFacets {
				if _, err := s.Run(ctx, f, q); err != nil {
					return nil, err
				}
			}
			if i > 0 { // the first run prepares (or warms) everything
				out = append(out, time.Since(start))
			}
		}
		return out, nil
	}
	plain, err := measure(-1)
	if err != nil {
		return err
	}
	prepared, err := measure(0)
	if err != nil {
		return err
	}
	fmt.Printf("the IP summary's %d statements one after another, demo workspace, %d runs each\n", len(facets.IPFacets), runs)
	fmt.Printf("  parsed and planned every time: %s\n  prepared once per shape:       %s\n", percentiles(plain), percentiles(prepared))
	fmt.Printf("  ratio of medians: %.2f\n", float64(median(prepared))/float64(median(plain)))
	return nil
}

func median(d []time.Duration) time.Duration {
	percentiles(d) // sorts
	return d[len(d)/2]
}
