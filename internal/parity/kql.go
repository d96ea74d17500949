package parity

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	b.WriteString(st.Text)
	return b.String(), nil
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
