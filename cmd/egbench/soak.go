package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"entitygraph/internal/demo"
)

// soakNormal is the mixed load: summaries, pivots, entity pages and the
// queue; {H} becomes a timespan in hours that rotates, so some requests
// miss the cache.
var soakNormal = []string{
	`{ ipAddress(address: "` + demo.SprayIP + `", timespan: {last: "{H}h"}) { type origin alerts { totalCount } signins { totalCount }
	   relatedAccounts { count } hostLogons { count } hosts { source } officeActivity { totalCount } netflowSummary { flowRecords }
	   networkConnections { count } dnsQueries { totalCount } } }`,
	`{ ipAddresses(addresses: ["` + demo.SprayIP + `", "` + demo.C2IP + `", "` + demo.BruteIP + `", "` + demo.BeaconIP + `"], timespan: {last: "{H}h"}) {
	   address relatedAccounts { account { name alerts(first: 5) { totalCount nodes { name } } signins(first: 5) { totalCount } } } } }`,
	`{ account(name: "` + demo.SprayVictim + `", timespan: {last: "{H}h"}) { upn signins { totalCount } hosts { host { name } } ipAddresses { source count } } }`,
	`{ host(name: "` + demo.BeaconHost + `", timespan: {last: "{H}h"}) { fqdn logons { count } alerts { totalCount } netflows(first: 5) { totalCount } timeline { points { count } } } }`,
	`{ alerts(first: 20) { totalCount nodes { name severity entities { __typename } } } }`,
	`{ me { principal budgets { name remaining } } }`,
}

// soakHostile are the attacks sent once a second, in turn.
func soakHostile() []struct{ name, body string } {
	gql := func(q string) string { b, _ := json.Marshal(map[string]any{"query": q}); return string(b) }
	rep := func(n int, format string) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, format+" ", i)
		}
		return b.String()
	}
	var ladder strings.Builder
	ladder.WriteString(`{ ipAddress(address: "` + demo.SprayIP + `") { ...F25 } } fragment F0 on IpAddress { alerts(first: 5) { nodes { name } } } `)
	for i := 1; i <= 25; i++ {
		fmt.Fprintf(&ladder, "fragment F%d on IpAddress { ...F%d ... on IpAddress { ...F%d } } ", i, i-1, i-1)
	}
	return []struct{ name, body string }{
		{"cost overflow", gql(`{ alert(id: "x") { ` + strings.Repeat(`relatedAlerts(first: 100) { name `, 13) + strings.Repeat("} ", 13) + `} }`)},
		{"exponential fragments", gql(ladder.String())},
		{"aliased __schema", gql("{ " + rep(1600, "s%d: __schema { types { name } }") + "}")},
		{"deep introspection", gql(`{ __schema { types { fields { type { ` + strings.Repeat("ofType { ", 40) + "name" + strings.Repeat(" }", 40) + ` } } } } }`)},
		{"field flood", gql("{ " + strings.Repeat("__typename ", 90000) + "}")},
		{"same-key conflicts", gql("{ " + rep(999, `a: ipAddress(address: "1.2.3.%d") { address }`) + "}")},
		{"distinct timespans", gql("{ " + rep(300, `a%[1]d: ipAddress(address: "`+demo.SprayIP+`", timespan: {last: "1%[1]dm"}) { signins(first: 1) { totalCount } }`) + "}")},
		{"2 MB body", gql(strings.Repeat(" ", 2<<20))},
		{"malformed JSON", `{"query": "{ __typename }", "` + strings.Repeat("x", 500000)},
		{"batched operations", `[{"query":"{ __typename }"},{"query":"{ __typename }"}]`},
	}
}

// soak runs the real server binary on loopback for d: workers send the
// normal mix back to back, and one hostile request goes out every second.
// It reports requests and status classes, latency percentiles of the
// normal requests, and the server's idle and peak RSS.
func soak(d time.Duration, workers int, bin string) error {
	bin, cleanup, err := serverBinary(bin)
	if err != nil {
		return err
	}
	defer cleanup()
	srv, err := startServer(bin, nil)
	if err != nil {
		return err
	}
	defer srv.stop()
	base := srv.base
	time.Sleep(2 * time.Second)
	idle, _ := procStatus(srv.cmd.Process.Pid, "VmRSS")

	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: workers + 2}}
	send := func(body string) (int, time.Duration, error) {
		started := time.Now()
		resp, err := client.Post(base+"/graphql", "application/json", strings.NewReader(body))
		if err != nil {
			return 0, 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, time.Since(started), nil
	}
	var mu sync.Mutex
	var latencies []time.Duration
	statuses := map[int]int{}
	var transport atomic.Int64
	record := func(status int, took time.Duration, normal bool) {
		mu.Lock()
		statuses[status]++
		if normal {
			latencies = append(latencies, took)
		}
		mu.Unlock()
	}
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; time.Now().Before(deadline); i++ {
				q := strings.ReplaceAll(soakNormal[i%len(soakNormal)], "{H}", strconv.Itoa(24+i%48))
				body, _ := json.Marshal(map[string]any{"query": q})
				status, took, err := send(string(body))
				if err != nil {
					transport.Add(1)
					continue
				}
				record(status, took, true)
			}
		}()
	}
	hostile := soakHostile()
	hostileStatus := map[string]map[int]int{}
	tick := time.NewTicker(time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		<-tick.C
		h := hostile[i%len(hostile)]
		status, _, err := send(h.body)
		if err != nil {
			transport.Add(1)
			continue
		}
		record(status, 0, false)
		if hostileStatus[h.name] == nil {
			hostileStatus[h.name] = map[int]int{}
		}
		hostileStatus[h.name][status]++
	}
	tick.Stop()
	wg.Wait()
	peak, _ := procStatus(srv.cmd.Process.Pid, "VmHWM")
	if resp, err := http.Post(base+"/graphql", "application/json", bytes.NewReader([]byte(`{"query":"{ __typename }"}`))); err != nil || resp.StatusCode != 200 {
		return fmt.Errorf("the server no longer answers after the soak: %v", err)
	}

	total, fiveXX := 0, 0
	for s, n := range statuses {
		total += n
		if s >= 500 && s != http.StatusServiceUnavailable {
			fiveXX += n
		}
	}
	fmt.Printf("soak: %v, %d workers of normal load + 1 hostile request/s, server %s\n", d, workers, bin)
	fmt.Printf("requests %d (%.0f/s), by status %v, 5xx other than 503: %d, transport errors %d\n", total, float64(total)/d.Seconds(), statuses, fiveXX, transport.Load())
	if len(latencies) > 0 {
		fmt.Printf("normal requests: %s, p99 %v\n", percentiles(latencies), latencies[int(0.99*float64(len(latencies)-1))].Round(10*time.Microsecond))
	}
	fmt.Printf("hostile answers: %v\n", hostileStatus)
	fmt.Printf("RSS: idle %d MB, peak %d MB (target: idle + 256 MB cache + 512 MB = %d MB)\n", idle>>10, peak>>10, (idle>>10)+256+512)
	return nil
}

// procStatus reads a kB figure (VmRSS, VmHWM) of a process.
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				return strconv.ParseInt(f[1], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("no %s", field)
}
