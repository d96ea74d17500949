package resolvers

import (
	"context"
	"errors"

	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"entitygraph/graph/model"
	"entitygraph/graph/relay"
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
	fetch := limit
	if fetch == 0 || !wantsNodes(ctx) {
		fetch = 1 // still learn the total; no node is read or built
	}
	q := spanQuery(span)
	q.Offset, q.Limit, q.AllColumns = offset, fetch, wantsColumns(ctx)
	rows, err = loadQuery(ctx, f, q, key)
	if err != nil {
		return nil, 0, 0, err
	}
	if len(rows) > 0 {
		total = intOf(rows[0][facets.TotalColumn])
	} else if offset > 0 {
		// Past the end: learn the total from the first page.
		q.Offset, q.Limit = 0, 1
		first, err := loadQuery(ctx, f, q, key)
		if err != nil {
			return nil, 0, 0, err
		}
		if len(first) > 0 {
			total = intOf(first[0][facets.TotalColumn])
		}
	}
	if len(rows) > limit {
		rows = rows[:limit]
	}
	if !wantsNodes(ctx) {
		rows = nil
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

// readsKey marks a recording row (recordReads): every column a decoder
// reads through get is noted, so a test can hold each decoder to the
// columns its facets project.
const readsKey = "\x00reads"

// get reads one column of a row: every typed getter goes through it.
func get(r row, col string) any {
	if log, ok := r[readsKey].(*[]string); ok {
		*log = append(*log, col)
		return nil
	}
	return r[col]
}

// recordReads returns an empty row that records the columns read from it.
func recordReads() (row, *[]string) {
	log := &[]string{}
	return row{readsKey: log}, log
}

// intCol reads a count or number column.
func intCol(r row, col string) int { return intOf(get(r, col)) }

// columns is the row as users see it: every table column, no internals.
func columns(r row) map[string]any {
	if _, ok := r[readsKey]; ok {
		return nil
	}
	out := make(map[string]any, len(r))
	for k, v := range r {
		if k != facets.KeyColumn && k != facets.TotalColumn {
			out[k] = v
		}
	}
	return out
}

func str(r row, col string) *string {
	switch v := get(r, col).(type) {
	case nil:
		return nil
	case string:
		if v == "" {
			return nil
		}
		return &v
	case map[string]any, []any:
		b, _ := json.Marshal(v)
		s := string(b)
		return &s
	case float64:
		s := strconv.FormatFloat(v, 'f', -1, 64)
		return &s
	case time.Time:
		s := v.Format(time.RFC3339Nano)
		return &s
	default:
		s := strings.TrimSpace(strings.Trim(strconvAny(v), `"`))
		return &s
	}
}

func strconvAny(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func strOr(r row, col, def string) string {
	if s := str(r, col); s != nil {
		return *s
	}
	return def
}

func intOf(v any) int {
	switch x := v.(type) {
	case int64:
		return int(x)
	case int:
		return x
	case float64:
		if math.IsNaN(x) {
			return 0
		}
		return int(x)
	case string:
		n, _ := strconv.Atoi(x)
		return n
	}
	return 0
}

func intp(r row, col string) *int {
	v := get(r, col)
	if v == nil {
		return nil
	}
	n := intOf(v)
	return &n
}

func timep(r row, col string) *time.Time {
	if t, ok := get(r, col).(time.Time); ok {
		return &t
	}
	return nil
}

func jsonValue(r row, col string) any {
	switch v := get(r, col).(type) {
	case string:
		var out any
		if json.Unmarshal([]byte(v), &out) == nil {
			return out
		}
		return v
	default:
		return v
	}
}

// list reads a dynamic array, a JSON array in text, or a comma-separated
// list into sorted, distinct non-empty strings.
func list(r row, col string) []string {
	var items []string
	switch v := jsonValue(r, col).(type) {
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				items = append(items, s)
			} else if x != nil {
				items = append(items, strconvAny(x))
			}
		}
	case string:
		items = strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == ';' || c == ' ' })
	}
	seen := map[string]bool{}
	out := []string{}
	for _, s := range items {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
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
