package decorate

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entitygraph/internal/facets"
	"entitygraph/internal/sources"

	"golang.org/x/sync/singleflight"
)

// groupFake answers a group as Log Analytics does: for each key and
// member, two rows tagged with the member and their order (sent out of
// order), each naming the partition and the member.
type groupFake struct {
	partition string
	calls     atomic.Int32
}

func (f *groupFake) Name() string      { return "fake" }
func (f *groupFake) Partition() string { return f.partition }

func (f *groupFake) Run(_ context.Context, g *facets.Facet, q facets.Query) (sources.Result, error) {
	f.calls.Add(1)
	time.Sleep(10 * time.Millisecond)
	var rows []sources.Row
	for _, k := range q.Keys {
		for i, m := range g.Members() {
			for _, n := range []int64{2, 1} {
				rows = append(rows, sources.Row{facets.KeyColumn: k, facets.MemberColumn: int64(i), facets.OrderColumn: n,
					mark(m.Facet): fmt.Sprintf("%s/%s/%s/%d", f.partition, m.Facet.Name, k, n), "Unrelated": "dropped"})
			}
		}
	}
	return sources.Result{Statement: "group", Rows: rows}, nil
}

// mark is a column of the member's own answer.
func mark(f *facets.Facet) string {
	if f.Kind == facets.Summary {
		return "AccountName"
	}
	return "UserPrincipalName"
}

// TestGroupsCachedAsMembers: a group's answer is kept as its members'
// entries — in the local cache and the replicas' store, per partition —
// each holding only its member's columns in its member's order; two
// partitions running the same group at once never see each other's rows.
func TestGroupsCachedAsMembers(t *testing.T) {
	c := newCache(t)
	store := &memStore{rows: map[string][]sources.Row{}, leases: map[string]bool{}}
	members := []facets.Member{{Facet: facets.IPSignins, Query: span}, {Facet: facets.IPSigninAccounts, Query: span}}
	g, q, err := facets.Group(members, []string{"k1", "k2"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fakes := map[string]*groupFake{}
	chains := map[string]sources.LogSource{}
	for _, p := range []string{"ws-a", "ws-b"} {
		fakes[p] = &groupFake{partition: p}
		chains[p] = Cache(Remote(fakes[p], store, time.Hour), c)
	}
	var wg sync.WaitGroup
	for _, p := range []string{"ws-a", "ws-b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := chains[p].Run(ctx, g, q)
			if err != nil || len(res.Rows) != 8 {
				t.Errorf("%s: %d rows, %v", p, len(res.Rows), err)
			}
		}()
	}
	wg.Wait()
	c.Wait()
	for _, p := range []string{"ws-a", "ws-b"} {
		if n := fakes[p].calls.Load(); n != 1 {
			t.Errorf("%s: %d queries, want 1", p, n)
		}
		for _, m := range members {
			h, ok := chains[p].(LocalPeeker).PeekLocal(m.Facet, span.Signature(), "k2")
			want := []string{p + "/" + m.Facet.Name + "/k2/1", p + "/" + m.Facet.Name + "/k2/2"}
			var got []string
			for _, r := range h.Rows {
				got = append(got, fmt.Sprint(r[mark(m.Facet)]))
				for _, col := range []string{facets.MemberColumn, facets.OrderColumn, "Unrelated"} {
					if _, has := r[col]; has {
						t.Errorf("%s %s: entry keeps %s", p, m.Facet.Name, col)
					}
				}
			}
			if !ok || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s %s k2: cached %v (%v), want %v", p, m.Facet.Name, got, ok, want)
			}
		}
	}
	// The group again: every entry is held, nothing is sent, and the rows
	// come back tagged as the source sent them.
	res, err := chains["ws-a"].Run(ctx, g, q)
	if err != nil || fakes["ws-a"].calls.Load() != 1 {
		t.Fatalf("again: %d queries, %v", fakes["ws-a"].calls.Load(), err)
	}
	for i, e := range SplitMembers(g, res.Rows) {
		if len(e) != 4 || e[0][mark(members[i].Facet)] != "ws-a/"+members[i].Facet.Name+"/k1/1" {
			t.Errorf("member %d from the cache: %v", i, e)
		}
	}
	// Another replica (its own local cache) finds each member's entries
	// in the shared store.
	replica := Cache(Remote(&groupFake{partition: "ws-a"}, store, time.Hour), newCache(t))
	for _, m := range members {
		if h, ok := replica.(Peeker).Peek(ctx, m.Facet, span.Signature(), "k1"); !ok || !h.Shared || len(h.Rows) != 2 {
			t.Errorf("replica 2, %s: %v %v", m.Facet.Name, h, ok)
		}
	}
}

// TestGroupsCoalesceByMembers: identical groups in flight are one query;
// groups of the same facets asking other pages are not.
func TestGroupsCoalesceByMembers(t *testing.T) {
	page2 := span
	page2.Offset = 10
	group := func(q facets.Query) (*facets.Facet, facets.Query) {
		g, gq, err := facets.Group([]facets.Member{{Facet: facets.IPSignins, Query: q}, {Facet: facets.IPSigninAccounts, Query: span}}, []string{"k1"})
		if err != nil {
			t.Fatal(err)
		}
		return g, gq
	}
	for _, c := range []struct {
		name  string
		pages []facets.Query
		want  int32
	}{
		{"identical", []facets.Query{span, span}, 1},
		{"other pages", []facets.Query{span, page2}, 2},
	} {
		f := &groupFake{partition: "ws-a"}
		src := Coalesce(f, &singleflight.Group{})
		var wg sync.WaitGroup
		for _, p := range c.pages {
			g, gq := group(p)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := src.Run(context.Background(), g, gq); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if n := f.calls.Load(); n != c.want {
			t.Errorf("%s: %d queries, want %d", c.name, n, c.want)
		}
	}
}
