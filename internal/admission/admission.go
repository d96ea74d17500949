// Package admission bounds the GraphQL requests a server works on at once,
// so that throughput holds as load rises: excess requests wait in line for
// a bounded time and are then turned away with 503 and Retry-After, and no
// caller may hold more than its share of the slots, so one caller's bulk
// requests cannot starve the others.
package admission

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrBusy is a request turned away after waiting its turn.
var ErrBusy = errors.New("the server is busy")

// Options size the controller.
type Options struct {
	MaxConcurrent int           // requests worked on at once; 0: 16
	PerCaller     int           // of which one caller may hold; 0: half of MaxConcurrent (at least 1)
	MaxWait       time.Duration // how long a request may wait for a slot; 0: 10 s
}

// Controller hands out request slots.
type Controller struct {
	opts   Options
	global chan struct{}

	mu      sync.Mutex
	callers map[string]*caller
}

type caller struct {
	slots chan struct{}
	users int // requests holding or waiting for one of its slots
}

// New builds a controller.
func New(opts Options) *Controller {
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = 16
	}
	if opts.PerCaller <= 0 {
		opts.PerCaller = max(1, opts.MaxConcurrent/2)
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 10 * time.Second
	}
	return &Controller{opts: opts, global: make(chan struct{}, opts.MaxConcurrent), callers: map[string]*caller{}}
}

// Acquire waits for a slot for the caller; release it when the request is
// done. ErrBusy after MaxWait (or when ctx ends first).
func (c *Controller) Acquire(ctx context.Context, who string) (release func(), err error) {
	c.mu.Lock()
	cl, ok := c.callers[who]
	if !ok {
		cl = &caller{slots: make(chan struct{}, c.opts.PerCaller)}
		c.callers[who] = cl
	}
	cl.users++
	c.mu.Unlock()
	done := func() {
		c.mu.Lock()
		if cl.users--; cl.users == 0 {
			delete(c.callers, who)
		}
		c.mu.Unlock()
	}
	timer := time.NewTimer(c.opts.MaxWait)
	defer timer.Stop()
	select {
	case cl.slots <- struct{}{}:
	case <-timer.C:
		done()
		return nil, ErrBusy
	case <-ctx.Done():
		done()
		return nil, ErrBusy
	}
	select {
	case c.global <- struct{}{}:
	case <-timer.C:
		<-cl.slots
		done()
		return nil, ErrBusy
	case <-ctx.Done():
		<-cl.slots
		done()
		return nil, ErrBusy
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-c.global
			<-cl.slots
			done()
		})
	}, nil
}

// InUse is the number of requests being worked on.
func (c *Controller) InUse() int { return len(c.global) }
