package facets

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"entitygraph/internal/schema"
)

var update = flag.Bool("update", false, "rewrite the golden .kql and .sql files")

var goldenQuery = Query{
	Keys:   []string{"193.27.228.147", "10.0.1.4"},
	Start:  time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC),
	End:    time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC),
	Offset: 20, Limit: 20,
}

// forFacet adapts a query to a facet: a queue takes one key, and gets the
// values as filters instead.
func forFacet(f *Facet, q Query) Query {
	if f.Keys.All {
		q.In = []ColumnIn{{Column: "AlertSeverity", Values: q.Keys}, {Column: "Status", Values: []string{"New", "InProgress"}}}
		q.Keys = []string{"*"}
	}
	q.Bucket = time.Hour
	return q
}

// TestGolden renders every facet in both dialects and compares with the
// files under testdata/ (go test ./internal/facets -update rewrites them).
func TestGolden(t *testing.T) {
	for _, f := range All {
		for _, d := range []struct {
			dialect Dialect
			ext     string
		}{{KQL, ".kql"}, {SQL, ".sql"}} {
			st, err := f.Render(d.dialect, forFacet(f, goldenQuery))
			if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			path := filepath.Join("testdata", d.ext[1:], f.Name+d.ext)
			got := st.Text + "\n"
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%s: %v (run go test ./internal/facets -update)", f.Name, err)
			}
			if got != string(want) {
				t.Errorf("%s%s differs from %s:\n%s", f.Name, d.ext, path, got)
			}
		}
	}
}

// TestFacetColumnsExist checks every column a facet names against the
// table schema both engines share.
func TestFacetColumnsExist(t *testing.T) {
	for _, f := range All {
		tbl, ok := schema.Lookup(f.Table)
		if !ok {
			t.Errorf("%s: table %s has no schema", f.Name, f.Table)
			continue
		}
		derived := map[string]bool{}
		for _, e := range f.Extend {
			derived[e.Name] = true
		}
		var cols []string
		cols = append(cols, f.Time)
		cols = append(cols, f.Keys.Columns...)
		for _, a := range f.Keys.Arrays {
			cols = append(cols, a.Column)
		}
		for _, v := range f.Keys.Values {
			cols = append(cols, ColumnsOf(v)...)
		}
		for _, e := range append(append([]Expr{}, f.Keys.Texts...), f.Where...) {
			cols = append(cols, ColumnsOf(e)...)
		}
		for _, e := range f.Extend {
			cols = append(cols, ColumnsOf(e.Expr)...)
		}
		for _, a := range f.Summary.Aggs {
			cols = append(cols, ColumnsOf(a.Expr)...)
		}
		cols = append(cols, f.Columns...)
		for _, c := range append(cols, f.Summary.By...) {
			if derived[c] {
				continue
			}
			if _, ok := tbl.Column(c); !ok {
				t.Errorf("%s: column %s is not in the %s schema", f.Name, c, f.Table)
			}
		}
	}
}

// TestSQLBindsEveryValue: no key, however hostile, appears in SQL text.
func TestSQLBindsEveryValue(t *testing.T) {
	hostile := []string{`1.2.3.4' OR '1'='1`, `x"; DROP TABLE SigninLogs; --`, "a\nb", `\`, "ünï©ødé", strings.Repeat("A", 10000)}
	for _, f := range All {
		q := goldenQuery
		q.Keys = hostile
		st, err := f.Render(SQL, forFacet(f, q))
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hostile {
			if strings.Contains(st.Text, h) {
				t.Errorf("%s: value %.20q inlined into SQL", f.Name, h)
			}
		}
		if n := strings.Count(st.Text, "?"); n != len(st.Args) {
			t.Errorf("%s: %d placeholders, %d arguments", f.Name, n, len(st.Args))
		}
	}
}

var kqlLiteral = regexp.MustCompile(`"(?:[^"\\\n\r]|\\.)*"`)

