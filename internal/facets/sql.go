package facets

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"entitygraph/internal/entitykey"
)

// sqlDialect renders DuckDB SQL: every value a bound parameter.
type sqlDialect struct{}

func (sqlDialect) name() string                       { return "SQL" }
func (sqlDialect) facet(f *Facet, w *writer, q Query) { renderSQL(f, w, q) }
func (sqlDialect) ident(name string) string           { return QuoteSQLIdent(name) }

func (sqlDialect) literal(w *writer, v string) {
	w.args = append(w.args, v)
	w.s("?")
}

// elem reads a string field of the current array element, "" when absent
// (Kusto's tostring of a missing value).
func (sqlDialect) elem(w *writer, field string) {
	path := "$"
	if field != "" {
		path = jsonPath([]string{field})
	}
	w.s("coalesce(json_extract_string(_e, ")
	w.literal(path)
	w.s("), '')")
}

var sqlTemplates = map[string]string{
	"eq":          "($0 = $1)",
	"ne":          "($0 <> $1)",
	"gt":          "($0 > $1)",
	"in":          "($0 in ($rest))",
	"not":         "(NOT $0)",
	"lower":       "lower($0)",
	"startswith":  "starts_with($0, $1)",
	"contains":    "contains($0, $1)",
	"if":          "(CASE WHEN $0 THEN $1 ELSE $2 END)",
	"concat":      "concat($*)",
	"isempty":     "(coalesce(CAST($0 AS VARCHAR), '') = '')",
	"lastsegment": "string_split($0, $1)[-1]",
	"shortname":   entitykey.HostSQL,
	"istrue":      "coalesce($0, false)",
	"tostring":    "coalesce(CAST($0 AS VARCHAR), '')",
	// The text the KQL's two extractions find (userPartRegexes): before
	// the first @ when that is not empty and holds no backslash; else after
	// the first backslash when something precedes it and what follows is
	// one line (RE2's . stops at a newline); else the value itself.
	// chr(92) is the backslash, chr(10) the newline.
	"userpart": "coalesce(CASE WHEN strpos($0, '@') > 1 AND strpos(left($0, strpos($0, '@') - 1), chr(92)) = 0 THEN left($0, strpos($0, '@') - 1) END, " +
		"CASE WHEN strpos($0, chr(92)) > 1 AND length($0) > strpos($0, chr(92)) AND strpos(substr($0, strpos($0, chr(92)) + 1), chr(10)) = 0 THEN substr($0, strpos($0, chr(92)) + 1) END, " +
		"nullif($0, ''))",
}

func (sqlDialect) call(w *writer, e callExpr) {
	a := e.args
	if t, ok := sqlTemplates[e.op]; ok {
		w.template(t, a)
		return
	}
	switch e.op {
	case "and", "or":
		w.s("(")
		w.list(a, " "+strings.ToUpper(e.op)+" ")
		w.s(")")
	case "coalesce": // Kusto's coalesce skips empty strings, SQL's only NULLs
		w.s("coalesce(")
		for i, x := range a {
			if i > 0 {
				w.s(", ")
			}
			w.template("nullif($0, '')", []Expr{x})
		}
		w.s(")")
	case "extract":
		w.template("regexp_extract($0, ", a)
		w.literal(e.re)
		w.s(fmt.Sprintf(", %d)", e.n))
	case "jsonstr":
		// Malformed JSON yields '' (Kusto's tostring of a missing value),
		// not a failed query.
		w.template("coalesce(json_extract_string(CASE WHEN json_valid($0) THEN $0 END, ", a)
		w.literal(jsonPath(e.path))
		w.s("), '')")
	case "bucket":
		// One explicit origin, the Unix epoch, in both dialects.
		w.s(fmt.Sprintf("time_bucket(INTERVAL '%d seconds', %s, TIMESTAMP '1970-01-01 00:00:00')", bucketSeconds(w), QuoteSQLIdent(w.time)))
	default:
		unknown(w, e.op)
	}
}

// bucketSeconds is the query's bucket width (an hour when unset).
func bucketSeconds(w *writer) int64 {
	secs := int64(w.q.Bucket / time.Second)
	if secs < 1 {
		secs = 3600
	}
	return secs
}

