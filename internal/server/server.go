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
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"entitygraph/graph/generated"
	"entitygraph/graph/resolvers"
	"entitygraph/internal/access"
	"entitygraph/internal/admission"
	"entitygraph/internal/audit"
	"entitygraph/internal/cache"
	"entitygraph/internal/errcode"
	"entitygraph/internal/loaders"
	"entitygraph/internal/metrics"
	"entitygraph/internal/persisted"
	"entitygraph/internal/server/explore"
	"entitygraph/internal/sources"
	"entitygraph/internal/telemetry"
)

// Options configure the HTTP server.
type Options struct {
	Source         sources.LogSource
	Cache          *cache.Cache[[]sources.Row] // shared facet-result cache; nil: none
	Resolver       *resolvers.Resolver
	Logger         *slog.Logger
	RequestTimeout time.Duration         // per GraphQL request; 0 means 60 s
	Limits         Limits                // depth and cost limits
	Batching       loaders.Options       // how loaders gather keys
	CORSOrigins    []string              // browser origins allowed to call /graphql ("*": any)
	ExampleQuery   string                // GraphiQL's default tab
	Access         *access.Guard         // authentication and authorization; nil: the loopback single user reads everything
	Audit          *audit.Log            // one line per request; nil: none
	MaxBody        int64                 // request body bytes; 0: DefaultMaxBody
	Documents      *persisted.Store      // trusted documents; nil: any document
	TraceDocuments bool                  // put the GraphQL document on request spans
	Admission      *admission.Controller // requests worked on at once; nil: unbounded
	// Remote is the result cache the replicas share; nil: none.
	Remote loaders.Remote
	// SharedState reports the replicas' shared state in /readyz ("ok" or
	// "degraded: …"; a degraded state still serves); nil: none.
	SharedState interface{ Status() string }
}

// Server is the entitygraph HTTP handler.
type Server struct {
	opts     Options
	ready    atomic.Bool
	draining atomic.Bool
	unready  atomic.Pointer[string] // why /readyz says 503 once loaded
	mux      *http.ServeMux
	hosted   http.Handler // the mux behind the Host allow-list
	stop     context.CancelCauseFunc
}

// New builds the handler. It reports ready once SetReady is called.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.RequestTimeout == 0 {
		opts.RequestTimeout = 60 * time.Second
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.Access == nil {
		all, defaults := Workspaces(opts.Source)
		opts.Access, _ = access.NewGuard(access.Options{Workspaces: all, Defaults: defaults, Logger: opts.Logger})
	}
	s := &Server{opts: opts, mux: http.NewServeMux()}
	gql := s.graphqlHandler()
	stopping, stop := context.WithCancelCause(context.Background())
	s.stop = stop
	shared := &loaders.Shared{Cache: opts.Cache, Stopping: stopping, Remote: opts.Remote}
	if m := opts.Access.Meter(); m != nil {
		shared.Budget = m
	}
	s.mux.Handle("/metrics", metrics.Handler())
	s.mux.Handle("/graphql", withCORS(opts.CORSOrigins, metrics.Instrument(withSpan(opts.Audit.Middleware(withRequestID(
		opts.Access.Protect(withAdmission(opts.Admission, withBody(opts.MaxBody, opts.Logger, opts.Documents, auditCaller(withTimeout(opts.RequestTimeout, withLoaders(opts.Source, shared, opts.Batching, auditTrace(legacyJSONStatus(gql))))))))))))))
	s.mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	s.mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		switch {
		case s.draining.Load():
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
		case s.unready.Load() != nil:
			http.Error(w, *s.unready.Load(), http.StatusServiceUnavailable)
		case !s.ready.Load():
			http.Error(w, "loading workspace", http.StatusServiceUnavailable)
		default:
			fmt.Fprintln(w, "ready")
			if opts.SharedState != nil {
				fmt.Fprintln(w, "shared state:", opts.SharedState.Status())
			}
		}
	})
	s.mux.Handle("/assets/", http.StripPrefix("/assets/", assetHandler()))
	s.mux.Handle("/explore/", explore.Handler())
	s.mux.Handle("/explore", explore.Handler())
	s.mux.HandleFunc("/{$}", graphiqlHandler(opts.ExampleQuery))
	s.mux.HandleFunc("/favicon.ico", faviconHandler)
	s.hosted = opts.Access.CheckHost(s.mux)
	return s
}