// TestKQLEscapesEveryValue: every hostile key renders as a literal that
// decodes back to exactly the key.
func TestKQLEscapesEveryValue(t *testing.T) {
	hostile := []string{`1.2.3.4" or 1==1 //`, `'; drop`, "new\nline\r\n", "tab\t", `back\slash\`, `|`, `;`, `//`, "ünï©ødé 🎯", strings.Repeat(`"\`, 5000)}
	for _, f := range All {
		q := goldenQuery
		q.Keys = hostile
		st, err := f.Render(KQL, forFacet(f, q))
		if err != nil {
			t.Fatal(err)
		}
		found := map[string]bool{}
		for _, lit := range kqlLiteral.FindAllString(st.Text, -1) {
			v, err := UnquoteKQL(lit)
			if err != nil {
				t.Fatalf("%s: literal %.40q does not decode: %v", f.Name, lit, err)
			}
			found[v] = true
		}
		for _, h := range hostile {
			if !found[h] {
				t.Errorf("%s: key %.20q is not rendered as one literal", f.Name, h)
			}
		}
	}
}

func FuzzQuoteKQL(f *testing.F) {
	for _, s := range []string{"", `"`, `\`, "\n", "\r\n", "\t", `\"`, "ü", "a'b", "\x00", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lit := QuoteKQL(s)
		if strings.ContainsAny(lit, "\n\r") {
			t.Fatalf("literal holds a raw line break: %q", lit)
		}
		got, err := UnquoteKQL(lit)
		if err != nil {
			t.Fatalf("QuoteKQL(%q) = %q does not decode: %v", s, lit, err)
		}
		if got != s {
			t.Fatalf("round trip: %q -> %q -> %q", s, lit, got)
		}
		// The literal is exactly one token: the scanner finds it whole.
		if m := kqlLiteral.FindString(lit); m != lit && strings.IndexByte(s, '\x00') < 0 && !strings.ContainsAny(s, "\n\r") {
			t.Fatalf("literal %q scans as %q", lit, m)
		}
	})
}

