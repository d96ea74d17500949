// Command egbench measures what the README reports: cold start on the demo
// workspace, facet latency on large SigninLogs tables, and loading a large
// export file (time and peak memory).
//
//	go run ./cmd/egbench coldstart
//	go run ./cmd/egbench facets -rows 1000000
//	go run ./cmd/egbench load -rows 3000000
//	go run ./cmd/egbench pivot -latency 100ms -concurrency 5
//	go run ./cmd/egbench soak -duration 10m
//	go run ./cmd/egbench throughput -conns 1,4,16,64
//	go run ./cmd/egbench kqlprobe -config eg.yaml [-dry-run]
//	go run ./cmd/egbench replicas -duration 5s
//	go run ./cmd/egbench statements -runs 50
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"entitygraph/internal/facets"
	"entitygraph/internal/sources/duckdb"
	"entitygraph/internal/workspace"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: egbench coldstart|facets|load|pivot|soak|throughput|replicas|statements|missfloor|scans|kqlprobe [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	rows := fs.Int("rows", 1_000_000, "SigninLogs rows")
	runs := fs.Int("runs", 20, "repetitions per measurement")
	verbose := fs.Bool("v", false, "missfloor: every statement's time")
	dir := fs.String("dir", "", "load: a workspace directory to load (skips generating one)")
	mem := fs.String("memory-limit", "", "load: DuckDB memory limit, e.g. 2GB")
	latency := fs.Duration("latency", 100*time.Millisecond, "pivot, scans: latency added to every backend query")
	concurrency := fs.Int("concurrency", 5, "pivot, scans: concurrent backend queries allowed (Log Analytics: 5 per identity)")
	scale := fs.Int("demo-rows", 10, "pivot: demo workspace scale")
	seconds := fs.Duration("duration", 10*time.Second, "pivot: how long to measure cached throughput; soak: how long to run (default 10m)")
	workers := fs.Int("workers", 4, "soak: clients sending the normal mix")
	bin := fs.String("bin", "", "soak, throughput: the server binary (default: built from ./cmd/gql)")
	conns := fs.String("conns", "1,4,16,64", "throughput: client connections per cell")
	only := fs.String("only", "", "throughput: only the workloads whose names contain this (e.g. cached), admission at its default")
	cfgPath := fs.String("config", "", "kqlprobe: the server's YAML configuration naming the Sentinel workspace (env EG_CONFIG)")
	dryRun := fs.Bool("dry-run", false, "kqlprobe: print the probe queries, send nothing")
	fs.Parse(os.Args[2:])
	durationSet := false
	fs.Visit(func(f *flag.Flag) { durationSet = durationSet || f.Name == "duration" })
	var err error
	switch os.Args[1] {
	case "coldstart":
		err = coldStart(*runs)
	case "facets":
		err = facetLatency(*rows, *runs)
	case "missfloor":
		err = missFloor(*runs, *verbose)
	case "load":
		err = loadFile(*rows, *dir, *mem)
	case "pivot":
		err = pivot(*latency, *concurrency, *scale, *seconds)
	case "throughput":
		if !durationSet {
			*seconds = 5 * time.Second
		}
		err = throughput(*seconds, parseConns(*conns), *bin, *only)
	case "soak":
		if !durationSet {
			*seconds = 10 * time.Minute
		}
		err = soak(*seconds, *workers, *bin)
	case "replicas":
		if !durationSet {
			*seconds = 5 * time.Second
		}
		err = replicas(*seconds, 16, *bin, *runs*10)
	case "scans":
		err = sharedScans(*latency, *concurrency, *runs)
	case "statements":
		err = statements(*runs)
	case "kqlprobe":
		err = kqlProbe(*cfgPath, *dryRun)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "egbench:", err)
		os.Exit(1)
	}
}

func percentiles(d []time.Duration) string {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	p := func(q float64) time.Duration { return d[int(q*float64(len(d)-1))].Round(10 * time.Microsecond) }
	return fmt.Sprintf("p50 %v  p95 %v  max %v", p(0.5), p(0.95), d[len(d)-1].Round(10*time.Microsecond))
}

// coldStart times generating and loading the demo workspace, which is
// everything the server does before /readyz turns ready.
func coldStart(runs int) error {
	var ds []time.Duration
	var rows int64
	for i := 0; i < runs; i++ {
		start := time.Now()
		s, rep, err := workspace.Open(context.Background(), workspace.Options{})
		if err != nil {
			return err
		}
		ds = append(ds, time.Since(start))
		rows = rep.Load.Rows
		s.Close()
	}
	fmt.Printf("cold start (demo workspace, %d rows): %s over %d runs\n", rows, percentiles(ds), runs)
	return nil
}

// fillSignins creates SigninLogs with n synthetic rows over the last two
// days: 350,000 distinct client IPs, 5,000 users.
func fillSignins(s *duckdb.Store, n int) (time.Duration, error) {
	ctx := context.Background()
	if _, err := s.LoadTable(ctx, "SigninLogs", nil); err != nil {
		return 0, err
	}
	start := time.Now()
	_, err := s.DB().ExecContext(ctx, fmt.Sprintf(`INSERT INTO SigninLogs (TimeGenerated, IPAddress, UserPrincipalName, AppDisplayName, ResultType, LocationDetails)
		SELECT CAST(now() AS TIMESTAMP) - to_seconds(i %% 172800), '10.' || (i %% 200) || '.' || ((i // 200) %% 250) || '.' || (i %% 7),
		'user' || (i %% 5000) || '@contoso.com', 'App' || (i %% 20), CASE WHEN i %% 17 = 0 THEN '50126' ELSE '0' END,
		'{"city":"Redmond","countryOrRegion":"US"}'
		FROM range(%d) t(i)`, n))
	return time.Since(start), err
}

