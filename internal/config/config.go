// Package config reads server settings from a YAML file, environment
// variables and flags, in increasing order of precedence.
package config

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"entitygraph/internal/access"
)

// Config is the server's configuration.
type Config struct {
	Listen           string         `yaml:"listen"`         // address to serve on
	Data             string         `yaml:"data"`           // workspace directory; empty: the generated demo workspace
	DemoScale        int            `yaml:"demoScale"`      // demo background activity multiplier
	MaxTimespan      time.Duration  `yaml:"maxTimespan"`    // longest timespan a request may ask for
	RequestTimeout   time.Duration  `yaml:"requestTimeout"` // per GraphQL request
	MemoryLimit      string         `yaml:"memoryLimit"`    // DuckDB memory_limit, e.g. "4GB"
	CacheTTL         time.Duration  `yaml:"cacheTTL"`       // how long facet results are reused; 0 disables the cache
	CacheMB          int            `yaml:"cacheMB"`        // cache size
	MaxDepth         int            `yaml:"maxDepth"`       // deepest selection a query may have
	MaxCost          int            `yaml:"maxCost"`        // estimated resolver calls a query may cause
	BatchWait        time.Duration  `yaml:"batchWait"`      // how long loaders gather keys before querying
	Source           string         `yaml:"source"`         // local (DuckDB) or sentinel (Log Analytics); default: sentinel when workspaces are configured
	MsticpyConfig    string         `yaml:"msticpyConfig"`  // an msticpyconfig.yaml whose AzureSentinel.Workspaces to use
	Sentinel         Sentinel       `yaml:"sentinel"`
	TI               TI             `yaml:"ti"`
	CORSOrigins      []string       `yaml:"corsOrigins"` // browser origins allowed to call /graphql
	Access           *access.Config `yaml:"access"`      // authentication and grants; nil: loopback only
	Audit            Audit          `yaml:"audit"`
	InsecureNoAuth   bool           `yaml:"-"`                // serve a non-loopback address without access (flag only)
	MaxBody          int64          `yaml:"maxBody"`          // request body bytes
	MaxRequests      int            `yaml:"maxRequests"`      // GraphQL requests worked on at once (admission control)
	Lenient          bool           `yaml:"lenient"`          // skip malformed CSV rows (counted, reported) instead of failing the load
	LogFormat        string         `yaml:"logFormat"`        // text or json
	TraceDocuments   bool           `yaml:"traceDocuments"`   // put GraphQL documents on OpenTelemetry spans
	PersistedQueries string         `yaml:"persistedQueries"` // trusted-documents manifest (Apollo's format, or id → document)
	PersistedOnly    bool           `yaml:"persistedOnly"`    // run only the manifest's documents
	ShutdownGrace    time.Duration  `yaml:"shutdownGrace"`    // how long in-flight requests may finish after SIGTERM
	Shared           Shared         `yaml:"shared"`
}

// Shared configures the state several replicas share.
type Shared struct {
	Redis    string `yaml:"redis"`    // redis:// or rediss:// URL (password, database); empty: nothing shared
	Replicas int    `yaml:"replicas"` // replicas sharing the limits; while Redis is down each keeps 1/replicas (default 3)
}

// Audit configures the per-request audit log.
type Audit struct {
	File string `yaml:"file"` // append JSON lines here; empty: standard output
	Off  bool   `yaml:"off"`  // no audit log
}

// Defaults are used for anything no source sets.
func Defaults() Config {
	return Config{Listen: "127.0.0.1:8080", DemoScale: 1, MaxTimespan: 90 * 24 * time.Hour, RequestTimeout: 60 * time.Second, CacheTTL: 5 * time.Minute, CacheMB: 256, MaxDepth: 15, MaxCost: 25000, BatchWait: 16 * time.Millisecond, MaxBody: 1 << 20, ShutdownGrace: 20 * time.Second, LogFormat: "text", Shared: Shared{Replicas: 3}}
}

// ErrHelp is returned by Load when the arguments ask for help; the usage
// has been written to the help writer.
var ErrHelp = flag.ErrHelp

