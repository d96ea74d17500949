package facets

import (
	"regexp"
	"strings"
	"testing"
)

// TestKQLRules asserts, on every facet's KQL (counted and uncounted), the
// structure that keeps its meaning on documented Kusto behaviour only.
func TestKQLRules(t *testing.T) {
	extractAll := regexp.MustCompile(`\| extend (_t\w+) = extract_all\(`)
	for _, f := range All {
		for _, noTotal := range []bool{false, true} {
			q := goldenQuery
			q.NoTotal = noTotal
			st, err := f.Render(KQL, forFacet(f, q))
			if err != nil {
				t.Fatal(err)
			}
			k := st.Text
			fail := func(rule string) { t.Errorf("%s (noTotal %v): %s\n%s", f.Name, noTotal, rule, k) }
			// extract_all is null on no match: never handed on unguarded.
			for _, m := range extractAll.FindAllStringSubmatch(k, -1) {
				if !strings.Contains(k, "| extend "+m[1]+" = iff(isnull("+m[1]+"), dynamic([]), "+m[1]+")") {
					fail("extract_all result " + m[1] + " is not guarded against null")
				}
			}
			// mv-apply emits nothing for an empty array: every one guarded.
			if n := strings.Count(k, "| mv-apply "); n != strings.Count(k, "| mv-apply _e = iff(coalesce(array_length(") {
				fail("an mv-apply over an unguarded array")
			}
			// Kusto's \S, \s, \d are Unicode classes, DuckDB's ASCII.
			if strings.Contains(k, `\\S`) || strings.Contains(k, `\\s`) || strings.Contains(k, `\\d`) {
				fail(`a regex uses \S, \s or \d`)
			}
			// Buckets from one origin.
			if strings.Contains(k, "bin(") || (strings.Contains(k, "bin_at(") && !strings.Contains(k, ", datetime(1970-01-01))")) {
				fail("a time bucket without the epoch origin")
			}
			// Addresses inside text are never pre-selected by whole terms.
			for _, x := range f.Keys.Texts {
				sub := &writer{d: KQL, q: &q, time: f.Time}
				sub.expr(x)
				if strings.Contains(k, sub.b.String()+" has_any") {
					fail("text pre-selected by has_any")
				}
			}
			switch f.Kind {
			case Events:
				if !strings.Contains(k, "| sort by _key asc, "+QuoteKQLIdent(f.Time)+" desc, _ItemId asc") {
					fail("an events page without the _ItemId tiebreaker")
				}
				if !noTotal && !strings.HasPrefix(k, "let _m = materialize(") {
					fail("page and total do not share a materialized scan")
				}
				if len(f.Columns) > 0 {
					if p, s := strings.Index(k, "| project _key,"), strings.Index(k, "| sort by"); p < 0 || p > s {
						fail("rows are not narrowed before the sort")
					}
				}
			case Summary:
				for _, b := range f.Summary.By {
					if !strings.Contains(k, ", "+QuoteKQLIdent(b)+" asc nulls last") {
						fail("summary ties not broken by group column " + b)
					}
				}
			}
		}
	}
}
