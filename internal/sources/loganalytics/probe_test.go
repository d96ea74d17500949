package loganalytics

import (
	"context"
	"testing"

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