// sqlAggregate writes a summary aggregate.
func sqlAggregate(w *writer, a Agg) {
	switch a.Fn {
	case "sum", "max", "min":
		w.s(a.Fn, "(")
		w.expr(a.Expr)
		w.s(")")
	case "dcount":
		w.s("count(DISTINCT ")
		w.expr(a.Expr)
		w.s(")")
	case "make_set":
		w.s("list_sort(list_distinct(list(")
		w.expr(a.Expr)
		w.s(")))")
	case "countif":
		w.s("count(*) FILTER (WHERE ")
		w.expr(a.Expr)
		w.s(")")
	default:
		w.fail(fmt.Errorf("facets: SQL cannot write the aggregate %q", a.Fn))
	}
}

func renderSQL(f *Facet, w *writer, q Query) {
	if len(f.members) > 0 {
		w.fail(errors.New("SQL renders no groups: DuckDB gains nothing from one (facets.Group)"))
		return
	}
	t := QuoteSQLIdent(f.Time)
	// isKey writes the test that a candidate value is one of the keys. A
	// computed value is tested against a list, where IN (a, b) computes it
	// once per key (account.signins over 1M rows for a person's two forms:
	// 353 → 246 ms); a column keeps IN, filtered in the scan.
	isKey := func(v Expr) {
		list := w.forms // every identifier the query looks for, once
		if _, column := v.(colExpr); column || len(list) == 1 || len(list) > maxInlineSet {
			w.expr(v)
			w.s(" IN (")
			sqlSet(w, list)
			w.s(")")
			return
		}
		w.s("list_contains(")
		sqlList(w, list)
		w.s(", ")
		w.expr(v)
		w.s(")")
	}
	single := f.singleColumn() && !w.aliased
	// joined: the identifiers a row holds are unnested and joined to the
	// keys they stand for (_k), once per key and row — a hash join, where
	// matching each row's list against every key's cost grows with both.
	joined := !f.Keys.All && !single
	// byRowID: aliased keys (people, whose several forms a row may hold)
	// and many keys meet rows on row ids alone, and whole rows join the
	// matched pairs after: the unnest and the de-duplication carry two
	// columns, not every column read, and a page is chosen on the columns
	// that order it. It pays where many rows are read (×10 demo:
	// account.signins for 27 people 155 → 67 ms; 100 addresses'
	// ip.relatedAccounts.officeActivity 34 → 21 ms) and costs on small
	// tables (the same at scale 1: 6.5 → 9.4 ms); a few plain keys keep
	// the one-pass shape.
	byRowID := joined && (w.aliased || len(w.forms) > maxInlineSet)
	paged := byRowID && (f.Kind == Events || f.Kind == Latest) && !f.countsOnly(q)
	// identifiers writes the list of identifiers a row holds.
	identifiers := func() {
		w.s("unnest(list_distinct(flatten([")
		var parts int
		sep := func() {
			if parts > 0 {
				w.s(", ")
			}
			parts++
		}
		if len(f.Keys.Columns)+len(f.Keys.Values) > 0 {
			sep()
			w.s("[")
			w.list(f.scalars(), ", ")
			w.s("]")
		}
		for _, x := range f.Keys.Texts {
			for _, re := range ipTokens {
				sep()
				w.s("coalesce(regexp_extract_all(")
				w.expr(x)
				w.s(", ")
				w.literal(re)
				w.s(", 1), [])")
			}
		}
		for _, a := range f.Keys.Arrays {
			forms := a.Forms
			if len(forms) == 0 {
				forms = []Expr{Elem("")}
			}
			col := QuoteSQLIdent(a.Column)
			for _, form := range forms {
				sep()
				// Malformed JSON in one row yields no keys, not a failed query.
				w.s("coalesce(list_transform(CASE WHEN json_valid(", col, ") THEN json_extract(", col, ", '$[*]') END, _e -> ")
				w.expr(form)
				w.s("), [])")
			}
		}
		w.s("])))")
	}
	if joined {
		forms, owners := w.forms, w.owners // each identifier once
		w.s("WITH _k(_id, _key) AS (SELECT unnest(")
		sqlList(w, forms)
		w.s("), unnest(")
		sqlList(w, owners)
		if byRowID {
			w.s(")), _r AS (SELECT rowid AS _rid")
		} else {
			w.s(")), _c AS (SELECT ")
			identifiers()
			w.s(" AS _id, rowid AS _rid")
		}
	} else {
		w.s("WITH _b AS (SELECT ")
		if f.Keys.All {
			w.literal(q.Keys[0])
		} else {
			w.s(QuoteSQLIdent(f.Keys.Columns[0]))
		}
		w.s(" AS _key")
		if f.Kind == Events {
			// The row id breaks ties of equal times and record ids (exports
			// without _ItemId), so a page never repeats or skips a row.
			w.s(", rowid AS _rid")
		}
	}
	// A narrow answer reads only the columns it needs: every operator
	// after the scan carries what it is given, and a wide table's
	// hundreds of columns cost more than its rows.
	if in := f.inputs(q); in != nil {
		w.s(", ")
		for i, c := range in {
			if i > 0 {
				w.s(", ")
			}
			w.s(QuoteSQLIdent(c))
		}
		w.s(" FROM ", QuoteSQLIdent(f.Table), " WHERE ", t, " >= ")
	} else {
		w.s(", * FROM ", QuoteSQLIdent(f.Table), " WHERE ", t, " >= ")
	}
	w.args = append(w.args, q.Start.UTC())
	w.s("? AND ", t, " <= ")
	w.args = append(w.args, q.End.UTC())
	w.s("?")
	switch {
	case single:
		w.s(" AND ")
		isKey(Col(f.Keys.Columns[0]))
	case !f.Keys.All && f.scalarOnly():
		w.s(" AND (")
		for i, v := range f.scalars() {
			if i > 0 {
				w.s(" OR ")
			}
			isKey(v)
		}
		w.s(")")
	case !f.Keys.All && sqlPrefilterable(f, w, q):
		// As in the KQL: addresses inside text, and array elements inside
		// JSON text, are pre-selected with a substring test per key (a
		// match is always a substring), then the exact match decides.
		ids := q.Keys
		if w.aliased {
			ids = w.forms
		}
		w.s(" AND (")
		n := 0
		or := func() {
			if n > 0 {
				w.s(" OR ")
			}
			n++
		}
		for _, v := range f.scalars() {
			or()
			isKey(v)
		}
		substrings := func(text func()) {
			for _, k := range ids {
				or()
				w.s("contains(lower(")
				text()
				w.s("), ")
				w.literal(strings.ToLower(k))
				w.s(")")
			}
		}
		for _, x := range f.Keys.Texts {
			substrings(func() { w.expr(x) })
		}
		for _, a := range f.Keys.Arrays {
			substrings(func() { w.s(QuoteSQLIdent(a.Column)) })
		}
		w.s(")")
	}
	for _, in := range q.In {
		w.s(" AND ", QuoteSQLIdent(in.Column), " IN (")
		sqlSet(w, in.Values)
		w.s(")")
	}
	// A row's identifiers are distinct, and so are unaliased keys: each row
	// meets each key at most once. Aliased keys meet a row once per form
	// it holds, hence DISTINCT.
	if joined && !byRowID {
		w.s("), _b AS (SELECT ")
		if w.aliased {
			w.s("DISTINCT ON (_rid, _k._key) ")
		}
		w.s("_k._key, _c.* EXCLUDE (_id")
		if f.Kind != Events {
			w.s(", _rid")
		}
		w.s(") FROM _c JOIN _k ON _c._id = _k._id")
	}
	if byRowID {
		w.s("), _c AS (")
		if f.scalarOnly() {
			// One select per form: no list built and unnested per row.
			for i, v := range f.scalars() {
				if i > 0 {
					w.s(" UNION ALL ")
				}
				w.s("SELECT ")
				w.expr(v)
				w.s(" AS _id, _rid FROM _r")
			}
		} else {
			w.s("SELECT ")
			identifiers()
			w.s(" AS _id, _rid FROM _r")
		}
		// Totals alone of a facet that filters and derives nothing need
		// only the matched pairs: no row is joined back (account.signins
		// for the pivot's 27 people, ×10 demo: ~124k pairs).
		pairsOnly := f.countsOnly(q) && len(f.Where) == 0 && len(f.Extend) == 0
		w.s("), _b AS (SELECT _j._key")
		switch {
		case pairsOnly:
		case paged:
			// Pages are chosen on the columns that filter and order them;
			// their rows are read whole after (sqlPage).
			w.s(", _r._rid")
			for _, c := range f.pageColumns() {
				w.s(", _r.", QuoteSQLIdent(c))
			}
		case f.Kind == Events:
			w.s(", _r.*")
		default:
			w.s(", _r.* EXCLUDE (_rid)")
		}
		w.s(" FROM (SELECT ")
		if w.aliased || (f.scalarOnly() && len(f.scalars()) > 1) {
			w.s("DISTINCT ") // two forms of a row, one select each, may be equal
		}
		w.s("_k._key, _c._rid FROM _c JOIN _k ON _c._id = _k._id) _j")
		if !pairsOnly {
			w.s(" JOIN _r ON _r._rid = _j._rid")
		}
	}
	w.s("), _m AS (SELECT *")
	for _, e := range f.Extend {
		w.s(", ")
		w.expr(e.Expr)
		w.s(" AS ", QuoteSQLIdent(e.Name))
	}
	w.s(" FROM _b)")
	w.s(" SELECT ")
	switch {
	case f.countsOnly(q):
		w.s("_key, count(*) AS ", TotalColumn, " FROM _m")
		sqlWhere(f, w)
		w.s(" GROUP BY _key ORDER BY _key")
	case paged:
		sqlPage(f, w, q)
	case f.Kind == Events || f.Kind == Latest:
		off, lim := f.limit(q)
		if !q.AllColumns && len(f.Columns) > 0 {
			w.s("_key")
			for _, c := range f.narrow() {
				w.s(", ", QuoteSQLIdent(c))
			}
		} else if f.Kind == Events {
			w.s("* EXCLUDE (_rid)")
		} else {
			w.s("*")
		}
		if f.Kind == Events && !q.NoTotal {
			w.s(", count(*) OVER (PARTITION BY _key) AS _total")
		}
		w.s(" FROM _m")
		sqlWhere(f, w)
		order := t + " DESC"
		if f.Kind == Events {
			order += ", " + QuoteSQLIdent(ItemID) + ", _rid"
		}
		w.s(fmt.Sprintf(" QUALIFY row_number() OVER (PARTITION BY _key ORDER BY %s) BETWEEN %d AND %d", order, off+1, off+lim))
		w.s(" ORDER BY _key, ", order)
	case f.Kind == Summary:
		w.s("_key")
		for _, b := range f.Summary.By {
			w.s(", ", QuoteSQLIdent(b))
		}
		w.s(", count(*) AS \"Count\", min(", t, ") AS \"FirstSeen\", max(", t, ") AS \"LastSeen\"")
		for _, a := range f.Summary.Aggs {
			w.s(", ")
			sqlAggregate(w, a)
			w.s(" AS ", QuoteSQLIdent(a.Name))
		}
		w.s(" FROM _m")
		sqlWhere(f, w)
		// Ties at the cap are broken by the group columns, ascending, nulls
		// last — written out, as in the KQL, so both keep the same groups.
		var by, order strings.Builder
		for _, b := range f.Summary.By {
			by.WriteString(", " + QuoteSQLIdent(b))
			order.WriteString(", " + QuoteSQLIdent(b) + " ASC NULLS LAST")
		}
		w.s(" GROUP BY _key", by.String(), " QUALIFY row_number() OVER (PARTITION BY _key ORDER BY count(*) DESC", order.String(),
			fmt.Sprintf(") <= %d ORDER BY _key, \"Count\" DESC", f.Summary.limit()), order.String())
	}
}

