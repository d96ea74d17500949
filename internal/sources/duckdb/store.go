// Package duckdb is the embedded log store: a workspace directory of Sentinel
// table exports loaded into an in-process DuckDB database, typed by the
// shared table schemas, and queried with the SQL the facets render.
package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"entitygraph/internal/facets"
	"entitygraph/internal/sources"
)

// Name is how traces and errors name this source.
const Name = "duckdb"

// Store is an opened DuckDB database holding one workspace.
type Store struct {
	db       *sql.DB
	lenient  bool
	mu       sync.RWMutex
	tables   map[string]*TableReport // by table name
	warnings []string                // from loading, for operators
	stmts    *stmtCache              // nil: statements are not kept prepared

	memoryLimit string       // as set, derived, or raised
	memory      memoryPolicy // how a derived limit may grow
	memoryGrown string       // the limit loading raised it to, if it did
	ownTmp      string       // the spill directory Close removes
}

// Warnings lists what loading found wrong but did not fail on.
func (s *Store) Warnings() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]string(nil), s.warnings...)
}

// Options tune the embedded database.
type Options struct {
	MemoryLimit string // DuckDB memory_limit, e.g. "4GB"; empty: DefaultMemoryLimit of the machine
	// TempDir is where DuckDB spills what exceeds the memory limit; empty:
	// a directory of the store's own under the system's, removed on Close.
	TempDir  string
	Threads  int  // 0: one per core
	Lenient  bool // skip (count and report) malformed CSV rows instead of failing the load
	MaxConns int  // connections (queries at once); 0: two per core
	// PreparedStatements bounds the facet statements kept prepared; 0:
	// DefaultPreparedStatements, negative: none (every query parsed anew).
	PreparedStatements int
}

// Open creates an empty in-memory store. Extension auto-install and
// auto-load are disabled: DuckDB would otherwise try the network.
func Open(opts Options) (*Store, error) {
	// Results are always ordered explicitly, so loading need not keep
	// insertion order (which costs memory on large files).
	dsn := "?autoinstall_known_extensions=false&autoload_known_extensions=false&preserve_insertion_order=false"
	policy := newMemoryPolicy(opts.MemoryLimit)
	limit := memoryLimit(opts.MemoryLimit, policy)
	dsn += "&memory_limit=" + url.QueryEscape(limit)
	tmp, ownTmp := opts.TempDir, false
	if tmp == "" {
		var err error
		if tmp, err = os.MkdirTemp("", "entitygraph-duckdb-"); err != nil {
			return nil, fmt.Errorf("duckdb: spill directory: %w", err)
		}
		ownTmp = true
	}
	dsn += "&temp_directory=" + url.QueryEscape(tmp)
	if opts.Threads > 0 {
		dsn += fmt.Sprintf("&threads=%d", opts.Threads)
	}
	connector, err := duckdb.NewConnector(dsn, func(conn driver.ExecerContext) error {
		// Timestamps are UTC everywhere, whatever the host's zone.
		_, err := conn.ExecContext(context.Background(), "SET TimeZone = 'UTC'", nil)
		return err
	})
	if err != nil {
		removeOwn(tmp, ownTmp)
		return nil, fmt.Errorf("duckdb: open: %w", err)
	}
	db := sql.OpenDB(connector)
	// Queries past the pool wait for a connection instead of all running at
	// once on a few cores (every one slower, none finishing).
	conns := opts.MaxConns
	if conns <= 0 {
		conns = 2 * runtime.GOMAXPROCS(0)
	}
	db.SetMaxOpenConns(max(conns, 2))
	db.SetMaxIdleConns(max(conns, 2))
	if err := db.Ping(); err != nil {
		db.Close()
		removeOwn(tmp, ownTmp)
		return nil, fmt.Errorf("duckdb: open: %w", err)
	}
	st := &Store{db: db, tables: map[string]*TableReport{}, lenient: opts.Lenient, memoryLimit: limit, memory: policy}
	if ownTmp {
		st.ownTmp = tmp
	}
	if n := opts.PreparedStatements; n >= 0 {
		if n == 0 {
			n = DefaultPreparedStatements
		}
		st.stmts = newStmtCache(db, n)
	}
	return st, nil
}

