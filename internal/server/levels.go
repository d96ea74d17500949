package server

import (
	"context"
	"reflect"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"entitygraph/internal/loaders"
)

// levelExtension reports every field the executor runs to the request's
// loaders.Levels: the root fields up front, then, as each field returns,
// how many child fields the executor will start for its result. The
// loaders dispatch a level's batches as soon as every field of it waits,
// instead of after a fixed window.
//
// Counting children is a promise; where it cannot be kept exactly (an
// abstract type whose member is not recognised, @defer, a subscription)
// the request falls back to the window.
type levelExtension struct{ schema *ast.Schema }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
	graphql.FieldInterceptor
} = levelExtension{}

func (levelExtension) ExtensionName() string                   { return "Levels" }
func (levelExtension) Validate(graphql.ExecutableSchema) error { return nil }

type levelCtxKey struct{}

func (e levelExtension) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	l, err := loaders.For(ctx)
	if err != nil || oc.Operation == nil || oc.Operation.Operation != ast.Query || usesDefer(oc.Operation.SelectionSet, map[string]bool{}) {
		return next(ctx)
	}
	c := &fieldCounter{schema: e.schema, oc: oc, levels: l.TrackLevels()}
	roots := c.fields(e.schema.Query.Name, oc.Operation.SelectionSet)
	c.levels.Expect(roots)
	return next(context.WithValue(ctx, levelCtxKey{}, c))
}

func (levelExtension) InterceptField(ctx context.Context, next graphql.Resolver) (res any, err error) {
	c, _ := ctx.Value(levelCtxKey{}).(*fieldCounter)
	fc := graphql.GetFieldContext(ctx)
	if c == nil || fc == nil || !counted(fc.Field.Name, fc.Object) {
		return next(ctx)
	}
	children := 0
	defer func() { c.levels.Done(children) }()
	res, err = next(ctx)
	if err == nil && res != nil && len(fc.Field.Selections) > 0 {
		children = c.children(fc.Field.Definition.Type.Name(), fc.Field.Selections, reflect.ValueOf(res))
	}
	return res, err
}

// counted says whether the executor runs a field through the field
// interceptors: __typename is written inline, introspection is not data.
func counted(field, object string) bool {
	return !strings.HasPrefix(field, "__") && !strings.HasPrefix(object, "__")
}

// fieldCounter counts the fields the executor will start for a value.
type fieldCounter struct {
	schema *ast.Schema
	oc     *graphql.OperationContext
	levels *loaders.Levels

	memo sync.Map // fieldsKey → int
}

type fieldsKey struct {
	set  *ast.Selection // the selection set's first element: one per set in the document
	typ  string
	size int
}

// children counts the fields started for a field's result v of GraphQL
// type named: its objects' selected fields, through lists.
func (c *fieldCounter) children(named string, sel ast.SelectionSet, v reflect.Value) int {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return 0
		}
		v = v.Elem()
	}
	if !v.IsValid() {
		return 0
	}
	if v.Kind() == reflect.Slice || v.Kind() == reflect.Array {
		n := 0
		for i := 0; i < v.Len(); i++ {
			n += c.children(named, sel, v.Index(i))
		}
		return n
	}
	def := c.schema.Types[named]
	if def == nil {
		c.levels.Off()
		return 0
	}
	typ := named
	if def.Kind == ast.Interface || def.Kind == ast.Union {
		typ = c.member(def, v.Type())
		if typ == "" {
			c.levels.Off()
			return 0
		}
	}
	return c.fields(typ, sel)
}

// member names the object type of an abstract type that a Go model is
// (gqlgen names models after their types: IpAddress is model.IPAddress).
func (c *fieldCounter) member(def *ast.Definition, t reflect.Type) string {
	for _, m := range c.schema.GetPossibleTypes(def) {
		if strings.EqualFold(m.Name, t.Name()) {
			return m.Name
		}
	}
	return ""
}

// fields counts the fields of sel the executor starts on an object of type
// typ, fragments and @skip/@include applied.
func (c *fieldCounter) fields(typ string, sel ast.SelectionSet) int {
	if len(sel) == 0 {
		return 0
	}
	k := fieldsKey{set: &sel[0], typ: typ, size: len(sel)}
	if n, ok := c.memo.Load(k); ok {
		return n.(int)
	}
	n := 0
	satisfies := []string{typ}
	if def := c.schema.Types[typ]; def != nil {
		satisfies = append(satisfies, def.Interfaces...)
	}
	for _, f := range graphql.CollectFields(c.oc, sel, satisfies) {
		if counted(f.Name, typ) {
			n++
		}
	}
	c.memo.Store(k, n)
	return n
}
