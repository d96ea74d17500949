// Package decorate wraps a log source with what requests share, one layer
// each: the local result cache, coalescing of identical queries in flight,
// the replicas' shared cache and leases, the caller's backend-query budget,
// and the trace of every call. Each layer is a sources.LogSource over the
// next, tested alone; loaders batch keys on top of the chain.
//
// Everything a layer shares between requests is keyed by the source's
// partition (source, workspace set, and the on-behalf-of caller), then the
// facet, the query's signature and the key.
package decorate

import (
	"context"

	"entitygraph/internal/facets"
	"entitygraph/internal/sources"
)

// Hit is a key's rows answered without a query.
type Hit struct {
	Rows   []sources.Row
	Shared bool // from the replicas' cache
}

// Peeker answers one key from a cache, without querying or waiting; sig
// is the query's signature (facets.Query.Signature, keys left out).
type Peeker interface {
	Peek(ctx context.Context, f *facets.Facet, sig, key string) (Hit, bool)
}

// LocalPeeker answers one key from memory, without any round trip.
type LocalPeeker interface {
	PeekLocal(f *facets.Facet, sig, key string) (Hit, bool)
}

// peek asks src when it can answer without a query.
func peek(src sources.LogSource, ctx context.Context, f *facets.Facet, sig, key string) (Hit, bool) {
	if p, ok := src.(Peeker); ok {
		return p.Peek(ctx, f, sig, key)
	}
	return Hit{}, false
}

// CacheKey names one key's rows of one facet query: the partition first,
// so nothing crosses workspace sets or on-behalf-of callers.
func CacheKey(partition string, f *facets.Facet, signature, key string) string {
	return partition + "|" + f.Name + "|" + signature + "|" + key
}

// signature is q's signature without its keys.
func signature(q facets.Query) string {
	q.Keys = nil
	return q.Signature()
}

// ByKey splits rows by the key they matched.
func ByKey(rows []sources.Row) map[string][]sources.Row {
	out := map[string][]sources.Row{}
	for _, r := range rows {
		k, _ := r[facets.KeyColumn].(string)
		out[k] = append(out[k], r)
	}
	return out
}

type callerKey struct{}

// WithCaller names who a context's queries are counted against.
func WithCaller(ctx context.Context, caller string) context.Context {
	return context.WithValue(ctx, callerKey{}, caller)
}

func callerOf(ctx context.Context) string {
	c, _ := ctx.Value(callerKey{}).(string)
	return c
}

// layer forwards identity to the source below.
type layer struct{ next sources.LogSource }

func (l layer) Name() string      { return l.next.Name() }
func (l layer) Partition() string { return l.next.Partition() }
