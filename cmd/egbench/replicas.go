package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// replicas measures the shared state: cached-summary throughput with one
// server alone, one with Redis and three sharing Redis (clients spread
// over them), and the latency of a summary answered from Redis (another
// replica fetched it) against one answered from the local cache.
func replicas(d time.Duration, conns int, bin string, samples int) error {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return fmt.Errorf("replicas needs redis-server (apt-get install redis-server)")
	}
	bin, cleanup, err := serverBinary(bin)
	if err != nil {
		return err
	}
	defer cleanup()
	redisURL, stopRedis, err := startRedis()
	if err != nil {
		return err
	}
	defer stopRedis()
	summary := throughputWorkloads()[1].query
	fmt.Printf("replicas: cached summary, %v per cell, %d connections, loopback, real binaries, one redis-server\n", d, conns)
	var seq atomic.Int64
	for _, setup := range []struct {
		name     string
		replicas int
		redis    bool
	}{{"1 replica, no Redis", 1, false}, {"1 replica + Redis", 1, true}, {"3 replicas + Redis", 3, true}} {
		var bases []string
		var servers []runningServer
		for i := 0; i < setup.replicas; i++ {
			var args []string
			if setup.redis {
				args = []string{"--redis", redisURL}
			}
			srv, err := startServer(bin, args)
			if err != nil {
				return err
			}
			servers = append(servers, srv)
			bases = append(bases, srv.base)
		}
		driveAll(bases, summary, conns, time.Second, &seq) // warm every replica's cache
		rps, p50, busy := driveAll(bases, summary, conns, d, &seq)
		fmt.Printf("  %-22s %8.0f req/s  p50 %v", setup.name, rps, p50.Round(10*time.Microsecond))
		if busy > 0 {
			fmt.Printf("  (%d 503)", busy)
		}
		fmt.Println()
		for _, s := range servers {
			s.stop()
		}
	}

	a, err := startServer(bin, []string{"--redis", redisURL})
	if err != nil {
		return err
	}
	defer a.stop()
	b, err := startServer(bin, []string{"--redis", redisURL})
	if err != nil {
		return err
	}
	defer b.stop()
	miss := throughputWorkloads()[2].query
	var shared, local []time.Duration
	for i := 0; i < samples; i++ {
		end := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC).Add(-time.Duration(seq.Add(1)) * time.Second)
		q := strings.ReplaceAll(miss, "{END}", end.Format(time.RFC3339))
		if _, err := timedPost(a.base, q); err != nil { // replica A queries and stores
			return err
		}
		t, err := timedPost(b.base, q) // replica B: local miss, Redis hit
		if err != nil {
			return err
		}
		shared = append(shared, t)
		if t, err = timedPost(b.base, q); err != nil { // replica B again: local hit
			return err
		}
		local = append(local, t)
	}
	ps, pl := percentiles(shared), percentiles(local)
	fmt.Printf("  summary from Redis (another replica fetched it): %s\n  summary from the local cache:                    %s\n", ps, pl)
	return nil
}

func timedPost(base, query string) (time.Duration, error) {
	body, _ := json.Marshal(map[string]any{"query": query})
	start := time.Now()
	resp, err := http.Post(base+"/graphql", "application/json", strings.NewReader(string(body)))
	if err != nil {
		return 0, err
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(raw), `"errors"`) {
		return 0, fmt.Errorf("the summary answered with errors: %.300s", raw)
	}
	return time.Since(start), nil
}

// startRedis runs redis-server on a free loopback port, persistence off.
func startRedis() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir, err := os.MkdirTemp("", "egbench-redis")
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait(); os.RemoveAll(dir) }
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return fmt.Sprintf("redis://127.0.0.1:%d/0", port), stop, nil
		}
		if time.Since(start) > 10*time.Second {
			stop()
			return "", nil, fmt.Errorf("redis-server did not start")
		}
	}
}
