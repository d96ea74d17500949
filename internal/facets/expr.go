package facets

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"entitygraph/internal/entitykey"
)

// Expr is a column expression that renders to both DuckDB SQL and KQL.
// Only the constructors below build one, so every value that reaches a
// query is either a bound SQL parameter or an escaped KQL literal.
type Expr interface {
	render(w *writer)
}

type (
	elemExpr struct{ field string }
	colExpr  struct{ name string }
	strExpr  struct{ v string }
	intExpr  struct{ v int64 }
	callExpr struct {
		op   string
		args []Expr
		re   string // regular expression (extract)
		n    int    // capture group (extract)
		path []string
	}
)

// Col references a column of the facet's table (or an earlier derived column).
func Col(name string) Expr { return colExpr{name} }

// Elem reads a string field of the current array element (see
// ArrayElement); Elem("") is the element itself as text.
func Elem(field string) Expr { return elemExpr{field} }

// Contains is a case-sensitive substring test.
func Contains(a Expr, sub string) Expr { return call("contains", a, Str(sub)) }

// LastSegment is the text after the last sep ("sub/rg/vm" → "vm").
func LastSegment(a Expr, sep string) Expr { return call("lastsegment", a, Str(sep)) }

// ShortName is a host name's first label, lower-cased ("WEB-01.contoso.com" → "web-01").
func ShortName(a Expr) Expr { return call("shortname", a) }

// TimeBucket is the time column rounded down to the query's bucket width.
func TimeBucket() Expr { return call("bucket") }

// Str is a string literal.
func Str(v string) Expr { return strExpr{v} }

// Int is an integer literal.
func Int(v int64) Expr { return intExpr{v} }

func call(op string, args ...Expr) Expr { return callExpr{op: op, args: args} }

// Eq is a = b (case-sensitive for strings).
func Eq(a, b Expr) Expr { return call("eq", a, b) }

// Ne is a <> b.
func Ne(a, b Expr) Expr { return call("ne", a, b) }

// Gt is a > b.
func Gt(a, b Expr) Expr { return call("gt", a, b) }

// In is a IN (list).
func In(a Expr, list ...Expr) Expr { return call("in", append([]Expr{a}, list...)...) }

// InStr is a IN (string literals).
func InStr(a Expr, list ...string) Expr {
	args := make([]Expr, len(list))
	for i, s := range list {
		args[i] = Str(s)
	}
	return In(a, args...)
}

// InInt is a IN (integer literals).
func InInt(a Expr, list ...int64) Expr {
	args := make([]Expr, len(list))
	for i, v := range list {
		args[i] = Int(v)
	}
	return In(a, args...)
}

// And is the conjunction of its arguments.
func And(args ...Expr) Expr { return call("and", args...) }

// Or is the disjunction of its arguments.
func Or(args ...Expr) Expr { return call("or", args...) }

// Not negates a condition.
func Not(a Expr) Expr { return call("not", a) }

// Lower lower-cases a string.
func Lower(a Expr) Expr { return call("lower", a) }

// StartsWith is a case-sensitive prefix test.
func StartsWith(a Expr, prefix string) Expr { return call("startswith", a, Str(prefix)) }

// If is a conditional value.
func If(cond, then, els Expr) Expr { return call("if", cond, then, els) }

// Coalesce returns the first argument that is neither null nor an empty string.
func Coalesce(args ...Expr) Expr { return call("coalesce", args...) }

// Concat joins strings.
func Concat(args ...Expr) Expr { return call("concat", args...) }

// Extract returns capture group n of the RE2 expression re matched against a,
// or "" when it does not match (the same in both engines).
func Extract(re string, n int, a Expr) Expr {
	return callExpr{op: "extract", args: []Expr{a}, re: re, n: n}
}

// JSONString reads a string at a path of object keys inside a dynamic (or
// JSON text) column.
func JSONString(a Expr, path ...string) Expr {
	return callExpr{op: "jsonstr", args: []Expr{a}, path: path}
}

// IsEmpty is true for null and "".
func IsEmpty(a Expr) Expr { return call("isempty", a) }

// IsTrue is true only for a true boolean (null counts as false).
func IsTrue(a Expr) Expr { return call("istrue", a) }

// ToString renders any value as text.
func ToString(a Expr) Expr { return call("tostring", a) }

// Dialect is a query language a facet renders to.
type Dialect int

// The two dialects.
const (
	SQL Dialect = iota // DuckDB SQL, values bound as parameters
	KQL                // Kusto Query Language, values escaped inline
)

// writer accumulates rendered text and, for SQL, bound parameters.
type writer struct {
	d    Dialect
	b    strings.Builder
	args []any
	q    *Query // the query being rendered (bucket width)
	time string // the facet's time column

	// Aliased keys: every identifier (forms) beside its key (owners).
	aliased       bool
	forms, owners []string
}

func (w *writer) s(parts ...string) {
	for _, p := range parts {
		w.b.WriteString(p)
	}
}

func (w *writer) expr(e Expr) { e.render(w) }

func (w *writer) list(es []Expr, sep string) {
	for i, e := range es {
		if i > 0 {
			w.s(sep)
		}
		w.expr(e)
	}
}

// literal writes a string value: a bound parameter in SQL, an escaped
// literal in KQL.
func (w *writer) literal(v string) {
	if w.d == SQL {
		w.args = append(w.args, v)
		w.s("?")
		return
	}
	w.s(QuoteKQL(v))
}

func (e colExpr) render(w *writer) {
	if w.d == SQL {
		w.s(QuoteSQLIdent(e.name))
		return
	}
	w.s(QuoteKQLIdent(e.name))
}

