package loaders

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entitygraph/internal/decorate"
	"entitygraph/internal/facets"
	"entitygraph/internal/sources"
)

// combiningEcho answers every facet query with one row per key naming
// the facet, and a group (facets.Group) with its members' rows tagged, as
// Log Analytics does; it counts the queries sent.
type combiningEcho struct{ calls, groups atomic.Int32 }

func (c *combiningEcho) Name() string        { return "combining" }
func (c *combiningEcho) Partition() string   { return "combining" }
func (c *combiningEcho) CombinesScans() bool { return true }

func (c *combiningEcho) Run(_ context.Context, f *facets.Facet, q facets.Query) (sources.Result, error) {
	c.calls.Add(1)
	answer := func(f *facets.Facet) []sources.Row {
		col := "UserPrincipalName"
		if f.Kind == facets.Summary {
			col = "AccountName"
		}
		var rows []sources.Row
		for _, k := range q.Keys {
			rows = append(rows, sources.Row{facets.KeyColumn: k, col: f.Name + "/" + k})
		}
		return rows
	}
	if len(f.Members()) == 0 {
		return sources.Result{Rows: answer(f)}, nil
	}
	c.groups.Add(1)
	entries := make([][]sources.Row, len(f.Members()))
	for i, m := range f.Members() {
		entries[i] = answer(m.Facet)
	}
	return sources.Result{Rows: decorate.JoinMembers(f, entries)}, nil
}

// TestLevelsShareScans: on a source that combines scans, a level's
// sign-ins page and accounts seen in sign-ins for the same addresses go
// as one query, each field gets its own facet's rows, and the next level
// follows at once (the group hands every waiting field's token back).
func TestLevelsShareScans(t *testing.T) {
	src := &combiningEcho{}
	l := New(context.Background(), src, nil, &Trace{}, Options{Wait: time.Millisecond, LevelWait: time.Minute})
	defer l.Close()
	levels := l.TrackLevels()
	span := facets.Query{Start: time.Unix(0, 0), End: time.Unix(3600, 0)}
	const addresses = 3
	levels.Expect(2 * addresses)
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < addresses; i++ {
		key := fmt.Sprintf("10.0.0.%d", i)
		for _, f := range []*facets.Facet{facets.IPSignins, facets.IPSigninAccounts} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer levels.Done(0)
				rows, err := l.Load(context.Background(), f, withPage(span, 0, 10), key)
				if err != nil || len(rows) != 1 || fmt.Sprint(rows[0]) == "" {
					t.Errorf("%s %s: %v %v", f.Name, key, rows, err)
					return
				}
				for col, v := range rows[0] {
					if col != facets.KeyColumn && v != f.Name+"/"+key {
						t.Errorf("%s %s: %s = %v, another member's row", f.Name, key, col, v)
					}
				}
				// The next level, from this field's answer.
				if _, err := l.Load(context.Background(), facets.IPAlerts, withPage(span, 0, 10), key); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	if calls, groups := src.calls.Load(), src.groups.Load(); calls != 2 || groups != 1 {
		t.Errorf("%d queries, %d of them groups; want 2 and 1 (the level's shared scan, then the alerts)", calls, groups)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("took %v: the next level waited for the backstop", took)
	}
}
