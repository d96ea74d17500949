package decode

import (
	"slices"
	"testing"

	"entitygraph/internal/facets"
	"entitygraph/internal/schema"
)

// TestDecodersReadWhatTheirFacetsProject: every column a decoder reads is
// in the answer of each facet it decodes (the projected columns of narrow
// events, the groups and aggregates of summaries, a documented column of
// whole rows) — a field can never be null for want of a projected column,
// nor read a column no table has.
func TestDecodersReadWhatTheirFacetsProject(t *testing.T) {
	for _, d := range decoderUses {
		for i, f := range d.facets {
			r, log := recordReads()
			if d.decode != nil {
				d.decode(r)
			} else {
				rows := make([][]Row, len(d.facets))
				rows[i] = []Row{r}
				d.combine(rows)
			}
			if len(*log) == 0 {
				t.Errorf("%s reads nothing of %s through the Row getters", d.name, f.Name)
			}
			cols, all := f.Returns(facets.Query{Limit: 1})
			table, known := schema.Lookup(f.Table)
			for _, c := range *log {
				switch {
				case slices.Contains(cols, c):
				case all && known && hasColumn(table, c):
				case all && slices.Contains(exportedOnly[f.Table], c):
				default:
					t.Errorf("%s reads %s, which %s does not return (returns %v, whole rows %v)", d.name, c, f.Name, cols, all)
				}
			}
		}
	}
}

func hasColumn(t *schema.Table, name string) bool {
	_, ok := t.Column(name)
	return ok
}
