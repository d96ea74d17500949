package facets

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
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

// UserPart is the user of a UPN (the text before the first @, when it has
// no backslash) or of DOMAIN\user (the text after the first backslash),
// else the whole value; "" for null or "". KQL extracts it with two
// regular expressions; SQL finds the same text with string functions,
// cheaper on every row of a window.
func UserPart(a Expr) Expr { return call("userpart", a) }

// userPartRegexes are the KQL's extractions: a UPN's user, then the user
// of DOMAIN\user.
var userPartRegexes = [2]string{`^([^@\\]+)@`, `^[^\\]+\\(.+)$`}

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

// Dialect is a query language a facet renders to: SQL or KQL. Its
// methods are the package's own; a facet's syntax (Facet, Expr) knows
// nothing of either.
type Dialect interface {
	name() string
	facet(f *Facet, w *writer, q Query)
	literal(w *writer, v string)
	ident(name string) string
	elem(w *writer, field string)
	call(w *writer, e callExpr)
}

// The two dialects.
var (
	SQL Dialect = sqlDialect{} // DuckDB SQL, values bound as parameters
	KQL Dialect = kqlDialect{} // Kusto Query Language, values escaped inline
)

// writer accumulates rendered text and, for SQL, bound parameters.
type writer struct {
	d    Dialect
	b    strings.Builder
	args []any
	q    *Query // the query being rendered (bucket width)
	time string // the facet's time column
	err  error  // the first expression the dialect could not write

	// Aliased keys: every identifier (forms) beside its key (owners).
	aliased       bool
	forms, owners []string
}

func (w *writer) s(parts ...string) {
	for _, p := range parts {
		w.b.WriteString(p)
	}
}

// fail records the first rendering error; Render returns it.
func (w *writer) fail(err error) {
	if w.err == nil {
		w.err = err
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
func (w *writer) literal(v string) { w.d.literal(w, v) }

// sub renders an expression on its own, in the writer's dialect.
func (w *writer) sub(e Expr) string {
	s := &writer{d: w.d, q: w.q, time: w.time}
	s.expr(e)
	w.fail(s.err)
	return s.b.String()
}

func (e colExpr) render(w *writer)  { w.s(w.d.ident(e.name)) }
func (e strExpr) render(w *writer)  { w.literal(e.v) }
func (e elemExpr) render(w *writer) { w.d.elem(w, e.field) }
func (e intExpr) render(w *writer)  { w.s(strconv.FormatInt(e.v, 10)) }
func (e callExpr) render(w *writer) { w.d.call(w, e) }

// template writes a template with the arguments in place: $0, $1, $2 are
// the arguments, $rest the arguments after the first and $* all of them,
// comma-separated; $$ is a literal dollar.
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
		case strings.HasPrefix(t, "$"):
			w.s("$")
			t = t[1:]
		default:
			n := int(t[0] - '0')
			if n < 0 || n >= len(args) {
				w.fail(fmt.Errorf("facets: template %q wants argument %d of %d", t, n, len(args)))
				return
			}
			w.expr(args[n])
			t = t[1:]
		}
	}
}

// unknown is the error of an operation a dialect cannot write.
func unknown(w *writer, op string) {
	w.fail(fmt.Errorf("facets: %s cannot write the expression %q", w.d.name(), op))
}

// Walk calls fn for e and, while fn returns true, for its arguments.
func Walk(e Expr, fn func(Expr) bool) {
	if !fn(e) {
		return
	}
	if c, ok := e.(callExpr); ok {
		for _, a := range c.args {
			Walk(a, fn)
		}
	}
}

// ColumnsOf lists the distinct table (or derived) columns an expression reads.
func ColumnsOf(e Expr) []string {
	var out []string
	Walk(e, func(x Expr) bool {
		if c, ok := x.(colExpr); ok && !slices.Contains(out, c.name) {
			out = append(out, c.name)
		}
		return true
	})
	return out
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
