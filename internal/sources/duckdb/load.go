package duckdb

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"entitygraph/internal/schema"
)

// TableReport says how a table was loaded.
type TableReport struct {
	Table        string
	Files        []string
	Rows         int64
	Unknown      []string // file columns the schema does not know (kept as text)
	TimeFallback string   // file column that filled a missing TimeGenerated
	Rejected     int64    // malformed rows skipped (lenient loads only)
	Warnings     []string // empty files, skipped rows
	Duration     time.Duration
}

// LoadReport summarises a workspace load.
type LoadReport struct {
	Tables   []TableReport
	Skipped  []string // entries that are not table exports
	Special  []string // FIFOs, sockets, devices: never opened (a FIFO would block start-up)
	Warnings []string // everything an operator should read: skipped files, unknown table names, empty files, rejected rows
	Rows     int64
	Duration time.Duration
}

var exportExt = []string{".jsonl", ".ndjson", ".json", ".csv", ".parquet"}

// splitExport returns the table name and format of a file name such as
// "SigninLogs.csv.gz", or ok=false.
func splitExport(name string) (table, format string, ok bool) {
	base := strings.TrimSuffix(name, ".gz")
	for _, ext := range exportExt {
		if strings.HasSuffix(strings.ToLower(base), ext) {
			return base[:len(base)-len(ext)], ext, true
		}
	}
	return "", "", false
}

// LoadDir loads a workspace directory: one <Table>.<ext>[.gz] file, or one
// <Table>/ folder of such files, per table.
func (s *Store) LoadDir(ctx context.Context, dir string) (LoadReport, error) {
	start := time.Now()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return LoadReport{}, fmt.Errorf("workspace %s: %w", dir, err)
	}
	files := map[string][]string{} // table -> files
	var rep LoadReport
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		kind := entryKind(p, e)
		if kind == kindSpecial {
			rep.Special = append(rep.Special, e.Name())
			continue
		}
		if kind == kindDir {
			sub, err := os.ReadDir(p)
			if err != nil {
				return rep, fmt.Errorf("workspace %s: %w", p, err)
			}
			for _, f := range sub {
				fp := filepath.Join(p, f.Name())
				switch k := entryKind(fp, f); {
				case k == kindSpecial:
					rep.Special = append(rep.Special, filepath.Join(e.Name(), f.Name()))
				case k == kindFile:
					if _, _, ok := splitExport(f.Name()); ok {
						files[e.Name()] = append(files[e.Name()], fp)
					}
				}
			}
			continue
		}
		table, _, ok := splitExport(e.Name())
		if !ok {
			rep.Skipped = append(rep.Skipped, e.Name())
			continue
		}
		files[table] = append(files[table], p)
	}
	names := make([]string, 0, len(files))
	for t := range files {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, f := range rep.Special {
		rep.Warnings = append(rep.Warnings, f+": not a regular file (FIFO, socket or device): skipped")
	}
	for _, f := range rep.Skipped {
		rep.Warnings = append(rep.Warnings, f+": not a table export (<Table>.jsonl, .ndjson, .json, .csv or .parquet, optionally .gz): skipped")
	}
	for _, t := range names {
		if w := tableNameWarning(t); w != "" {
			rep.Warnings = append(rep.Warnings, w)
		}
	}
	for _, t := range names {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		tr, err := s.LoadTable(ctx, t, files[t])
		for err != nil && isOutOfMemory(err) && s.growMemory(ctx) {
			tr, err = s.LoadTable(ctx, t, files[t]) // the table is created anew
		}
		if err != nil {
			return rep, err
		}
		rep.Tables = append(rep.Tables, tr)
		rep.Rows += tr.Rows
		rep.Warnings = append(rep.Warnings, tr.Warnings...)
	}
	s.keepHeadroom(ctx)
	if s.memoryGrown != "" {
		rep.Warnings = append(rep.Warnings, "the workspace needed more than the default memory limit: raised to "+s.memoryLimit+" (set --memory-limit to choose)")
	}
	rep.Duration = time.Since(start)
	s.mu.Lock()
	s.warnings = append(s.warnings, rep.Warnings...)
	s.mu.Unlock()
	return rep, nil
}

// tableNameWarning says when a file names no documented table: custom
// tables (…_CL) are expected, a near miss of a documented name is not.
func tableNameWarning(table string) string {
	if _, ok := schema.Lookup(table); ok || strings.HasSuffix(table, "_CL") {
		return ""
	}
	if near := schema.Nearest(table); near != "" {
		return fmt.Sprintf("%s is not a documented Sentinel table (did you mean %s?): loaded as a custom table, no facet reads it", table, near)
	}
	return fmt.Sprintf("%s is not a documented Sentinel table: loaded as a custom table, no facet reads it", table)
}

