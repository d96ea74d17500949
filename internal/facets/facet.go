// Package facets describes every log facet once, as data, and renders it to
// DuckDB SQL (values bound as parameters) and to KQL (values escaped). A
// facet never does I/O: sources execute the statements it renders.
package facets

import (
	"fmt"
	"strings"
	"time"
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
	Columns []string       // scalar columns holding one key each
	Texts   []Expr         // text holding IP addresses among other words (a comma list, a message)
	Arrays  []ArrayElement // dynamic arrays whose elements (or an element field) are keys
}

// ArrayElement picks keys from a dynamic array column: the elements
// themselves, or the string field Field of each object element.
type ArrayElement struct {
	Column string
	Field  string
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
	By   []string // columns (table or derived) to group by
	Aggs []Agg
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

// Render renders the facet for one query in the given dialect.
func (f *Facet) Render(d Dialect, q Query) (Statement, error) {
	if len(q.Keys) == 0 {
		return Statement{}, fmt.Errorf("facet %s: no keys", f.Name)
	}
	if !q.End.After(q.Start) {
		return Statement{}, fmt.Errorf("facet %s: empty timespan", f.Name)
	}
	w := &writer{d: d}
	if d == SQL {
		f.renderSQL(w, q)
	} else {
		f.renderKQL(w, q)
	}
	return Statement{Text: w.b.String(), Args: w.args}, nil
}

func (f *Facet) singleColumn() bool {
	return len(f.Keys.Columns) == 1 && len(f.Keys.Texts) == 0 && len(f.Keys.Arrays) == 0
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
	keys := func() {
		for i, k := range q.Keys {
			if i > 0 {
				w.s(", ")
			}
			w.literal(k)
		}
	}
	w.s("WITH _b AS (SELECT ")
	if f.singleColumn() {
		w.s(QuoteSQLIdent(f.Keys.Columns[0]), " AS _key")
	} else {
		w.s("unnest(list_distinct(list_intersect(flatten([")
		var parts int
		sep := func() {
			if parts > 0 {
				w.s(", ")
			}
			parts++
		}
		if len(f.Keys.Columns) > 0 {
			sep()
			w.s("[")
			for i, c := range f.Keys.Columns {
				if i > 0 {
					w.s(", ")
				}
				w.s(QuoteSQLIdent(c))
			}
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
			sep()
			path := "$[*]"
			if a.Field != "" {
				path = jsonPath([]string{a.Field})
				path = "$[*]" + path[1:]
			}
			w.s("coalesce(json_extract_string(", QuoteSQLIdent(a.Column), ", ")
			w.literal(path)
			w.s("), [])")
		}
		w.s("]), [")
		keys()
		w.s("]))) AS _key")
	}
	w.s(", * FROM ", QuoteSQLIdent(f.Table), " WHERE ", t, " >= ")
	w.args = append(w.args, q.Start.UTC())
	w.s("? AND ", t, " <= ")
	w.args = append(w.args, q.End.UTC())
	w.s("?")
	if f.singleColumn() {
		w.s(" AND ", QuoteSQLIdent(f.Keys.Columns[0]), " IN (")
		keys()
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
		} else {
			w.s("*")
		}
		if f.Kind == Events {
			w.s(", count(*) OVER (PARTITION BY _key) AS _total")
		}
		w.s(" FROM _m")
		f.sqlWhere(w)
		w.s(fmt.Sprintf(" QUALIFY row_number() OVER (PARTITION BY _key ORDER BY %s DESC) BETWEEN %d AND %d", t, off+1, off+lim))
		w.s(" ORDER BY _key, ", t, " DESC")
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
		w.s(" GROUP BY ALL ORDER BY _key, \"Count\" DESC")
		for _, b := range f.Summary.By {
			w.s(", ", QuoteSQLIdent(b))
		}
	}
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
	keyList := make([]string, len(q.Keys))
	for i, k := range q.Keys {
		keyList[i] = QuoteKQL(k)
	}
	keys := strings.Join(keyList, ", ")
	paged := f.Kind == Events
	if paged {
		w.s("let _m = ")
	}
	w.s(QuoteKQLIdent(f.Table), "\n| where ", t, " between (", kqlTime(q.Start), " .. ", kqlTime(q.End), ")")
	if f.singleColumn() {
		c := QuoteKQLIdent(f.Keys.Columns[0])
		w.s("\n| where ", c, " in (", keys, ")\n| extend _key = tostring(", c, ")")
	} else {
		var pre []string
		for _, c := range f.Keys.Columns {
			pre = append(pre, QuoteKQLIdent(c)+" in ("+keys+")")
		}
		texts := make([]string, len(f.Keys.Texts))
		for i, x := range f.Keys.Texts {
			sub := &writer{d: KQL}
			sub.expr(x)
			texts[i] = sub.b.String()
			pre = append(pre, texts[i]+" has_any ("+keys+")")
		}
		for _, a := range f.Keys.Arrays {
			pre = append(pre, QuoteKQLIdent(a.Column)+" has_any ("+keys+")")
		}
		w.s("\n| where ", strings.Join(pre, " or "))
		var cands []string
		if len(f.Keys.Columns) > 0 {
			cols := make([]string, len(f.Keys.Columns))
			for i, c := range f.Keys.Columns {
				cols[i] = "tostring(" + QuoteKQLIdent(c) + ")"
			}
			w.s("\n| extend _c0 = pack_array(", strings.Join(cols, ", "), ")")
			cands = append(cands, "_c0")
		}
		for i, x := range texts {
			for j, re := range ipTokens {
				name := fmt.Sprintf("_t%d%c", i, 'a'+j)
				w.s("\n| extend ", name, " = extract_all(", QuoteKQL(re), ", ", x, ")")
				cands = append(cands, name)
			}
		}
		for i, a := range f.Keys.Arrays {
			name := fmt.Sprintf("_a%d", i)
			elem := "_e"
			if a.Field != "" {
				elem = "_e[" + QuoteKQL(a.Field) + "]"
			}
			w.s("\n| mv-apply _e = parse_json(", QuoteKQLIdent(a.Column), ") on (summarize ", name, " = make_set(tostring(", elem, ")))")
			cands = append(cands, name)
		}
		w.s("\n| mv-expand _key = set_intersect(array_concat(", strings.Join(cands, ", "), "), dynamic([", keys, "])) to typeof(string)")
		w.s("\n| project-away ", strings.Join(cands, ", "))
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
		w.s(";\n_m\n| summarize _total = count() by _key")
		w.s("\n| join kind=inner (_m\n    | sort by _key asc, ", t, " desc\n    | extend _rn = row_number(1, prev(_key) != _key)\n")
		w.s(fmt.Sprintf("    | where _rn between (%d .. %d)\n    | project-away _rn) on _key", off+1, off+lim))
		w.s("\n| project-away _key1\n| sort by _key asc, ", t, " desc")
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
	}
}
