package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"entitygraph/graph/resolvers"
)

// Limits bound what one request may ask for, before any backend query.
type Limits struct {
	MaxDepth int // deepest selection; 0 means 15
	MaxCost  int // estimated resolver calls (see cost); 0 means 25,000
}

// assumedFanOut is the list size assumed for lists without first (summary
// lists such as relatedAccounts); connections use their first argument.
const assumedFanOut = 20

// Error codes of over-limit queries.
const (
	CodeTooDeep    = "QUERY_TOO_DEEP"
	CodeTooComplex = "QUERY_TOO_COMPLEX"
)

// cost estimates the resolver calls a selection set causes: every field
// returning an object or a list counts once per parent instance, and list
// fields multiply their children by first (connections), by the number of
// addresses or ids given (bulk roots), or by assumedFanOut. Scalars are free.
func cost(set ast.SelectionSet, vars map[string]any, multiplier int, depth int, maxDepth *int) int {
	if depth > *maxDepth {
		*maxDepth = depth
	}
	total := 0
	for _, f := range resolvers.Fields(set) {
		// Introspection (__schema, __type) reads the schema, not a backend,
		// and GraphiQL's own query is deep: it costs nothing.
		if f.Definition == nil || len(f.SelectionSet) == 0 || strings.HasPrefix(f.Name, "__") {
			continue
		}
		total += multiplier
		fan := 1
		args := f.ArgumentMap(vars)
		switch {
		case args["first"] != nil:
			fan = toInt(args["first"])
		case args["addresses"] != nil:
			fan = listLen(args["addresses"])
		case args["ids"] != nil:
			fan = listLen(args["ids"])
		case f.Definition.Type.Elem != nil:
			fan = assumedFanOut
		}
		if fan < 1 {
			fan = 1
		}
		// A connection's own wrapper fields (nodes, edges, pageInfo) sit
		// between the field and its items: the fan-out applies below them.
		total += cost(f.SelectionSet, vars, multiplier*fan, depth+1, maxDepth)
		if total > 1<<40 {
			return total
		}
	}
	return total
}

func toInt(v any) int {
	switch x := v.(type) {
	case int:
		return x
	case int64:
		return int(x)
	case float64:
		return int(x)
	}
	return assumedFanOut
}

func listLen(v any) int {
	if l, ok := v.([]any); ok {
		return len(l)
	}
	return 1
}

// limitsExtension rejects over-limit operations before they run, and
// records the cost for extensions.cost.
type limitsExtension struct{ limits Limits }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
	graphql.ResponseInterceptor
} = limitsExtension{}

func (limitsExtension) ExtensionName() string                   { return "Limits" }
func (limitsExtension) Validate(graphql.ExecutableSchema) error { return nil }

type costKey struct{}

type operationCost struct{ cost, depth int }

func (e limitsExtension) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	maxDepth, maxCost := e.limits.MaxDepth, e.limits.MaxCost
	if maxDepth == 0 {
		maxDepth = 15
	}
	if maxCost == 0 {
		maxCost = 25000
	}
	depth := 0
	c := cost(oc.Operation.SelectionSet, oc.Variables, 1, 1, &depth)
	if holder, ok := ctx.Value(costKey{}).(*operationCost); ok {
		holder.cost, holder.depth = c, depth
	}
	if depth > maxDepth {
		return &gqlerror.Error{Message: fmt.Sprintf("query depth %d is over the limit of %d", depth, maxDepth),
			Extensions: map[string]any{"code": CodeTooDeep, "depth": depth, "limit": maxDepth}}
	}
	if c > maxCost {
		return &gqlerror.Error{Message: fmt.Sprintf("query cost %d is over the limit of %d: ask for fewer items (first) or fewer levels", c, maxCost),
			Extensions: map[string]any{"code": CodeTooComplex, "cost": c, "limit": maxCost}}
	}
	return nil
}

// InterceptResponse adds extensions.cost when the request asks for it.
func (e limitsExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || !graphql.HasOperationContext(ctx) {
		return resp
	}
	if on, _ := graphql.GetOperationContext(ctx).Extensions["cost"].(bool); !on {
		return resp
	}
	if holder, ok := ctx.Value(costKey{}).(*operationCost); ok {
		if resp.Extensions == nil {
			resp.Extensions = map[string]any{}
		}
		resp.Extensions["cost"] = map[string]any{"cost": holder.cost, "depth": holder.depth, "limit": e.limits.MaxCost}
	}
	return resp
}

// withCostHolder gives the request a place for its computed cost.
func withCostHolder(ctx context.Context) context.Context {
	return context.WithValue(ctx, costKey{}, &operationCost{})
}
