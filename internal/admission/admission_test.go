package admission

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestShares: one caller cannot hold more than its share, so another
// caller still gets a slot; past the wait, requests are turned away.
func TestShares(t *testing.T) {
	c := New(Options{MaxConcurrent: 4, PerCaller: 2, MaxWait: 50 * time.Millisecond})
	var held []func()
	for i := 0; i < 2; i++ {
		r, err := c.Acquire(context.Background(), "bulk")
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, r)
	}
	if _, err := c.Acquire(context.Background(), "bulk"); !errors.Is(err, ErrBusy) {
		t.Errorf("a third slot for one caller: %v", err)
	}
	r, err := c.Acquire(context.Background(), "analyst")
	if err != nil {
		t.Fatalf("another caller was starved: %v", err)
	}
	r()
	for _, r := range held {
		r()
	}
	if c.InUse() != 0 || len(c.callers) != 0 {
		t.Errorf("slots leaked: %d in use, %d callers", c.InUse(), len(c.callers))
	}
}

// TestNeverOverCapacity: under many concurrent callers the number of
// requests at work never passes MaxConcurrent, and every request either
// runs or is turned away.
func TestNeverOverCapacity(t *testing.T) {
	c := New(Options{MaxConcurrent: 3, MaxWait: time.Second})
	var mu sync.Mutex
	inside, peak, ran, busy := 0, 0, 0, 0
	var wg sync.WaitGroup
	for i := 0; i < 60; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := c.Acquire(context.Background(), []string{"a", "b", "c", "d"}[i%4])
			mu.Lock()
			if err != nil {
				busy++
				mu.Unlock()
				return
			}
			inside++
			peak = max(peak, inside)
			ran++
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			inside--
			mu.Unlock()
			r()
		}()
	}
	wg.Wait()
	if peak > 3 || ran+busy != 60 || ran == 0 {
		t.Errorf("peak %d, ran %d, busy %d", peak, ran, busy)
	}
}
