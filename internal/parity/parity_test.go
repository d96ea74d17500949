package parity

import (
	"context"
	"strings"
	"testing"

	"entitygraph/internal/kqlcheck"
)

// TestEdgeCasesOnDuckDB: the embedded engine gives, for every edge case,
// the answer the Kusto documentation gives.
func TestEdgeCasesOnDuckDB(t *testing.T) {
	for _, c := range EdgeCases() {
		t.Run(c.Name, func(t *testing.T) {
			rows, err := RunDuckDB(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			if d := c.Diff(c.Project(rows)); d != "" {
				t.Errorf("%s\n(rule: %s)", d, c.Rule)
			}
		})
	}
}

// TestProbesPassTheAnalyzer: every case's datatable probe is KQL that
// Microsoft's analyzer accepts, with each hostile or odd value read back
// from the syntax tree as the literal it was.
func TestProbesPassTheAnalyzer(t *testing.T) {
	c := kqlcheck.ForTest(t)
	for _, pc := range EdgeCases() {
		text, err := ProbeKQL(pc)
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Check(text)
		if err != nil {
			t.Fatal(err)
		}
		if errs := res.Errors(); len(errs) > 0 {
			t.Errorf("%s: %v\n%s", pc.Name, errs, text)
			continue
		}
		for _, r := range pc.Rows {
			for _, v := range r {
				s, ok := v.(string)
				if ok && s != "" && !containsString(res.Literals, s) {
					t.Errorf("%s: value %q is not one literal of the probe", pc.Name, s)
				}
			}
		}
	}
}

// TestGroupProbesPassTheAnalyzer: every group probe (an edge case's facet
// with the other queries of its scan, over the case's rows) and each of
// its members alone pass Microsoft's analyzer.
func TestGroupProbesPassTheAnalyzer(t *testing.T) {
	c := kqlcheck.ForTest(t)
	probes, err := GroupProbes()
	if err != nil {
		t.Fatal(err)
	}
	if len(probes) < 5 {
		t.Fatalf("%d group probes: the edge cases no longer form groups", len(probes))
	}
	for _, p := range probes {
		for _, text := range append([]string{p.Text}, p.Members...) {
			res, err := c.Check(text)
			if err != nil {
				t.Fatal(err)
			}
			if errs := res.Errors(); len(errs) > 0 {
				t.Errorf("%s (%s): %v\n%s", p.Case.Name, p.Group.Name, errs, text)
			}
		}
	}
}

// TestDiffSeesADivergence: the comparison is not vacuous.
func TestDiffSeesADivergence(t *testing.T) {
	c := EdgeCases()[0]
	got := append([]map[string]string{}, c.Want...)
	if c.Diff(got) != "" {
		t.Fatal("equal answers differ")
	}
	got[0] = map[string]string{"_key": "1.2.3.4", "UserId": "other", "_total": "4"}
	if d := c.Diff(got); !strings.Contains(d, "UserId") {
		t.Errorf("diff = %q", d)
	}
	if c.Diff(got[:1]) == "" {
		t.Error("a missing row is not a difference")
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
