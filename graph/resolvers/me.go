package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"entitygraph/graph/model"
	"entitygraph/internal/access"
	"entitygraph/internal/errcode"
	"entitygraph/internal/sources"
)

// me describes the caller the access layer authenticated.
func (r *Resolver) me(ctx context.Context) (*model.Me, error) {
	p, ok := access.PrincipalFrom(ctx)
	if !ok {
		return nil, &gqlerror.Error{Path: graphql.GetPath(ctx), Message: "no authenticated caller", Extensions: map[string]any{"code": errcode.Unauthenticated}}
	}
	scope, _ := sources.ScopeFrom(ctx)
	out := &model.Me{Principal: p.Name, Kind: model.PrincipalKind(p.Kind), PrincipalID: p.ID,
		Roles: nonNil(p.Roles), Workspaces: nonNil(p.Workspaces), ActiveWorkspaces: nonNil(scope.Workspaces), Budgets: []*model.Budget{}}
	quotas := map[string]int{}
	var names []string
	if r.Config.TI != nil {
		for _, info := range r.Config.TI.Providers() {
			if info.Enabled && info.PerDay > 0 {
				quotas[info.Name] = info.PerDay
				names = append(names, info.Name)
			}
		}
	}
	for _, b := range r.Config.Meter.Report(p, quotas, names) {
		out.Budgets = append(out.Budgets, &model.Budget{Name: b.Name, Remaining: b.Remaining, ResetAt: b.ResetAt})
	}
	return out, nil
}

// callerID names who a request's look-ups are counted against.
func callerID(ctx context.Context) string {
	if p, ok := access.PrincipalFrom(ctx); ok {
		return p.ID
	}
	return ""
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
