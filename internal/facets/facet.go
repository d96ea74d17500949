// Package facets describes every log facet once, as data, and renders it to
// DuckDB SQL (values bound as parameters) and to KQL (values escaped). A
// facet never does I/O: sources execute the statements it renders.
package facets

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Kind says what a facet returns per key.
type Kind int

// Facet kinds.
const (
	Events  Kind = iota // table rows, newest first, paged per key, with a per-key total
	Latest              // the newest row per key
	Summary             // rows grouped by Summary.By with count, first and last seen
)

// IP address shapes found inside free text. IPv4 is extracted on its own
// so that the IPv4 part of "[::ffff:1.2.3.4]:443" is found too.
var ipTokens = []string{
	`([0-9]{1,3}(?:\.[0-9]{1,3}){3})`,
	`([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})`,
}

// KeyMatch says which values of a row can equal a requested key. A row
// matches every requested key found among its candidates, and is returned
// once per matched key.
type KeyMatch struct {
	All     bool           // no look-up: every row, under the one requested key (a queue)
	Columns []string       // scalar columns holding one key each
	Values  []Expr         // scalar expressions holding one key each (e.g. lower-cased names)
	Texts   []Expr         // text holding IP addresses among other words (a comma list, a message)
	Arrays  []ArrayElement // dynamic arrays (or JSON text) whose elements yield keys
}

// ArrayElement picks keys from a dynamic array column (or a string column
// holding a JSON array): one key per element and form. Forms are built
// with Elem; without forms the element itself is the key.
type ArrayElement struct {
	Column string
	Forms  []Expr
}

// ElemField is the array element whose string field is a key.
func ElemField(column, field string) ArrayElement {
	return ArrayElement{Column: column, Forms: []Expr{Elem(field)}}
}