// HelpOutput is where --help writes (standard output).
var HelpOutput io.Writer = os.Stdout

// usageHeader opens --help.
const usageHeader = `gql serves the entitygraph GraphQL API: IP addresses, accounts, hosts and alerts from
Microsoft Sentinel (Log Analytics) or a local workspace of table exports, with threat intelligence.
Without --data or a Sentinel configuration it serves a built-in demo workspace on 127.0.0.1:8080.

Usage: gql [flags]          gql healthcheck [--listen ADDR]          gql --version

Flags (each also set by the environment variable named, or by the YAML file's key of the same name;
flags win over the environment, which wins over the file):
`

// flagGroups orders --help.
var flagGroups = []struct {
	title string
	names []string
}{
	{"Serving", []string{"listen", "config", "insecure-no-auth", "cors-origins", "request-timeout", "max-requests", "max-body", "shutdown-grace", "audit-file", "log-format"}},
	{"Data", []string{"data", "demo-rows", "source", "msticpy-config", "memory-limit", "lenient"}},
	{"Query limits and caching", []string{"max-timespan", "max-depth", "max-cost", "batch-wait", "cache-ttl", "cache-mb"}},
	{"Documents and tracing", []string{"persisted-queries", "persisted-only", "trace-documents"}},
}

// printUsage writes --help: what gql is, then the flags by group, each
// with its type, default and environment variable.
func printUsage(fs *flag.FlagSet) {
	out := fs.Output()
	fmt.Fprint(out, usageHeader)
	listed := map[string]bool{}
	for _, g := range flagGroups {
		fmt.Fprintf(out, "\n%s:\n", g.title)
		for _, name := range g.names {
			if f := fs.Lookup(name); f != nil {
				listed[name] = true
				printFlag(out, f)
			}
		}
	}
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if !listed[f.Name] {
			if first {
				fmt.Fprint(out, "\nOther:\n")
				first = false
			}
			printFlag(out, f)
		}
	})
}

func printFlag(out io.Writer, f *flag.Flag) {
	kind, usage := flag.UnquoteUsage(f)
	line := "  -" + f.Name
	if kind != "" {
		line += " " + kind
	}
	fmt.Fprintf(out, "%s\n    \t%s", line, usage)
	if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" && f.DefValue != "0s" {
		fmt.Fprintf(out, " (default %s)", f.DefValue)
	}
	fmt.Fprintln(out)
}

