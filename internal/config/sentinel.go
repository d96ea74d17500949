package config

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Sentinel configures the Log Analytics (Microsoft Sentinel) source.
type Sentinel struct {
	Workspaces    []Workspace   `yaml:"workspaces"`
	Default       []string      `yaml:"default"`       // workspace names queried when a request names none
	Cloud         string        `yaml:"cloud"`         // public (default), usgov, china
	Endpoint      string        `yaml:"endpoint"`      // overrides the cloud's Log Analytics endpoint
	AuthorityHost string        `yaml:"authorityHost"` // overrides the Entra authority (instance discovery is then off)
	Auth          Auth          `yaml:"auth"`
	MaxConcurrent int           `yaml:"maxConcurrent"` // queries in flight per identity (default 5)
	RateLimit     int           `yaml:"rateLimit"`     // queries per rateWindow per identity (default 200)
	RateWindow    time.Duration `yaml:"rateWindow"`    // default 30s
	ServerWait    time.Duration `yaml:"serverWait"`    // Prefer: wait per query (default 3m)
	TablesTTL     time.Duration `yaml:"tablesTTL"`     // how long discovered tables are trusted (default 1h)
}

// Workspace is one Log Analytics workspace.
type Workspace struct {
	Name        string `yaml:"name"`
	WorkspaceID string `yaml:"workspaceId"`
	TenantID    string `yaml:"tenantId"`
}

// Auth selects the credential. Secrets may be given by environment
// variable (EG_CLIENT_SECRET, EG_CERTIFICATE_PASSWORD) rather than in the file.
type Auth struct {
	Mode                string `yaml:"mode"` // default (azidentity's chain), secret, certificate, none (on-behalf-of only)
	TenantID            string `yaml:"tenantId"`
	ClientID            string `yaml:"clientId"`
	ClientSecret        string `yaml:"clientSecret"`
	CertificatePath     string `yaml:"certificatePath"`
	CertificatePassword string `yaml:"certificatePassword"`
	OnBehalfOf          bool   `yaml:"onBehalfOf"` // query as the caller's bearer token when one is sent
}

// String hides secrets when a configuration is printed.
func (a Auth) String() string {
	return fmt.Sprintf("{mode:%s tenant:%s client:%s secret:%t certificate:%q onBehalfOf:%t}", a.Mode, a.TenantID, a.ClientID, a.ClientSecret != "", a.CertificatePath, a.OnBehalfOf)
}

// msticpyConfig is the part of msticpyconfig.yaml this server reads.
type msticpyConfig struct {
	AzureSentinel struct {
		Workspaces map[string]struct {
			WorkspaceID string `yaml:"WorkspaceId"`
			TenantID    string `yaml:"TenantId"`
		} `yaml:"Workspaces"`
	} `yaml:"AzureSentinel"`
}

// ReadMsticpyWorkspaces reads the AzureSentinel.Workspaces section of an
// existing msticpyconfig.yaml as it is. Its "Default" entry becomes the
// default: the named workspace with the same id when there is one, else a
// workspace called "Default".
func ReadMsticpyWorkspaces(path string) ([]Workspace, []string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("msticpy config: %w", err)
	}
	var mc msticpyConfig
	if err := yaml.Unmarshal(b, &mc); err != nil {
		return nil, nil, fmt.Errorf("msticpy config %s: %w", path, err)
	}
	names := make([]string, 0, len(mc.AzureSentinel.Workspaces))
	for n := range mc.AzureSentinel.Workspaces {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Workspace
	var def []string
	defEntry, hasDefault := mc.AzureSentinel.Workspaces["Default"]
	for _, n := range names {
		w := mc.AzureSentinel.Workspaces[n]
		if n == "Default" || w.WorkspaceID == "" {
			continue
		}
		out = append(out, Workspace{Name: n, WorkspaceID: w.WorkspaceID, TenantID: w.TenantID})
		if hasDefault && strings.EqualFold(w.WorkspaceID, defEntry.WorkspaceID) && def == nil {
			def = []string{n}
		}
	}
	if hasDefault && def == nil && defEntry.WorkspaceID != "" {
		out = append([]Workspace{{Name: "Default", WorkspaceID: defEntry.WorkspaceID, TenantID: defEntry.TenantID}}, out...)
		def = []string{"Default"}
	}
	if len(out) == 0 {
		return nil, nil, fmt.Errorf("msticpy config %s: no AzureSentinel.Workspaces", path)
	}
	return out, def, nil
}