type fileKind int

const (
	kindFile fileKind = iota
	kindDir
	kindSpecial
)

// entryKind classifies a directory entry, following symbolic links.
func entryKind(path string, e os.DirEntry) fileKind {
	mode := e.Type()
	if mode&os.ModeSymlink != 0 {
		fi, err := os.Stat(path)
		if err != nil {
			return kindSpecial
		}
		mode = fi.Mode().Type()
	}
	switch {
	case mode.IsDir():
		return kindDir
	case mode.IsRegular():
		return kindFile
	}
	return kindSpecial
}

// rawColumn is one column of an export file, read as text.
type rawColumn struct {
	name     string // as in the file
	norm     string // header suffixes such as " [UTC]" removed
	accessor string // SQL yielding the value as VARCHAR
}

var headerSuffix = regexp.MustCompile(`\s*\[[^\]]*\]$`)

// timeFallbacks fill TimeGenerated when an export lacks it.
var timeFallbacks = []string{"CreatedDateTime", "EventSubmissionTimestamp", "TimeCreated", "Timestamp", "StartTime", "CreationTime", "Start_Time", "EventTime"}

// LoadTable creates a table typed by its schema (every documented column,
// NULL where the files have none) and loads the files into it.
func (s *Store) LoadTable(ctx context.Context, table string, paths []string) (TableReport, error) {
	start := time.Now()
	if sch, ok := schema.Lookup(table); ok {
		table = sch.Name
	}
	rep := TableReport{Table: table, Files: paths}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return rep, err
	}
	defer conn.Close()
	sch, known := schema.Lookup(table)
	var cols []schema.Column
	if known {
		cols = append(cols, sch.Columns...)
	}
	colIndex := map[string]int{}
	for i, c := range cols {
		colIndex[strings.ToLower(c.Name)] = i
	}
	type plan struct {
		path    string
		from    string
		raw     []rawColumn
		byNorm  map[string]rawColumn // raw by lower-cased normalised name
		rejects string               // the CSV reader's table of malformed rows; "" for other formats
	}
	var plans []plan
	for i, p := range paths {
		from, raw, rejects, err := s.rawRelation(ctx, conn, p, fmt.Sprintf("_raw_%d", i))
		if errors.Is(err, errEmptyFile) {
			rep.Warnings = append(rep.Warnings, filepath.Base(p)+": empty file: no rows, no columns")
			continue
		}
		if err != nil {
			return rep, fmt.Errorf("workspace table %s: %s: %w", table, filepath.Base(p), err)
		}
		for _, r := range raw {
			key := strings.ToLower(r.norm)
			if _, ok := colIndex[key]; ok || isSplitDynamic(r.norm, colIndex) {
				continue
			}
			colIndex[key] = len(cols)
			cols = append(cols, schema.Column{Name: r.norm, Type: schema.TypeString})
			rep.Unknown = append(rep.Unknown, r.norm)
		}
		byNorm := map[string]rawColumn{}
		for _, r := range raw {
			byNorm[strings.ToLower(r.norm)] = r
		}
		plans = append(plans, plan{p, from, raw, byNorm, rejects})
	}
	// Columns the schema does not know get the narrowest type every
	// non-empty value of every file converts to.
	for i := range cols {
		if !contains(rep.Unknown, cols[i].Name) {
			continue
		}
		typ := ""
		for _, pl := range plans {
			for _, r := range pl.raw {
				if strings.EqualFold(r.norm, cols[i].Name) {
					t, err := inferType(ctx, conn, pl.from, r.accessor)
					if err != nil {
						return rep, fmt.Errorf("workspace table %s: column %s: %w", table, r.norm, err)
					}
					typ = widen(typ, t)
				}
			}
		}
		if typ != "" {
			cols[i].Type = typ
		}
	}
	// A string column none of the files holds reads as '' (strings are
	// never NULL) through a virtual column: writing '' into every row of
	// every such column took most of a large load's time. A table created
	// without files (to be filled by its caller) stores every column.
	absent := make([]bool, len(cols))
	for i, c := range cols {
		absent[i] = c.Type == schema.TypeString && len(plans) > 0
		for _, pl := range plans {
			if text, _ := fileColumn(c.Name, pl.byNorm); text != "" {
				absent[i] = false
			}
		}
	}
	var ddl strings.Builder
	var stored []string
	fmt.Fprintf(&ddl, "CREATE OR REPLACE TABLE %s (", identSQL(table))
	for i, c := range cols {
		if i > 0 {
			ddl.WriteString(", ")
		}
		if absent[i] {
			fmt.Fprintf(&ddl, "%s VARCHAR GENERATED ALWAYS AS ('') VIRTUAL", identSQL(c.Name))
			continue
		}
		fmt.Fprintf(&ddl, "%s %s", identSQL(c.Name), duckType(c.Type))
		stored = append(stored, identSQL(c.Name))
	}
	ddl.WriteString(")")
	if _, err := conn.ExecContext(ctx, ddl.String()); err != nil {
		return rep, fmt.Errorf("workspace table %s: create: %w", table, err)
	}
	for _, pl := range plans {
		var exprs []string
		for i, c := range cols {
			if absent[i] {
				continue
			}
			expr := typedExpr("NULL", c.Type)
			text, fallback := fileColumn(c.Name, pl.byNorm)
			if fallback != "" {
				rep.TimeFallback = fallback
			}
			if text != "" {
				expr = typedExpr(text, c.Type)
			}
			exprs = append(exprs, expr)
		}
		ins := fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s", identSQL(table), strings.Join(stored, ", "), strings.Join(exprs, ", "), pl.from)
		res, err := conn.ExecContext(ctx, ins)
		if err != nil {
			return rep, fmt.Errorf("workspace table %s: insert: %w", table, err)
		}
		n, _ := res.RowsAffected()
		rep.Rows += n
		if pl.rejects != "" {
			bad, err := s.rejectedRows(ctx, conn, pl.rejects)
			if err != nil {
				return rep, fmt.Errorf("workspace table %s: %s: %w", table, filepath.Base(pl.path), err)
			}
			if bad.count > 0 && !s.lenient {
				return rep, fmt.Errorf("workspace table %s: %s: row %d (counting the header as row 1): %s; %d malformed row(s) in all (start with --lenient to skip them)",
					table, filepath.Base(pl.path), bad.first, bad.reason, bad.count)
			}
			if bad.count > 0 {
				rep.Rejected += bad.count
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: %d malformed row(s) skipped, the first at row %d: %s", filepath.Base(pl.path), bad.count, bad.first, bad.reason))
			}
		}
	}
	for i := range paths {
		conn.ExecContext(ctx, fmt.Sprintf("DROP VIEW IF EXISTS _raw_%d", i))
		conn.ExecContext(ctx, fmt.Sprintf("DROP TABLE IF EXISTS _raw_%d_t", i))
		conn.ExecContext(ctx, fmt.Sprintf("DROP TABLE IF EXISTS _raw_%d_rej", i))
		conn.ExecContext(ctx, fmt.Sprintf("DROP TABLE IF EXISTS _raw_%d_rejscan", i))
	}
	rep.Duration = time.Since(start)
	s.mu.Lock()
	s.tables[table] = &rep
	s.mu.Unlock()
	return rep, nil
}

