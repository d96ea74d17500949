package server

import (
	"context"
	"entitygraph/internal/errcode"
	"fmt"
	"math"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// Limits bound what one request may ask for, before any backend query.
// Zero values take the defaults below.
type Limits struct {
	MaxDepth              int   // deepest data selection (default 15)
	MaxCost               int64 // estimated resolver calls (see costWalker; default 25,000)
	MaxFields             int   // selections written in the document, aliases included (default 2,000)
	MaxTokens             int   // lexical tokens the parser reads (default 20,000)
	MaxIntrospectionCost  int64 // introspection's own budget (default 250,000: about two GraphiQL schema loads)
	MaxIntrospectionDepth int   // deepest introspection selection (default 18; GraphiQL's query is 15)
}

// Limit defaults.
const (
	DefaultMaxDepth              = 15
	DefaultMaxCost               = 25000
	DefaultMaxFields             = 2000
	DefaultMaxTokens             = 20000
	DefaultMaxIntrospectionCost  = 250000
	DefaultMaxIntrospectionDepth = 18
)

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxCost <= 0 {
		l.MaxCost = DefaultMaxCost
	}
	if l.MaxFields <= 0 {
		l.MaxFields = DefaultMaxFields
	}
	if l.MaxTokens <= 0 {
		l.MaxTokens = DefaultMaxTokens
	}
	if l.MaxIntrospectionCost <= 0 {
		l.MaxIntrospectionCost = DefaultMaxIntrospectionCost
	}
	if l.MaxIntrospectionDepth <= 0 {
		l.MaxIntrospectionDepth = DefaultMaxIntrospectionDepth
	}
	return l
}

// assumedFanOut is the list size assumed for lists without first (summary
// lists such as relatedAccounts); connections use their first argument.
const assumedFanOut = 20

// saturation caps every cost: arithmetic never overflows.
const saturation = math.MaxInt64 / 4

func satAdd(a, b int64) int64 {
	if a >= saturation-b {
		return saturation
	}
	return a + b
}

func satMul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a >= saturation/b {
		return saturation
	}
	return a * b
}

// setCost is what a selection set costs once: data and introspection
// resolver calls, and the depth of each.
type setCost struct {
	cost, intro             int64
	schemas                 int64 // __schema selections (each a whole schema dump)
	depth, introspectionDep int
}

func (c *setCost) add(o setCost) {
	c.cost, c.intro, c.schemas = satAdd(c.cost, o.cost), satAdd(c.intro, o.intro), satAdd(c.schemas, o.schemas)
	c.depth, c.introspectionDep = max(c.depth, o.depth), max(c.introspectionDep, o.introspectionDep)
}

func (c setCost) times(n int64) setCost {
	c.cost, c.intro, c.schemas = satMul(c.cost, n), satMul(c.intro, n), satMul(c.schemas, n)
	return c
}

// maxSchemaSelections: one __schema is a whole schema dump (what GraphiQL
// loads); aliases of it only multiply the answer.
const maxSchemaSelections = 1

// costWalker estimates the resolver calls an operation causes: every field
// returning an object or a list counts once per parent instance, and list
// fields multiply their children by first (connections), by the number of
// addresses or ids given (bulk roots), or by assumedFanOut; scalars are
// free. Introspection fields count the same way in their own budget. A
// fragment is costed once however often it is spread (cost is linear in
// the parent's multiplier), so the walk visits each written selection at
// most once: its work is linear in the document.
type costWalker struct {
	vars      map[string]any
	fragments map[string]setCost
	visited   int // selections visited (tests assert the walk is linear)
}

func (w *costWalker) set(set ast.SelectionSet, introspection bool) setCost {
	var out setCost
	for _, sel := range set {
		w.visited++
		switch x := sel.(type) {
		case *ast.Field:
			out.add(w.field(x, introspection))
		case *ast.InlineFragment:
			out.add(w.set(x.SelectionSet, introspection))
		case *ast.FragmentSpread:
			if x.Definition == nil {
				continue
			}
			key := x.Name
			if introspection {
				key = "\x00" + key
			}
			c, ok := w.fragments[key]
			if !ok {
				c = w.set(x.Definition.SelectionSet, introspection)
				w.fragments[key] = c
			}
			out.add(c)
		}
	}
	return out
}

