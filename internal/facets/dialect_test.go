package facets

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// everyOperation builds one expression per operation the constructors can
// make.
func everyOperation() map[string]Expr {
	c := Col("ClientIP")
	return map[string]Expr{
		"eq": Eq(c, Str("x")), "ne": Ne(c, Str("x")), "gt": Gt(Col("EventID"), Int(1)), "in": InStr(c, "a", "b"),
		"not": Not(IsEmpty(c)), "lower": Lower(c), "startswith": StartsWith(c, "a"), "contains": Contains(c, "a"),
		"if": If(Eq(c, Str("a")), Str("b"), Str("c")), "concat": Concat(c, Str("-"), c), "isempty": IsEmpty(c),
		"lastsegment": LastSegment(c, "/"), "shortname": ShortName(c), "istrue": IsTrue(Col("Ok")), "tostring": ToString(Col("EventID")),
		"and": And(IsEmpty(c), IsEmpty(c)), "or": Or(IsEmpty(c), IsEmpty(c)), "coalesce": Coalesce(c, Str("x")),
		"extract": Extract(`^(a)`, 1, c), "jsonstr": JSONString(c, "k"), "bucket": TimeBucket(),
		"userpart": UserPart(c),
	}
}

// TestEveryOperationRendersInBothDialects: no operation is known to one
// dialect only.
func TestEveryOperationRendersInBothDialects(t *testing.T) {
	q := Query{Bucket: time.Hour}
	for op, e := range everyOperation() {
		for _, d := range []Dialect{SQL, KQL} {
			w := &writer{d: d, q: &q, time: "TimeGenerated"}
			w.expr(e)
			if w.err != nil || w.b.Len() == 0 {
				t.Errorf("%s in %s: %q, %v", op, d.name(), w.b.String(), w.err)
			}
		}
	}
	// Every template either dialect has is among the operations tried.
	for op := range sqlTemplates {
		if _, ok := everyOperation()[op]; !ok {
			t.Errorf("SQL operation %s is not tried", op)
		}
	}
	for op := range kqlTemplates {
		if _, ok := everyOperation()[op]; !ok {
			t.Errorf("KQL operation %s is not tried", op)
		}
	}
}

// TestUnknownOperationIsAnError: an operation a dialect cannot write fails
// the render with an error, never a panic.
func TestUnknownOperationIsAnError(t *testing.T) {
	f := *IPSignins
	f.Where = []Expr{callExpr{op: "soundex", args: []Expr{Col("UserPrincipalName")}}}
	for _, d := range []Dialect{SQL, KQL} {
		_, err := f.Render(d, Query{Keys: []string{"1.2.3.4"}, Start: time.Unix(0, 0), End: time.Unix(3600, 0), Limit: 1})
		if err == nil || !strings.Contains(err.Error(), "soundex") {
			t.Errorf("%s: err = %v", d.name(), err)
		}
	}
	g := *IPSigninAccounts
	g.Summary.Aggs = []Agg{{"X", "median", Col("ResultType")}}
	for _, d := range []Dialect{SQL, KQL} {
		if _, err := g.Render(d, Query{Keys: []string{"1.2.3.4"}, Start: time.Unix(0, 0), End: time.Unix(3600, 0)}); err == nil || !strings.Contains(err.Error(), "median") {
			t.Errorf("%s aggregate: err = %v", d.name(), err)
		}
	}
}

func TestColumnsOf(t *testing.T) {
	e := If(Eq(Lower(Col("A")), Str("x")), Concat(Col("B"), Col("A")), JSONString(Col("C"), "k"))
	if got := ColumnsOf(e); !reflect.DeepEqual(got, []string{"A", "B", "C"}) {
		t.Errorf("ColumnsOf = %v", got)
	}
	n := 0
	Walk(e, func(x Expr) bool { n++; _, isCall := x.(callExpr); return !isCall || n == 1 })
	if n != 4 { // the if and its three arguments, not below
		t.Errorf("Walk visited %d nodes", n)
	}
}

func TestAliasKey(t *testing.T) {
	got := AliasKey([]string{"b@x.com", "", "a\u241fb@x.com", `x\b`, "b@x.com"})
	if got != "b@x.com"+AliasSep+`x\b` {
		t.Errorf("AliasKey = %q", got)
	}
	if ids := Aliases(got); len(ids) != 2 {
		t.Errorf("Aliases = %q", ids)
	}
}
