// Package demo generates the embedded default workspace: Sentinel tables
// with background activity and three attack stories an analyst can follow
// by pivoting. Output is deterministic for a given anchor time and scale.
package demo

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Story entities, listed in the README.
const (
	SprayIP       = "193.27.228.147" // password spray source; succeeds for SprayVictim
	SprayVictim   = "megan.bowen@contoso.com"
	C2IP          = "91.215.85.12" // command-and-control address flagged by TI
	C2Domain      = "update-cdn-check.net"
	BeaconHost    = "web-vm-01"
	BeaconIP      = "10.0.1.4" // web-vm-01's private address
	BeaconPublic  = "20.55.10.4"
	BruteIP       = "45.95.147.236" // SSH brute force that gets in
	BruteHost     = "linux-db-02"
	BruteHostIP   = "10.0.2.5"
	BruteAccount  = "dbadmin"
	TenantID      = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	Subscription  = "3b0f8e64-6d3f-4a3f-9c55-0d7a1c2b9e10"
	ResourceGroup = "prod-rg"
)

// Options control generation.
type Options struct {
	Now   time.Time // anchor; stories happen in the 36 hours before it
	Scale int       // multiplies the background activity (1 = about 11,000 rows)
}

type table struct {
	name string
	rows []map[string]any
}

type gen struct {
	rnd    *rand.Rand
	now    time.Time
	tables map[string]*table
	seq    int
}

func (g *gen) add(tbl string, row map[string]any) {
	t, ok := g.tables[tbl]
	if !ok {
		t = &table{name: tbl}
		g.tables[tbl] = t
	}
	row["TenantId"] = TenantID
	row["Type"] = tbl
	t.rows = append(t.rows, row)
}

func (g *gen) ago(d time.Duration) string { return g.now.Add(-d).UTC().Format(time.RFC3339Nano) }

// between returns a time between a and b ago.
func (g *gen) between(a, b time.Duration) time.Duration {
	if b <= a {
		return a
	}
	return a + time.Duration(g.rnd.Int64N(int64(b-a)))
}

func (g *gen) id() string {
	g.seq++
	return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", g.rnd.Uint32(), g.seq&0xffff, g.rnd.IntN(0xfff), g.rnd.IntN(0xfff), g.rnd.Uint64()&0xffffffffffff)
}

// Write generates the workspace into dir, one JSON-lines file per table.
func Write(dir string, opts Options) (rows int, err error) {
	if opts.Scale < 1 {
		opts.Scale = 1
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	g := &gen{rnd: rand.New(rand.NewPCG(20261130, uint64(opts.Scale))), now: opts.Now.UTC().Truncate(time.Second), tables: map[string]*table{}}
	g.background(opts.Scale)
	g.spray()
	g.beacon()
	g.bruteForce()
	g.persistence()
	g.directory()
	g.logonTables()
	names := make([]string, 0, len(g.tables))
	for n := range g.tables {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t := g.tables[n]
		if err := writeJSONL(filepath.Join(dir, n+".jsonl"), t.rows); err != nil {
			return rows, err
		}
		rows += len(t.rows)
	}
	return rows, nil
}

func writeJSONL(path string, rows []map[string]any) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return fmt.Errorf("demo: %s: %w", path, err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("demo: %s: %w", path, err)
	}
	return f.Close()
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