func (w *costWalker) field(f *ast.Field, introspection bool) setCost {
	if len(f.SelectionSet) == 0 || f.Definition == nil {
		return setCost{}
	}
	intro := introspection || strings.HasPrefix(f.Name, "__")
	child := w.set(f.SelectionSet, intro).times(fanOut(f, w.vars))
	if intro {
		child.intro = satAdd(child.intro, 1)
		child.introspectionDep++
		if f.Name == "__schema" {
			child.schemas = satAdd(child.schemas, 1)
		}
		return child
	}
	child.cost = satAdd(child.cost, 1)
	child.depth++
	return child
}

func fanOut(f *ast.Field, vars map[string]any) int64 {
	args := f.ArgumentMap(vars)
	fan := int64(1)
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
	return max(fan, 1)
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	case float64:
		if x > float64(saturation) {
			return saturation
		}
		return int64(x)
	}
	return assumedFanOut
}

func listLen(v any) int64 {
	if l, ok := v.([]any); ok {
		return int64(len(l))
	}
	return 1
}

// operationCost measures an operation; the depth of the root selection
// set is 1.
func operationCost(op *ast.OperationDefinition, vars map[string]any) (setCost, int) {
	w := &costWalker{vars: vars, fragments: map[string]setCost{}}
	c := w.set(op.SelectionSet, false)
	c.depth++
	c.introspectionDep++
	return c, w.visited
}

// eachSelectionSet calls visit on every selection set written in a
// document (operations, fragments, and the sets nested in them), once.
func eachSelectionSet(doc *ast.QueryDocument, visit func(ast.SelectionSet)) {
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		visit(set)
		for _, sel := range set {
			switch x := sel.(type) {
			case *ast.Field:
				walk(x.SelectionSet)
			case *ast.InlineFragment:
				walk(x.SelectionSet)
			}
		}
	}
	for _, op := range doc.Operations {
		walk(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		walk(f.SelectionSet)
	}
}

// countSelections counts the selections written in a document (fields,
// aliases included, and fragment spreads), not their expansion.
func countSelections(doc *ast.QueryDocument) int {
	n := 0
	eachSelectionSet(doc, func(set ast.SelectionSet) { n += len(set) })
	return n
}

// maxSameKey bounds the fields answering to one response key in one
// selection set (fragments included): validation compares every pair of
// them, and reports every conflicting pair.
const maxSameKey = 20

// sameKeyCounts finds the largest number of fields sharing a response key
// in any selection set of the document, fragments expanded (each fragment
// counted once, counts saturating).
func sameKeyCounts(doc *ast.QueryDocument) int64 {
	memo := map[string]map[string]int64{}
	visiting := map[string]bool{}
	var keys func(set ast.SelectionSet) map[string]int64
	keys = func(set ast.SelectionSet) map[string]int64 {
		out := map[string]int64{}
		merge := func(m map[string]int64) {
			for k, n := range m {
				out[k] = satAdd(out[k], n)
			}
		}
		for _, sel := range set {
			switch x := sel.(type) {
			case *ast.Field:
				k := x.Alias
				if k == "" {
					k = x.Name
				}
				out[k] = satAdd(out[k], 1)
			case *ast.InlineFragment:
				merge(keys(x.SelectionSet))
			case *ast.FragmentSpread:
				m, ok := memo[x.Name]
				if !ok {
					def := doc.Fragments.ForName(x.Name)
					if def == nil || visiting[x.Name] {
						continue
					}
					visiting[x.Name] = true
					m = keys(def.SelectionSet)
					visiting[x.Name] = false
					memo[x.Name] = m
				}
				merge(m)
			}
		}
		return out
	}
	var worst int64
	eachSelectionSet(doc, func(set ast.SelectionSet) {
		for _, n := range keys(set) {
			worst = max(worst, n)
		}
	})
	return worst
}

// limitsExtension rejects over-limit operations before they run: the
// written size before validation (whose work grows with the square of
// same-named fields), the cost and depth after it. It records the cost for
// extensions.cost.
type limitsExtension struct {
	limits Limits
	// parsed is the handler's cache of validated documents: a document in
	// it passed this gate when it was first parsed, and is not parsed again.
	parsed graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
	graphql.ResponseInterceptor
} = limitsExtension{}

