package facets

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"entitygraph/internal/kqlcheck"
)

// groupShapes are the queries a level asks of one facet: a page with its
// total, a page alone, totals alone; summaries and latest rows as they are.
func groupShapes(f *Facet) []Query {
	q := forFacet(f, goldenQuery)
	if f.Kind != Events {
		return []Query{q}
	}
	noTotal, counts := q, q
	noTotal.NoTotal = true
	counts.Limit = 0
	return []Query{q, noTotal, counts}
}

// TestCombine: queries share a statement only when they read the same rows
// for the same keys and their answers have no column in common.
func TestCombine(t *testing.T) {
	q := goldenQuery
	other := goldenQuery
	other.Keys = []string{"10.0.1.4"}
	wide := goldenQuery
	wide.AllColumns = true
	noTotal := goldenQuery
	noTotal.NoTotal = true
	for _, c := range []struct {
		name string
		ms   []Member
		want [][]string // facet names per group
	}{
		{"a page and a summary of sign-ins", []Member{{IPSignins, q}, {IPSigninAccounts, q}},
			[][]string{{"ip.relatedAccounts.signins", "ip.signins"}}},
		{"other tables stay apart", []Member{{IPSignins, q}, {IPOfficeAccounts, q}, {IPOfficeActivity, q}},
			[][]string{{"ip.officeActivity", "ip.relatedAccounts.officeActivity"}, {"ip.signins"}}},
		{"other keys stay apart", []Member{{IPSignins, q}, {IPSigninAccounts, other}},
			[][]string{{"ip.relatedAccounts.signins"}, {"ip.signins"}}},
		{"whole rows run alone", []Member{{IPSignins, wide}, {IPSigninAccounts, q}},
			[][]string{{"ip.relatedAccounts.signins"}, {"ip.signins"}}},
		{"two pages of one facet share columns", []Member{{IPSignins, q}, {IPSignins, noTotal}, {IPSigninAccounts, q}},
			[][]string{{"ip.relatedAccounts.signins", "ip.signins"}, {"ip.signins"}}},
		{"a queue runs alone", []Member{{AlertQueue, forFacet(AlertQueue, q)}}, [][]string{{"alerts.queue"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got [][]string
			for _, g := range Combine(c.ms) {
				var names []string
				for _, i := range g {
					names = append(names, c.ms[i].Facet.Name)
				}
				got = append(got, names)
			}
			slices.SortFunc(got, func(a, b []string) int { return strings.Compare(strings.Join(a, ","), strings.Join(b, ",")) })
			if !slices.EqualFunc(got, c.want, slices.Equal) {
				t.Errorf("groups %v, want %v", got, c.want)
			}
		})
	}
}

// TestKQLGroups renders every group Combine forms among the catalogue's
// facets, in every query shape, and sends each to Kusto's analyzer: the
// scan is read once, every member's answer is tagged, the golden group
// (an address's sign-ins page and its accounts) is as written.
func TestKQLGroups(t *testing.T) {
	c := kqlcheck.ForTest(t)
	person := AliasKey(append([]string{"megan.bowen@contoso.com", `contoso\megan.bowen`}, hostileKeys[:3]...))
	groups := 0
	for _, keys := range [][]string{goldenQuery.Keys, {person, "10.0.1.4"}, hostileKeys} {
		groups += checkGroups(t, c, keys)
	}
	t.Logf("%d groups", groups)
	if groups < 30 {
		t.Errorf("only %d groups formed among the catalogue's facets", groups)
	}
	gf, gq, err := Group([]Member{{IPSignins, goldenQuery}, {IPSigninAccounts, goldenQuery}}, goldenQuery.Keys)
	if err != nil {
		t.Fatal(err)
	}
	st, err := gf.Render(KQL, gq)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "kqlgroups", "ip.signins+ip.relatedAccounts.signins.kql")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(st.Text+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/facets -update)", err)
	}
	if st.Text+"\n" != string(want) {
		t.Errorf("%s differs from the golden file:\n%s", gf.Name, st.Text)
	}
	expectClean(t, c, gf.Name+" (golden)", st.Text)
}

// checkGroups renders every group Combine forms among the catalogue's
// facets for keys, in every query shape, through the analyzer, and returns
// how many it checked.
func checkGroups(t *testing.T, c *kqlcheck.Checker, keys []string) (groups int) {
	t.Helper()
	var ms []Member
	for _, f := range All {
		if f.Keys.All {
			continue
		}
		for _, q := range groupShapes(f) {
			q.Keys = keys
			ms = append(ms, Member{f, q})
		}
	}
	for _, g := range Combine(ms) {
		if len(g) < 2 {
			continue
		}
		members := make([]Member, len(g))
		for i, j := range g {
			members[i] = ms[j]
		}
		gf, gq, err := Group(members, ms[g[0]].Query.Keys)
		if err != nil {
			t.Fatal(err)
		}
		st, err := gf.Render(KQL, gq)
		if err != nil {
			t.Fatal(err)
		}
		groups++
		if n := strings.Count(st.Text, "\n| where "+QuoteKQLIdent(gf.Time)+" between"); n != 1 {
			t.Errorf("%s: the window is read %d times:\n%s", gf.Name, n, st.Text)
		}
		for i := range members {
			if !strings.Contains(st.Text, "| extend "+MemberColumn+" = "+strconv.Itoa(i)) {
				t.Errorf("%s: member %d untagged", gf.Name, i)
			}
		}
		expectClean(t, c, gf.Name, st.Text)
		if _, err := gf.Render(SQL, gq); err == nil {
			t.Errorf("%s: SQL rendered a group", gf.Name)
		}
	}
	return groups
}
