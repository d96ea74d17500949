package decorate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"entitygraph/internal/calltrace"
	"entitygraph/internal/facets"
	"entitygraph/internal/sources"
	"entitygraph/internal/telemetry"
)

// ErrShuttingDown is the error of work cancelled because the server stops.
var ErrShuttingDown = errors.New("the server is shutting down")

// Traced records each query the source runs in the request's trace
// (calltrace.From) and metrics, as a client span: statement, keys, rows,
// time, and the error, or a missing table as skipped.
func Traced(next sources.LogSource) sources.LogSource { return &traced{layer{next}} }

type traced struct{ layer }

func (t *traced) Peek(ctx context.Context, f *facets.Facet, sig, key string) (Hit, bool) {
	return peek(t.next, ctx, f, sig, key)
}

func (t *traced) Run(ctx context.Context, f *facets.Facet, q facets.Query) (sources.Result, error) {
	started := time.Now()
	ctx, span := telemetry.Tracer().Start(ctx, "backend "+f.Name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("entitygraph.source", t.Name()), attribute.String("entitygraph.facet", f.Name),
		attribute.String("entitygraph.table", f.Table), attribute.Int("entitygraph.keys", len(q.Keys))))
	res, err := t.next.Run(ctx, f, q)
	if err != nil && errors.Is(context.Cause(ctx), ErrShuttingDown) {
		err = fmt.Errorf("%w: %w", ErrShuttingDown, err)
	}
	span.SetAttributes(attribute.Int("entitygraph.rows", len(res.Rows)))
	if res.Statement != "" {
		span.SetAttributes(attribute.String("db.query.hash", statementHash(res.Statement)))
	}
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
	call := calltrace.Call{Source: t.Name(), Facet: f.Name, Table: f.Table, Statement: res.Statement,
		Keys: len(q.Keys), Rows: len(res.Rows), DurationMs: float64(time.Since(started).Microseconds()) / 1000}
	var partial *sources.PartialError
	switch {
	case errors.As(err, &partial):
		call.Error = partial.Error()
	case errors.Is(err, sources.ErrTableUnavailable):
		call.Skipped = true
	case err != nil:
		call.Error = err.Error()
	}
	calltrace.From(ctx).Add(call)
	return res, err
}

// statementHash names a statement in spans without carrying its values.
func statementHash(st string) string {
	sum := sha256.Sum256([]byte(st))
	return hex.EncodeToString(sum[:8])
}
