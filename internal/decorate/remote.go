package decorate

import (
	"context"
	"time"

	"entitygraph/internal/calltrace"
	"entitygraph/internal/facets"
	"entitygraph/internal/metrics"
	"entitygraph/internal/sources"
)

// RemoteStore is a result cache shared by replicas, with leases.
type RemoteStore interface {
	GetRows(ctx context.Context, cacheKeys []string) (map[string][]sources.Row, error)
	SetRows(ctx context.Context, rows map[string][]sources.Row, ttl time.Duration) error
	Lease(ctx context.Context, key string, ttl time.Duration) (release func(), held bool, err error)
	WaitRows(ctx context.Context, lease string, cacheKeys []string, wait time.Duration) map[string][]sources.Row
}

// RemoteWait bounds how long a replica waits for another's query before
// running it itself.
const RemoteWait = 5 * time.Second

// Remote is the replicas' cache level: keys another replica stored are
// answered from it, a batch another replica is querying (its lease) is
// waited for, and what this replica queries is stored for the others
// with the local TTL. Nil store or TTL ≤ 0: nothing.
func Remote(next sources.LogSource, r RemoteStore, ttl time.Duration) sources.LogSource {
	if r == nil || ttl <= 0 {
		return next
	}
	return &remote{layer{next}, r, ttl}
}

type remote struct {
	layer
	r   RemoteStore
	ttl time.Duration
}

func (r *remote) Peek(ctx context.Context, f *facets.Facet, sig, key string) (Hit, bool) {
	ck := CacheKey(r.Partition(), f, sig, key)
	found, err := r.r.GetRows(ctx, []string{ck})
	if err != nil {
		metrics.SharedCache("error", 1)
		return Hit{}, false
	}
	rows, ok := found[ck]
	if !ok {
		metrics.SharedCache("miss", 1)
		return Hit{}, false
	}
	metrics.SharedCache("hit", 1)
	return Hit{Rows: rows, Shared: true}, true
}

func (r *remote) Run(ctx context.Context, f *facets.Facet, q facets.Query) (sources.Result, error) {
	part, sig := r.Partition(), signature(q)
	entries := make([][]string, len(q.Keys)) // each key's cache keys (a group's: one per member)
	var cks []string
	for i, k := range q.Keys {
		entries[i] = entryKeys(part, f, sig, k)
		cks = append(cks, entries[i]...)
	}
	lease := flightKey(part, f, q)
	found := map[string][]sources.Row{}
	release, held, err := r.r.Lease(ctx, lease, RemoteWait+30*time.Second)
	if err == nil {
		defer release()
		if held {
			found = r.r.WaitRows(ctx, lease, cks, RemoteWait)
		}
	}
	inFound := func(ck string) ([]sources.Row, bool) { rows, ok := found[ck]; return rows, ok }
	var hits []sources.Row
	var rest []string
	var restEntries [][]string
	hitKeys := 0
	for i, k := range q.Keys {
		if rows, ok := whole(f, entries[i], inFound); ok {
			hits = append(hits, rows...)
			hitKeys++
			continue
		}
		rest = append(rest, k)
		restEntries = append(restEntries, entries[i])
	}
	if hitKeys > 0 {
		calltrace.From(ctx).Add(calltrace.Call{Source: r.Name(), Facet: f.Name, Table: f.Table, Keys: hitKeys, Rows: len(hits), Cached: true, Shared: true})
	}
	if len(rest) == 0 {
		return sources.Result{Rows: hits}, nil
	}
	q.Keys = rest
	res, err := r.next.Run(ctx, f, q)
	if err == nil {
		split := ByKey(res.Rows)
		stored := map[string][]sources.Row{}
		for i, k := range rest {
			for j, rows := range SplitMembers(f, split[k]) {
				stored[restEntries[i][j]] = rows
			}
		}
		r.r.SetRows(ctx, stored, r.ttl)
	}
	res.Rows = append(hits, res.Rows...)
	return res, err
}
