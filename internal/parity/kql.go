package parity

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"entitygraph/internal/facets"
	"entitygraph/internal/schema"
)

// ProbeKQL is the case as one self-contained query: the facet's KQL over
// `let <Table> = datatable(<every documented column>)[<the rows>]`, so
// that it runs on any workspace and reads nothing but the case's rows.
func ProbeKQL(c Case) (string, error) {
	t, ok := schema.Lookup(c.Facet.Table)
	if !ok {
		return "", fmt.Errorf("parity: table %s has no documented schema", c.Facet.Table)
	}
	for _, r := range c.Rows {
		for col := range r {
			if _, ok := t.Column(col); !ok {
				return "", fmt.Errorf("parity: %s: %s has no column %s", c.Name, t.Name, col)
			}
		}
	}
	st, err := c.Facet.Render(facets.KQL, c.Query)
	if err != nil {
		return "", err
	}
	return overRows(c, t, st.Text)
}

// overRows is KQL text preceded by the case's rows as its table.
func overRows(c Case, t *schema.Table, text string) (string, error) {
	var b strings.Builder
	b.WriteString("let ")
	b.WriteString(facets.QuoteKQLIdent(t.Name))
	b.WriteString(" = datatable(")
	for i, col := range t.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(facets.QuoteKQLIdent(col.Name) + ":" + col.Type)
	}
	b.WriteString(")[")
	for i, r := range c.Rows {
		b.WriteString("\n    ")
		for j, col := range t.Columns {
			if j > 0 {
				b.WriteString(", ")
			}
			v, err := literal(r[col.Name], col.Type)
			if err != nil {
				return "", fmt.Errorf("parity: %s row %d column %s: %w", c.Name, i, col.Name, err)
			}
			b.WriteString(v)
		}
		b.WriteString(",")
	}
	b.WriteString("\n];\n")
	b.WriteString(text)
	return b.String(), nil
}

// GroupProbe is a case's facet query sent with the catalogue's other
// queries of its scan as one statement (facets.Group), over the case's
// rows: split by member, each answer must equal the member's own query
// on the same engine.
type GroupProbe struct {
	Case    Case
	Group   *facets.Facet
	Query   facets.Query
	Text    string   // the group over the case's rows
	Members []string // each member alone over the case's rows
}

// GroupProbes lists, for each edge case, the group its facet forms with
// the catalogue's facets on its table (and its own totals alone), in the
// case's query shape.
func GroupProbes() ([]GroupProbe, error) {
	var out []GroupProbe
	for _, c := range EdgeCases() {
		t, ok := schema.Lookup(c.Facet.Table)
		if !ok {
			continue
		}
		ms := []facets.Member{{Facet: c.Facet, Query: c.Query}}
		if c.Facet.Kind == facets.Events && c.Query.Limit > 0 {
			counts := c.Query
			counts.Limit = 0
			ms = append(ms, facets.Member{Facet: c.Facet, Query: counts})
		}
		for _, f := range facets.All {
			if f.Table == c.Facet.Table && f != c.Facet {
				ms = append(ms, facets.Member{Facet: f, Query: c.Query})
			}
		}
		for _, idx := range facets.Combine(ms) {
			if len(idx) < 2 || !slices.Contains(idx, 0) {
				continue
			}
			members := make([]facets.Member, len(idx))
			for i, j := range idx {
				members[i] = ms[j]
			}
			g, q, err := facets.Group(members, c.Query.Keys)
			if err != nil {
				return nil, err
			}
			st, err := g.Render(facets.KQL, q)
			if err != nil {
				return nil, err
			}
			p := GroupProbe{Case: c, Group: g, Query: q}
			if p.Text, err = overRows(c, t, st.Text); err != nil {
				return nil, err
			}
			for _, m := range g.Members() {
				st, err := m.Facet.Render(facets.KQL, m.Within(q))
				if err != nil {
					return nil, err
				}
				text, err := overRows(c, t, st.Text)
				if err != nil {
					return nil, err
				}
				p.Members = append(p.Members, text)
			}
			out = append(out, p)
		}
	}
	return out, nil
}

// literal writes a value as a KQL literal of the column's type; a missing
// value is the type's null (a string's is "": strings are never null).
func literal(v any, typ string) (string, error) {
	if v == nil {
		if typ == schema.TypeString {
			return `""`, nil
		}
		return typ + "(null)", nil
	}
	switch typ {
	case schema.TypeString:
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("want a string, have %T", v)
		}
		return facets.QuoteKQL(s), nil
	case schema.TypeDatetime:
		t, ok := v.(time.Time)
		if !ok {
			return "", fmt.Errorf("want a time, have %T", v)
		}
		return "datetime(" + t.UTC().Format("2006-01-02T15:04:05.0000000Z") + ")", nil
	case schema.TypeBool:
		b, ok := v.(bool)
		if !ok {
			return "", fmt.Errorf("want a bool, have %T", v)
		}
		return strconv.FormatBool(b), nil
	case schema.TypeInt, schema.TypeLong:
		switch n := v.(type) {
		case int64:
			return typ + "(" + strconv.FormatInt(n, 10) + ")", nil
		case int:
			return typ + "(" + strconv.Itoa(n) + ")", nil
		}
		return "", fmt.Errorf("want an integer, have %T", v)
	case schema.TypeReal, schema.TypeDecimal:
		f, ok := v.(float64)
		if !ok {
			return "", fmt.Errorf("want a float64, have %T", v)
		}
		return typ + "(" + strconv.FormatFloat(f, 'g', -1, 64) + ")", nil
	case schema.TypeDynamic:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return "", err
		}
		return "dynamic(" + strings.TrimSpace(buf.String()) + ")", nil
	case schema.TypeGUID:
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("want a GUID string, have %T", v)
		}
		return "guid(" + s + ")", nil
	}
	return "", fmt.Errorf("no literal for type %s", typ)
}
