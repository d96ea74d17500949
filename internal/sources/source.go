// Package sources defines what every log source returns, so resolvers
// cannot tell the engines apart.
package sources

import (
	"context"
	"errors"
	"fmt"

	"entitygraph/internal/facets"
)

// Row is one result row: column name to value (string, int64, float64,
// bool, time.Time, or decoded JSON for dynamic columns).
type Row = map[string]any

// Result is what one facet execution returns.
type Result struct {
	Statement string // the SQL or KQL text as sent
	Rows      []Row
}

// LogSource executes facets.
type LogSource interface {
	Name() string
	Run(ctx context.Context, f *facets.Facet, q facets.Query) (Result, error)
}

// ErrTableUnavailable reports a facet on a table the workspace does not have.
var ErrTableUnavailable = errors.New("table not available in this workspace")

// TableError names the missing table.
type TableError struct{ Table string }

func (e *TableError) Error() string {
	return fmt.Sprintf("table %s not available in this workspace", e.Table)
}

// Unwrap lets errors.Is match ErrTableUnavailable.
func (e *TableError) Unwrap() error { return ErrTableUnavailable }