// Load resolves the configuration from args (flags), the environment
// (EG_LISTEN, EG_DATA, EG_CONFIG, EG_DEMO_ROWS (or EG_DEMO_SCALE), EG_MAX_TIMESPAN,
// EG_REQUEST_TIMEOUT, EG_MEMORY_LIMIT, EG_CACHE_TTL, EG_CACHE_MB,
// EG_MAX_DEPTH, EG_MAX_COST, EG_BATCH_WAIT, EG_SOURCE, EG_MSTICPY_CONFIG,
// and the secrets EG_CLIENT_SECRET, EG_CERTIFICATE_PASSWORD) and the YAML file named by --config.
func Load(args []string, getenv func(string) string) (Config, error) {
	fs := flag.NewFlagSet("gql", flag.ContinueOnError)
	fs.SetOutput(HelpOutput)
	fs.Usage = func() { printUsage(fs) }
	listen := fs.String("listen", "", "address to listen on (env EG_LISTEN; default 127.0.0.1:8080)")
	data := fs.String("data", "", "workspace directory of table exports (env EG_DATA; default: the built-in demo workspace)")
	file := fs.String("config", "", "YAML configuration file (env EG_CONFIG)")
	scale := fs.Int("demo-rows", 0, "demo workspace scale: background activity multiplier, 1 ≈ 12k rows (env EG_DEMO_ROWS; default 1)")
	maxSpan := fs.Duration("max-timespan", 0, "longest timespan a request may ask for (env EG_MAX_TIMESPAN; default 2160h)")
	timeout := fs.Duration("request-timeout", 0, "per-request timeout (env EG_REQUEST_TIMEOUT; default 60s)")
	mem := fs.String("memory-limit", "", "DuckDB memory limit, e.g. 4GB (env EG_MEMORY_LIMIT); default: an eighth of the machine, 256 MB to 1 GB, raised when the workspace needs more")
	cacheTTL := fs.Duration("cache-ttl", 5*time.Minute, "reuse facet results this long; 0 disables (env EG_CACHE_TTL)")
	cors := fs.String("cors-origins", "", "comma-separated browser origins allowed to call /graphql (env EG_CORS_ORIGINS)")
	cacheMB := fs.Int("cache-mb", 0, "facet-result cache size in MB (env EG_CACHE_MB; default 256)")
	maxDepth := fs.Int("max-depth", 0, "deepest selection a query may have (env EG_MAX_DEPTH; default 15)")
	source := fs.String("source", "", "local or sentinel (env EG_SOURCE; default: sentinel when workspaces are configured)")
	msticpy := fs.String("msticpy-config", "", "read workspaces from this msticpyconfig.yaml (env EG_MSTICPY_CONFIG)")
	batchWait := fs.Duration("batch-wait", 0, "how long loaders gather keys before querying when a request's levels cannot be tracked (@defer) (env EG_BATCH_WAIT; default 16ms)")
	maxCost := fs.Int("max-cost", 0, "estimated resolver calls a query may cause (env EG_MAX_COST; default 25000)")
	insecure := fs.Bool("insecure-no-auth", false, "serve a non-loopback address without an access section (anyone who reaches it reads everything)")
	logFormat := fs.String("log-format", "", "text or json (env EG_LOG_FORMAT; default text)")
	traceDocs := fs.Bool("trace-documents", false, "put GraphQL documents on OpenTelemetry spans (env EG_TRACE_DOCUMENTS=true); traces go to the OTLP endpoint in OTEL_EXPORTER_OTLP_ENDPOINT")
	persistedFile := fs.String("persisted-queries", "", "trusted documents: a manifest of id → document, Apollo's or Relay's format (env EG_PERSISTED_QUERIES)")
	persistedOnly := fs.Bool("persisted-only", false, "run only documents from --persisted-queries (env EG_PERSISTED_ONLY=true)")
	lenient := fs.Bool("lenient", false, "skip malformed CSV rows (counted and reported) instead of refusing to start (env EG_LENIENT=true)")
	maxRequests := fs.Int("max-requests", 0, "GraphQL requests worked on at once; more wait up to 10 s, then get 503 (env EG_MAX_REQUESTS; default 8 per core)")
	maxBody := fs.Int64("max-body", 0, "largest request body in bytes (env EG_MAX_BODY; default 1048576)")
	grace := fs.Duration("shutdown-grace", 0, "how long in-flight requests may finish after SIGTERM before they are cancelled (env EG_SHUTDOWN_GRACE; default 20s)")
	redisURL := fs.String("redis", "", "share the result cache, coalescing and limits between replicas through this Redis (env EG_REDIS_URL; redis:// or rediss://)")
	auditFile := fs.String("audit-file", "", "append the audit log (one JSON line per request) to this file (env EG_AUDIT_FILE; default: standard output)")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q: flags only (a workspace directory is --data DIR); see gql --help", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	cfg := Defaults()
	path := first(*file, getenv("EG_CONFIG"))
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		if err := yaml.Unmarshal(b, &cfg); err != nil {
			return Config{}, fmt.Errorf("config %s: %w", path, err)
		}
	}
	cfg.Listen = first(*listen, getenv("EG_LISTEN"), cfg.Listen)
	cfg.Data = first(*data, getenv("EG_DATA"), cfg.Data)
	cfg.MemoryLimit = first(*mem, getenv("EG_MEMORY_LIMIT"), cfg.MemoryLimit)
	var err error
	if cfg.DemoScale, err = intSetting(*scale, first(getenv("EG_DEMO_ROWS"), getenv("EG_DEMO_SCALE")), cfg.DemoScale); err != nil {
		return Config{}, fmt.Errorf("EG_DEMO_ROWS: %w", err)
	}
	if cfg.MaxTimespan, err = durSetting(*maxSpan, getenv("EG_MAX_TIMESPAN"), cfg.MaxTimespan); err != nil {
		return Config{}, fmt.Errorf("EG_MAX_TIMESPAN: %w", err)
	}
	if cfg.RequestTimeout, err = durSetting(*timeout, getenv("EG_REQUEST_TIMEOUT"), cfg.RequestTimeout); err != nil {
		return Config{}, fmt.Errorf("EG_REQUEST_TIMEOUT: %w", err)
	}
	if set["cache-ttl"] {
		cfg.CacheTTL = *cacheTTL
	} else if env := getenv("EG_CACHE_TTL"); env != "" {
		if cfg.CacheTTL, err = time.ParseDuration(env); err != nil {
			return Config{}, fmt.Errorf("EG_CACHE_TTL: %w", err)
		}
	}
	if cfg.CacheMB, err = intSetting(*cacheMB, getenv("EG_CACHE_MB"), cfg.CacheMB); err != nil {
		return Config{}, fmt.Errorf("EG_CACHE_MB: %w", err)
	}
	cfg.Source = first(*source, getenv("EG_SOURCE"), cfg.Source)
	cfg.Audit.File = first(*auditFile, getenv("EG_AUDIT_FILE"), cfg.Audit.File)
	cfg.Shared.Redis = first(*redisURL, getenv("EG_REDIS_URL"), cfg.Shared.Redis)
	if cfg.Shared.Replicas < 1 {
		return Config{}, fmt.Errorf("shared.replicas must be at least 1")
	}
	if origins := first(*cors, getenv("EG_CORS_ORIGINS")); origins != "" {
		cfg.CORSOrigins = nil
		for _, o := range strings.Split(origins, ",") {
			if o = strings.TrimSpace(o); o != "" {
				cfg.CORSOrigins = append(cfg.CORSOrigins, o)
			}
		}
	}
	cfg.InsecureNoAuth = *insecure
	cfg.Lenient = cfg.Lenient || *lenient || getenv("EG_LENIENT") == "true"
	cfg.LogFormat = first(*logFormat, getenv("EG_LOG_FORMAT"), cfg.LogFormat, "text")
	if cfg.LogFormat != "text" && cfg.LogFormat != "json" {
		return Config{}, fmt.Errorf("log-format must be text or json, not %q", cfg.LogFormat)
	}
	cfg.TraceDocuments = cfg.TraceDocuments || *traceDocs || getenv("EG_TRACE_DOCUMENTS") == "true"
	cfg.PersistedQueries = first(*persistedFile, getenv("EG_PERSISTED_QUERIES"), cfg.PersistedQueries)
	cfg.PersistedOnly = cfg.PersistedOnly || *persistedOnly || getenv("EG_PERSISTED_ONLY") == "true"
	if cfg.PersistedOnly && cfg.PersistedQueries == "" {
		return Config{}, fmt.Errorf("persisted-only needs persisted-queries (the manifest of allowed documents)")
	}
	cfg.MsticpyConfig = first(*msticpy, getenv("EG_MSTICPY_CONFIG"), cfg.MsticpyConfig)
	cfg.Sentinel.Auth.ClientSecret = first(getenv("EG_CLIENT_SECRET"), cfg.Sentinel.Auth.ClientSecret)
	cfg.Sentinel.Auth.CertificatePassword = first(getenv("EG_CERTIFICATE_PASSWORD"), cfg.Sentinel.Auth.CertificatePassword)
	if cfg.MsticpyConfig != "" {
		ws, def, err := ReadMsticpyWorkspaces(cfg.MsticpyConfig)
		if err != nil && !strings.Contains(err.Error(), "no AzureSentinel.Workspaces") {
			return Config{}, err
		}
		keys, err := ReadMsticpyTI(cfg.MsticpyConfig, getenv)
		if err != nil {
			return Config{}, err
		}
		if cfg.TI.Providers == nil {
			cfg.TI.Providers = map[string]TIProvider{}
		}
		for name, k := range keys {
			p := cfg.TI.Providers[name]
			if p.APIKey == "" {
				p.APIKey, p.APIID = k.APIKey, k.APIID
			}
			cfg.TI.Providers[name] = p
		}
		cfg.Sentinel.Workspaces = append(cfg.Sentinel.Workspaces, ws...)
		if len(cfg.Sentinel.Default) == 0 {
			cfg.Sentinel.Default = def
		}
	}
	applyTIEnv(&cfg.TI, getenv)
	switch cfg.Source {
	case "":
		cfg.Source = "local"
		if len(cfg.Sentinel.Workspaces) > 0 {
			cfg.Source = "sentinel"
		}
	case "local":
	case "sentinel":
		if len(cfg.Sentinel.Workspaces) == 0 {
			return Config{}, fmt.Errorf("source sentinel needs workspaces (sentinel.workspaces in the config file, or --msticpy-config)")
		}
	default:
		return Config{}, fmt.Errorf("source must be local or sentinel, not %q", cfg.Source)
	}
	if cfg.BatchWait, err = durSetting(*batchWait, getenv("EG_BATCH_WAIT"), cfg.BatchWait); err != nil {
		return Config{}, fmt.Errorf("EG_BATCH_WAIT: %w", err)
	}
	if cfg.MaxDepth, err = intSetting(*maxDepth, getenv("EG_MAX_DEPTH"), cfg.MaxDepth); err != nil {
		return Config{}, fmt.Errorf("EG_MAX_DEPTH: %w", err)
	}
	if cfg.MaxCost, err = intSetting(*maxCost, getenv("EG_MAX_COST"), cfg.MaxCost); err != nil {
		return Config{}, fmt.Errorf("EG_MAX_COST: %w", err)
	}
	if *maxBody > 0 {
		cfg.MaxBody = *maxBody
	} else if env := getenv("EG_MAX_BODY"); env != "" {
		if cfg.MaxBody, err = strconv.ParseInt(env, 10, 64); err != nil {
			return Config{}, fmt.Errorf("EG_MAX_BODY: %w", err)
		}
	}
	if cfg.MaxRequests, err = intSetting(*maxRequests, getenv("EG_MAX_REQUESTS"), cfg.MaxRequests); err != nil {
		return Config{}, fmt.Errorf("EG_MAX_REQUESTS: %w", err)
	}
	if cfg.ShutdownGrace, err = durSetting(*grace, getenv("EG_SHUTDOWN_GRACE"), cfg.ShutdownGrace); err != nil {
		return Config{}, fmt.Errorf("EG_SHUTDOWN_GRACE: %w", err)
	}
	if cfg.MaxBody < 1024 {
		return Config{}, fmt.Errorf("max-body must be at least 1024 bytes")
	}
	if cfg.MaxDepth < 2 || cfg.MaxCost < 1 {
		return Config{}, fmt.Errorf("max-depth must be at least 2 and max-cost at least 1")
	}
	if cfg.CacheMB < 1 {
		return Config{}, fmt.Errorf("cache-mb must be at least 1")
	}
	if cfg.DemoScale < 1 {
		return Config{}, fmt.Errorf("demo-rows must be at least 1")
	}
	if cfg.Source == "sentinel" && cfg.Sentinel.Auth.OnBehalfOf && (cfg.Access == nil || cfg.Access.Entra == nil) {
		return Config{}, fmt.Errorf("sentinel.auth.onBehalfOf needs access.entra: analysts' tokens are validated before they are exchanged")
	}
	return cfg, nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func intSetting(flagVal int, env string, def int) (int, error) {
	if flagVal != 0 {
		return flagVal, nil
	}
	if env != "" {
		return strconv.Atoi(env)
	}
	return def, nil
}

func durSetting(flagVal time.Duration, env string, def time.Duration) (time.Duration, error) {
	if flagVal != 0 {
		return flagVal, nil
	}
	if env != "" {
		return time.ParseDuration(env)
	}
	return def, nil
}
