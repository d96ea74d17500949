// Package safe runs fan-out work so that a panic in one piece becomes that
// piece's error instead of ending the process.
package safe

import (
	"fmt"
	"runtime/debug"
	"sync"
)

// PanicError is a recovered panic.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("internal error: panic: %v", e.Value) }

// Call runs fn, turning a panic into a *PanicError.
func Call(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return fn()
}

// Each runs fn(0) … fn(n-1) concurrently and waits for all; errs[i] is
// fn(i)'s error, or a *PanicError if it panicked.
func Each(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = Call(func() error { return fn(i) })
		}()
	}
	wg.Wait()
	return errs
}