// isSplitDynamic recognises the portal's "X_dynamic"/"X_string" halves of a
// dynamic column X.
func isSplitDynamic(name string, known map[string]int) bool {
	for _, suf := range []string{"_dynamic", "_string"} {
		if base, ok := strings.CutSuffix(name, suf); ok {
			if _, ok := known[strings.ToLower(base)]; ok {
				return true
			}
		}
	}
	return false
}

// fileColumn is the SQL text of a schema column in one file, or "";
// TimeGenerated falls back to another event-time column, which it names.
func fileColumn(name string, byNorm map[string]rawColumn) (text, fallback string) {
	if text = textFor(name, byNorm); text != "" || name != "TimeGenerated" {
		return text, ""
	}
	for _, fb := range timeFallbacks {
		if text = textFor(fb, byNorm); text != "" {
			return text, fb
		}
	}
	return "", ""
}

// textFor is the SQL text of a schema column in one file, or "".
func textFor(name string, byNorm map[string]rawColumn) string {
	if r, ok := byNorm[strings.ToLower(name)]; ok {
		return r.accessor
	}
	var parts []string
	for _, suf := range []string{"_dynamic", "_string"} {
		if r, ok := byNorm[strings.ToLower(name+suf)]; ok {
			parts = append(parts, "nullif("+r.accessor+", '')")
		}
	}
	if len(parts) > 0 {
		return "coalesce(" + strings.Join(parts, ", ") + ")"
	}
	return ""
}

