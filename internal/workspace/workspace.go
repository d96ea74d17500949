// Package workspace opens the log store the server queries: a directory of
// table exports, or the generated demo workspace.
package workspace

import (
	"context"
	"fmt"
	"os"
	"time"

	"entitygraph/internal/demo"
	"entitygraph/internal/sources/duckdb"
)

// Options select the workspace.
type Options struct {
	Dir         string    // workspace directory; empty: the demo workspace
	DemoScale   int       // demo background multiplier
	DemoNow     time.Time // demo anchor time; zero: now
	MemoryLimit string
	Lenient     bool // skip malformed CSV rows (counted and reported) instead of failing
}

// Report says what was opened.
type Report struct {
	Source string // "demo" or the directory
	Load   duckdb.LoadReport
}

// Open creates the DuckDB store and loads the workspace into it.
func Open(ctx context.Context, opts Options) (*duckdb.Store, Report, error) {
	store, err := duckdb.Open(duckdb.Options{MemoryLimit: opts.MemoryLimit, Lenient: opts.Lenient})
	if err != nil {
		return nil, Report{}, err
	}
	rep := Report{Source: opts.Dir}
	dir := opts.Dir
	if dir == "" {
		rep.Source = "demo"
		tmp, err := os.MkdirTemp("", "entitygraph-demo-")
		if err != nil {
			store.Close()
			return nil, rep, fmt.Errorf("demo workspace: %w", err)
		}
		defer os.RemoveAll(tmp)
		if _, err := demo.Write(tmp, demo.Options{Now: opts.DemoNow, Scale: opts.DemoScale}); err != nil {
			store.Close()
			return nil, rep, err
		}
		dir = tmp
	}
	rep.Load, err = store.LoadDir(ctx, dir)
	if err != nil {
		store.Close()
		return nil, rep, err
	}
	return store, rep, nil
}

// ExampleQuery is GraphiQL's default tab: the IP summary of a demo story.
func ExampleQuery(demoData bool) string {
	ip := demo.SprayIP
	if !demoData {
		ip = "40.76.43.124"
	}
	hint := fmt.Sprintf("# Try also %s (C2 beacon) and %s (SSH brute force).\n", demo.C2IP, demo.BruteIP)
	if !demoData {
		hint = "# Replace the address with one from your workspace.\n"
	}
	return fmt.Sprintf(`# entitygraph: everything the logs say about an IP, in one request.
%squery IpSummary {
  ipAddress(address: %q, timespan: {last: "2d"}) {
    address type origin
    alerts(first: 5) { totalCount nodes { name severity time tactics } }
    signins(first: 5) { totalCount nodes { time userPrincipalName appDisplayName resultType countryOrRegion } }
    relatedAccounts { account { name } source count failures firstSeen lastSeen }
    officeActivity(first: 5) { totalCount nodes { time userId operation workload } }
    hostLogons { host { name } account { name } os result count }
    hosts { host { name } source }
    netflowSummary { l7Protocol direction flowRecords externalIps }
    networkConnections { host { name } remoteUrls count }
    dnsQueries(first: 3) { totalCount nodes { name clientIp } }
    bookmarks { totalCount nodes { name } }
  }
}
`, hint, ip)
}
