// Package access decides who is asking and what they may read: Entra ID
// bearer tokens and API keys are authenticated before any GraphQL work,
// grants map principals to workspaces, the Host header is checked against
// an allow-list, and per-caller budgets keep one caller from spending what
// the whole server shares.
package access

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Config is the YAML `access` section.
type Config struct {
	Entra        *Entra   `yaml:"entra"`
	APIKeys      []APIKey `yaml:"apiKeys"`
	Grants       []Grant  `yaml:"grants"`
	AllowedHosts []string `yaml:"allowedHosts"` // Host headers served besides the listen address and loopback names
	Budgets      Budgets  `yaml:"budgets"`
}

// Entra configures bearer-token validation.
type Entra struct {
	TenantID      string `yaml:"tenantId"`
	Audience      string `yaml:"audience"`      // aud the tokens must carry (the client id is accepted too)
	ClientID      string `yaml:"clientId"`      // optional
	AuthorityHost string `yaml:"authorityHost"` // default https://login.microsoftonline.com/
}

// APIKey is one automation key, stored only as the SHA-256 of the key.
type APIKey struct {
	Name              string   `yaml:"name"`
	SHA256            string   `yaml:"sha256"` // hex
	Workspaces        []string `yaml:"workspaces"`
	RequestsPerMinute int      `yaml:"requestsPerMinute"` // 0: the budgets' default
}

// Grant gives the holders of an app role or the members of a group some
// workspaces ("*": all).
type Grant struct {
	Role       string   `yaml:"role"`
	Group      string   `yaml:"group"`
	Workspaces []string `yaml:"workspaces"`
}

// Budgets are per caller. Zero values take the defaults below; a negative
// value turns that budget off.
type Budgets struct {
	RequestsPerMinute int     `yaml:"requestsPerMinute"` // GraphQL requests (default: off)
	QueriesPerMinute  int     `yaml:"queriesPerMinute"`  // backend log queries, cache hits free (default 100: a quarter of one Log Analytics identity's 400 a minute)
	TIShare           float64 `yaml:"tiShare"`           // share of each TI provider's daily quota (default 0.25)
	RefreshPerHour    int     `yaml:"refreshPerHour"`    // threat-intel look-ups with refresh: true (default 20)
}

// Budget defaults.
const (
	DefaultQueriesPerMinute = 100
	DefaultTIShare          = 0.25
	DefaultRefreshPerHour   = 20
)

// Validate checks the section against the workspaces the source has.
func (c *Config) Validate(workspaces []string) error {
	known := map[string]bool{"*": true}
	for _, w := range workspaces {
		known[w] = true
	}
	check := func(where string, ws []string) error {
		if len(ws) == 0 {
			return fmt.Errorf("access.%s: no workspaces", where)
		}
		for _, w := range ws {
			if !known[w] {
				return fmt.Errorf("access.%s: unknown workspace %q (configured: %s)", where, w, strings.Join(workspaces, ", "))
			}
		}
		return nil
	}
	if c.Entra == nil && len(c.APIKeys) == 0 {
		return fmt.Errorf("access: configure entra or apiKeys (or remove the section to serve loopback only)")
	}
	names := map[string]bool{}
	for i, k := range c.APIKeys {
		if k.Name == "" || names[k.Name] {
			return fmt.Errorf("access.apiKeys[%d]: each key needs a distinct name", i)
		}
		names[k.Name] = true
		if b, err := hex.DecodeString(k.SHA256); err != nil || len(b) != 32 {
			return fmt.Errorf("access.apiKeys %s: sha256 must be 64 hex digits (the SHA-256 of the key, never the key)", k.Name)
		}
		if err := check("apiKeys "+k.Name, k.Workspaces); err != nil {
			return err
		}
	}
	for i, g := range c.Grants {
		if (g.Role == "") == (g.Group == "") {
			return fmt.Errorf("access.grants[%d]: give a role or a group", i)
		}
		if err := check(fmt.Sprintf("grants[%d]", i), g.Workspaces); err != nil {
			return err
		}
	}
	return nil
}
