package loganalytics

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/monitor/query/azlogs"

	"entitygraph/internal/sources"
)

// decodeTable turns a response table into rows of the shared row type:
// datetime (sent as text) → time.Time, long and int (sent as JSON numbers)
// → int64, real and decimal → float64, dynamic (sent as JSON text) →
// decoded JSON, the rest → string.
func decodeTable(t azlogs.Table) ([]sources.Row, error) {
	rows := make([]sources.Row, 0, len(t.Rows))
	for i, raw := range t.Rows {
		if len(raw) != len(t.Columns) {
			return nil, fmt.Errorf("row %d has %d values for %d columns", i, len(raw), len(t.Columns))
		}
		row := make(sources.Row, len(raw))
		for j, c := range t.Columns {
			if c.Name == nil {
				continue
			}
			typ := azlogs.ColumnTypeString
			if c.Type != nil {
				typ = *c.Type
			}
			v, err := decodeValue(raw[j], typ)
			if err != nil {
				return nil, fmt.Errorf("row %d column %s (%s): %w", i, *c.Name, typ, err)
			}
			row[*c.Name] = v
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func decodeValue(v any, typ azlogs.ColumnType) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case azlogs.ColumnTypeDatetime:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("datetime is %T", v)
		}
		if s == "" {
			return nil, nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, err
		}
		return t.UTC(), nil
	case azlogs.ColumnTypeLong, azlogs.ColumnTypeInt:
		switch x := v.(type) {
		case float64:
			return int64(x), nil
		case string:
			return strconv.ParseInt(x, 10, 64)
		}
		return nil, fmt.Errorf("integer is %T", v)
	case azlogs.ColumnTypeReal, azlogs.ColumnTypeDecimal:
		switch x := v.(type) {
		case float64:
			return x, nil
		case string:
			if x == "NaN" || x == "" {
				return nil, nil
			}
			return strconv.ParseFloat(x, 64)
		}
		return nil, fmt.Errorf("real is %T", v)
	case azlogs.ColumnTypeBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case float64: // older responses send 0/1
			return x != 0, nil
		}
		return nil, fmt.Errorf("bool is %T", v)
	case azlogs.ColumnTypeDynamic:
		s, ok := v.(string)
		if !ok {
			return v, nil // already structured
		}
		if s == "" {
			return nil, nil
		}
		var out any
		if err := json.Unmarshal([]byte(s), &out); err != nil {
			return s, nil // a dynamic string value
		}
		return out, nil
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	return fmt.Sprint(v), nil
}
