package facets

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"entitygraph/internal/entitykey"
)

// kqlDialect renders KQL: every value an escaped literal.
type kqlDialect struct{}

func (kqlDialect) name() string                       { return "KQL" }
func (kqlDialect) facet(f *Facet, w *writer, q Query) { renderKQL(f, w, q) }
func (kqlDialect) ident(name string) string           { return QuoteKQLIdent(name) }
func (kqlDialect) literal(w *writer, v string)        { w.s(QuoteKQL(v)) }

// elem reads a string field of the current array element.
func (kqlDialect) elem(w *writer, field string) {
	if field == "" {
		w.s("tostring(_e)")
		return
	}
	w.s("tostring(_e[", QuoteKQL(field), "])")
}

var kqlTemplates = map[string]string{
	"eq":          "($0 == $1)",
	"ne":          "($0 != $1)",
	"gt":          "($0 > $1)",
	"in":          "($0 in ($rest))",
	"not":         "not($0)",
	"lower":       "tolower($0)",
	"startswith":  "($0 startswith_cs $1)",
	"contains":    "($0 contains_cs $1)",
	"if":          "iff($0, $1, $2)",
	"concat":      "strcat($*)",
	"isempty":     "isempty($0)",
	"lastsegment": "tostring(split($0, $1)[-1])",
	"shortname":   entitykey.HostKQL,
	"istrue":      "coalesce($0, false)",
	"tostring":    "tostring($0)",
	"coalesce":    "coalesce($*)", // skips empty strings, as the SQL twin does
}

func (kqlDialect) call(w *writer, e callExpr) {
	a := e.args
	if t, ok := kqlTemplates[e.op]; ok {
		w.template(t, a)
		return
	}
	switch e.op {
	case "and", "or":
		w.s("(")
		w.list(a, " "+e.op+" ")
		w.s(")")
	case "userpart":
		w.expr(Coalesce(Extract(userPartRegexes[0], 1, a[0]), Extract(userPartRegexes[1], 1, a[0]), a[0]))
	case "extract":
		w.s("extract(", QuoteKQL(e.re), fmt.Sprintf(", %d, ", e.n))
		w.template("$0)", a)
	case "jsonstr":
		w.template("tostring(parse_json($0)", a)
		for _, p := range e.path {
			w.s("[", QuoteKQL(p), "]")
		}
		w.s(")")
	case "bucket":
		// One explicit origin, the Unix epoch: bin() counts from 0001-01-01.
		w.s(fmt.Sprintf("bin_at(%s, %ds, datetime(1970-01-01))", QuoteKQLIdent(w.time), bucketSeconds(w)))
	default:
		unknown(w, e.op)
	}
}

// kqlAggregate is a summary aggregate's KQL function name.
func kqlAggregate(w *writer, a Agg) string {
	switch a.Fn {
	case "sum", "max", "min", "make_set", "countif":
		return a.Fn
	case "dcount":
		return "count_distinct"
	}
	w.fail(fmt.Errorf("facets: KQL cannot write the aggregate %q", a.Fn))
	return a.Fn
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

func kqlTime(t time.Time) string {
	return "datetime(" + t.UTC().Format("2006-01-02T15:04:05.0000000Z") + ")"
}

func renderKQL(f *Facet, w *writer, q Query) {
	if len(f.members) > 0 {
		renderKQLGroup(f, w, q)
		return
	}
	// The total and the page read the same rows: materialize() computes
	// them once.
	counted := f.Kind == Events && !q.NoTotal && !f.countsOnly(q)
	if counted {
		w.s("let _m = materialize(")
	}
	kqlScan(f, w, q)
	kqlFilters(f, w)
	if counted {
		w.s(");\n")
	}
	kqlShape(f, w, q, "_m")
}

// kqlScan writes the rows a query reads before the facet's own filters:
// the table in the window, its restrictions, each row under every key it
// matches (_key).
func kqlScan(f *Facet, w *writer, q Query) {
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
		render := w.sub
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
				if cols := ColumnsOf(v); len(cols) == 1 {
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
}

// kqlFilters writes the facet's derived columns and filters.
func kqlFilters(f *Facet, w *writer) {
	for _, e := range f.Extend {
		w.s("\n| extend ", QuoteKQLIdent(e.Name), " = ")
		w.expr(e.Expr)
	}
	for _, c := range f.Where {
		w.s("\n| where ")
		w.expr(c)
	}
}

// kqlShape writes what the facet returns of its filtered rows. An Events
// page with its total reads them from m, a materialized table the caller
// has let; the other shapes continue the pipeline.
func kqlShape(f *Facet, w *writer, q Query, m string) {
	t := QuoteKQLIdent(f.Time)
	switch {
	case f.countsOnly(q):
		w.s("\n| summarize ", TotalColumn, " = count() by _key\n| sort by _key asc")
	case f.Kind == Events:
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
		w.s(m, "\n| summarize _total = count() by _key")
		w.s("\n| join kind=inner (", m, "\n")
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
	case f.Kind == Latest:
		ret := "*"
		if !q.AllColumns && len(f.Columns) > 0 {
			var cols []string
			for _, c := range f.narrow()[1:] {
				cols = append(cols, QuoteKQLIdent(c))
			}
			ret = strings.Join(cols, ", ")
		}
		w.s("\n| summarize arg_max(", t, ", ", ret, ") by _key")
	case f.Kind == Summary:
		w.s("\n| summarize Count = count(), FirstSeen = min(", t, "), LastSeen = max(", t, ")")
		for _, a := range f.Summary.Aggs {
			w.s(", ", QuoteKQLIdent(a.Name), " = ")
			w.s(kqlAggregate(w, a), "(")
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
