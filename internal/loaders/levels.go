package loaders

import (
	"context"
	"sync"
	"sync/atomic"

	"entitygraph/internal/safe"
)

// Levels tells a request's loaders when its current level is ready: every
// field the executor has started, or is certain to start, either finished
// or waits on a loader. The loaders then dispatch at once — batching costs
// no latency, and a busy machine cannot split a level by being slow to
// reach the last resolver of it.
//
// The executor reports fields (Expect, Done); a field waiting on other
// work gives its token away while it waits (Each, Waiting, and a loader's
// own miss). The count is a claim about the future, so any doubt (a field
// whose children cannot be counted) turns tracking off for the request:
// its loaders then use the fixed window.
//
// A nil *Levels tracks nothing.
type Levels struct {
	outstanding atomic.Int64
	off         atomic.Bool
	idle        func() // called when outstanding reaches zero
	offHook     func()
}

func newLevels(idle, off func()) *Levels { return &Levels{idle: idle, offHook: off} }

// Expect counts n fields the executor will start.
func (v *Levels) Expect(n int) { v.add(n) }

// Done reports a field finished, and how many child fields the executor
// will start for its result.
func (v *Levels) Done(children int) { v.add(children - 1) }

// Off turns tracking off for the rest of the request.
func (v *Levels) Off() {
	if v == nil {
		return
	}
	if !v.off.Swap(true) && v.offHook != nil {
		v.offHook()
	}
}

// Tracking reports whether dispatch follows the levels.
func (v *Levels) Tracking() bool { return v != nil && !v.off.Load() }

func (v *Levels) add(n int) {
	if v == nil || n == 0 {
		return
	}
	left := v.outstanding.Add(int64(n))
	if n < 0 && left <= 0 && !v.off.Load() && v.idle != nil {
		v.idle()
	}
}

// Waiting runs fn, a wait on something other than a loader (a threat-intel
// or RDAP call), with the calling field counted as waiting: the loaders need
// not wait for it.
func Waiting(ctx context.Context, fn func()) {
	l, _ := For(ctx)
	var v *Levels
	if l != nil {
		v = l.levels
	}
	v.add(-1)
	defer v.add(1)
	fn()
}

// Each runs fn(0) … fn(n-1) concurrently (safe.Each) as pieces of the
// calling field: the level stays open until every piece finished or waits
// on a loader, and the last piece to finish hands its token back to the
// caller, so the count never dips between them.
func Each(ctx context.Context, n int, fn func(i int) error) []error {
	l, _ := For(ctx)
	var v *Levels
	if l != nil {
		v = l.levels
	}
	if n == 0 {
		return nil
	}
	v.add(n - 1) // n pieces; the caller waits
	var mu sync.Mutex
	left := n
	return safe.Each(n, func(i int) error {
		defer func() {
			mu.Lock()
			left--
			last := left == 0
			mu.Unlock()
			if !last {
				v.add(-1)
			}
		}()
		return fn(i)
	})
}
