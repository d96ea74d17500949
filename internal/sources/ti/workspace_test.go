package ti

import (
	"testing"
	"time"
)

func TestWorkspaceResult(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.FixedZone("x", 3600))
	n := func(v int) *int { return &v }
	for _, c := range []struct {
		name     string
		found    []Indicator
		noTables bool
		verdict  Verdict
		status   Status
	}{
		{"no table", nil, true, Unknown, Disabled},
		{"no indicator", nil, false, None, NotFound},
		{"any indicator", []Indicator{{Confidence: n(50)}}, false, Medium, OK},
		{"confidence 80", []Indicator{{Confidence: n(50)}, {Confidence: n(80)}}, false, High, OK},
		{"no confidence", []Indicator{{}}, false, Medium, OK},
		{"legacy block", []Indicator{{Action: "Block"}}, false, High, OK},
		{"legacy alert", []Indicator{{Action: "alert"}}, false, High, OK},
		{"legacy allow", []Indicator{{Action: "allow", Confidence: n(79)}}, false, Medium, OK},
	} {
		r := WorkspaceResult(c.found, c.noTables, now)
		if r.Verdict != c.verdict || r.Status != c.status || r.Provider != WorkspaceName {
			t.Errorf("%s: %s %s, want %s %s", c.name, r.Verdict, r.Status, c.verdict, c.status)
		}
		if !c.noTables && !r.FetchedAt.Equal(now) {
			t.Errorf("%s: fetched at %v, want the injected clock's %v", c.name, r.FetchedAt, now)
		}
	}
}
