package facets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"entitygraph/internal/kqlcheck"
)

// hostileKeys reach KQL as string literals; each must parse back exactly.
var hostileKeys = []string{
	`1.2.3.4" or 1==1 //`, `'; drop table x`, `it's "quoted"`, "new\nline\r\n", "tab\tand\x00nul", `back\slash\`,
	`\"`, `|`, `;`, `//`, `/* */`, "ünï©ødé 🎯 \u2028", "{}[]()$@#", strings.Repeat(`"\`, 2600),
	strings.Repeat("A", 10240),
}

// TestKQLAnalyzer sends every golden facet query, and every facet rendered
// for hostile keys and for all columns, to Kusto's own analyzer.
func TestKQLAnalyzer(t *testing.T) {
	c := kqlcheck.ForTest(t)
	golden, err := filepath.Glob("testdata/kql/*.kql")
	if err != nil || len(golden) != len(All) {
		t.Fatalf("%d golden files for %d facets (%v)", len(golden), len(All), err)
	}
	for _, path := range golden {
		text, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		expectClean(t, c, filepath.Base(path), string(text))
	}
	for _, f := range All {
		wide := goldenQuery
		wide.AllColumns = true
		st, err := f.Render(KQL, forFacet(f, wide))
		if err != nil {
			t.Fatal(err)
		}
		expectClean(t, c, f.Name+" (all columns)", st.Text)

		q := goldenQuery
		q.Keys = hostileKeys
		st, err = f.Render(KQL, forFacet(f, q))
		if err != nil {
			t.Fatal(err)
		}
		if f.Kind == Events {
			narrow := goldenQuery
			narrow.NoTotal = true
			st, err := f.Render(KQL, forFacet(f, narrow))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(st.Text, "_total") || strings.Contains(st.Text, "join") {
				t.Errorf("%s: a page without total still counts:\n%s", f.Name, st.Text)
			}
			expectClean(t, c, f.Name+" (no total)", st.Text)
			counts := goldenQuery
			counts.Limit = 0
			st, err = f.Render(KQL, forFacet(f, counts))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(st.Text, "sort by "+QuoteKQLIdent(f.Time)) || strings.Contains(st.Text, "row_number") || strings.Contains(st.Text, "materialize") {
				t.Errorf("%s: totals alone still choose a page:\n%s", f.Name, st.Text)
			}
			expectClean(t, c, f.Name+" (totals alone)", st.Text)
		}
		res := expectClean(t, c, f.Name+" (hostile keys)", st.Text)
		for _, k := range hostileKeys {
			if !contains(res.Literals, k) {
				t.Errorf("%s: key %.30q is not a literal of the parsed query", f.Name, k)
			}
		}
		if f.Keys.All {
			continue
		}
		// Aliased keys: one person's identifiers (hostile ones among them)
		// beside a plain key.
		aliased := goldenQuery
		person := AliasKey(append([]string{"megan.bowen@contoso.com", `contoso\megan.bowen`}, hostileKeys[:3]...))
		aliased.Keys = []string{person, "10.0.1.4"}
		st, err = f.Render(KQL, forFacet(f, aliased))
		if err != nil {
			t.Fatal(err)
		}
		res = expectClean(t, c, f.Name+" (aliased keys)", st.Text)
		for _, k := range append(Aliases(person), person, "10.0.1.4") {
			if !contains(res.Literals, k) {
				t.Errorf("%s: identifier %.30q is not a literal of the aliased query", f.Name, k)
			}
		}
	}
}

// TestKQLAnalyzerCatchesErrors: the check can fail.
func TestKQLAnalyzerCatchesErrors(t *testing.T) {
	c := kqlcheck.ForTest(t)
	for _, q := range []string{
		`SigninLogs | where NoSuchColumn == "x"`,
		`NoSuchTable | take 1`,
		`SigninLogs | where IPAddress == "unterminated`,
		`SigninLogs | summarize count() by`,
	} {
		res, err := c.Check(q)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Errors()) == 0 {
			t.Errorf("no error reported for %q", q)
		}
	}
}

func expectClean(t *testing.T, c *kqlcheck.Checker, name, text string) kqlcheck.Result {
	t.Helper()
	res, err := c.Check(text)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, d := range res.Errors() {
		lo, hi := max(0, d.Start-40), min(len(text), d.End+40)
		t.Errorf("%s: %s %s at %d: …%s…", name, d.Code, d.Message, d.Start, text[lo:hi])
	}
	return res
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// FuzzKQLLiteral renders facets for a fuzzed key and checks, through the
// analyzer's syntax tree, that the query is clean and holds the key as one
// literal whose value equals it exactly.
//
//	go test ./internal/facets -run XXX -fuzz FuzzKQLLiteral
func FuzzKQLLiteral(f *testing.F) {
	for _, k := range hostileKeys[:13] {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if !utf8.ValidString(key) {
			t.Skip("GraphQL strings are UTF-8")
		}
		c := kqlcheck.ForTest(t)
		q := goldenQuery
		q.Keys = []string{key}
		for _, fc := range []*Facet{IPSignins, IPAlerts, IPLinuxLogons} {
			st, err := fc.Render(KQL, q)
			if err != nil {
				t.Fatal(err)
			}
			res := expectClean(t, c, fc.Name, st.Text)
			if !contains(res.Literals, key) {
				t.Fatalf("%s: key %q not parsed back; literals %q", fc.Name, key, res.Literals)
			}
		}
	})
}
