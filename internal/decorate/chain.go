package decorate

import (
	"time"

	"golang.org/x/sync/singleflight"

	"entitygraph/internal/cache"
	"entitygraph/internal/sources"
)

// Layers is what requests share, for Chain.
type Layers struct {
	Cache  *cache.Cache[[]sources.Row] // nil: no cache
	Flight *singleflight.Group         // nil: no coalescing
	Remote RemoteStore                 // nil: one replica
	Budget QueryBudget                 // nil: no per-caller budget
}

// Chain decorates src, outermost first: local cache → coalescing →
// replicas' cache and leases → the caller's budget → trace → src. A key
// the local cache holds costs nothing below it; identical queries in
// flight are one; a query another replica answered costs no budget; only
// queries that reach src are traced as queries.
func Chain(src sources.LogSource, l Layers) sources.LogSource {
	var ttl time.Duration
	if l.Cache != nil {
		ttl = l.Cache.TTL()
	}
	s := Traced(src)
	s = Budget(s, l.Budget)
	s = Remote(s, l.Remote, ttl)
	s = Coalesce(s, l.Flight)
	return Cache(s, l.Cache)
}
