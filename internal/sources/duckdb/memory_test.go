package duckdb

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultMemoryLimit(t *testing.T) {
	cases := []struct {
		name    string
		machine int64
		want    int64
	}{
		{"small container", 512 << 20, 256 << 20},
		{"4 GiB", 4 << 30, 512 << 20},
		{"this project's 24 GiB machine", 24 << 30, 1 << 30},
		{"a large host", 1 << 40, 1 << 30},
	}
	for _, c := range cases {
		if got := DefaultMemoryLimit(c.machine); got != c.want {
			t.Errorf("%s: %d MiB, want %d MiB", c.name, got>>20, c.want>>20)
		}
	}
	if got := memoryLimit("3GB", newMemoryPolicy("3GB")); got != "3GB" {
		t.Errorf("a set limit is kept: %q", got)
	}
}

// TestMemoryLimitForLargeWorkspaces: a derived limit smaller than the
// workspace grows (doubling) until the tables load, then keeps headroom
// for queries, and says so; a limit the operator set is a wall with a
// clear error. The spill directory the store made is gone after Close.
func TestMemoryLimitForLargeWorkspaces(t *testing.T) {
	dir := t.TempDir()
	gen, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	csv := filepath.Join(dir, "SigninLogs.csv")
	const rows = 400000
	if _, err := gen.DB().Exec(`COPY (SELECT TIMESTAMP '2026-01-01' + to_seconds(i) AS TimeGenerated,
		'10.' || (i % 250) || '.' || (i // 250 % 250) || '.' || (i % 7) AS IPAddress,
		'user' || (i % 5000) || '@contoso.com' AS UserPrincipalName, md5(i::VARCHAR) || md5((i+1)::VARCHAR) || md5((i+2)::VARCHAR) AS UserAgent,
		CASE WHEN i % 3 = 0 THEN '0' ELSE '50126' END AS ResultType FROM range(400000) t(i)) TO '` + csv + `' (HEADER)`); err != nil {
		t.Fatal(err)
	}
	gen.Close()

	wall, err := Open(Options{MemoryLimit: "48MB", Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer wall.Close()
	if _, err := wall.LoadDir(context.Background(), dir); !isOutOfMemory(err) {
		t.Fatalf("a set 48 MB limit: %v, want an out-of-memory error", err)
	}

	s, err := Open(Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.memory = memoryPolicy{derived: true, bytes: 48 << 20, ceiling: 4 << 30} // a small machine's default
	if err := s.setMemory(context.Background(), 48<<20); err != nil {
		t.Fatal(err)
	}
	s.memoryGrown = ""
	rep, err := s.LoadDir(context.Background(), dir)
	if err != nil {
		t.Fatalf("a derived limit did not grow: %v", err)
	}
	if rep.Rows != rows {
		t.Fatalf("loaded %d rows, want %d", rep.Rows, rows)
	}
	if s.memory.bytes <= 48<<20 || !strings.Contains(strings.Join(rep.Warnings, "\n"), "raised to "+s.MemoryLimit()) {
		t.Errorf("limit %s, warnings %q", s.MemoryLimit(), rep.Warnings)
	}
	var n int
	if err := s.DB().QueryRow(`SELECT count(DISTINCT UserAgent) FROM "SigninLogs"`).Scan(&n); err != nil || n != rows {
		t.Fatalf("a query after loading: %d distinct, %v", n, err)
	}

	own, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if own.MemoryLimit() == "" || own.ownTmp == "" {
		t.Fatalf("default store: limit %q, spill dir %q", own.MemoryLimit(), own.ownTmp)
	}
	if _, err := os.Stat(own.ownTmp); err != nil {
		t.Fatal(err)
	}
	own.Close()
	if _, err := os.Stat(own.ownTmp); !os.IsNotExist(err) {
		t.Errorf("Close left the spill directory %s", own.ownTmp)
	}
}