func duckType(kusto string) string {
	switch kusto {
	case schema.TypeDatetime:
		return "TIMESTAMP"
	case schema.TypeBool:
		return "BOOLEAN"
	case schema.TypeInt, schema.TypeLong:
		return "BIGINT"
	case schema.TypeReal, schema.TypeDecimal:
		return "DOUBLE"
	case schema.TypeDynamic:
		return "JSON"
	}
	return "VARCHAR"
}

// typedExpr converts a text value to the column's type. Portal exports
// write US-style times and True/False; empty text is NULL for non-strings.
// Strings are never NULL, as in Kusto (a missing or null value is
// empty), so filters, groups and counts see what Log Analytics sees.
func typedExpr(text, kusto string) string {
	switch kusto {
	case schema.TypeDatetime:
		return fmt.Sprintf("coalesce(try_cast(try_cast(%[1]s AS TIMESTAMPTZ) AS TIMESTAMP), "+
			"try_strptime(%[1]s, '%%m/%%d/%%Y, %%I:%%M:%%S.%%g %%p'), try_strptime(%[1]s, '%%m/%%d/%%Y, %%I:%%M:%%S %%p'), "+
			"try_strptime(%[1]s, '%%m/%%d/%%Y %%I:%%M:%%S %%p'), try_strptime(%[1]s, '%%m/%%d/%%Y %%H:%%M:%%S'))", text)
	case schema.TypeBool:
		return fmt.Sprintf("(CASE lower(trim(%s)) WHEN 'true' THEN true WHEN '1' THEN true WHEN 'false' THEN false WHEN '0' THEN false END)", text)
	case schema.TypeInt, schema.TypeLong:
		return fmt.Sprintf("coalesce(try_cast(%[1]s AS BIGINT), try_cast(try_cast(%[1]s AS DOUBLE) AS BIGINT))", text)
	case schema.TypeReal, schema.TypeDecimal:
		return fmt.Sprintf("try_cast(%s AS DOUBLE)", text)
	case schema.TypeDynamic:
		return fmt.Sprintf("(CASE WHEN coalesce(%[1]s, '') = '' THEN NULL ELSE coalesce(try_cast(%[1]s AS JSON), to_json(%[1]s)) END)", text)
	}
	return "coalesce(" + text + ", '')"
}

func identSQL(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// rawRelation registers a view over one export file and lists its columns
// with a text accessor each.
func (s *Store) rawRelation(ctx context.Context, conn *sql.Conn, path, view string) (from string, raw []rawColumn, rejects string, err error) {
	_, format, _ := splitExport(filepath.Base(path))
	lit := quoteLiteral(path)
	var src string
	switch format {
	case ".csv":
		// The header is read here, never guessed: DuckDB's dialect sniffer
		// would take a ragged file for a one-column one, or data rows for
		// a header. Every row must have the header's fields; the others go
		// to a rejects table.
		header, err := csvHeader(path)
		if err != nil {
			return "", nil, "", err
		}
		cols := make([]string, len(header))
		for i, h := range header {
			cols[i] = quoteLiteral(h) + ": 'VARCHAR'"
		}
		rejects = view + "_rej"
		src = fmt.Sprintf("read_csv(%s, header=true, auto_detect=false, columns={%s}, delim=',', quote='\"', escape='\"', strict_mode=true, "+
			"ignore_errors=true, store_rejects=true, rejects_table=%s, rejects_scan=%s, max_line_size=16777216, buffer_size=33554432)",
			lit, strings.Join(cols, ", "), quoteLiteral(rejects), quoteLiteral(view+"_rejscan"))
	case ".parquet":
		src = fmt.Sprintf("read_parquet(%s)", lit)
	default: // JSON: an array of rows, one object per line, or a query-API response
		return s.jsonRelation(ctx, conn, path, view)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE OR REPLACE TEMP VIEW %s AS SELECT * FROM %s", view, src)); err != nil {
		return "", nil, "", err
	}
	rows, err := conn.QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE "+view+")")
	if err != nil {
		return "", nil, "", err
	}
	defer rows.Close()
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return "", nil, "", err
		}
		acc := identSQL(name)
		if strings.HasPrefix(typ, "STRUCT") || strings.HasSuffix(typ, "[]") || strings.HasPrefix(typ, "MAP") {
			acc = "CAST(to_json(" + acc + ") AS VARCHAR)"
		} else if typ != "VARCHAR" {
			acc = "CAST(" + acc + " AS VARCHAR)"
		}
		raw = appendRaw(raw, name, acc)
	}
	return view, raw, rejects, rows.Err()
}

