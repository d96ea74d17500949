package decorate

import (
	"context"
	"fmt"
	"time"

	"entitygraph/internal/calltrace"
	"entitygraph/internal/facets"
	"entitygraph/internal/sources"
)

// QueryBudget admits a caller's backend queries: ok, or how long to wait.
type QueryBudget interface {
	TakeQuery(caller string) (ok bool, retryAfter time.Duration)
}

// Budget counts every query that reaches the source against the caller
// (WithCaller); past the budget the query is refused as RATE_LIMITED
// without being sent. Nil budget: nothing.
func Budget(next sources.LogSource, b QueryBudget) sources.LogSource {
	if b == nil {
		return next
	}
	return &budgeted{layer{next}, b}
}

type budgeted struct {
	layer
	b QueryBudget
}

func (b *budgeted) Peek(ctx context.Context, f *facets.Facet, sig, key string) (Hit, bool) {
	return peek(b.next, ctx, f, sig, key)
}

func (b *budgeted) Run(ctx context.Context, f *facets.Facet, q facets.Query) (sources.Result, error) {
	if ok, wait := b.b.TakeQuery(callerOf(ctx)); !ok {
		err := &sources.Error{Source: b.Name(), Kind: sources.RateLimited, RetryAfter: wait,
			Err: fmt.Errorf("the caller's backend query budget is spent for %v", wait.Round(time.Second))}
		calltrace.From(ctx).Add(calltrace.Call{Source: b.Name(), Facet: f.Name, Table: f.Table, Keys: len(q.Keys), Error: err.Error()})
		return sources.Result{}, err
	}
	return b.next.Run(ctx, f, q)
}