// sqlPage chooses each key's page on _m's narrow rows, then joins the
// page's rows to their columns in _r: the window sorts a few columns of
// every matched row, not every column.
func sqlPage(f *Facet, w *writer, q Query) {
	t := QuoteSQLIdent(f.Time)
	off, lim := f.limit(q)
	order := t + " DESC"
	if f.Kind == Events {
		order += ", " + QuoteSQLIdent(ItemID) + ", _rid"
	}
	derived := map[string]bool{}
	w.s("_p._key")
	for _, e := range f.Extend {
		derived[e.Name] = true
	}
	if !q.AllColumns && len(f.Columns) > 0 {
		for _, c := range f.narrow() {
			if derived[c] {
				w.s(", _p.", QuoteSQLIdent(c))
			} else {
				w.s(", _r.", QuoteSQLIdent(c))
			}
		}
	} else {
		w.s(", _r.* EXCLUDE (_rid)")
		for _, e := range f.Extend {
			w.s(", _p.", QuoteSQLIdent(e.Name))
		}
	}
	total := f.Kind == Events && !q.NoTotal
	if total {
		w.s(", _p._total")
	}
	if f.Kind == Events && len(f.Extend) == 0 {
		// Each key's page as a top-N per group: one hashed pass over the
		// matched rows, where a window sorts them all. The order is the
		// window's: time descending, then record id, then row id.
		w.s(" FROM (SELECT _key, _total, _o.r AS _rid FROM (SELECT _key, _total, unnest(_top) AS _o FROM (SELECT _key, count(*) AS _total, ")
		w.s(fmt.Sprintf("list_slice(list_sort(arg_min(_o, _o, %d)), %d, %d) AS _top", off+lim, off+1, off+lim))
		w.s(" FROM (SELECT _key, {'t': -epoch_us(", t, "), 'i': ", QuoteSQLIdent(ItemID), ", 'r': _rid} AS _o FROM _m")
		sqlWhere(f, w)
		w.s(") GROUP BY _key))) _p JOIN _r ON _r._rid = _p._rid ORDER BY _p._key, _r.", t, " DESC, _r.", QuoteSQLIdent(ItemID), ", _p._rid")
		return
	}
	w.s(" FROM (SELECT _key, _rid, ", t)
	if f.Kind == Events {
		w.s(", ", QuoteSQLIdent(ItemID))
	}
	for _, e := range f.Extend {
		w.s(", ", QuoteSQLIdent(e.Name))
	}
	if total {
		w.s(", count(*) OVER (PARTITION BY _key) AS _total")
	}
	w.s(" FROM _m")
	sqlWhere(f, w)
	w.s(fmt.Sprintf(" QUALIFY row_number() OVER (PARTITION BY _key ORDER BY %s) BETWEEN %d AND %d", order, off+1, off+lim))
	w.s(") _p JOIN _r ON _r._rid = _p._rid ORDER BY _p._key, _p.", t, " DESC")
	if f.Kind == Events {
		w.s(", _p.", QuoteSQLIdent(ItemID), ", _p._rid")
	}
}