func (e strExpr) render(w *writer) { w.literal(e.v) }

func (e elemExpr) render(w *writer) {
	if w.d == SQL {
		path := "$"
		if e.field != "" {
			path = jsonPath([]string{e.field})
		}
		w.s("coalesce(json_extract_string(_e, ")
		w.literal(path)
		w.s("), '')")
		return
	}
	if e.field == "" {
		w.s("tostring(_e)")
		return
	}
	w.s("tostring(_e[", QuoteKQL(e.field), "])")
}

func (e intExpr) render(w *writer) { w.s(strconv.FormatInt(e.v, 10)) }

// templates render the simple expressions: per dialect (SQL, KQL) a text
// where $0, $1, $2 are the arguments, $rest the arguments after the first
// and $* all of them, comma-separated.
var templates = map[string][2]string{
	"eq":          {"($0 = $1)", "($0 == $1)"},
	"ne":          {"($0 <> $1)", "($0 != $1)"},
	"gt":          {"($0 > $1)", "($0 > $1)"},
	"in":          {"($0 in ($rest))", "($0 in ($rest))"},
	"not":         {"(NOT $0)", "not($0)"},
	"lower":       {"lower($0)", "tolower($0)"},
	"startswith":  {"starts_with($0, $1)", "($0 startswith_cs $1)"},
	"contains":    {"contains($0, $1)", "($0 contains_cs $1)"},
	"if":          {"(CASE WHEN $0 THEN $1 ELSE $2 END)", "iff($0, $1, $2)"},
	"concat":      {"concat($*)", "strcat($*)"},
	"isempty":     {"(coalesce(CAST($0 AS VARCHAR), '') = '')", "isempty($0)"},
	"lastsegment": {"string_split($0, $1)[-1]", "tostring(split($0, $1)[-1])"},
	// The host key, defined once in entitykey beside its Go twin.
	"shortname": {entitykey.HostSQL, entitykey.HostKQL},
	"istrue":    {"coalesce($0, false)", "coalesce($0, false)"},
	"tostring":  {"coalesce(CAST($0 AS VARCHAR), '')", "tostring($0)"},
}

// template writes a template with the arguments in place.
func (w *writer) template(t string, args []Expr) {
	for len(t) > 0 {
		i := strings.IndexByte(t, '$')
		if i < 0 {
			w.s(t)
			return
		}
		w.s(t[:i])
		t = t[i+1:]
		switch {
		case strings.HasPrefix(t, "rest"):
			w.list(args[1:], ", ")
			t = t[4:]
		case strings.HasPrefix(t, "*"):
			w.list(args, ", ")
			t = t[1:]
		case strings.HasPrefix(t, "$"): // "$$" is a literal "$"
			w.s("$")
			t = t[1:]
		default:
			w.expr(args[t[0]-'0'])
			t = t[1:]
		}
	}
}

func (e callExpr) render(w *writer) {
	a := e.args
	sqlMode := w.d == SQL
	if t, ok := templates[e.op]; ok {
		w.template(t[w.d], a)
		return
	}
	switch e.op {
	case "and", "or":
		sep := " " + e.op + " "
		if sqlMode {
			sep = strings.ToUpper(sep)
		}
		w.s("(")
		w.list(a, sep)
		w.s(")")
	case "coalesce": // KQL's coalesce skips empty strings; SQL's only NULLs
		if !sqlMode {
			w.template("coalesce($*)", a)
			return
		}
		w.s("coalesce(")
		for i, x := range a {
			if i > 0 {
				w.s(", ")
			}
			w.template("nullif($0, '')", []Expr{x})
		}
		w.s(")")
	case "extract":
		if sqlMode {
			w.template("regexp_extract($0, ", a)
			w.literal(e.re)
			w.s(fmt.Sprintf(", %d)", e.n))
		} else {
			w.s("extract(", QuoteKQL(e.re), fmt.Sprintf(", %d, ", e.n))
			w.template("$0)", a)
		}
	case "jsonstr":
		if sqlMode {
			// Malformed JSON yields '' (Kusto's tostring of a missing
			// value), not a failed query.
			w.template("coalesce(json_extract_string(CASE WHEN json_valid($0) THEN $0 END, ", a)
			w.literal(jsonPath(e.path))
			w.s("), '')")
		} else {
			w.template("tostring(parse_json($0)", a)
			for _, p := range e.path {
				w.s("[", QuoteKQL(p), "]")
			}
			w.s(")")
		}
	case "bucket":
		secs := int64(w.q.Bucket / time.Second)
		if secs < 1 {
			secs = 3600
		}
		// One explicit origin, the Unix epoch, in both dialects: KQL's bin()
		// counts from 0001-01-01 and DuckDB's time_bucket from 2000-01-03,
		// which put events in different buckets for widths such as 2d or 5h.
		if sqlMode {
			w.s(fmt.Sprintf("time_bucket(INTERVAL '%d seconds', %s, TIMESTAMP '1970-01-01 00:00:00')", secs, QuoteSQLIdent(w.time)))
		} else {
			w.s(fmt.Sprintf("bin_at(%s, %ds, datetime(1970-01-01))", QuoteKQLIdent(w.time), secs))
		}
	default:
		panic("facets: unknown expression " + e.op)
	}
}

// jsonPath builds a DuckDB JSON path with every key quoted.
func jsonPath(keys []string) string {
	var b strings.Builder
	b.WriteString("$")
	for _, k := range keys {
		b.WriteString(`."`)
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(k))
		b.WriteString(`"`)
	}
	return b.String()
}
