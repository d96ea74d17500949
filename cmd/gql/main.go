// Command gql serves the entitygraph GraphQL API. Without --data it serves
// a generated demo workspace: no Azure, no API keys, no network.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"entitygraph/graph/resolvers"
	"entitygraph/internal/access"
	"entitygraph/internal/audit"
	"entitygraph/internal/cache"
	"entitygraph/internal/config"
	"entitygraph/internal/loaders"
	"entitygraph/internal/server"
	"entitygraph/internal/sources"
	"entitygraph/internal/sources/duckdb"
	"entitygraph/internal/sources/geo"
	"entitygraph/internal/sources/loganalytics"
	"entitygraph/internal/sources/ti/providers"
	"entitygraph/internal/sources/ti/tor"
	"entitygraph/internal/sources/whois"
	"entitygraph/internal/workspace"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log, os.Args[1:]); err != nil {
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

	started := time.Now()
	var src sources.LogSource
	var store *duckdb.Store
	sourceName := duckdb.Name
	if cfg.Source == "sentinel" {
		la, err := sentinelSource(cfg.Sentinel)
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
		store, rep, err = workspace.Open(ctx, workspace.Options{Dir: cfg.Data, DemoScale: cfg.DemoScale, MemoryLimit: cfg.MemoryLimit})
		if err != nil {
			return err
		}
		defer store.Close()
		src = store
		log.Info("workspace loaded", "source", rep.Source, "tables", len(rep.Load.Tables), "rows", rep.Load.Rows, "duration", time.Since(started).Round(time.Millisecond))
		for _, t := range rep.Load.Tables {
			if len(t.Unknown) > 0 || t.TimeFallback != "" {
				log.Info("table loaded", "table", t.Table, "rows", t.Rows, "unknown_columns", len(t.Unknown), "time_from", t.TimeFallback)
			}
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
	if guard.Enabled() {
		intel.SetCallerBudget(guard.Meter())
		log.Info("access control on", "entra", cfg.Access.Entra != nil, "api_keys", len(cfg.Access.APIKeys), "grants", len(cfg.Access.Grants))
	} else {
		log.Info("access control off: serving the loopback single user", "listen", cfg.Listen)
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
	srv := server.New(server.Options{
		Source: src,
		Cache:  results,
		Resolver: &resolvers.Resolver{Config: resolvers.Config{Store: store, SourceName: sourceName, MaxTimespan: cfg.MaxTimespan,
			TI: intel, Geo: geoDB, RDAP: rdapClient, Meter: guard.Meter()}},
		Logger:         log,
		RequestTimeout: cfg.RequestTimeout,
		Limits:         server.Limits{MaxDepth: cfg.MaxDepth, MaxCost: int64(cfg.MaxCost)},
		Batching:       loaders.Options{Wait: cfg.BatchWait},
		CORSOrigins:    cfg.CORSOrigins,
		ExampleQuery:   workspace.ExampleQuery(cfg.Source == "local" && cfg.Data == ""),
		Access:         guard,
		Audit:          auditLog,
	})
	srv.SetReady()
	httpSrv := &http.Server{Addr: cfg.Listen, Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.ListenAndServe() }()
	log.Info("serving", "url", fmt.Sprintf("http://%s/", cfg.Listen), "ready_after", time.Since(started).Round(time.Millisecond))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
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