// Close releases the database.
func (s *Store) Close() error {
	if s.stmts != nil {
		s.stmts.close()
	}
	err := s.db.Close()
	removeOwn(s.ownTmp, s.ownTmp != "")
	return err
}

func removeOwn(dir string, own bool) {
	if own {
		os.RemoveAll(dir)
	}
}

// MemoryLimit is DuckDB's memory limit, as set or as derived.
func (s *Store) MemoryLimit() string { return s.memoryLimit }

// DB exposes the database for loaders and benchmarks in this module.
func (s *Store) DB() *sql.DB { return s.db }

// HasTable reports whether the workspace provided the table.
func (s *Store) HasTable(name string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.tables[name]
	return ok
}

// Tables returns the load report of every table, by name.
func (s *Store) Tables() map[string]TableReport {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]TableReport, len(s.tables))
	for n, t := range s.tables {
		out[n] = *t
	}
	return out
}

// Row is one result row (see sources.Row).
type Row = sources.Row

// Name names the source in traces and errors.
func (s *Store) Name() string { return Name }

// Partition is the same for every request: one embedded workspace,
// queried as the server.
func (s *Store) Partition() string { return Name + "|" + sources.LocalWorkspace }

// Run renders the facet to SQL and executes it.
func (s *Store) Run(ctx context.Context, f *facets.Facet, q facets.Query) (sources.Result, error) {
	if !s.HasTable(f.Table) {
		return sources.Result{}, &sources.TableError{Table: f.Table}
	}
	st, err := f.Render(facets.SQL, q)
	if err != nil {
		return sources.Result{}, err
	}
	rows, err := s.runPrepared(ctx, st.Text, st.Args...)
	if err != nil {
		return sources.Result{Statement: st.Text}, fmt.Errorf("duckdb: facet %s: %w", f.Name, err)
	}
	return sources.Result{Statement: st.Text, Rows: rows}, nil
}

// runPrepared runs a facet statement through the prepared-statement cache.
func (s *Store) runPrepared(ctx context.Context, text string, args ...any) ([]Row, error) {
	if s.stmts == nil {
		return s.query(ctx, text, args...)
	}
	stmt, release, err := s.stmts.acquire(ctx, text)
	if err != nil {
		return nil, err
	}
	defer release()
	rs, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	return scanRows(rs)
}

func (s *Store) query(ctx context.Context, text string, args ...any) ([]Row, error) {
	rs, err := s.db.QueryContext(ctx, text, args...)
	if err != nil {
		return nil, err
	}
	return scanRows(rs)
}

// scanRows reads a result into rows of the shared value types.
func scanRows(rs *sql.Rows) ([]Row, error) {
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return nil, err
	}
	types, err := rs.ColumnTypes()
	if err != nil {
		return nil, err
	}
	var out []Row
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make(Row, len(cols))
		for i, c := range cols {
			row[c] = normalize(vals[i], types[i].DatabaseTypeName())
		}
		out = append(out, row)
	}
	return out, rs.Err()
}

// normalize maps driver values onto the row value types both engines share.
func normalize(v any, dbType string) any {
	switch x := v.(type) {
	case nil:
		return nil
	case time.Time:
		return x.UTC()
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	case uint64:
		return int64(x)
	case float32:
		return float64(x)
	case []byte:
		return string(x)
	case []any:
		for i := range x {
			x[i] = normalize(x[i], "")
		}
		return x
	case string:
		if dbType == "JSON" {
			return decodeJSON(x)
		}
		return x
	}
	return v
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func decodeJSON(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return s
	}
	return v
}

// ListTables lists the loaded tables (sources.TableLister).
func (s *Store) ListTables() []sources.TableInfo {
	var out []sources.TableInfo
	for _, t := range s.Tables() {
		out = append(out, sources.TableInfo{Name: t.Table, Rows: t.Rows, Unknown: t.Unknown, Rejected: t.Rejected})
	}
	return out
}
