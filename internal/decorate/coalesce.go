package decorate

import (
	"context"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"

	"entitygraph/internal/calltrace"
	"entitygraph/internal/facets"
	"entitygraph/internal/sources"
)

// Coalesce runs identical queries in flight once: two analysts opening the
// same address at once cost one query. The followers' traces say so.
func Coalesce(next sources.LogSource, g *singleflight.Group) sources.LogSource {
	if g == nil {
		return next
	}
	return &coalesced{layer{next}, g}
}

type coalesced struct {
	layer
	g *singleflight.Group
}

func (c *coalesced) Peek(ctx context.Context, f *facets.Facet, sig, key string) (Hit, bool) {
	return peek(c.next, ctx, f, sig, key)
}

func (c *coalesced) Run(ctx context.Context, f *facets.Facet, q facets.Query) (sources.Result, error) {
	started := time.Now()
	leader := false
	v, err, _ := c.g.Do(flightKey(c.Partition(), f, q), func() (any, error) {
		leader = true
		return c.next.Run(ctx, f, q)
	})
	res, _ := v.(sources.Result)
	if !leader {
		call := calltrace.Call{Source: c.Name(), Facet: f.Name, Table: f.Table, Statement: res.Statement, Keys: len(q.Keys), Rows: len(res.Rows),
			DurationMs: float64(time.Since(started).Microseconds()) / 1000, Coalesced: true}
		if err != nil {
			call.Error = err.Error()
		}
		calltrace.From(ctx).Add(call)
	}
	return res, err
}

// flightKey names a query with its keys, partition first.
func flightKey(partition string, f *facets.Facet, q facets.Query) string {
	sig := signature(q)
	for _, m := range f.Members() { // a group is its members' queries
		sig += "|" + m.Facet.Name + "[" + m.Query.Signature() + "]"
	}
	return CacheKey(partition, f, sig, strings.Join(q.Keys, "\x00"))
}
