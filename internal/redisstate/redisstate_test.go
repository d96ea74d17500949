package redisstate

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entitygraph/internal/redisstate/redistest"
	"entitygraph/internal/sources"
)

func open(t *testing.T, url string) *Client {
	t.Helper()
	c, err := Open(Options{URL: url, Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRowsRoundTrip(t *testing.T) {
	rows := []sources.Row{
		{"_key": "1.2.3.4", "TimeGenerated": time.Date(2026, 11, 25, 10, 0, 0, 123, time.UTC), "n": int64(7), "f": 1.5, "b": true,
			"d": map[string]any{"a": []any{"x", 1.0, nil}}, "null": nil, "s": ""},
	}
	b, err := EncodeRows(rows)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeRows(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0]["TimeGenerated"].(time.Time).Equal(rows[0]["TimeGenerated"].(time.Time)) || got[0]["n"] != int64(7) ||
		got[0]["d"].(map[string]any)["a"].([]any)[1] != 1.0 || got[0]["null"] != nil || got[0]["s"] != "" {
		t.Errorf("round trip: %#v", got)
	}
	if empty, err := EncodeRows(nil); err != nil {
		t.Fatal(err)
	} else if got, err := DecodeRows(empty); err != nil || len(got) != 0 {
		t.Errorf("empty: %v %v", got, err)
	}
}

func TestSharedRowsAndLease(t *testing.T) {
	srv := redistest.Start(t)
	a, b := open(t, srv.URL()), open(t, srv.URL())
	ctx := context.Background()
	if err := a.SetRows(ctx, map[string][]sources.Row{"p|f|s|k1": {{"x": "1"}}, "p|f|s|k2": nil}, time.Minute); err != nil {
		t.Fatal(err)
	}
	got, err := b.GetRows(ctx, []string{"p|f|s|k1", "p|f|s|k2", "p|f|s|k3"})
	if err != nil || len(got) != 2 || got["p|f|s|k1"][0]["x"] != "1" {
		t.Fatalf("GetRows = %v, %v", got, err)
	}
	// Another partition holds nothing of it.
	if got, _ := b.GetRows(ctx, []string{"q|f|s|k1"}); len(got) != 0 {
		t.Errorf("another partition: %v", got)
	}
	release, held, err := a.Lease(ctx, "flight", 5*time.Second)
	if err != nil || held {
		t.Fatalf("first lease: held %v err %v", held, err)
	}
	if _, held, _ := b.Lease(ctx, "flight", 5*time.Second); !held {
		t.Fatal("second replica took a held lease")
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		a.SetRows(ctx, map[string][]sources.Row{"p|f|s|k9": {{"x": "9"}}}, time.Minute)
		release()
	}()
	start := time.Now()
	found := b.WaitRows(ctx, "flight", []string{"p|f|s|k9"}, 5*time.Second)
	if len(found) != 1 || time.Since(start) > 3*time.Second {
		t.Errorf("waiter found %v after %v", found, time.Since(start))
	}
	// A lease whose holder stores nothing: the waiter stops when it goes.
	release, _, _ = a.Lease(ctx, "failing", 5*time.Second)
	go func() { time.Sleep(100 * time.Millisecond); release() }()
	start = time.Now()
	if found := b.WaitRows(ctx, "failing", []string{"p|f|s|never"}, 5*time.Second); len(found) != 0 || time.Since(start) > 2*time.Second {
		t.Errorf("waited %v for a failed holder", time.Since(start))
	}
}

func TestSharedLimits(t *testing.T) {
	srv := redistest.Start(t)
	reps := []*Client{open(t, srv.URL()), open(t, srv.URL()), open(t, srv.URL())}
	ctx := context.Background()
	now := time.Now()
	// A daily quota of 10, spent from three replicas at once.
	var granted atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 60; i++ {
		wg.Add(1)
		go func(c *Client) {
			defer wg.Done()
			if ok, _, err := c.Take(ctx, "ti|VirusTotal", 0, 0, 10, now); err == nil && ok {
				granted.Add(1)
			}
		}(reps[i%3])
	}
	wg.Wait()
	if granted.Load() != 10 {
		t.Errorf("daily quota 10: granted %d", granted.Load())
	}
	if used, _ := reps[1].UsedToday(ctx, "ti|VirusTotal", now); used != 10 {
		t.Errorf("used today = %d", used)
	}
	// A bucket of 4 per minute: 4 granted, then a wait of about 15 s.
	ok := 0
	var wait time.Duration
	for i := 0; i < 6; i++ {
		g, w, err := reps[i%3].Take(ctx, "bucket", 4, time.Minute, 0, now)
		if err != nil {
			t.Fatal(err)
		}
		if g {
			ok++
		} else {
			wait = w
		}
	}
	if ok != 4 || wait < 10*time.Second || wait > 16*time.Second {
		t.Errorf("bucket: %d granted, wait %v", ok, wait)
	}
	// A sliding window of 5 per second.
	ok = 0
	for i := 0; i < 8; i++ {
		if g, _, _ := reps[i%3].Window(ctx, "la|rate", 5, time.Second); g {
			ok++
		}
	}
	if ok != 5 {
		t.Errorf("window: %d granted", ok)
	}
	// Slots: 2 held, a third refused; a lease that is never released expires.
	r1, ok1, _ := reps[0].TryAcquire(ctx, "la|slots", 2, time.Minute)
	_, ok2, _ := reps[1].TryAcquire(ctx, "la|slots", 2, 300*time.Millisecond) // its replica "dies"
	if _, ok3, _ := reps[2].TryAcquire(ctx, "la|slots", 2, time.Minute); !ok1 || !ok2 || ok3 {
		t.Fatalf("slots: %v %v %v", ok1, ok2, ok3)
	}
	time.Sleep(400 * time.Millisecond)
	r3, ok3, _ := reps[2].TryAcquire(ctx, "la|slots", 2, time.Minute)
	if !ok3 {
		t.Error("an expired lease did not free its slot")
	}
	r1()
	r3()
}

func TestDegradesAndRejoins(t *testing.T) {
	srv := redistest.Start(t)
	c := open(t, srv.URL())
	ctx := context.Background()
	if !c.Up() || c.Status() != "ok" {
		t.Fatalf("status %q", c.Status())
	}
	srv.Stop()
	start := time.Now()
	_, _, err := c.Take(ctx, "x", 1, time.Minute, 0, time.Now())
	if err == nil || time.Since(start) > time.Second {
		t.Fatalf("Take with Redis down: %v after %v", err, time.Since(start))
	}
	if c.Up() || !strings.HasPrefix(c.Status(), "degraded: ") {
		t.Errorf("status %q", c.Status())
	}
	// While down, operations fail at once.
	start = time.Now()
	for i := 0; i < 100; i++ {
		c.GetRows(ctx, []string{"k"})
	}
	if time.Since(start) > 100*time.Millisecond {
		t.Errorf("100 look-ups while down took %v", time.Since(start))
	}
	if c.Share(10) != 3 || c.Share(2) != 1 || c.Share(0) != 0 {
		t.Errorf("shares: %d %d %d", c.Share(10), c.Share(2), c.Share(0))
	}
	srv.Restart()
	waitFor(t, "rejoin", c.Up)
	if ok, _, err := c.Take(ctx, "x", 1, time.Minute, 0, time.Now()); err != nil || !ok {
		t.Errorf("after rejoin: %v %v", ok, err)
	}
}

func TestURLPasswordNeverInErrors(t *testing.T) {
	_, err := Open(Options{URL: "redis://:hunter2-secret@127.0.0.1:6379/notanumber"})
	if err == nil || strings.Contains(err.Error(), "hunter2-secret") {
		t.Errorf("err = %v", err)
	}
	c, err := Open(Options{URL: "redis://user:hunter2-secret@127.0.0.1:1/0"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if strings.Contains(c.Status(), "hunter2-secret") {
		t.Errorf("status %q", c.Status())
	}
}
