package main

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// frontDoor serves whichever handler is current (the loading page, then
// the server) and counts the requests in flight.
type frontDoor struct {
	h       atomic.Pointer[http.Handler]
	running sync.WaitGroup
	n       atomic.Int64
}

func (f *frontDoor) set(h http.Handler) { f.h.Store(&h) }

func (f *frontDoor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.running.Add(1)
	f.n.Add(1)
	defer func() { f.n.Add(-1); f.running.Done() }()
	(*f.h.Load()).ServeHTTP(w, r)
}

func (f *frontDoor) inFlight() int64 { return f.n.Load() }

// wait returns once no request runs, or after d.
func (f *frontDoor) wait(d time.Duration) {
	done := make(chan struct{})
	go func() { f.running.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// loadingHandler answers while the workspace loads: alive, not ready.
func loadingHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			fmt.Fprintln(w, "ok")
			return
		}
		http.Error(w, "loading workspace", http.StatusServiceUnavailable)
	})
}
