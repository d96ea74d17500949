package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "eg.yaml")
	os.WriteFile(file, []byte("listen: 0.0.0.0:9000\ndata: /from/file\nmaxTimespan: 240h\nshared:\n  redis: redis://file:6379/0\n  replicas: 5\n"), 0o644)
	env := map[string]string{"EG_CONFIG": file, "EG_DATA": "/from/env", "EG_DEMO_SCALE": "3", "EG_REDIS_URL": "redis://env:6379/1"}
	cfg, err := Load([]string{"--listen", "127.0.0.1:7000"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Listen: "127.0.0.1:7000", Data: "/from/env", DemoScale: 3, MaxTimespan: 240 * time.Hour, RequestTimeout: 60 * time.Second, CacheTTL: 5 * time.Minute, CacheMB: 256, MaxDepth: 15, MaxCost: 25000, BatchWait: 16 * time.Millisecond, Source: "local", MaxBody: 1 << 20, ShutdownGrace: 20 * time.Second, LogFormat: "text",
		Shared: Shared{Redis: "redis://env:6379/1", Replicas: 5}}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("cfg = %+v, want %+v", cfg, want)
	}
}

func TestLoadDefaultsAndErrors(t *testing.T) {
	cfg, err := Load(nil, func(string) string { return "" })
	want := Defaults()
	want.Source = "local"
	if err != nil || !reflect.DeepEqual(cfg, want) {
		t.Errorf("defaults = %+v, %v", cfg, err)
	}
	for name, env := range map[string]map[string]string{
		"bad scale":   {"EG_DEMO_SCALE": "many"},
		"zero scale":  {"EG_DEMO_SCALE": "-1"},
		"bad span":    {"EG_MAX_TIMESPAN": "forever"},
		"bad ttl":     {"EG_CACHE_TTL": "a while"},
		"missing cfg": {"EG_CONFIG": "/no/such/file.yaml"},
	} {
		if _, err := Load(nil, func(k string) string { return env[k] }); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCacheDisabled(t *testing.T) {
	cfg, err := Load([]string{"--cache-ttl", "0"}, func(string) string { return "" })
	if err != nil || cfg.CacheTTL != 0 {
		t.Errorf("cfg = %+v, %v", cfg, err)
	}
}

func TestSentinelConfig(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "eg.yaml")
	os.WriteFile(file, []byte(`
sentinel:
  workspaces:
    - {name: soc, workspaceId: 11111111-1111-1111-1111-111111111111, tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47}
  auth: {mode: secret, tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47, clientId: app, onBehalfOf: true}
access:
  entra: {tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47, audience: api://entitygraph}
  apiKeys:
    - {name: soar, sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, workspaces: [soc], requestsPerMinute: 120}
  grants:
    - {role: Entitygraph.Reader, workspaces: [soc]}
    - {group: 11111111-2222-3333-4444-555555555555, workspaces: ["*"]}
  allowedHosts: [entitygraph.contoso.com]
audit: {file: /var/log/entitygraph/audit.jsonl}
`), 0o644)
	env := map[string]string{"EG_CONFIG": file, "EG_CLIENT_SECRET": "from-env-secret"}
	cfg, err := Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Source != "sentinel" || cfg.Sentinel.Auth.ClientSecret != "from-env-secret" || !cfg.Sentinel.Auth.OnBehalfOf {
		t.Errorf("cfg = %+v", cfg)
	}
	a := cfg.Access
	if a == nil || a.Entra == nil || a.Entra.Audience != "api://entitygraph" || len(a.APIKeys) != 1 || a.APIKeys[0].RequestsPerMinute != 120 ||
		len(a.Grants) != 2 || a.Grants[1].Workspaces[0] != "*" || a.AllowedHosts[0] != "entitygraph.contoso.com" || cfg.Audit.File != "/var/log/entitygraph/audit.jsonl" {
		t.Errorf("access = %+v, audit = %+v", a, cfg.Audit)
	}
	if err := a.Validate([]string{"soc"}); err != nil {
		t.Error(err)
	}
	// On-behalf-of without token validation is refused.
	noAccess := filepath.Join(dir, "obo.yaml")
	b, _ := os.ReadFile(file)
	os.WriteFile(noAccess, []byte(strings.Split(string(b), "access:")[0]), 0o644)
	if _, err := Load([]string{"--config", noAccess}, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "access.entra") {
		t.Errorf("onBehalfOf without access.entra: %v", err)
	}
	if s := fmt.Sprint(cfg.Sentinel.Auth); strings.Contains(s, "from-env-secret") {
		t.Errorf("printing the auth settings shows the secret: %s", s)
	}
	if _, err := Load([]string{"--source", "sentinel"}, func(string) string { return "" }); err == nil {
		t.Error("sentinel without workspaces accepted")
	}
	if _, err := Load([]string{"--source", "cloud"}, func(string) string { return "" }); err == nil {
		t.Error("unknown source accepted")
	}
}

// TestMsticpyConfig reads AzureSentinel.Workspaces as msticpy writes it.
func TestMsticpyConfig(t *testing.T) {
	file := filepath.Join(t.TempDir(), "msticpyconfig.yaml")
	os.WriteFile(file, []byte(`
AzureSentinel:
  Workspaces:
    Default:
      WorkspaceId: "52b1ab41-869e-4138-9e40-2a4457f09bf3"
      TenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47"
    ASIHuntOMSWorkspaceV4:
      WorkspaceId: "52b1ab41-869e-4138-9e40-2a4457f09bf3"
      TenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47"
    MyTestWS:
      WorkspaceId: "a927809c-8142-43e1-96b3-4ad87cfe95a4"
      TenantId: "69d28fd7-42a5-48bc-a619-af56397b9f28"
TIProviders:
  OTX:
    Args:
      AuthKey: "not-read-here"
`), 0o644)
	cfg, err := Load([]string{"--msticpy-config", file}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ws := cfg.Sentinel.Workspaces
	if cfg.Source != "sentinel" || len(ws) != 2 || ws[0].Name != "ASIHuntOMSWorkspaceV4" || ws[1].WorkspaceID != "a927809c-8142-43e1-96b3-4ad87cfe95a4" {
		t.Errorf("workspaces = %+v", ws)
	}
	if len(cfg.Sentinel.Default) != 1 || cfg.Sentinel.Default[0] != "ASIHuntOMSWorkspaceV4" {
		t.Errorf("default = %v", cfg.Sentinel.Default)
	}
}

func TestFlagAndEnvNames(t *testing.T) {
	env := map[string]string{"EG_DEMO_ROWS": "4", "EG_CORS_ORIGINS": "https://soc.example, https://intel.example"}
	cfg, err := Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DemoScale != 4 || strings.Join(cfg.CORSOrigins, "|") != "https://soc.example|https://intel.example" || cfg.CacheTTL != 5*time.Minute {
		t.Errorf("cfg = %+v", cfg)
	}
	cfg, err = Load([]string{"--cache-ttl", "0", "--cors-origins", "https://a.example"}, func(k string) string { return env[k] })
	if err != nil || cfg.CacheTTL != 0 || strings.Join(cfg.CORSOrigins, "|") != "https://a.example" {
		t.Errorf("flags: %+v %v", cfg, err)
	}
}
