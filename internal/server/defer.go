package server

import (
	"context"
	"entitygraph/internal/errcode"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// deferGuard refuses an operation using @defer unless the request accepts
// multipart/mixed: without it the deferred fields would arrive as null
// with no later part to fill them.
type deferGuard struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = deferGuard{}

func (deferGuard) ExtensionName() string                   { return "DeferGuard" }
func (deferGuard) Validate(graphql.ExecutableSchema) error { return nil }

func (deferGuard) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || strings.Contains(oc.Headers.Get("Accept"), "multipart/mixed") || !usesDefer(oc.Operation.SelectionSet, map[string]bool{}) {
		return nil
	}
	return &gqlerror.Error{Message: "@defer needs a request with Accept: multipart/mixed (POST, application/json); without it, drop @defer to get every field in one answer",
		Extensions: map[string]any{"code": errcode.DeferNeedsMultipart}}
}

// usesDefer says whether a selection set (fragments included, each once)
// carries @defer.
func usesDefer(set ast.SelectionSet, seen map[string]bool) bool {
	for _, sel := range set {
		switch x := sel.(type) {
		case *ast.Field:
			if usesDefer(x.SelectionSet, seen) {
				return true
			}
		case *ast.InlineFragment:
			if x.Directives.ForName("defer") != nil || usesDefer(x.SelectionSet, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if x.Directives.ForName("defer") != nil {
				return true
			}
			if x.Definition != nil && !seen[x.Name] {
				seen[x.Name] = true
				if usesDefer(x.Definition.SelectionSet, seen) {
					return true
				}
			}
		}
	}
	return false
}