// jsonKeys lists the keys of a JSON export's objects in one streaming
// pass, once each (DuckDB column names are case-insensitive).
func jsonKeys(ctx context.Context, conn *sql.Conn, path string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, fmt.Sprintf("SELECT DISTINCT unnest(json_keys(json)) FROM read_json_objects(%s, format='auto', maximum_object_size=16777216)", quoteLiteral(path)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []string
	seen := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		if lk := strings.ToLower(k); !seen[lk] {
			seen[lk] = true
			keys = append(keys, k)
		}
	}
	return keys, rows.Err()
}

// firstMalformedLine finds the first line of a JSON-lines file that is
// not a JSON object, counting from 1 (DuckDB's own message can name the
// line after it); 0 when every line is one, or the file is one JSON array.
func firstMalformedLine(path string) (int, string) {
	f, err := os.Open(path)
	if err != nil {
		return 0, ""
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return 0, ""
		}
		defer gz.Close()
		r = gz
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
			if len(line) > 0 && line[0] == '[' {
				return 0, "" // one JSON array, not lines
			}
		}
		if len(line) == 0 {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(line, &obj); err != nil {
			return n, jsonProblemText(err)
		}
	}
	return 0, ""
}

// jsonProblemText describes a decoding error without quoting the input.
func jsonProblemText(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("%s (byte %d)", syn.Error(), syn.Offset)
	}
	return "not an object"
}

// jsonRelation registers a JSON export: its keys are listed in one
// streaming pass, then the file is read with one text column per key, so
// a large file streams into its table under a small memory limit (reading
// it as whole JSON objects and extracting each key did not).
func (s *Store) jsonRelation(ctx context.Context, conn *sql.Conn, path, view string) (string, []rawColumn, string, error) {
	p, cleanup, err := jsonRowsFile(path)
	if err != nil {
		return "", nil, "", err
	}
	defer cleanup()
	keys, err := jsonKeys(ctx, conn, p)
	if err != nil {
		if line, why := firstMalformedLine(p); line > 0 {
			return "", nil, "", fmt.Errorf("line %d is not a JSON object: %s", line, why)
		}
		return "", nil, "", err
	}
	if len(keys) == 0 {
		return "", nil, "", errEmptyFile
	}
	sort.Strings(keys)
	cols := make([]string, len(keys))
	var raw []rawColumn
	for i, k := range keys {
		cols[i] = quoteLiteral(k) + ": 'VARCHAR'"
		raw = appendRaw(raw, k, identSQL(k))
	}
	kind := "VIEW" // read when the rows are inserted
	if p != path {
		kind, view = "TABLE", view+"_t" // a converted copy, removed on return: read it now
	}
	src := fmt.Sprintf("read_json(%s, format='auto', columns={%s}, maximum_object_size=16777216)", quoteLiteral(p), strings.Join(cols, ", "))
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE OR REPLACE TEMP %s %s AS SELECT * FROM %s", kind, view, src)); err != nil {
		return "", nil, "", err
	}
	return view, raw, "", nil
}

// errEmptyFile is an export with no header line.
var errEmptyFile = errors.New("empty file")

// csvHeader reads a CSV file's header record (UTF-8 BOM removed, quoted
// names allowed); duplicate names get a numeric suffix.
func csvHeader(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, err
		}
		defer gz.Close()
		r = gz
	}
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errEmptyFile
	}
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	seen := map[string]int{}
	for i, h := range header {
		key := strings.ToLower(h)
		if seen[key]++; seen[key] > 1 {
			header[i] = fmt.Sprintf("%s_%d", h, seen[key])
		}
	}
	return header, nil
}

// rejected summarises the rows a CSV reader refused.
type rejected struct {
	count, first int64
	reason       string
}

func (s *Store) rejectedRows(ctx context.Context, conn *sql.Conn, table string) (rejected, error) {
	var r rejected
	var reason sql.NullString
	var first sql.NullInt64
	err := conn.QueryRowContext(ctx, fmt.Sprintf(
		"SELECT count(DISTINCT line), min(line), arg_min(error_message, line) FROM %s", identSQL(table))).Scan(&r.count, &first, &reason)
	if err != nil {
		return r, fmt.Errorf("reading rejected rows: %w", err)
	}
	r.first, r.reason = first.Int64, reason.String
	return r, nil
}

