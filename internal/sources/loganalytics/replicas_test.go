package loganalytics

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"entitygraph/internal/demo"
	"entitygraph/internal/facets"
	"entitygraph/internal/redisstate"
	"entitygraph/internal/redisstate/redistest"
)

// TestReplicasShareTheQueryCap: three replicas of the source, one service
// identity, 50 concurrent queries spread over them: with Redis the query
// API never sees more than the identity's 5 in flight; without it, each
// replica keeps only its own 5 (the control shows the count can fail).
func TestReplicasShareTheQueryCap(t *testing.T) {
	srv := redistest.Start(t)
	run := func(shared bool) int32 {
		f := newFakeAzure(t, demoWorkspace(t))
		f.latency = 60 * time.Millisecond
		var reps []*Source
		prefix := fmt.Sprintf("eg-cap-%d:", time.Now().UnixNano())
		for i := 0; i < 3; i++ {
			reps = append(reps, newSource(t, f, func(o *Options) {
				o.IdentityName = "tenant/app"
				if shared {
					c, err := redisstate.Open(redisstate.Options{URL: srv.URL(), Replicas: 3, Prefix: prefix})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { c.Close() })
					o.Shared = c
				}
			}))
		}
		var wg sync.WaitGroup
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func(s *Source) {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if _, err := s.Run(ctx, facets.IPSignins, ipQuery(demo.SprayIP)); err != nil {
					t.Error(err)
				}
			}(reps[i%3])
		}
		wg.Wait()
		return f.maxInflight.Load()
	}
	if m := run(true); m > 5 || m < 3 {
		t.Errorf("with Redis: %d queries in flight at once for one identity, want at most 5 (and the cap used)", m)
	}
	if m := run(false); m <= 5 {
		t.Errorf("without Redis the replicas cannot share the cap, yet at most %d were in flight: the test shows nothing", m)
	}
}