// sqlList binds a list of strings as one parameter. DuckDB plans a
// statement with parameters anew at every run, and that costs more with
// every parameter: 270 identifiers bound one by one took longer to plan
// than to run.
func sqlList(w *writer, values []string) {
	w.args = append(w.args, append([]string{}, values...))
	w.s("CAST(? AS VARCHAR[])")
}

// sqlSet writes the inside of an IN (…) over values: a few as parameters
// (a comparison each, filtered in the scan), more as one list parameter
// (a hash semi-join, planned at the same cost for any count).
func sqlSet(w *writer, values []string) {
	if len(values) <= maxInlineSet {
		for i, v := range values {
			if i > 0 {
				w.s(", ")
			}
			w.literal(v)
		}
		return
	}
	w.s("SELECT unnest(")
	sqlList(w, values)
	w.s(")")
}

// maxInlineSet is the most values an IN (…) lists one by one (ip.netflows,
// one key: 3.1 ms with a parameter, 4.4 ms with a one-element list).
const maxInlineSet = maxSubstringKeys

// maxSubstringKeys bounds the identifiers pre-selected by substring: each
// is a test on every row, and past a few the extraction and hash join
// alone cost less (100 addresses: 1.4× slower with the substring tests).
const maxSubstringKeys = 16

// sqlPrefilterable says whether every source of keys of a facet with
// text or array keys has a condition that keeps each row it can match
// (the KQL's rule): arrays only when their forms are plain element fields
// and the identifiers appear verbatim in JSON.
func sqlPrefilterable(f *Facet, w *writer, q Query) bool {
	if len(f.Keys.Texts)+len(f.Keys.Arrays) == 0 {
		return false
	}
	ids := q.Keys
	if w.aliased {
		ids = w.forms
	}
	if len(ids) > maxSubstringKeys {
		return false
	}
	for _, a := range f.Keys.Arrays {
		if !a.prefilterable() || !jsonVerbatim(ids) {
			return false
		}
	}
	return true
}

func sqlWhere(f *Facet, w *writer) {
	if len(f.Where) == 0 {
		return
	}
	w.s(" WHERE ")
	w.list(f.Where, " AND ")
}
