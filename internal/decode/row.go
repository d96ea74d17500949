// Package decode turns facet rows into models: one decoder per facet (or
// per group of facets read together), each registered in uses.go with the
// facets it reads, and held by test to the columns they return. Every
// read goes through the typed getters here.
package decode

import (
	"encoding/json"
	"entitygraph/internal/facets"
	"entitygraph/internal/sources"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Row is one result row of a facet query.
type Row = sources.Row

// readsKey marks a recording Row (recordReads): every column a decoder
// reads through get is noted, so a test can hold each decoder to the
// columns its facets project.
const readsKey = "\x00reads"

// get reads one column of a Row: every typed getter goes through it.
func get(r Row, col string) any {
	if log, ok := r[readsKey].(*[]string); ok {
		*log = append(*log, col)
		return nil
	}
	return r[col]
}

// recordReads returns an empty Row that records the columns read from it.
func recordReads() (Row, *[]string) {
	log := &[]string{}
	return Row{readsKey: log}, log
}

// intCol reads a count or number column.
func Int(r Row, col string) int { return IntOf(get(r, col)) }

// Columns is the Row as users see it: every table column, no internals.
func Columns(r Row) map[string]any {
	if _, ok := r[readsKey]; ok {
		return nil
	}
	out := make(map[string]any, len(r))
	for k, v := range r {
		if k != facets.KeyColumn && k != facets.TotalColumn {
			out[k] = v
		}
	}
	return out
}

// Str reads a column as text (dynamic values as JSON); empty is nil.
func Str(r Row, col string) *string {
	switch v := get(r, col).(type) {
	case nil:
		return nil
	case string:
		if v == "" {
			return nil
		}
		return &v
	case map[string]any, []any:
		b, _ := json.Marshal(v)
		s := string(b)
		return &s
	case float64:
		s := strconv.FormatFloat(v, 'f', -1, 64)
		return &s
	case time.Time:
		s := v.Format(time.RFC3339Nano)
		return &s
	default:
		s := strings.TrimSpace(strings.Trim(strconvAny(v), `"`))
		return &s
	}
}

func strconvAny(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// StrOr reads a column as text, or def.
func StrOr(r Row, col, def string) string {
	if s := Str(r, col); s != nil {
		return *s
	}
	return def
}

// IntOf converts a number (or numeric text) to an int.
func IntOf(v any) int {
	switch x := v.(type) {
	case int64:
		return int(x)
	case int:
		return x
	case float64:
		if math.IsNaN(x) {
			return 0
		}
		return int(x)
	case string:
		n, _ := strconv.Atoi(x)
		return n
	}
	return 0
}

// IntP reads a number column; nil when it is missing.
func IntP(r Row, col string) *int {
	v := get(r, col)
	if v == nil {
		return nil
	}
	n := IntOf(v)
	return &n
}

// Time reads a datetime column.
func Time(r Row, col string) *time.Time {
	if t, ok := get(r, col).(time.Time); ok {
		return &t
	}
	return nil
}

// JSON reads a dynamic column, decoding JSON text.
func JSON(r Row, col string) any {
	switch v := get(r, col).(type) {
	case string:
		var out any
		if json.Unmarshal([]byte(v), &out) == nil {
			return out
		}
		return v
	default:
		return v
	}
}

// List reads a dynamic array, a JSON array in text, or a comma-separated
// list into sorted, distinct non-empty strings.
func List(r Row, col string) []string {
	var items []string
	switch v := JSON(r, col).(type) {
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				items = append(items, s)
			} else if x != nil {
				items = append(items, strconvAny(x))
			}
		}
	case string:
		items = strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == ';' || c == ' ' })
	}
	seen := map[string]bool{}
	out := []string{}
	for _, s := range items {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// Bool reads a boolean column (true/false, 1/0).
func Bool(r Row, col string) *bool {
	switch v := get(r, col).(type) {
	case bool:
		return &v
	case string:
		b := strings.EqualFold(v, "true")
		return &b
	}
	return nil
}

// Nested reads a string field of a dynamic object column.
func Nested(r Row, col, field string) *string {
	if m, ok := JSON(r, col).(map[string]any); ok {
		if s, ok := m[field].(string); ok && s != "" {
			return &s
		}
	}
	return nil
}

// FirstOf reads the first of the columns that is set.
func FirstOf(r Row, cols ...string) *string {
	for _, c := range cols {
		if s := Str(r, c); s != nil {
			return s
		}
	}
	return nil
}