func TestQuoteKQLIdent(t *testing.T) {
	for in, want := range map[string]string{
		"TimeGenerated": "TimeGenerated", "_ResourceId": "_ResourceId", "Type": `["Type"]`,
		"Source IPs": `["Source IPs"]`, `a"b`: `["a\"b"]`,
	} {
		if got := QuoteKQLIdent(in); got != want {
			t.Errorf("QuoteKQLIdent(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestPrefilterIsASuperset: a prefilter is written only when every
// candidate source has a condition that keeps each row it can match:
// has_any only for keys Kusto's term match cannot miss, contains (a
// substring test) for text and for JSON that stores the keys verbatim.
func TestPrefilterIsASuperset(t *testing.T) {
	for _, c := range []struct {
		facet *Facet
		keys  []string
		pre   string // "" when nothing may be pre-selected
	}{
		{HostWindowsLogons, []string{"win-fs01"}, "has_any"},
		{IPOfficeActivity, []string{"193.27.228.147"}, "contains"},
		{IPAlerts, []string{"193.27.228.147"}, "contains"},
		{IPOfficeActivity, []string{"::1"}, "contains"},      // text: a substring test has no term edges
		{AccountWindowsLogons, []string{"win-fs01$"}, ""},    // derived key, punctuation at the edge
		{AccountSignins, []string{"bob_gmail.com#ext#"}, ""}, // same
		{IPAlerts, []string{`1.2.3.4\x`}, ""},                // Entities JSON would store it escaped
		{IPAlerts, []string{"1.2.3.4/32"}, ""},               // some JSON writers escape "/"
	} {
		q := goldenQuery
		q.Keys = c.keys
		st, err := c.facet.Render(KQL, forFacet(c.facet, q))
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, line := range strings.Split(st.Text, "\n") {
			if !strings.HasPrefix(line, "| where ") || strings.Contains(line, " between ") {
				continue
			}
			switch {
			case strings.Contains(line, " has_any "):
				got = "has_any"
			case strings.Contains(line, " contains "):
				got = "contains"
			}
			break
		}
		if got != c.pre {
			t.Errorf("%s %v: prefilter %q, want %q\n%s", c.facet.Name, c.keys, got, c.pre, st.Text)
		}
	}
}

// TestSQLSubstringPrefilterBounded: text keys are pre-selected by substring
// in SQL only up to maxSubstringKeys identifiers (each is a test on every
// row); past that only the extraction and the join decide.
func TestSQLSubstringPrefilterBounded(t *testing.T) {
	for _, n := range []int{1, maxSubstringKeys, maxSubstringKeys + 1, 100} {
		q := goldenQuery
		q.Keys = nil
		for i := 0; i < n; i++ {
			q.Keys = append(q.Keys, fmt.Sprintf("10.0.%d.%d", i/250, i%250))
		}
		st, err := IPOfficeActivity.Render(SQL, forFacet(IPOfficeActivity, q))
		if err != nil {
			t.Fatal(err)
		}
		tests := strings.Count(st.Text, "contains(lower(")
		want := 0
		if n <= maxSubstringKeys {
			want = 3 * n // three text columns
		}
		if tests != want {
			t.Errorf("%d keys: %d substring tests, want %d", n, tests, want)
		}
	}
}

// TestSQLKeysBoundAsOneList: DuckDB plans a statement with parameters at
// every run, at a cost that grows with each one, so identifiers are bound
// as lists: past the substring pre-selection, a facet's statement has as
// many parameters for 300 keys as for 17, and the lists hold every key;
// up to maxInlineSet keys are compared one by one.
func TestSQLKeysBoundAsOneList(t *testing.T) {
	keys := func(n int) []string {
		var out []string
		for i := 0; i < n; i++ {
			out = append(out, fmt.Sprintf("10.0.%d.%d", i/250, i%250))
		}
		return out
	}
	for _, f := range All {
		var params [2]int
		for i, n := range []int{maxSubstringKeys + 1, 300} {
			q := goldenQuery
			q.Keys = keys(n)
			st, err := f.Render(SQL, forFacet(f, q))
			if err != nil {
				t.Fatal(err)
			}
			params[i] = len(st.Args)
			if f.Keys.All {
				continue
			}
			longest := 0
			for _, a := range st.Args {
				if l, ok := a.([]string); ok {
					longest = max(longest, len(l))
				}
			}
			if longest < n {
				t.Errorf("%s, %d keys: the longest bound list holds %d", f.Name, n, longest)
			}
		}
		if params[0] != params[1] {
			t.Errorf("%s: %d parameters for %d keys, %d for 300", f.Name, params[0], maxSubstringKeys+1, params[1])
		}
		// A few keys are compared in the scan, not joined.
		q := goldenQuery
		q.Keys = keys(maxInlineSet)
		st, err := f.Render(SQL, forFacet(f, q))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(st.Text, "IN (SELECT unnest(") {
			t.Errorf("%s, %d keys: tested by a join", f.Name, maxInlineSet)
		}
	}
}

// TestComputedCandidatesComputedOnce: a computed candidate (a lower-cased
// or extracted form) is tested against a list of a few keys, computed
// once, where IN (a, b) computes it once per key; a plain column keeps
// IN, which DuckDB filters in the scan.
func TestComputedCandidatesComputedOnce(t *testing.T) {
	for _, tc := range []struct {
		keys         []string
		listContains int
	}{
		{[]string{"a@x.com"}, 0},
		{[]string{"a@x.com", "b@x.com"}, 3}, // lower(UPN), its user part, lower(UserId)
	} {
		q := goldenQuery
		q.Keys = tc.keys
		st, err := AccountSignins.Render(SQL, forFacet(AccountSignins, q))
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(st.Text, "list_contains("); n != tc.listContains {
			t.Errorf("%d keys: %d list tests, want %d\n%s", len(tc.keys), n, tc.listContains, st.Text)
		}
	}
	st, err := IPSignins.Render(SQL, forFacet(IPSignins, goldenQuery))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(st.Text, "list_contains(") || !strings.Contains(st.Text, `"IPAddress" IN (?, ?)`) {
		t.Errorf("a column is not tested with IN: %s", st.Text)
	}
}
