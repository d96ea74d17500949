// Command gql serves the entitygraph GraphQL API. Without --data it serves
// a generated demo workspace: no Azure, no API keys, no network.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"entitygraph/graph/resolvers"
	"entitygraph/internal/access"
	"entitygraph/internal/admission"
	"entitygraph/internal/audit"
	"entitygraph/internal/cache"
	"entitygraph/internal/config"
	"entitygraph/internal/loaders"
	"entitygraph/internal/persisted"
	"entitygraph/internal/redisstate"
	"entitygraph/internal/sentinel"
	"entitygraph/internal/server"
	"entitygraph/internal/sources"
	"entitygraph/internal/sources/duckdb"
	"entitygraph/internal/sources/geo"
	"entitygraph/internal/sources/loganalytics"
	"entitygraph/internal/sources/ti/providers"
	"entitygraph/internal/sources/ti/tor"
	"entitygraph/internal/sources/whois"
	"entitygraph/internal/telemetry"
	"entitygraph/internal/workspace"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 {
		switch args[0] {
		case "healthcheck":
			os.Exit(healthcheck(args[1:], os.Getenv, os.Stdout))
		case "version", "--version", "-version":
			fmt.Println(version())
			return
		}
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if logFormat(args, os.Getenv) == "json" {
		log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if err := run(log, args); err != nil {
		if errors.Is(err, config.ErrHelp) {
			return
		}
		log.Error("gql stopped", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, args []string) error {
	cfg, err := config.Load(args, os.Getenv)
	if err != nil {
		return err
	}
	warning, err := access.CheckListen(cfg.Listen, cfg.Access, cfg.InsecureNoAuth)
	if err != nil {
		return err
	}
	if warning != "" {
		log.Warn(warning)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	shutdownTracing, err := telemetry.Setup(ctx, os.Getenv, version())
	if err != nil {
		return err
	}
	defer func() {
		flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shutdownTracing(flush)
	}()
	if telemetry.Enabled(os.Getenv) {
		log.Info("opentelemetry traces on", "endpoint", first(os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT")))
	}

	// Bind first: a taken port fails at once, and probes answer while the
	// workspace loads (/readyz 503 until it is ready).
	started := time.Now()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	front := &frontDoor{}
	front.set(loadingHandler())
	baseCtx, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	httpSrv := httpServer(front, cfg.RequestTimeout, baseCtx, log)
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())

	var shared *redisstate.Client
	if cfg.Shared.Redis != "" {
		if shared, err = redisstate.Open(redisstate.Options{URL: cfg.Shared.Redis, Replicas: cfg.Shared.Replicas, Logger: log}); err != nil {
			return err
		}
		defer shared.Close()
		log.Info("shared state", "redis", shared.Status(), "replicas", cfg.Shared.Replicas)
	}
	var src sources.LogSource
	var store *duckdb.Store
	var noTables string // why the server is not ready, when it has nothing to serve
	sourceName := duckdb.Name
	if cfg.Source == "sentinel" {
		var limits loganalytics.SharedLimits
		if shared != nil {
			limits = shared
		}
		la, err := sentinel.Source(cfg.Sentinel, limits)
		if err != nil {
			return fmt.Errorf("sentinel: %w", err)
		}
		src, sourceName = la, loganalytics.Name
		names := make([]string, len(cfg.Sentinel.Workspaces))
		for i, w := range cfg.Sentinel.Workspaces {
			names[i] = w.Name
		}
		log.Info("querying Microsoft Sentinel", "workspaces", strings.Join(names, ","), "auth", cfg.Sentinel.Auth.String())
	} else {
		var rep workspace.Report
		store, rep, err = workspace.Open(ctx, workspace.Options{Dir: cfg.Data, DemoScale: cfg.DemoScale, MemoryLimit: cfg.MemoryLimit, Lenient: cfg.Lenient})
		if err != nil {
			httpSrv.Close()
			if ctx.Err() != nil {
				log.Info("stopped while loading the workspace")
				return nil
			}
			return err
		}
		defer store.Close() // deferred first, so it runs after the HTTP server has drained
		src = store
		log.Info("workspace loaded", "source", rep.Source, "tables", len(rep.Load.Tables), "rows", rep.Load.Rows, "memory_limit", store.MemoryLimit(), "duration", time.Since(started).Round(time.Millisecond))
		for _, t := range rep.Load.Tables {
			if len(t.Unknown) > 0 || t.TimeFallback != "" {
				log.Info("table loaded", "table", t.Table, "rows", t.Rows, "unknown_columns", len(t.Unknown), "time_from", t.TimeFallback)
			}
		}
		for _, w := range rep.Load.Warnings {
			log.Warn("workspace", "warning", w)
		}
		if len(rep.Load.Tables) == 0 {
			noTables = fmt.Sprintf("the workspace %s holds no table export (<Table>.jsonl, .json, .csv or .parquet)", rep.Source)
			log.Error(noTables)
		}
	}

	geoDB, err := geo.Embedded()
	if err != nil {
		return err
	}
	if geoDB, err = geoDB.WithFiles(cfg.TI.GeoCity, cfg.TI.GeoASN); err != nil {
		return err
	}
	intel, err := providers.Build(cfg.TI, nil, nil)
	if err != nil {
		return err
	}
	defer intel.Close()
	for _, p := range intel.Providers() {
		if p.Enabled {
			log.Info("threat intelligence", "provider", p.Name, "external", p.External, "per_minute", p.PerMinute, "per_day_left", p.RemainingToday)
		}
	}
	if cfg.TI.TorRefresh && cfg.TI.TorExitList != "" {
		go (&tor.Refresher{Path: cfg.TI.TorExitList, Client: providers.Client(), Logger: log}).Run(ctx)
	}
	var rdapClient *whois.Client
	if cfg.TI.RDAP {
		rdapClient = &whois.Client{HTTP: providers.Client()}
	}

	all, defaults := server.Workspaces(src)
	guard, err := access.NewGuard(access.Options{Config: cfg.Access, Listen: cfg.Listen, Workspaces: all, Defaults: defaults,
		HTTPClient: &http.Client{Timeout: 10 * time.Second}, Logger: log})
	if err != nil {
		return err
	}
	if shared != nil {
		intel.SetAllowance(shared)
		intel.SetAnswerStore(shared)
		guard.Meter().SetShared(shared)
	}
	if guard.Enabled() {
		intel.SetCallerBudget(guard.Meter())
		log.Info("access control on", "entra", cfg.Access.Entra != nil, "api_keys", len(cfg.Access.APIKeys), "grants", len(cfg.Access.Grants))
	} else {
		log.Info("access control off: serving the loopback single user", "listen", cfg.Listen)
	}
	var documents *persisted.Store
	if cfg.PersistedQueries != "" {
		if documents, err = persisted.Load(cfg.PersistedQueries, cfg.PersistedOnly); err != nil {
			return err
		}
		log.Info("trusted documents", "documents", documents.Len(), "only", cfg.PersistedOnly)
	}
	auditLog, closeAudit, err := openAudit(cfg.Audit)
	if err != nil {
		return err
	}
	defer closeAudit()

	results, err := cache.New[[]sources.Row](int64(cfg.CacheMB)<<20, cfg.CacheTTL)
	if err != nil {
		return err
	}
	defer results.Close()
	example := workspace.ExampleQuery(cfg.Source == "local" && cfg.Data == "")
	if store != nil && cfg.Data != "" {
		example = workspace.LocalExample(store)
	}
	opts := server.Options{
		Source: src,
		Cache:  results,
		Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: tableLister(store), SourceName: sourceName, MaxTimespan: cfg.MaxTimespan,
			TI: intel, Geo: geoDB, RDAP: rdapClient, Meter: guard.Meter()}},
		Logger:         log,
		RequestTimeout: cfg.RequestTimeout,
		Limits:         server.Limits{MaxDepth: cfg.MaxDepth, MaxCost: int64(cfg.MaxCost)},
		Batching:       loaders.Options{Wait: cfg.BatchWait},
		CORSOrigins:    cfg.CORSOrigins,
		ExampleQuery:   example,
		Access:         guard,
		Audit:          auditLog,
		MaxBody:        cfg.MaxBody,
		Documents:      documents,
		TraceDocuments: cfg.TraceDocuments,
		Admission:      admission.New(admission.Options{MaxConcurrent: maxRequests(cfg.MaxRequests)}),
	}
	if shared != nil {
		opts.Remote, opts.SharedState = shared, shared
	}
	srv := server.New(opts)
	if noTables == "" {
		srv.SetReady()
	} else {
		srv.SetUnready(noTables)
	}
	front.set(srv)
	log.Info("serving", "url", fmt.Sprintf("http://%s/", ln.Addr()), "ready_after", time.Since(started).Round(time.Millisecond))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	stop() // a second signal ends the process the default way
	return drain(log, httpSrv, srv, front, cancelBase, cfg.ShutdownGrace)
}

// httpServer bounds every connection: headers, whole requests (slow
// bodies), answers (above the request timeout, so they are written) and
// idle keep-alives; requests' contexts derive from base.
func httpServer(h http.Handler, requestTimeout time.Duration, base context.Context, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      requestTimeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

// drain stops the server cleanly: /readyz answers 503 at once, new
// connections are refused, requests in flight get grace to finish and are
// then cancelled (answering SHUTTING_DOWN for what did not finish), and the
// function returns only once no handler runs, so stores close after the
// last request.
func drain(log *slog.Logger, httpSrv *http.Server, srv *server.Server, front *frontDoor, cancelBase context.CancelFunc, grace time.Duration) error {
	log.Info("shutting down", "grace", grace, "in_flight", front.inFlight())
	srv.Drain()
	graceCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := httpSrv.Shutdown(graceCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		log.Warn("grace period over: cancelling requests in flight", "in_flight", front.inFlight())
		srv.CancelInFlight()
		cancelBase()
		last, cancelLast := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancelLast()
		err = httpSrv.Shutdown(last)
	}
	front.wait(10 * time.Second)
	if err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	log.Info("stopped")
	return nil
}

// openAudit opens the audit log: a file appended to, or standard output.
func openAudit(c config.Audit) (*audit.Log, func(), error) {
	switch {
	case c.Off:
		return nil, func() {}, nil
	case c.File == "":
		return audit.New(os.Stdout), func() {}, nil
	}
	f, err := os.OpenFile(c.File, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("audit.file: %w", err)
	}
	return audit.New(f), func() { f.Close() }, nil
}

// maxRequests is the admission limit: the configured one, else eight
// requests per core (most of a request's time is spent waiting on its
// backends, which have bounded pools of their own).
func maxRequests(configured int) int {
	if configured > 0 {
		return configured
	}
	return 8 * runtime.GOMAXPROCS(0)
}

// tableLister is the embedded workspace as resolvers list it; none with
// Sentinel (a nil store must not become a non-nil interface).
func tableLister(store *duckdb.Store) sources.TableLister {
	if store == nil {
		return nil
	}
	return store
}
