// Package workspacetest shares the demo workspace between test packages.
package workspacetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"entitygraph/internal/sources/duckdb"
	"entitygraph/internal/workspace"
)

// Anchor is the fixed "now" of the tests' demo workspace.
var Anchor = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

var (
	once  sync.Once
	store *duckdb.Store
	err   error
)

// Demo is the demo workspace anchored at Anchor, generated once per test
// binary.
func Demo(t testing.TB) *duckdb.Store {
	t.Helper()
	once.Do(func() {
		store, _, err = workspace.Open(context.Background(), workspace.Options{DemoNow: Anchor})
	})
	if err != nil {
		t.Fatal(err)
	}
	return store
}
