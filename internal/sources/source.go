// Package sources defines what every log source returns, so resolvers
// cannot tell the engines apart.
package sources

import (
	"context"
	"errors"
	"fmt"
	"net/http"

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

// Kind classifies a source failure for the field error users see.
type Kind int

// Failure kinds.
const (
	Unavailable     Kind = iota // the service failed or could not be reached
	Unauthenticated             // the credential was refused (401)
	Forbidden                   // the identity lacks access to the workspace (403)
	RateLimited                 // the service or our own budget said wait
	BadQuery                    // the service rejected the query text: a bug of ours
)

// Error is a classified source failure.
type Error struct {
	Source    string
	Workspace string // the workspace concerned, when one is
	Kind      Kind
	Err       error
}

func (e *Error) Error() string {
	if e.Workspace != "" {
		return fmt.Sprintf("%s workspace %s: %v", e.Source, e.Workspace, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Source, e.Err)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// PartialError marks a result that is incomplete: the rows returned are
// valid, but the service could not produce all of them.
type PartialError struct {
	Source string
	Err    error
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("%s returned partial results: %v", e.Source, e.Err)
}

// Unwrap returns the underlying error.
func (e *PartialError) Unwrap() error { return e.Err }

// RequestScoped sources answer each HTTP request as its caller: workspaces
// it picks, the analyst's own identity.
type RequestScoped interface {
	ForRequest(r *http.Request) (LogSource, error)
}
