package server

import (
	"context"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"entitygraph/internal/metrics"
	"entitygraph/internal/telemetry"
)

// w3c reads a caller's traceparent and baggage.
var w3c = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// withSpan starts the request's server span, continuing a caller's trace
// (W3C traceparent) when one is sent.
func withSpan(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := w3c.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := telemetry.Tracer().Start(ctx, r.Method+" "+r.URL.Path, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path)))
		defer span.End()
		sw := metrics.NewStatusRecorder(w)
		next.ServeHTTP(sw, r.WithContext(ctx))
		span.SetAttributes(attribute.Int("http.response.status_code", sw.Code))
		if sw.Code >= 500 {
			span.SetStatus(codes.Error, http.StatusText(sw.Code))
		}
	})
}

// spanExtension names the request span after the operation (GraphQL
// semantic conventions), adds the document when documents is set, and puts
// the trace id in extensions.traceId.
type spanExtension struct{ documents bool }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
	graphql.ResponseInterceptor
} = spanExtension{}

func (spanExtension) ExtensionName() string                   { return "Span" }
func (spanExtension) Validate(graphql.ExecutableSchema) error { return nil }

func (e spanExtension) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() || oc.Operation == nil {
		return nil
	}
	op := string(oc.Operation.Operation)
	name := oc.OperationName
	if name == "" {
		name = oc.Operation.Name
	}
	span.SetName(op + " " + name)
	span.SetAttributes(attribute.String("graphql.operation.type", op), attribute.String("graphql.operation.name", name))
	if e.documents {
		span.SetAttributes(attribute.String("graphql.document", oc.RawQuery))
	}
	return nil
}

func (spanExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if id := telemetry.TraceID(ctx); resp != nil && id != "" {
		if resp.Extensions == nil {
			resp.Extensions = map[string]any{}
		}
		resp.Extensions["traceId"] = id
	}
	return resp
}