func appendRaw(raw []rawColumn, name, accessor string) []rawColumn {
	norm := strings.TrimSpace(headerSuffix.ReplaceAllString(name, ""))
	if norm == "" || strings.HasPrefix(norm, "$") {
		return raw // the portal's "$table" column, pandas' unnamed index
	}
	return append(raw, rawColumn{name: name, norm: norm, accessor: accessor})
}

// jsonRowsFile returns a file DuckDB can read as JSON rows: the file itself,
// or, for a Log Analytics query-API response ({"tables":[{"columns","rows"}]}),
// a temporary JSON-lines copy of its first table (removed by cleanup).
func jsonRowsFile(path string) (string, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	var r io.Reader = bufio.NewReader(f)
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return "", nil, err
		}
		defer gz.Close()
		r = gz
	}
	br := bufio.NewReader(r)
	first, err := firstNonSpace(br)
	if err != nil || first != '{' {
		return path, func() {}, nil
	}
	var resp struct {
		Tables []struct {
			Columns []struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"columns"`
			Rows [][]json.RawMessage `json:"rows"`
		} `json:"tables"`
	}
	if err := json.NewDecoder(br).Decode(&resp); err != nil || len(resp.Tables) == 0 {
		return path, func() {}, nil // JSON lines, read as they are
	}
	tmp, err := os.CreateTemp("", "entitygraph-*.jsonl")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.Remove(tmp.Name()) }
	w := bufio.NewWriter(tmp)
	t := resp.Tables[0]
	for _, row := range t.Rows {
		obj := make(map[string]json.RawMessage, len(row))
		for i, v := range row {
			if i < len(t.Columns) {
				obj[t.Columns[i].Name] = v
			}
		}
		line, err := json.Marshal(obj)
		if err != nil {
			tmp.Close()
			cleanup()
			return "", nil, err
		}
		w.Write(line)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		cleanup()
		return "", nil, err
	}
	if err := tmp.Close(); err != nil {
		cleanup()
		return "", nil, err
	}
	return tmp.Name(), cleanup, nil
}

func firstNonSpace(r *bufio.Reader) (byte, error) {
	for {
		b, err := r.ReadByte()
		if err != nil {
			return 0, err
		}
		if b == 0xEF { // UTF-8 BOM
			r.ReadByte()
			r.ReadByte()
			continue
		}
		if b != ' ' && b != '\n' && b != '\r' && b != '\t' {
			r.UnreadByte()
			return b, nil
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// inferType returns the narrowest Kusto type all non-empty values of a text
// column convert to ("" when the column is empty).
func inferType(ctx context.Context, conn *sql.Conn, from, text string) (string, error) {
	checks := []string{schema.TypeLong, schema.TypeReal, schema.TypeBool, schema.TypeDatetime, schema.TypeDynamic}
	var b strings.Builder
	fmt.Fprintf(&b, "SELECT count(*) FILTER (WHERE coalesce(%s, '') <> '')", text)
	for _, typ := range checks {
		conv := typedExpr(text, typ)
		switch typ {
		case schema.TypeLong: // "0.5" is not a long, though it converts to one
			conv = fmt.Sprintf("(CASE WHEN regexp_full_match(trim(%[1]s), '[-+]?[0-9]{1,18}') THEN 1 END)", text)
		case schema.TypeDynamic:
			// only objects and arrays: a bare word is text, not JSON
			conv = fmt.Sprintf("(CASE WHEN ltrim(%[1]s) SIMILAR TO '[\\[{].*' THEN try_cast(%[1]s AS JSON) END)", text)
		}
		fmt.Fprintf(&b, ", count(*) FILTER (WHERE coalesce(%s, '') <> '' AND %s IS NOT NULL)", text, conv)
	}
	b.WriteString(" FROM " + from)
	counts := make([]int64, len(checks)+1)
	ptrs := make([]any, len(counts))
	for i := range counts {
		ptrs[i] = &counts[i]
	}
	if err := conn.QueryRowContext(ctx, b.String()).Scan(ptrs...); err != nil {
		return "", err
	}
	if counts[0] == 0 {
		return "", nil
	}
	for i, typ := range checks {
		if counts[i+1] == counts[0] {
			return typ, nil
		}
	}
	return schema.TypeString, nil
}

// widen combines the types inferred from two files.
func widen(a, b string) string {
	switch {
	case a == "" || a == b:
		return b
	case b == "":
		return a
	case (a == schema.TypeLong && b == schema.TypeReal) || (a == schema.TypeReal && b == schema.TypeLong):
		return schema.TypeReal
	}
	return schema.TypeString
}