// Workspaces lists the source's workspace names and its defaults; the
// embedded store has one, "local".
func Workspaces(src sources.LogSource) (all, defaults []string) {
	if rs, ok := src.(sources.RequestScoped); ok {
		return rs.Workspaces()
	}
	return []string{sources.LocalWorkspace}, []string{sources.LocalWorkspace}
}

// SetReady marks the workspace loaded.
func (s *Server) SetReady() { s.ready.Store(true) }

// SetUnready keeps /readyz at 503, saying why (a workspace with no table).
func (s *Server) SetUnready(reason string) { s.unready.Store(&reason) }

// Drain makes /readyz answer 503 at once, so load balancers stop sending
// requests while those in flight finish.
func (s *Server) Drain() { s.draining.Store(true) }

// CancelInFlight cancels the backend work of every request still running;
// they answer at once with SHUTTING_DOWN errors for what did not finish.
func (s *Server) CancelInFlight() { s.stop(loaders.ErrShuttingDown) }

// ServeHTTP implements http.Handler. Probes and metrics answer any Host
// (orchestrators address pods by IP); everything else only allowed ones.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/healthz", "/readyz", "/metrics":
		s.mux.ServeHTTP(w, r)
	default:
		s.hosted.ServeHTTP(w, r)
	}
}

func (s *Server) graphqlHandler() http.Handler {
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: s.opts.Resolver})
	h := handler.New(schema)
	h.AddTransport(transport.Options{})
	h.AddTransport(transport.GET{})
	h.AddTransport(transport.MultipartMixed{Boundary: "-"}) // @defer; before POST, which would take the request too
	h.AddTransport(transport.POST{})
	// A parsed document holds about 16 bytes per byte of its text.
	parsed := newBoundedCache(32<<20, 16, func(query string, _ *ast.QueryDocument) string { return query })
	h.SetQueryCache(parsed)
	h.SetParserTokenLimit(s.opts.Limits.withDefaults().MaxTokens)
	h.Use(extension.Introspection{})
	h.Use(extension.AutomaticPersistedQuery{Cache: newBoundedCache(8<<20, 1, func(_, query string) string { return query })})
	h.Use(limitsExtension{limits: s.opts.Limits, parsed: parsed})
	h.Use(traceExtension{})
	h.Use(auditExtension{})
	h.Use(deferGuard{})
	h.Use(levelExtension{schema: schema.Schema()})
	h.Use(spanExtension{documents: s.opts.TraceDocuments})
	log := s.opts.Logger
	h.SetRecoverFunc(func(ctx context.Context, p any) error {
		log.Error("panic in resolver", "request_id", requestID(ctx), "trace_id", telemetry.TraceID(ctx), "panic", fmt.Sprint(p))
		return &gqlerror.Error{Message: "internal error (request " + requestID(ctx) + ")", Extensions: map[string]any{"code": errcode.Internal}}
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
			gerr.Extensions["code"] = errcode.Internal
			log.Error("unclassified error", "request_id", requestID(ctx), "trace_id", telemetry.TraceID(ctx), "err", err)
			gerr.Message = "internal error (request " + requestID(ctx) + ")"
		}
		if gerr.Extensions["code"] != errcode.Internal && gerr.Extensions["code"] != errcode.BadUserInput {
			log.Warn("field error", "request_id", requestID(ctx), "trace_id", telemetry.TraceID(ctx), "code", gerr.Extensions["code"], "err", err)
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
