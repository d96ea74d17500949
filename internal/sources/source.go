// Package sources defines what every log source returns, so resolvers
// cannot tell the engines apart.
package sources

import (
	"context"
	"errors"
	"fmt"
	"time"

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
	// Partition names everything besides the facet query that decides the
	// answer: the source, the sorted workspace set and, when queries run as
	// the caller, the caller. Shared caches and coalescing are keyed by it.
	Partition() string
	Run(ctx context.Context, f *facets.Facet, q facets.Query) (Result, error)
}

// ScanCombiner is a LogSource that answers several facet queries of one
// scan with one statement (facets.Group), because a query saved is worth
// more than the work shared: Log Analytics counts concurrent queries.
type ScanCombiner interface {
	CombinesScans() bool
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
	Source     string
	Workspace  string // the workspace concerned, when one is
	Kind       Kind
	RetryAfter time.Duration // RateLimited: when to try again, when known
	Err        error
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

// LocalWorkspace names the embedded workspace in grants and headers.
const LocalWorkspace = "local"

// Scope is what one request may read and as whom, decided by the access
// layer once the caller is authenticated and authorized.
type Scope struct {
	Workspaces []string // workspace names, sorted and distinct
	Caller     Caller
}

// Caller is the authenticated identity behind a request.
type Caller struct {
	ID       string // "entra:<tid>/<oid>", "apikey:<name>", or "local"
	TenantID string // set for a validated Entra token
	ObjectID string // set for a validated Entra token
	Token    string // the validated bearer token, for on-behalf-of exchanges
}

type scopeKey struct{}

// WithScope stores a request's scope in its context.
func WithScope(ctx context.Context, sc Scope) context.Context {
	return context.WithValue(ctx, scopeKey{}, sc)
}

// ScopeFrom returns the request's scope, if the access layer set one.
func ScopeFrom(ctx context.Context) (Scope, bool) {
	sc, ok := ctx.Value(scopeKey{}).(Scope)
	return sc, ok
}

// RequestScoped sources answer each request within its scope: the
// workspaces it may read, as the caller when they query on its behalf.
type RequestScoped interface {
	// Workspaces lists the workspace names configured, and those a
	// request naming none gets.
	Workspaces() (all, defaults []string)
	// ForScope is the source as a request with this scope sees it.
	ForScope(sc Scope) (LogSource, error)
}

// TableInfo describes one table a source holds.
type TableInfo struct {
	Name     string
	Rows     int64
	Unknown  []string // columns the schema does not know
	Rejected int64    // malformed rows skipped
}

// TableLister is a source that knows its tables (the embedded workspace).
type TableLister interface {
	Name() string
	ListTables() []TableInfo
	Warnings() []string
}
