package loganalytics

import (
	"context"
	"reflect"
	"testing"

	"entitygraph/internal/decorate"
	"entitygraph/internal/parity"
)

// TestProbeThroughTheQueryAPI sends every parity probe through the real
// azlogs client to the TLS fake, which answers with the case's rows run on
// DuckDB (its SQL twin), and compares the decoded wire rows with the
// documented answer. It proves the probe's client path and the decoding of
// every wire type the cases use, not the KQL's meaning: that needs
// `egbench kqlprobe` on a live workspace.
func TestProbeThroughTheQueryAPI(t *testing.T) {
	ctx := context.Background()
	for _, c := range parity.EdgeCases() {
		store, err := parity.LoadDuckDB(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		f := newFakeAzure(t, store)
		src := newSource(t, f, nil)
		text, err := parity.ProbeKQL(c)
		if err != nil {
			t.Fatal(err)
		}
		f.observe(c.Facet, c.Query, text)
		rows, err := src.Probe(ctx, text, c.Query.Start, apiEnd(c.Facet, c.Query.End))
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if d := c.Diff(c.Project(rows)); d != "" {
			t.Errorf("%s: %s", c.Name, d)
		}
		if got := f.received[len(f.received)-1].KQL; got != text {
			t.Errorf("%s: the fake received another text", c.Name)
		}
	}
}

// TestGroupProbesThroughTheQueryAPI sends every group probe and each of
// its members alone through the real client to the fake and compares the
// group's answer, split by member, with the members' own: the path
// `egbench kqlprobe` takes for groups on a live workspace, where the
// comparison proves union, materialize and row_number as documented.
func TestGroupProbesThroughTheQueryAPI(t *testing.T) {
	ctx := context.Background()
	probes, err := parity.GroupProbes()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probes {
		store, err := parity.LoadDuckDB(ctx, p.Case)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		f := newFakeAzure(t, store)
		src := newSource(t, f, nil)
		f.observe(p.Group, p.Query, p.Text)
		for i, m := range p.Group.Members() {
			f.observe(m.Facet, m.Within(p.Query), p.Members[i])
		}
		rows, err := src.Probe(ctx, p.Text, p.Query.Start, apiEnd(p.Group, p.Query.End))
		if err != nil {
			t.Fatalf("%s: %v", p.Group.Name, err)
		}
		split := decorate.SplitMembers(p.Group, rows)
		nonEmpty := 0
		for i, text := range p.Members {
			alone, err := src.Probe(ctx, text, p.Query.Start, apiEnd(p.Group, p.Query.End))
			if err != nil {
				t.Fatalf("%s member %d: %v", p.Group.Name, i, err)
			}
			if len(alone) > 0 {
				nonEmpty++
			}
			if len(alone) == 0 {
				alone = nil
			}
			if !reflect.DeepEqual(split[i], alone) {
				t.Errorf("%s (%s), member %d: the group's rows\n %v\ndiffer from its own\n %v", p.Case.Name, p.Group.Name, i, split[i], alone)
			}
		}
		if nonEmpty == 0 {
			t.Errorf("%s: every member answered nothing: nothing compared", p.Group.Name)
		}
	}
}
