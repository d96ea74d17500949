package access

import (
	"context"
	"sort"
)

// Principal kinds.
const (
	KindEntra  = "ENTRA"   // a validated Entra ID token
	KindAPIKey = "API_KEY" // an automation key
	KindLocal  = "LOCAL"   // no access section: the loopback-only single user
)

// Principal is an authenticated caller.
type Principal struct {
	Kind     string
	ID       string // stable: "entra:<tid>/<oid>", "apikey:<name>", "local"
	Name     string // display: preferred_username, or the key's name
	TenantID string
	ObjectID string
	Roles    []string
	Groups   []string
	// Workspaces the principal may read, sorted.
	Workspaces []string

	token             string // the validated bearer token (on-behalf-of)
	requestsPerMinute int    // the key's own request budget; 0: the default
}

type principalKey struct{}

// WithPrincipal stores the caller in a context.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the authenticated caller, if any.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}

// grant resolves the workspaces a principal may read: an API key's own
// list, or the union of the grants its roles and groups match.
func grant(p *Principal, grants []Grant, all []string) {
	var granted []string
	has := func(list []string, v string) bool {
		for _, x := range list {
			if x == v {
				return true
			}
		}
		return false
	}
	for _, g := range grants {
		if (g.Role != "" && has(p.Roles, g.Role)) || (g.Group != "" && has(p.Groups, g.Group)) {
			granted = append(granted, g.Workspaces...)
		}
	}
	p.Workspaces = expand(granted, all)
}

// expand resolves "*" to every workspace, and sorts and de-duplicates.
func expand(ws, all []string) []string {
	set := map[string]bool{}
	for _, w := range ws {
		if w != "*" {
			set[w] = true
			continue
		}
		for _, a := range all {
			set[a] = true
		}
	}
	out := make([]string, 0, len(set))
	for w := range set {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

func (p *Principal) mayRead(ws string) bool {
	i := sort.SearchStrings(p.Workspaces, ws)
	return i < len(p.Workspaces) && p.Workspaces[i] == ws
}
