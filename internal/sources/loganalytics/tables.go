package loganalytics

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"entitygraph/internal/facets"
)

// tableSet is what a workspace set was found to contain, as one identity
// sees it (keyed by the scope's partition).
type tableSet struct {
	mu      sync.Mutex
	names   map[string]bool
	fetched time.Time
}

// facetTables are the tables any facet reads.
func facetTables() []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range facets.All {
		if !seen[f.Table] {
			seen[f.Table] = true
			out = append(out, f.Table)
		}
	}
	sort.Strings(out)
	return out
}

// DiscoveryQuery lists which of the tables exist: getschema reads no data,
// and a fuzzy union skips the tables the workspace lacks.
func DiscoveryQuery(tables []string) string {
	parts := make([]string, len(tables))
	for i, t := range tables {
		parts[i] = fmt.Sprintf("(%s | getschema | take 1 | project TableName = %s)", facets.QuoteKQLIdent(t), facets.QuoteKQL(t))
	}
	return "union isfuzzy=true " + strings.Join(parts, ", ") + "\n| distinct TableName"
}

// hasTable reports whether the workspaces have the table, discovering
// their tables once per TTL (errors are not cached).
func (sc scoped) hasTable(ctx context.Context, table string) (bool, error) {
	sc.s.mu.Lock()
	ts, ok := sc.s.tables[sc.Partition()]
	if !ok {
		if len(sc.s.tables) >= 4*maxUsers {
			clear(sc.s.tables) // many analysts: rediscover rather than grow
		}
		ts = &tableSet{}
		sc.s.tables[sc.Partition()] = ts
	}
	sc.s.mu.Unlock()

	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.names == nil || time.Since(ts.fetched) > sc.s.opts.TablesTTL {
		rows, err := sc.query(ctx, DiscoveryQuery(facetTables()), time.Time{}, time.Time{})
		if err != nil && rows == nil {
			return false, err
		}
		names := map[string]bool{}
		for _, r := range rows {
			if n, ok := r["TableName"].(string); ok {
				names[n] = true
			}
		}
		ts.names, ts.fetched = names, time.Now()
	}
	return ts.names[table], nil
}
