package server

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"entitygraph/internal/audit"
)

// auditExtension records each operation's name, the entities its root
// fields name, and the codes of its errors.
type auditExtension struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = auditExtension{}

func (auditExtension) ExtensionName() string                   { return "Audit" }
func (auditExtension) Validate(graphql.ExecutableSchema) error { return nil }
func (auditExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	rec := audit.From(ctx)
	if rec == nil {
		return resp
	}
	if graphql.HasOperationContext(ctx) {
		if oc := graphql.GetOperationContext(ctx); oc.Operation != nil {
			name := oc.OperationName
			if name == "" {
				name = oc.Operation.Name
			}
			rec.SetOperation(name, rootEntities(oc))
		}
	}
	if resp != nil {
		var codes []string
		for _, e := range resp.Errors {
			if c, ok := e.Extensions["code"].(string); ok {
				codes = append(codes, c)
			}
		}
		rec.AddErrorCodes(codes...)
	}
	return resp
}

// maxAuditEntities bounds one line's entity list.
const maxAuditEntities = 50

// entityArgs are the root-field arguments that name entities.
var entityArgs = []string{"address", "addresses", "name", "id", "ids"}

// rootEntities lists the root fields as "field" or "field:value" for each
// entity they name.
func rootEntities(oc *graphql.OperationContext) []string {
	var out []string
	add := func(s string) {
		if len(out) < maxAuditEntities {
			out = append(out, truncateAudit(s))
		}
	}
	var walk func(set ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			if len(out) >= maxAuditEntities {
				return
			}
			switch s := sel.(type) {
			case *ast.Field:
				args := s.ArgumentMap(oc.Variables)
				named := false
				for _, a := range entityArgs {
					switch v := args[a].(type) {
					case string:
						add(s.Name + ":" + v)
						named = true
					case []any:
						for _, x := range v {
							add(s.Name + ":" + fmt.Sprint(x))
						}
						named = true
					}
				}
				if !named {
					add(s.Name)
				}
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			case *ast.FragmentSpread:
				if s.Definition != nil {
					walk(s.Definition.SelectionSet)
				}
			}
		}
	}
	walk(oc.Operation.SelectionSet)
	return out
}

func truncateAudit(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
