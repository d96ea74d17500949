package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoadPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "eg.yaml")
	os.WriteFile(file, []byte("listen: 0.0.0.0:9000\ndata: /from/file\nmaxTimespan: 240h\n"), 0o644)
	env := map[string]string{"EG_CONFIG": file, "EG_DATA": "/from/env", "EG_DEMO_SCALE": "3"}
	cfg, err := Load([]string{"--listen", "127.0.0.1:7000"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Listen: "127.0.0.1:7000", Data: "/from/env", DemoScale: 3, MaxTimespan: 240 * time.Hour, RequestTimeout: 60 * time.Second, CacheTTL: 5 * time.Minute, CacheMB: 256, MaxDepth: 15, MaxCost: 25000, BatchWait: 16 * time.Millisecond}
	if cfg != want {
		t.Errorf("cfg = %+v, want %+v", cfg, want)
	}
}

func TestLoadDefaultsAndErrors(t *testing.T) {
	cfg, err := Load(nil, func(string) string { return "" })
	if err != nil || cfg != Defaults() {
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