// prefilterable reports whether KQL's has_any can pre-select rows for the
// array: only when every form is a plain element field (has is
// case-insensitive, so a lower-cased one counts too).
func (a ArrayElement) prefilterable() bool {
	for _, f := range a.Forms {
		switch x := f.(type) {
		case elemExpr:
		case callExpr:
			if _, ok := x.args[0].(elemExpr); !ok || x.op != "lower" {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// Named is a derived column.
type Named struct {
	Name string
	Expr Expr
}

// Agg is an extra aggregate of a summary facet.
type Agg struct {
	Name string
	Fn   string // sum, max, min, dcount, make_set, countif
	Expr Expr
}

// SummarySpec groups a summary facet's rows.
type SummarySpec struct {
	By    []string // columns (table or derived) to group by
	Aggs  []Agg
	Limit int // groups kept per key, the most frequent first; 0: DefaultSummaryLimit
}

// DefaultSummaryLimit caps a summary's groups per key, so that a spray over
// 50,000 accounts cannot produce an unbounded answer.
const DefaultSummaryLimit = 1000

func (s SummarySpec) limit() int {
	if s.Limit > 0 {
		return s.Limit
	}
	return DefaultSummaryLimit
}

// Facet is one pure description of a log look-up.
type Facet struct {
	Name    string // stable id, e.g. "ip.signins"
	Source  string // the entity facet as users know it, for errors
	Table   string
	Time    string // the column the request timespan applies to
	Keys    KeyMatch
	Extend  []Named // derived columns (may use table columns only)
	Where   []Expr  // extra filters (may use derived columns)
	Kind    Kind
	Summary SummarySpec
	// Columns are the table columns the typed model of an Events facet
	// reads; unless a query asks for all columns, only these are fetched
	// (a wide table costs far more to read whole).
	Columns []string
}

// Query is one execution of a facet: the keys of a batch, the timespan,
// and for Events facets the page wanted for every key.
type Query struct {
	Keys       []string
	Start      time.Time
	End        time.Time
	Offset     int
	Limit      int
	AllColumns bool // Events: every table column, not only Facet.Columns
	// In restricts columns to sets of values (e.g. the alert queue's
	// severities and statuses).
	In []ColumnIn
	// Bucket is the width of TimeBucket() (timelines).
	Bucket time.Duration
	// NoTotal leaves out Events facets' per-key row count (_total): the
	// count is a second pass over the rows, needed only for totalCount.
	NoTotal bool
}

// Signature identifies everything but the keys: queries with equal
// signatures can be batched into one, and their rows cached per key.
func (q Query) Signature() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d|%d|%d|%d|%t|%d|%t", q.Start.UnixNano(), q.End.UnixNano(), q.Offset, q.Limit, q.AllColumns, int64(q.Bucket), q.NoTotal)
	for _, in := range q.In {
		fmt.Fprintf(&b, "|%q=%q", in.Column, in.Values)
	}
	return b.String()
}

// ColumnIn is a "column in (values)" restriction.
type ColumnIn struct {
	Column string
	Values []string
}

// Statement is rendered query text plus its bound parameters (SQL only).
type Statement struct {
	Text string
	Args []any
}

// Output column names every rendered statement adds.
const (
	KeyColumn   = "_key"   // the requested key a row matched
	TotalColumn = "_total" // Events: rows for that key in all pages
)

// AliasSep joins the identifiers of one entity (a person's UPN, object
// id, SID, DOMAIN\user) into one aliased key: a row matches the key when
// any of its candidates equals any of the identifiers, and is returned
// once under the whole key.
const AliasSep = "\u241f"

// AliasKey is the aliased key of identifiers (sorted, without repeats).
func AliasKey(ids []string) string {
	out := append([]string(nil), ids...)
	slices.Sort(out)
	return strings.Join(slices.Compact(out), AliasSep)
}

// Aliases are the identifiers of a key (a plain key is its own one).
func Aliases(key string) []string { return strings.Split(key, AliasSep) }

// aliasing lists every identifier of the query's keys beside the key it
// belongs to; ok is false when no key is aliased.
func aliasing(keys []string) (forms, owners []string, ok bool, err error) {
	seen := map[string]string{}
	for _, k := range keys {
		ids := Aliases(k)
		if len(ids) > 1 {
			ok = true
		}
		for _, id := range ids {
			if other, dup := seen[id]; dup && other != k {
				return nil, nil, false, fmt.Errorf("identifier %q belongs to two keys of one query", id)
			}
			if _, dup := seen[id]; !dup {
				seen[id] = k
				forms, owners = append(forms, id), append(owners, k)
			}
		}
	}
	return forms, owners, ok, nil
}

// ItemID is the standard column holding every record's unique id in Log
// Analytics; Events pages break ties of equal times with it.
const ItemID = "_ItemId"

// Render renders the facet for one query in the given dialect.
func (f *Facet) Render(d Dialect, q Query) (Statement, error) {
	if len(q.Keys) == 0 {
		return Statement{}, fmt.Errorf("facet %s: no keys", f.Name)
	}
	if f.Keys.All && len(q.Keys) != 1 {
		return Statement{}, fmt.Errorf("facet %s: a queue takes one key", f.Name)
	}
	if !q.End.After(q.Start) {
		return Statement{}, fmt.Errorf("facet %s: empty timespan", f.Name)
	}
	w := &writer{d: d, q: &q, time: f.Time}
	if !f.Keys.All {
		var err error
		if w.forms, w.owners, w.aliased, err = aliasing(q.Keys); err != nil {
			return Statement{}, fmt.Errorf("facet %s: %w", f.Name, err)
		}
	}
	if d == SQL {
		f.renderSQL(w, q)
	} else {
		f.renderKQL(w, q)
	}
	return Statement{Text: w.b.String(), Args: w.args}, nil
}

func (f *Facet) singleColumn() bool {
	k := f.Keys
	return !k.All && len(k.Columns) == 1 && len(k.Values) == 0 && len(k.Texts) == 0 && len(k.Arrays) == 0
}

// scalarOnly: every candidate is one value per row, so rows can be
// pre-selected with IN before candidate lists are built.
func (f *Facet) scalarOnly() bool {
	return len(f.Keys.Texts) == 0 && len(f.Keys.Arrays) == 0
}

func (f *Facet) limit(q Query) (offset, limit int) {
	switch f.Kind {
	case Latest:
		return 0, 1
	case Events:
		return q.Offset, q.Limit
	}
	return 0, 0
}

func (f *Facet) renderSQL(w *writer, q Query) {
	t := QuoteSQLIdent(f.Time)
	// keys writes every identifier the query looks for.
	keys := func() {
		list := q.Keys
		if w.aliased {
			list = w.forms
		}
		for i, k := range list {
			if i > 0 {
				w.s(", ")
			}
			w.literal(k)
		}
	}
	literals := func(list []string) {
		w.s("[")
		for i, k := range list {
			if i > 0 {
				w.s(", ")
			}
			w.literal(k)
		}
		w.s("]")
	}
	single := f.singleColumn() && !w.aliased
	w.s("WITH _b AS (SELECT ")
	switch {
	case f.Keys.All:
		w.literal(q.Keys[0])
		w.s(" AS _key")
	case single:
		w.s(QuoteSQLIdent(f.Keys.Columns[0]), " AS _key")
	default:
		if w.aliased {
			// Each identifier found stands for its whole key, once per key.
			w.s("unnest(list_distinct(list_transform(list_intersect(flatten([")
		} else {
			w.s("unnest(list_distinct(list_intersect(flatten([")
		}
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
		w.s("]), [")
		keys()
		if w.aliased {
			w.s("]), _f -> ")
			literals(w.owners)
			w.s("[list_position(")
			literals(w.forms)
			w.s(", _f)]))) AS _key")
		} else {
			w.s("]))) AS _key")
		}
	}
	if f.Kind == Events {
		// The row id breaks ties of equal times and record ids (exports
		// without _ItemId), so a page never repeats or skips a row.
		w.s(", rowid AS _rid")
	}
	w.s(", * FROM ", QuoteSQLIdent(f.Table), " WHERE ", t, " >= ")
	w.args = append(w.args, q.Start.UTC())
	w.s("? AND ", t, " <= ")
	w.args = append(w.args, q.End.UTC())
	w.s("?")
	switch {
	case single:
		w.s(" AND ", QuoteSQLIdent(f.Keys.Columns[0]), " IN (")
		keys()
		w.s(")")
	case !f.Keys.All && f.scalarOnly():
		w.s(" AND (")
		for i, v := range f.scalars() {
			if i > 0 {
				w.s(" OR ")
			}
			w.expr(v)
			w.s(" IN (")
			keys()
			w.s(")")
		}
		w.s(")")
	}
	for _, in := range q.In {
		w.s(" AND ", QuoteSQLIdent(in.Column), " IN (")
		for i, v := range in.Values {
			if i > 0 {
				w.s(", ")
			}
			w.literal(v)
		}
		w.s(")")
	}
	w.s("), _m AS (SELECT *")
	for _, e := range f.Extend {
		w.s(", ")
		w.expr(e.Expr)
		w.s(" AS ", QuoteSQLIdent(e.Name))
	}
	w.s(" FROM _b)")
	w.s(" SELECT ")
	switch f.Kind {
	case Events, Latest:
		off, lim := f.limit(q)
		if f.Kind == Events && !q.AllColumns && len(f.Columns) > 0 {
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
		f.sqlWhere(w)
		order := t + " DESC"
		if f.Kind == Events {
			order += ", " + QuoteSQLIdent(ItemID) + ", _rid"
		}
		w.s(fmt.Sprintf(" QUALIFY row_number() OVER (PARTITION BY _key ORDER BY %s) BETWEEN %d AND %d", order, off+1, off+lim))
		w.s(" ORDER BY _key, ", order)
	case Summary:
		w.s("_key")
		for _, b := range f.Summary.By {
			w.s(", ", QuoteSQLIdent(b))
		}
		w.s(", count(*) AS \"Count\", min(", t, ") AS \"FirstSeen\", max(", t, ") AS \"LastSeen\"")
		for _, a := range f.Summary.Aggs {
			w.s(", ")
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
				panic("facets: unknown aggregate " + a.Fn)
			}
			w.s(" AS ", QuoteSQLIdent(a.Name))
		}
		w.s(" FROM _m")
		f.sqlWhere(w)
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

// termSafe says whether `has_any` on these keys keeps every row that can
// match: Kusto's has looks for whole terms, so a key that begins or ends
// with a non-alphanumeric character (machine accounts "win-fs01$", IPv6
// "::1", guest forms "bob_gmail.com#ext#") may sit inside a longer term of
// the text and be missed. For such keys the prefilter is left out and the
// exact match alone decides.
func termSafe(keys []string) bool {
	alnum := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	for _, k := range keys {
		r := []rune(k)
		if len(r) == 0 || !alnum(r[0]) || !alnum(r[len(r)-1]) {
			return false
		}
	}
	return true
}

// jsonVerbatim says whether the keys appear in JSON text as they are:
// printable ASCII that no JSON writer escapes (some escape "/" and
// non-ASCII characters).
func jsonVerbatim(keys []string) bool {
	for _, k := range keys {
		if strings.ContainsAny(k, "\\\"/") || strings.IndexFunc(k, func(r rune) bool { return r < 0x20 || r > 0x7e }) >= 0 {
			return false
		}
	}
	return true
}

// columnsOf lists the distinct table columns an expression reads.
func columnsOf(e Expr) []string {
	var out []string
	var walk func(Expr)
	walk = func(e Expr) {
		switch x := e.(type) {
		case colExpr:
			for _, c := range out {
				if c == x.name {
					return
				}
			}
			out = append(out, x.name)
		case callExpr:
			for _, a := range x.args {
				walk(a)
			}
		}
	}
	walk(e)
	return out
}

// scalars lists the one-key-per-row candidates: columns, then values.
func (f *Facet) scalars() []Expr {
	out := make([]Expr, 0, len(f.Keys.Columns)+len(f.Keys.Values))
	for _, c := range f.Keys.Columns {
		out = append(out, Col(c))
	}
	return append(out, f.Keys.Values...)
}

// narrow is Columns plus the time column, without duplicates.
func (f *Facet) narrow() []string {
	out := []string{f.Time}
	for _, c := range f.Columns {
		if c != f.Time {
			out = append(out, c)
		}
	}
	return out
}

func (f *Facet) sqlWhere(w *writer) {
	if len(f.Where) == 0 {
		return
	}
	w.s(" WHERE ")
	w.list(f.Where, " AND ")
}

func kqlTime(t time.Time) string {
	return "datetime(" + t.UTC().Format("2006-01-02T15:04:05.0000000Z") + ")"
}

func (f *Facet) renderKQL(w *writer, q Query) {
	t := QuoteKQLIdent(f.Time)
	quoted := func(list []string) []string {
		out := make([]string, len(list))
		for i, k := range list {
			out[i] = QuoteKQL(k)
		}
		return out
	}
	// keyList: every identifier the query looks for.
	keyList := quoted(q.Keys)
	if w.aliased {
		keyList = quoted(w.forms)
	}
	keys := strings.Join(keyList, ", ")
	// The total and the page read the same rows: materialize() computes
	// them once.
	counted := f.Kind == Events && !q.NoTotal
	if counted {
		w.s("let _m = materialize(")
	}
	w.s(QuoteKQLIdent(f.Table), "\n| where ", t, " between (", kqlTime(q.Start), " .. ", kqlTime(q.End), ")")
	for _, in := range q.In {
		vals := make([]string, len(in.Values))
		for i, v := range in.Values {
			vals[i] = QuoteKQL(v)
		}
		w.s("\n| where ", QuoteKQLIdent(in.Column), " in (", strings.Join(vals, ", "), ")")
	}
	switch {
	case f.Keys.All:
		w.s("\n| extend _key = ", keyList[0])
	case f.singleColumn() && !w.aliased:
		c := QuoteKQLIdent(f.Keys.Columns[0])
		w.s("\n| where ", c, " in (", keys, ")\n| extend _key = tostring(", c, ")")
	default:
		render := func(e Expr) string {
			sub := &writer{d: KQL, q: w.q, time: w.time}
			sub.expr(e)
			return sub.b.String()
		}
		scalars := make([]string, 0)
		for _, v := range f.scalars() {
			scalars = append(scalars, render(v))
		}
		texts := make([]string, len(f.Keys.Texts))
		for i, x := range f.Keys.Texts {
			texts[i] = render(x)
		}
		// Pre-select rows cheaply, then let the exact comparison below
		// decide. Every candidate source needs a condition that keeps each
		// row it can match, or nothing is pre-selected:
		//   - a plain column: the exact `in`;
		//   - a key derived from one column (lower-cased, its user part, its
		//     short name) is a term sequence of that column: `has_any`, whose
		//     term index only holds for keys with alphanumeric edges;
		//   - addresses inside text, and array elements inside JSON text:
		//     `contains` per key (a match is always a substring; `has` would
		//     miss "ip10.0.1.4"), when JSON stores the keys verbatim.
		var pre []string
		seen := map[string]bool{}
		add := func(cond string) {
			if !seen[cond] {
				seen[cond] = true
				pre = append(pre, cond)
			}
		}
		substrings := func(x string) string {
			parts := make([]string, len(keyList))
			for i, k := range keyList {
				parts[i] = x + " contains " + k
			}
			return strings.Join(parts, " or ")
		}
		ids := q.Keys
		if w.aliased {
			ids = w.forms
		}
		possible := true
		for i, v := range f.scalars() {
			cond := scalars[i] + " in (" + keys + ")"
			if _, plain := v.(colExpr); !plain {
				if cols := columnsOf(v); len(cols) == 1 {
					if !termSafe(ids) {
						possible = false
					}
					cond = QuoteKQLIdent(cols[0]) + " has_any (" + keys + ")"
				}
			}
			add(cond)
		}
		for _, x := range texts {
			add(substrings(x))
		}
		for _, a := range f.Keys.Arrays {
			if !a.prefilterable() || !jsonVerbatim(ids) {
				possible = false
				break
			}
			add(substrings(QuoteKQLIdent(a.Column)))
		}
		if possible && len(pre) > 0 {
			w.s("\n| where ", strings.Join(pre, " or "))
		}
		var cands []string
		if len(scalars) > 0 {
			for i := range scalars {
				scalars[i] = "tostring(" + scalars[i] + ")"
			}
			w.s("\n| extend _c0 = pack_array(", strings.Join(scalars, ", "), ")")
			cands = append(cands, "_c0")
		}
		for i, x := range texts {
			for j, re := range ipTokens {
				name := fmt.Sprintf("_t%d%c", i, 'a'+j)
				// extract_all is null when nothing matches (documented); what
				// array_concat does with a null is not, so it never sees one.
				w.s("\n| extend ", name, " = extract_all(", QuoteKQL(re), ", ", x, ")")
				w.s("\n| extend ", name, " = iff(isnull(", name, "), dynamic([]), ", name, ")")
				cands = append(cands, name)
			}
		}
		for i, a := range f.Keys.Arrays {
			forms := a.Forms
			if len(forms) == 0 {
				forms = []Expr{Elem("")}
			}
			var sets []string
			for j, form := range forms {
				name := fmt.Sprintf("_a%d%c", i, 'a'+j)
				sets = append(sets, name+" = make_set("+render(form)+")")
				cands = append(cands, name)
			}
			// mv-apply over an empty (or missing) array emits no row, which
			// would drop a row another key column matched: such rows get one
			// null element, whose forms are empty strings no key equals.
			arr := "parse_json(" + QuoteKQLIdent(a.Column) + ")"
			w.s("\n| mv-apply _e = iff(coalesce(array_length(", arr, "), 0) > 0, ", arr, ", dynamic([null])) on (summarize ", strings.Join(sets, ", "), ")")
		}
		if !w.aliased {
			w.s("\n| mv-expand _key = set_intersect(array_concat(", strings.Join(cands, ", "), "), dynamic([", keys, "])) to typeof(string)")
			w.s("\n| project-away ", strings.Join(cands, ", "))
			break
		}
		// Each identifier found stands for its whole key, once per key.
		owners := strings.Join(quoted(w.owners), ", ")
		w.s("\n| extend _ids = set_intersect(array_concat(", strings.Join(cands, ", "), "), dynamic([", keys, "]))")
		w.s("\n| mv-apply _f = _ids to typeof(string) on (summarize _keys = make_set(tostring(dynamic([", owners, "])[array_index_of(dynamic([", keys, "]), _f)])))")
		w.s("\n| mv-expand _key = _keys to typeof(string)")
		w.s("\n| project-away ", strings.Join(cands, ", "), ", _ids, _keys")
	}
	for _, e := range f.Extend {
		w.s("\n| extend ", QuoteKQLIdent(e.Name), " = ")
		w.expr(e.Expr)
	}
	for _, c := range f.Where {
		w.s("\n| where ")
		w.expr(c)
	}
	switch f.Kind {
	case Events:
		off, lim := f.limit(q)
		// Narrow rows before the sort: sorting every matched row with all its
		// columns is what Kusto documents as exhausting the sort budget.
		// A total order: equal times are ordered by the record's unique
		// _ItemId (a standard column of every table), as in the SQL.
		id := QuoteKQLIdent(ItemID)
		order := "_key asc, " + t + " desc, " + id + " asc"
		narrow, dropID := "", ""
		if !q.AllColumns && len(f.Columns) > 0 {
			cols := []string{"_key"}
			for _, c := range f.narrow() {
				cols = append(cols, QuoteKQLIdent(c))
			}
			if !slices.Contains(f.narrow(), ItemID) {
				cols = append(cols, id)
				dropID = ", " + id
			}
			narrow = "| project " + strings.Join(cols, ", ")
		}
		if q.NoTotal {
			if narrow != "" {
				w.s("\n", narrow)
			}
			w.s("\n| sort by ", order, "\n| extend _rn = row_number(1, prev(_key) != _key)")
			w.s(fmt.Sprintf("\n| where _rn between (%d .. %d)\n| project-away _rn", off+1, off+lim), dropID)
			break
		}
		w.s(");\n_m\n| summarize _total = count() by _key")
		w.s("\n| join kind=inner (_m\n")
		if narrow != "" {
			w.s("    ", narrow, "\n")
		}
		w.s("    | sort by ", order, "\n    | extend _rn = row_number(1, prev(_key) != _key)\n")
		w.s(fmt.Sprintf("    | where _rn between (%d .. %d)\n    | project-away _rn) on _key", off+1, off+lim))
		w.s("\n| project-away _key1\n| sort by ", order)
		if !q.AllColumns && len(f.Columns) > 0 {
			cols := []string{"_key", "_total"}
			for _, c := range f.narrow() {
				cols = append(cols, QuoteKQLIdent(c))
			}
			w.s("\n| project ", strings.Join(cols, ", "))
		}
	case Latest:
		w.s("\n| summarize arg_max(", t, ", *) by _key")
	case Summary:
		w.s("\n| summarize Count = count(), FirstSeen = min(", t, "), LastSeen = max(", t, ")")
		for _, a := range f.Summary.Aggs {
			w.s(", ", QuoteKQLIdent(a.Name), " = ")
			fn := a.Fn
			if fn == "dcount" {
				fn = "count_distinct"
			}
			w.s(fn, "(")
			w.expr(a.Expr)
			w.s(")")
		}
		w.s(" by _key")
		for _, b := range f.Summary.By {
			w.s(", ", QuoteKQLIdent(b))
		}
		w.s("\n| sort by _key asc, Count desc")
		for _, b := range f.Summary.By {
			w.s(", ", QuoteKQLIdent(b), " asc nulls last")
		}
		w.s(fmt.Sprintf("\n| extend _rn = row_number(1, prev(_key) != _key)\n| where _rn <= %d\n| project-away _rn", f.Summary.limit()))
	}
}