func facetLatency(n, runs int) error {
	s, err := duckdb.Open(duckdb.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	fill, err := fillSignins(s, n)
	if err != nil {
		return err
	}
	fmt.Printf("SigninLogs: %d rows generated in %v (GOMAXPROCS %d)\n", n, fill.Round(time.Millisecond), runtime.GOMAXPROCS(0))
	now := time.Now().UTC()
	keys100 := make([]string, 100)
	for i := range keys100 {
		keys100[i] = fmt.Sprintf("10.%d.%d.%d", i%200, (i/200)%250, i%7)
	}
	// People as account resolution hands them to the facets: a UPN and
	// its DOMAIN\user form under one aliased key (the row-id shape), and a
	// plain UPN (the one-pass shape).
	people := make([]string, 27)
	for i := range people {
		people[i] = facets.AliasKey([]string{fmt.Sprintf("user%d@contoso.com", i), fmt.Sprintf(`contoso\user%d`, i)})
	}
	// A bare totalCount asks for the totals alone (limit 0); a page of one
	// row with its total is how it was asked before.
	for _, c := range []struct {
		name  string
		f     *facets.Facet
		keys  []string
		limit int
	}{
		{"signins (page of 20, 1 IP)", facets.IPSignins, keys100[:1], 20},
		{"relatedAccounts.signins (summary, 1 IP)", facets.IPSigninAccounts, keys100[:1], 20},
		{"signins (page of 20, 100 IPs batched)", facets.IPSignins, keys100, 20},
		{"signins (page of 1 and total, 100 IPs batched)", facets.IPSignins, keys100, 1},
		{"signins (total alone, 100 IPs batched)", facets.IPSignins, keys100, 0},
		{"relatedAccounts.signins (summary, 100 IPs batched)", facets.IPSigninAccounts, keys100, 20},
		{"account.signins (page of 20, 1 UPN)", facets.AccountSignins, []string{"user1@contoso.com"}, 20},
		{"account.signins (page of 20, 1 person, 2 forms)", facets.AccountSignins, people[1:2], 20},
		{"account.signins (page of 20, 27 people batched)", facets.AccountSignins, people, 20},
		{"account.signins (page of 1 and total, 27 people)", facets.AccountSignins, people, 1},
		{"account.signins (total alone, 27 people batched)", facets.AccountSignins, people, 0},
		{"account.links.signins (27 people batched)", facets.AccountLinksSignins, people, 20},
	} {
		q := facets.Query{Keys: c.keys, Start: now.Add(-48 * time.Hour), End: now, Limit: c.limit}
		var ds []time.Duration
		var rows int
		for i := 0; i < runs; i++ {
			start := time.Now()
			res, err := s.Run(context.Background(), c.f, q)
			if err != nil {
				return err
			}
			ds = append(ds, time.Since(start))
			rows = len(res.Rows)
		}
		fmt.Printf("  %-52s %s  (%d rows)\n", c.name, percentiles(ds), rows)
	}
	return nil
}

// loadFile writes an n-row SigninLogs CSV, then loads it into a fresh store
// in a child process (so that the generator's memory is not counted) and
// reports time and peak resident memory.
func loadFile(n int, dir, mem string) error {
	if dir != "" {
		return measureLoad(dir, mem)
	}
	dir, err := os.MkdirTemp("", "egbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	gen, err := duckdb.Open(duckdb.Options{})
	if err != nil {
		return err
	}
	if _, err := fillSignins(gen, n); err != nil {
		return err
	}
	path := filepath.Join(dir, "SigninLogs.csv")
	if _, err := gen.DB().Exec(`COPY (SELECT TimeGenerated, IPAddress, UserPrincipalName, AppDisplayName, ResultType, LocationDetails, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36' AS UserAgent, 'Sign-in activity' AS OperationName, 'Browser' AS ClientAppUsed FROM SigninLogs) TO '` + path + `' (HEADER)`); err != nil {
		return err
	}
	gen.Close()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, "load", "-dir", dir, "-memory-limit", mem)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

func measureLoad(dir, mem string) error {
	var size int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if fi, err := e.Info(); err == nil {
			size += fi.Size()
		}
	}
	base := peakRSS()
	s, err := duckdb.Open(duckdb.Options{MemoryLimit: mem})
	if err != nil {
		return err
	}
	defer s.Close()
	start := time.Now()
	rep, err := s.LoadDir(context.Background(), dir)
	if err != nil {
		return err
	}
	took := time.Since(start)
	// A query after loading: memory for serving, not only for loading.
	now := time.Now().UTC()
	if _, err := s.Run(context.Background(), facets.IPSignins, facets.Query{Keys: []string{"10.1.0.1"}, Start: now.Add(-48 * time.Hour), End: now, Limit: 20}); err != nil {
		return err
	}
	fmt.Printf("memory limit %q (in effect: %s): loaded %s (%d MB, %d rows) in %v; peak RSS %d MB (process before loading: %d MB)\n", mem, s.MemoryLimit(), dir, size>>20, rep.Rows, took.Round(time.Millisecond), peakRSS()>>10, base>>10)
	return nil
}

// peakRSS reads the process's peak resident set size in KiB (Linux).
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%d", &kb)
			return kb
		}
	}
	return 0
}
