package resolvers

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"entitygraph/graph/model"
	"entitygraph/graph/relay"
	"entitygraph/internal/decode"
	"entitygraph/internal/facets"
	"entitygraph/internal/loaders"
	"entitygraph/internal/sources"
)

type row = sources.Row

// spanQuery is the query template of an entity's timespan.
func spanQuery(span model.Span) facets.Query {
	return facets.Query{Start: span.Start, End: span.End}
}

// load runs one facet for one key over the entity's timespan.
func load(ctx context.Context, f *facets.Facet, span model.Span, key string) ([]row, error) {
	return loadQuery(ctx, f, spanQuery(span), key)
}

// loadQuery runs one facet for one key through the request's loaders.
func loadQuery(ctx context.Context, f *facets.Facet, q facets.Query, key string) ([]row, error) {
	l, err := loaders.For(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := l.Load(ctx, f, q, key)
	var partial *sources.PartialError
	if errors.As(err, &partial) {
		addError(ctx, sourceError(ctx, f, l.SourceName(), err)) // the rows stand, with a warning
		return rows, nil
	}
	if err != nil {
		return nil, sourceError(ctx, f, l.SourceName(), err)
	}
	return rows, nil
}

// loadPage runs an Events facet for one page of one key. When the
// connection does not select totalCount, the count is not computed: one
// row past the page says whether there is a next one, and total is then
// only good for pageInfo (offset + rows read).
func loadPage(ctx context.Context, f *facets.Facet, span model.Span, key string, first *int, after *string) (rows []row, offset, total int, err error) {
	offset, limit, err := page(ctx, first, after)
	if err != nil {
		return nil, 0, 0, err
	}
	if !wantsTotal(ctx) {
		q := spanQuery(span)
		q.Offset, q.Limit, q.AllColumns, q.NoTotal = offset, limit+1, wantsColumns(ctx), true
		if rows, err = loadQuery(ctx, f, q, key); err != nil {
			return nil, 0, 0, err
		}
		total = offset + len(rows)
		if len(rows) > limit {
			rows = rows[:limit]
		}
		return rows, offset, total, nil
	}
	totals := spanQuery(span) // Limit 0: each key's total alone, a count; no row read or sorted
	q := totals
	q.Offset, q.Limit, q.AllColumns = offset, limit, wantsColumns(ctx)
	counts := limit == 0 || !wantsNodes(ctx)
	if counts {
		q = totals
	}
	rows, err = loadQuery(ctx, f, q, key)
	if err != nil {
		return nil, 0, 0, err
	}
	if len(rows) > 0 {
		total = decode.IntOf(rows[0][facets.TotalColumn])
	} else if offset > 0 && !counts {
		// Past the end: learn the total by a count.
		counted, err := loadQuery(ctx, f, totals, key)
		if err != nil {
			return nil, 0, 0, err
		}
		if len(counted) > 0 {
			total = decode.IntOf(counted[0][facets.TotalColumn])
		}
	}
	if counts {
		rows = nil
	} else if len(rows) > limit {
		rows = rows[:limit]
	}
	return rows, offset, total, nil
}

// wantsNodes reports whether the connection being resolved selects its
// nodes, edges or pageInfo (a bare totalCount needs no row).
func wantsNodes(ctx context.Context) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return true
	}
	for _, f := range []string{"nodes", "edges", "pageInfo"} {
		if selects(fc.Field.Selections, f) {
			return true
		}
	}
	return false
}

// wantsTotal reports whether the connection being resolved selects
// totalCount.
func wantsTotal(ctx context.Context) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return true
	}
	return selects(fc.Field.Selections, "totalCount")
}

// wantsColumns reports whether the connection being resolved selects
// "columns" on its nodes (or edges' nodes): only then are all table
// columns fetched.
func wantsColumns(ctx context.Context) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return true
	}
	for _, sel := range Fields(fc.Field.Selections) {
		switch sel.Name {
		case "nodes":
			if selects(sel.SelectionSet, "columns") {
				return true
			}
		case "edges":
			for _, e := range Fields(sel.SelectionSet) {
				if e.Name == "node" && selects(e.SelectionSet, "columns") {
					return true
				}
			}
		}
	}
	return false
}

// Fields lists the fields of a selection set, fragments included.
func Fields(set ast.SelectionSet) []*ast.Field {
	var out []*ast.Field
	for _, s := range set {
		switch x := s.(type) {
		case *ast.Field:
			out = append(out, x)
		case *ast.InlineFragment:
			out = append(out, Fields(x.SelectionSet)...)
		case *ast.FragmentSpread:
			if x.Definition != nil {
				out = append(out, Fields(x.Definition.SelectionSet)...)
			}
		}
	}
	return out
}

func selects(set ast.SelectionSet, name string) bool {
	for _, f := range Fields(set) {
		if f.Name == name {
			return true
		}
	}
	return false
}

// connection converts a page of rows into nodes and edges.
func connection[N, E any](rows []row, offset, total int, node func(row) *N, edge func(cursor string, n *N) *E) ([]*N, []*E, *model.PageInfo) {
	return relay.Edges(rows, offset, total, node, edge)
}

// latest returns the newest row of a Latest facet, or nil.
func latest(ctx context.Context, f *facets.Facet, span model.Span, key string) (row, error) {
	q := spanQuery(span)
	if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Field.Field != nil && selects(fc.Field.Selections, "columns") {
		q.AllColumns = true // the whole row was asked for
	}
	rows, err := loadQuery(ctx, f, q, key)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return rows[0], nil
}

// parallel runs one key's look-ups concurrently and returns their results in order.
func parallel(ctx context.Context, fs []*facets.Facet, q facets.Query, key string) ([][]row, []error) {
	rows := make([][]row, len(fs))
	errs := make([]error, len(fs))
	var misses []int
	if l, err := loaders.For(ctx); err == nil {
		for i, f := range fs {
			if r, ok := l.Cached(ctx, f, q, key); ok {
				rows[i] = r
				continue
			}
			misses = append(misses, i)
		}
	} else {
		for i := range fs {
			misses = append(misses, i)
		}
	}
	missErrs := loaders.Each(ctx, len(misses), func(j int) (err error) {
		i := misses[j]
		rows[i], err = loadQuery(ctx, fs[i], q, key)
		return err
	})
	for j, i := range misses {
		errs[i] = missErrs[j]
	}
	return rows, errs
}

// combine keeps the results of the sources that answered. Missing tables
// are normal; any other failure becomes the field's error alongside the
// data of the others, and only when every source failed is the field null.
func combine(ctx context.Context, errs []error) (fatal error) {
	var failed []error
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, sources.ErrTableUnavailable):
		default:
			failed = append(failed, err)
		}
	}
	if ok == 0 && len(failed) == 0 && len(errs) > 0 {
		return errs[0] // every table missing: say so
	}
	if ok == 0 && len(failed) > 0 {
		return failed[0]
	}
	for _, err := range failed {
		addError(ctx, err)
	}
	return nil
}
