package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"entitygraph/internal/demo"
)

// throughputWorkloads: the server's own ceiling, a cached summary, a
// summary that always misses the cache (its timespan ends a second later
// each time), and a bulk request of 100 addresses that also misses.
func throughputWorkloads() []struct{ name, query string } {
	var ips []string
	for i := 0; i < 96; i++ {
		ips = append(ips, fmt.Sprintf(`"45.33.%d.%d"`, i/250, 1+i%250))
	}
	ips = append(ips, `"`+demo.SprayIP+`"`, `"`+demo.C2IP+`"`, `"`+demo.BruteIP+`"`, `"`+demo.BeaconIP+`"`)
	summary := `ipAddress(address: "` + demo.SprayIP + `"%s) { type origin alerts { totalCount } signins { totalCount } relatedAccounts { count } hostLogons { count }
	  hosts { source } officeActivity { totalCount } netflowSummary { flowRecords } networkConnections { count } dnsQueries { totalCount } }`
	return []struct{ name, query string }{
		{"typename", `{ __typename }`},
		{"cached summary", "{ " + fmt.Sprintf(summary, "") + " }"},
		{"cache-miss summary", "{ " + fmt.Sprintf(summary, `, timespan: {last: "2d", end: "{END}"}`) + " }"},
		{"bulk 100 IPs, misses", `{ ipAddresses(addresses: [` + strings.Join(ips, ",") + `], timespan: {last: "2d", end: "{END}"}) { address signins { totalCount } relatedAccounts { count } alerts { totalCount } } }`},
	}
}

// throughput runs the real server on loopback and measures each workload
// at each concurrency, with admission control at its default and off, side
// by side in one run.
func throughput(d time.Duration, conns []int, bin, only string) error {
	bin, cleanup, err := serverBinary(bin)
	if err != nil {
		return err
	}
	defer cleanup()
	fmt.Printf("throughput: %v per cell, loopback, real server binary, demo workspace\n", d)
	fmt.Printf("%-22s %-16s", "workload", "admission")
	for _, c := range conns {
		fmt.Printf(" %16s", fmt.Sprintf("%d conn req/s", c))
	}
	fmt.Println()
	for _, mode := range []struct {
		name string
		args []string
	}{{"default", nil}, {"off", []string{"--max-requests", "100000"}}} {
		if only != "" && mode.name != "default" {
			continue
		}
		srv, err := startServer(bin, mode.args)
		if err != nil {
			return err
		}
		base := srv.base
		var seq atomic.Int64
		for _, w := range throughputWorkloads() {
			if only != "" && w.name != "typename" && !strings.Contains(w.name, only) {
				continue
			}
			fmt.Printf("%-22s %-16s", w.name, mode.name)
			for _, c := range conns {
				rps, p50, errs := drive(base, w.query, c, d, &seq)
				cell := fmt.Sprintf("%.0f p50 %v", rps, p50.Round(time.Millisecond))
				if errs > 0 {
					cell += fmt.Sprintf(" (%d 503)", errs)
				}
				fmt.Printf(" %16s", cell)
			}
			fmt.Println()
		}
		srv.stop()
	}
	return nil
}

// serverBinary is bin, or the server built from ./cmd/gql into a
// temporary directory (removed by cleanup).
func serverBinary(bin string) (string, func(), error) {
	if bin != "" {
		return bin, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "egbench")
	if err != nil {
		return "", nil, err
	}
	bin = filepath.Join(dir, "gql")
	build := exec.Command("go", "build", "-o", bin, "./cmd/gql")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("building the server: %w", err)
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}

// runningServer is a server process on loopback.
type runningServer struct {
	base string
	cmd  *exec.Cmd
}

func (s runningServer) stop() { s.cmd.Process.Kill(); s.cmd.Wait() }

// startServer runs the binary on a free loopback port (audit log off) and
// waits until /readyz says ready.
func startServer(bin string, extra []string) (runningServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return runningServer{}, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, append([]string{"--listen", addr, "--audit-file", os.DevNull}, extra...)...)
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return runningServer{}, err
	}
	srv := runningServer{base: "http://" + addr, cmd: cmd}
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(srv.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return srv, nil
			}
		}
		if time.Since(start) > time.Minute {
			srv.stop()
			return runningServer{}, fmt.Errorf("the server did not become ready")
		}
	}
}

// drive sends the query from conns clients for d; {END} becomes a
// timestamp unique to each request (a cache miss).
func drive(base, query string, conns int, d time.Duration, seq *atomic.Int64) (float64, time.Duration, int) {
	return driveAll([]string{base}, query, conns, d, seq)
}

// driveAll is drive with the clients spread over several servers.
func driveAll(bases []string, query string, conns int, d time.Duration, seq *atomic.Int64) (float64, time.Duration, int) {
	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: conns}}
	var mu sync.Mutex
	var lat []time.Duration
	busy, failed := 0, 0
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		wg.Add(1)
		base := bases[i%len(bases)]
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				q := query
				if strings.Contains(q, "{END}") {
					end := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC).Add(-time.Duration(seq.Add(1)) * time.Second)
					q = strings.ReplaceAll(q, "{END}", end.Format(time.RFC3339))
				}
				body, _ := json.Marshal(map[string]any{"query": q})
				start := time.Now()
				resp, err := client.Post(base+"/graphql", "application/json", strings.NewReader(string(body)))
				if err != nil {
					continue
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				mu.Lock()
				switch {
				case resp.StatusCode == http.StatusServiceUnavailable:
					busy++
				case strings.Contains(string(raw), `"errors"`):
					failed++
				default:
					lat = append(lat, time.Since(start))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "egbench: %d answers carried GraphQL errors (not counted)\n", failed)
	}
	if len(lat) == 0 {
		return 0, 0, busy
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return float64(len(lat)) / d.Seconds(), lat[len(lat)/2], busy
}

func parseConns(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}
