package demo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"entitygraph/internal/demo"
	"entitygraph/internal/facets"
	"entitygraph/internal/workspace"
	"entitygraph/internal/workspace/workspacetest"
)

// TestEveryFacetHasDemoRows: every facet returns rows for some entity of
// the demo stories, so each decoder (Sysmon XML included) has data to run
// on.
func TestEveryFacetHasDemoRows(t *testing.T) {
	store := workspacetest.Demo(t)
	keys := map[string][]string{
		"ip.":      {demo.SprayIP, demo.C2IP, demo.BruteIP, demo.BeaconIP},
		"account.": {demo.SprayVictim, "megan.bowen", `contoso\administrator`, demo.BruteAccount},
		"host.":    {demo.BeaconHost, demo.BruteHost, "win-fs01"},
		"alerts.":  {"*"},
	}
	span := facets.Query{Start: workspacetest.Anchor.Add(-7 * 24 * time.Hour), End: workspacetest.Anchor.Add(time.Minute), Limit: 5}
	for _, f := range facets.All {
		if f.Name == "alert.byId" {
			continue // keyed by generated alert ids; TestAlertGraph covers it
		}
		var ks []string
		for prefix, k := range keys {
			if strings.HasPrefix(f.Name, prefix) {
				ks = k
			}
		}
		if ks == nil {
			t.Errorf("%s: no demo entity kind for this facet", f.Name)
			continue
		}
		q := span
		q.Keys = ks
		if strings.HasSuffix(f.Name, ".timeline") {
			q.Bucket = time.Hour
		}
		res, err := store.Run(context.Background(), f, q)
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
			continue
		}
		if len(res.Rows) == 0 {
			t.Errorf("%s: no row for any of %v", f.Name, ks)
		}
	}
}

// TestLoadsUnderSmallMemoryLimit: the demo's JSON lines load whole under
// --memory-limit 512MB (they once failed at their first row).
func TestLoadsUnderSmallMemoryLimit(t *testing.T) {
	store, rep, err := workspace.Open(context.Background(), workspace.Options{DemoNow: workspacetest.Anchor, MemoryLimit: "512MB"})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	full := workspacetest.Demo(t)
	var want int64
	for _, tr := range full.Tables() {
		want += tr.Rows
	}
	if rep.Load.Rows != want || len(rep.Load.Tables) != len(full.Tables()) {
		t.Errorf("loaded %d rows in %d tables, want %d in %d", rep.Load.Rows, len(rep.Load.Tables), want, len(full.Tables()))
	}
}
