// Package schema holds the Sentinel table schemas (column names and Kusto
// types) that both query engines learn table shapes from.
package schema

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
)

//go:embed sentinel-tables.json
var tablesJSON []byte

// Kusto column types as they appear in the reference.
const (
	TypeString   = "string"
	TypeDatetime = "datetime"
	TypeBool     = "bool"
	TypeInt      = "int"
	TypeLong     = "long"
	TypeReal     = "real"
	TypeDynamic  = "dynamic"
	TypeGUID     = "guid"
	TypeTimespan = "timespan"
	TypeDecimal  = "decimal"
)

// Column is one column of a table.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Table is the documented shape of one Sentinel table.
type Table struct {
	Name    string
	Source  string   `json:"source"`
	Columns []Column `json:"columns"`
	byName  map[string]int
	byFold  map[string]int
}

// Column finds a column by exact name, then case-insensitively.
func (t *Table) Column(name string) (Column, bool) {
	if i, ok := t.byName[name]; ok {
		return t.Columns[i], true
	}
	if i, ok := t.byFold[strings.ToLower(name)]; ok {
		return t.Columns[i], true
	}
	return Column{}, false
}

var (
	loadOnce sync.Once
	tables   map[string]*Table
	loadErr  error
)

func load() {
	raw := map[string]json.RawMessage{}
	if loadErr = json.Unmarshal(tablesJSON, &raw); loadErr != nil {
		loadErr = fmt.Errorf("schema: decode sentinel-tables.json: %w", loadErr)
		return
	}
	tables = make(map[string]*Table, len(raw))
	for name, body := range raw {
		var t Table
		if err := json.Unmarshal(body, &t); err != nil || len(t.Columns) == 0 {
			continue // entries without a column list are notes, not tables
		}
		t.Name = name
		t.byName = make(map[string]int, len(t.Columns))
		t.byFold = make(map[string]int, len(t.Columns))
		for i, c := range t.Columns {
			t.byName[c.Name] = i
			t.byFold[strings.ToLower(c.Name)] = i
		}
		tables[name] = &t
	}
}

// Lookup returns the schema of a table, matching its name case-insensitively.
func Lookup(name string) (*Table, bool) {
	loadOnce.Do(load)
	if t, ok := tables[name]; ok {
		return t, true
	}
	for n, t := range tables {
		if strings.EqualFold(n, name) {
			return t, true
		}
	}
	return nil, false
}

// Names lists every known table, sorted.
func Names() []string {
	loadOnce.Do(load)
	out := make([]string, 0, len(tables))
	for n := range tables {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Err reports a failure to decode the embedded schemas (nil in a correct build).
func Err() error {
	loadOnce.Do(load)
	return loadErr
}

// Nearest is the documented table whose name is within two edits of name
// (case-insensitive), or "": what a misspelt export file meant.
func Nearest(name string) string {
	best, bestDist := "", 3
	lower := strings.ToLower(name)
	for _, n := range Names() {
		if d := editDistance(lower, strings.ToLower(n), bestDist); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, or limit when it is
// at least limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}
