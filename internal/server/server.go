// Package server wires HTTP: the GraphQL endpoint with its limits, trace
// and error handling, the embedded GraphiQL page, and health probes.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"entitygraph/graph/generated"
	"entitygraph/graph/resolvers"
	"entitygraph/internal/cache"
	"entitygraph/internal/loaders"
	"entitygraph/internal/metrics"
	"entitygraph/internal/sources"
)

// Options configure the HTTP server.
type Options struct {
	Source         sources.LogSource
	Cache          *cache.Cache[[]sources.Row] // shared facet-result cache; nil: none
	Resolver       *resolvers.Resolver
	Logger         *slog.Logger
	RequestTimeout time.Duration   // per GraphQL request; 0 means 60 s
	Limits         Limits          // depth and cost limits
	Batching       loaders.Options // how loaders gather keys
	CORSOrigins    []string        // browser origins allowed to call /graphql ("*": any)
	ExampleQuery   string          // GraphiQL's default tab
}

// Server is the entitygraph HTTP handler.
type Server struct {
	opts  Options
	ready atomic.Bool
	mux   *http.ServeMux
}

// New builds the handler. It reports ready once SetReady is called.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.RequestTimeout == 0 {
		opts.RequestTimeout = 60 * time.Second
	}
	s := &Server{opts: opts, mux: http.NewServeMux()}
	gql := s.graphqlHandler()
	s.mux.Handle("/metrics", metrics.Handler())
	s.mux.Handle("/graphql", withCORS(opts.CORSOrigins, metrics.Instrument(withRequestID(withTimeout(opts.RequestTimeout, loaders.Middleware(opts.Source, &loaders.Shared{Cache: opts.Cache}, opts.Batching, gql))))))
	s.mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	s.mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "loading workspace", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	s.mux.Handle("/assets/", http.StripPrefix("/assets/", assetHandler()))
	s.mux.HandleFunc("/{$}", graphiqlHandler(opts.ExampleQuery))
	return s
}

// SetReady marks the workspace loaded.
func (s *Server) SetReady() { s.ready.Store(true) }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) graphqlHandler() http.Handler {
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: s.opts.Resolver})
	h := handler.New(schema)
	h.AddTransport(transport.Options{})
	h.AddTransport(transport.GET{})
	h.AddTransport(transport.POST{})
	h.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	h.Use(extension.Introspection{})
	h.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	h.Use(limitsExtension{limits: s.opts.Limits})
	h.Use(traceExtension{})
	log := s.opts.Logger
	h.SetRecoverFunc(func(ctx context.Context, p any) error {
		log.Error("panic in resolver", "request_id", requestID(ctx), "panic", fmt.Sprint(p))
		return &gqlerror.Error{Message: "internal error (request " + requestID(ctx) + ")", Extensions: map[string]any{"code": resolvers.CodeInternal}}
	})
	h.SetErrorPresenter(func(ctx context.Context, err error) *gqlerror.Error {
		var gerr *gqlerror.Error
		if !errors.As(err, &gerr) {
			gerr = gqlerror.WrapPath(graphql.GetPath(ctx), err)
		}
		if gerr.Extensions == nil {
			gerr.Extensions = map[string]any{}
		}
		if _, ok := gerr.Extensions["code"]; !ok {
			gerr.Extensions["code"] = resolvers.CodeInternal
			log.Error("unclassified error", "request_id", requestID(ctx), "err", err)
			gerr.Message = "internal error (request " + requestID(ctx) + ")"
		}
		if gerr.Extensions["code"] != resolvers.CodeInternal && gerr.Extensions["code"] != resolvers.CodeBadUserInput {
			log.Warn("field error", "request_id", requestID(ctx), "code", gerr.Extensions["code"], "err", err)
		}
		return gerr
	})
	return h
}

// traceExtension adds extensions.trace (every backend call) to responses
// of requests whose body asks for it with "extensions": {"trace": true}.
type traceExtension struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = traceExtension{}

func (traceExtension) ExtensionName() string                   { return "Trace" }
func (traceExtension) Validate(graphql.ExecutableSchema) error { return nil }
func (traceExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || !graphql.HasOperationContext(ctx) {
		return resp
	}
	if on, _ := graphql.GetOperationContext(ctx).Extensions["trace"].(bool); !on {
		return resp
	}
	l, err := loaders.For(ctx)
	if err != nil {
		return resp
	}
	if resp.Extensions == nil {
		resp.Extensions = map[string]any{}
	}
	calls := l.Trace().Calls()
	if calls == nil {
		calls = []loaders.Call{}
	}
	resp.Extensions["trace"] = calls
	return resp
}