func (limitsExtension) ExtensionName() string                   { return "Limits" }
func (limitsExtension) Validate(graphql.ExecutableSchema) error { return nil }

type costKey struct{}

type measuredCost struct {
	cost, intro int64
	depth       int
}

func tooComplex(msg string, ext map[string]any) *gqlerror.Error {
	ext["code"] = errcode.QueryTooComplex
	return &gqlerror.Error{Message: msg, Extensions: ext}
}

// MutateOperationParameters measures the document before gqlgen validates
// it: validation's work grows with the selections and with the square of
// fields sharing a response key. A document too short to hold more than
// maxSameKey fields (each takes at least two bytes) is not parsed here, nor
// one already in the cache of validated documents.
func (e limitsExtension) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	l := e.limits.withDefaults()
	if len(p.Query) < 2*maxSameKey {
		return nil
	}
	if e.parsed != nil {
		if _, ok := e.parsed.Get(ctx, p.Query); ok {
			return nil
		}
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, l.MaxTokens)
	if err != nil {
		return nil // gqlgen reports it, with the same token limit
	}
	if n := countSelections(doc); n > l.MaxFields {
		return tooComplex(fmt.Sprintf("the query writes %d selections, over the limit of %d", n, l.MaxFields),
			map[string]any{"fields": n, "limit": l.MaxFields})
	}
	if n := sameKeyCounts(doc); n > maxSameKey {
		return tooComplex(fmt.Sprintf("%d fields answer to one response key in one selection set, over the limit of %d: alias them", n, maxSameKey),
			map[string]any{"sameKey": n, "limit": maxSameKey})
	}
	return nil
}

// MutateOperationContext checks cost and depth once the document is valid.
func (e limitsExtension) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	l := e.limits.withDefaults()
	c, _ := operationCost(oc.Operation, oc.Variables)
	if holder, ok := ctx.Value(costKey{}).(*measuredCost); ok {
		holder.cost, holder.intro, holder.depth = c.cost, c.intro, c.depth
	}
	switch {
	case c.depth > l.MaxDepth:
		return &gqlerror.Error{Message: fmt.Sprintf("query depth %d is over the limit of %d", c.depth, l.MaxDepth),
			Extensions: map[string]any{"code": errcode.TooDeep, "depth": c.depth, "limit": l.MaxDepth}}
	case c.introspectionDep > l.MaxIntrospectionDepth:
		return &gqlerror.Error{Message: fmt.Sprintf("introspection depth %d is over the limit of %d", c.introspectionDep, l.MaxIntrospectionDepth),
			Extensions: map[string]any{"code": errcode.TooDeep, "depth": c.introspectionDep, "limit": l.MaxIntrospectionDepth}}
	case c.cost > l.MaxCost:
		return tooComplex(fmt.Sprintf("query cost %d is over the limit of %d: ask for fewer items (first) or fewer levels", c.cost, l.MaxCost),
			map[string]any{"cost": c.cost, "limit": l.MaxCost})
	case c.schemas > maxSchemaSelections:
		return tooComplex(fmt.Sprintf("%d __schema selections: at most %d per operation", c.schemas, maxSchemaSelections),
			map[string]any{"schemaSelections": c.schemas, "limit": maxSchemaSelections})
	case c.intro > l.MaxIntrospectionCost:
		return tooComplex(fmt.Sprintf("introspection cost %d is over the limit of %d", c.intro, l.MaxIntrospectionCost),
			map[string]any{"cost": c.intro, "limit": l.MaxIntrospectionCost})
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
	if holder, ok := ctx.Value(costKey{}).(*measuredCost); ok {
		if resp.Extensions == nil {
			resp.Extensions = map[string]any{}
		}
		resp.Extensions["cost"] = map[string]any{"cost": holder.cost, "introspectionCost": holder.intro, "depth": holder.depth, "limit": e.limits.withDefaults().MaxCost}
	}
	return resp
}

// withCostHolder gives the request a place for its computed cost.
func withCostHolder(ctx context.Context) context.Context {
	return context.WithValue(ctx, costKey{}, &measuredCost{})
}
