package decorate

import (
	"context"

	"entitygraph/internal/cache"
	"entitygraph/internal/calltrace"
	"entitygraph/internal/facets"
	"entitygraph/internal/sources"
)

// Cache answers the keys the local result cache holds and stores, per
// key, what the layers below return for the others. Errors and partial
// results are never stored. A nil cache adds nothing.
func Cache(next sources.LogSource, c *cache.Cache[[]sources.Row]) sources.LogSource {
	if c == nil {
		return next
	}
	return &cached{layer{next}, c}
}

type cached struct {
	layer
	c *cache.Cache[[]sources.Row]
}

// PeekLocal answers from the local cache alone: no round trip.
func (c *cached) PeekLocal(f *facets.Facet, sig, key string) (Hit, bool) {
	rows, ok := c.c.Get(CacheKey(c.Partition(), f, sig, key))
	return Hit{Rows: rows}, ok
}

// Peek answers from the local cache, then from the layers below (whose
// answer it keeps).
func (c *cached) Peek(ctx context.Context, f *facets.Facet, sig, key string) (Hit, bool) {
	ck := CacheKey(c.Partition(), f, sig, key)
	if rows, ok := c.c.Get(ck); ok {
		return Hit{Rows: rows}, true
	}
	h, ok := peek(c.next, ctx, f, sig, key)
	if ok {
		c.c.Set(ck, h.Rows, RowsCost(h.Rows))
	}
	return h, ok
}

func (c *cached) Run(ctx context.Context, f *facets.Facet, q facets.Query) (sources.Result, error) {
	part, sig := c.Partition(), signature(q)
	var hits []sources.Row
	var miss []string
	n := 0
	for _, k := range q.Keys {
		if rows, ok := c.get(part, f, sig, k); ok {
			hits = append(hits, rows...)
			n++
			continue
		}
		miss = append(miss, k)
	}
	if n > 0 {
		calltrace.From(ctx).Add(calltrace.Call{Source: c.Name(), Facet: f.Name, Table: f.Table, Keys: n, Rows: len(hits), Cached: true})
	}
	if len(miss) == 0 {
		return sources.Result{Rows: hits}, nil
	}
	q.Keys = miss
	res, err := c.next.Run(ctx, f, q)
	if err == nil {
		split := ByKey(res.Rows)
		for _, k := range miss {
			cks := entryKeys(part, f, sig, k)
			for i, rows := range SplitMembers(f, split[k]) {
				c.c.Set(cks[i], rows, RowsCost(rows))
			}
		}
	}
	res.Rows = append(hits, res.Rows...)
	return res, err
}

// get answers key from the cache when it holds every entry of it.
func (c *cached) get(part string, f *facets.Facet, sig, key string) ([]sources.Row, bool) {
	return whole(f, entryKeys(part, f, sig, key), c.c.Get)
}

// RowsCost approximates the bytes rows hold in memory.
func RowsCost(rows []sources.Row) int64 {
	cost := int64(64)
	for _, r := range rows {
		for k, v := range r {
			cost += int64(len(k)) + 16
			if s, ok := v.(string); ok {
				cost += int64(len(s))
			}
		}
	}
	return cost
}
