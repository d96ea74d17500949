// Package facets describes every log facet once, as data, and renders it to
// DuckDB SQL (values bound as parameters) and to KQL (values escaped). A
// facet never does I/O: sources execute the statements it renders.
package facets

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind says what a facet returns per key.
type Kind int

// Facet kinds.
const (
	Events  Kind = iota // table rows, newest first, paged per key, with a per-key total
	Latest              // the newest row per key
	Summary             // rows grouped by Summary.By with count, first and last seen
)

// IP address shapes found inside free text. IPv4 is extracted on its own
// so that the IPv4 part of "[::ffff:1.2.3.4]:443" is found too.
var ipTokens = []string{
	`([0-9]{1,3}(?:\.[0-9]{1,3}){3})`,
	`([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})`,
}

// KeyMatch says which values of a row can equal a requested key. A row
// matches every requested key found among its candidates, and is returned
// once per matched key.
type KeyMatch struct {
	All     bool           // no look-up: every row, under the one requested key (a queue)
	Columns []string       // scalar columns holding one key each
	Values  []Expr         // scalar expressions holding one key each (e.g. lower-cased names)
	Texts   []Expr         // text holding IP addresses among other words (a comma list, a message)
	Arrays  []ArrayElement // dynamic arrays (or JSON text) whose elements yield keys
}

// ArrayElement picks keys from a dynamic array column (or a string column
// holding a JSON array): one key per element and form. Forms are built
// with Elem; without forms the element itself is the key.
type ArrayElement struct {
	Column string
	Forms  []Expr
}

// ElemField is the array element whose string field is a key.
func ElemField(column, field string) ArrayElement {
	return ArrayElement{Column: column, Forms: []Expr{Elem(field)}}
}

// prefilterable reports whether KQL's has_any can pre-select rows for the
// array: only when every form is a plain element field (has is
// case-insensitive, so a lower-cased one counts too).
func (a ArrayElement) prefilterable() bool {
	for _, f := range a.Forms {
		switch x := f.(type) {
		case elemExpr:
		case callExpr:
			if _, ok := x.args[0].(elemExpr); !ok || x.op != "lower" {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// Named is a derived column.
type Named struct {
	Name string
	Expr Expr
}

// Agg is an extra aggregate of a summary facet.
type Agg struct {
	Name string
	Fn   string // sum, max, min, dcount, make_set, countif
	Expr Expr
}

// SummarySpec groups a summary facet's rows.
type SummarySpec struct {
	By    []string // columns (table or derived) to group by
	Aggs  []Agg
	Limit int // groups kept per key, the most frequent first; 0: DefaultSummaryLimit
}

// DefaultSummaryLimit caps a summary's groups per key, so that a spray over
// 50,000 accounts cannot produce an unbounded answer.
const DefaultSummaryLimit = 1000

func (s SummarySpec) limit() int {
	if s.Limit > 0 {
		return s.Limit
	}
	return DefaultSummaryLimit
}

// Facet is one pure description of a log look-up.
type Facet struct {
	Name    string // stable id, e.g. "ip.signins"
	Source  string // the entity facet as users know it, for errors
	Table   string
	Time    string // the column the request timespan applies to
	Keys    KeyMatch
	Extend  []Named // derived columns (may use table columns only)
	Where   []Expr  // extra filters (may use derived columns)
	Kind    Kind
	Summary SummarySpec
	// Columns are the table columns the decoders of an Events or Latest
	// facet read (held to them by TestDecodersReadWhatTheirFacetsProject);
	// unless a query asks for all columns, only these are fetched (a wide
	// table costs far more to read whole). Latest facets without Columns
	// return whole rows.
	Columns []string

	members []Member // a group's queries (Group); nil for a catalogue facet
}

// Query is one execution of a facet: the keys of a batch, the timespan,
// and for Events facets the page wanted for every key.
type Query struct {
	Keys   []string
	Start  time.Time
	End    time.Time
	Offset int
	// Limit is the rows per key of an Events page. 0 (with the total)
	// asks for each key's total alone: one row per key that has rows,
	// holding only KeyColumn and TotalColumn — a count, where a page of
	// one row sorts every matched row to choose it.
	Limit      int
	AllColumns bool // Events: every table column, not only Facet.Columns
	// In restricts columns to sets of values (e.g. the alert queue's
	// severities and statuses).
	In []ColumnIn
	// Bucket is the width of TimeBucket() (timelines).
	Bucket time.Duration
	// NoTotal leaves out Events facets' per-key row count (_total): the
	// count is a second pass over the rows, needed only for totalCount.
	NoTotal bool
}

// Signature identifies everything but the keys: queries with equal
// signatures can be batched into one, and their rows cached per key.
func (q Query) Signature() string {
	b := make([]byte, 0, 64)
	for i, n := range []int64{q.Start.UnixNano(), q.End.UnixNano(), int64(q.Offset), int64(q.Limit)} {
		if i > 0 {
			b = append(b, '|')
		}
		b = strconv.AppendInt(b, n, 10)
	}
	b = append(b, '|')
	b = strconv.AppendBool(b, q.AllColumns)
	b = append(b, '|')
	b = strconv.AppendInt(b, int64(q.Bucket), 10)
	b = append(b, '|')
	b = strconv.AppendBool(b, q.NoTotal)
	if len(q.In) == 0 {
		return string(b)
	}
	var sb strings.Builder
	sb.Write(b)
	for _, in := range q.In {
		fmt.Fprintf(&sb, "|%q=%q", in.Column, in.Values)
	}
	return sb.String()
}

// ColumnIn is a "column in (values)" restriction.
type ColumnIn struct {
	Column string
	Values []string
}

// Statement is rendered query text plus its bound parameters (SQL only).
type Statement struct {
	Text string
	Args []any
}

// Output column names every rendered statement adds.
const (
	KeyColumn   = "_key"   // the requested key a row matched
	TotalColumn = "_total" // Events: rows for that key in all pages
)

// AliasSep joins the identifiers of one entity (a person's UPN, object
// id, SID, DOMAIN\user) into one aliased key: a row matches the key when
// any of its candidates equals any of the identifiers, and is returned
// once under the whole key.
const AliasSep = "\u241f"

// AliasKey is the aliased key of identifiers (sorted, without repeats).
// An identifier that is empty or holds the separator itself (data can
// hold anything) is left out: it would split into identifiers of others.
func AliasKey(ids []string) string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !strings.Contains(id, AliasSep) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return strings.Join(slices.Compact(out), AliasSep)
}

// Aliases are the identifiers of a key (a plain key is its own one).
func Aliases(key string) []string { return strings.Split(key, AliasSep) }

// aliasing lists every identifier of the query's keys beside the key it
// belongs to; ok is false when no key is aliased.
func aliasing(keys []string) (forms, owners []string, ok bool, err error) {
	seen := map[string]string{}
	for _, k := range keys {
		ids := Aliases(k)
		if len(ids) > 1 {
			ok = true
		}
		for _, id := range ids {
			if other, dup := seen[id]; dup && other != k {
				return nil, nil, false, fmt.Errorf("identifier %q belongs to two keys of one query", id)
			}
			if _, dup := seen[id]; !dup {
				seen[id] = k
				forms, owners = append(forms, id), append(owners, k)
			}
		}
	}
	return forms, owners, ok, nil
}

// ItemID is the standard column holding every record's unique id in Log
// Analytics; Events pages break ties of equal times with it.
const ItemID = "_ItemId"

// Render renders the facet for one query in the given dialect.
func (f *Facet) Render(d Dialect, q Query) (Statement, error) {
	if len(q.Keys) == 0 {
		return Statement{}, fmt.Errorf("facet %s: no keys", f.Name)
	}
	if f.Keys.All && len(q.Keys) != 1 {
		return Statement{}, fmt.Errorf("facet %s: a queue takes one key", f.Name)
	}
	if !q.End.After(q.Start) {
		return Statement{}, fmt.Errorf("facet %s: empty timespan", f.Name)
	}
	w := &writer{d: d, q: &q, time: f.Time}
	if !f.Keys.All {
		var err error
		if w.forms, w.owners, w.aliased, err = aliasing(q.Keys); err != nil {
			return Statement{}, fmt.Errorf("facet %s: %w", f.Name, err)
		}
	}
	d.facet(f, w, q)
	if w.err != nil {
		return Statement{}, fmt.Errorf("facet %s: %w", f.Name, w.err)
	}
	return Statement{Text: w.b.String(), Args: w.args}, nil
}

// countsOnly says whether q asks an Events facet for each key's total
// alone (Query.Limit).
func (f *Facet) countsOnly(q Query) bool {
	return f.Kind == Events && q.Limit == 0 && !q.NoTotal
}

func (f *Facet) singleColumn() bool {
	k := f.Keys
	return !k.All && len(k.Columns) == 1 && len(k.Values) == 0 && len(k.Texts) == 0 && len(k.Arrays) == 0
}

// scalarOnly: every candidate is one value per row, so rows can be
// pre-selected with IN before candidate lists are built.
func (f *Facet) scalarOnly() bool {
	return len(f.Keys.Texts) == 0 && len(f.Keys.Arrays) == 0
}

func (f *Facet) limit(q Query) (offset, limit int) {
	switch f.Kind {
	case Latest:
		return 0, 1
	case Events:
		return q.Offset, q.Limit
	}
	return 0, 0
}

// scalars lists the one-key-per-row candidates: columns, then values.
func (f *Facet) scalars() []Expr {
	out := make([]Expr, 0, len(f.Keys.Columns)+len(f.Keys.Values))
	for _, c := range f.Keys.Columns {
		out = append(out, Col(c))
	}
	return append(out, f.Keys.Values...)
}

// narrow is Columns plus the time column, without duplicates.
// Returns lists the columns of the facet's answer to q besides KeyColumn
// and TotalColumn; all is true when whole table rows come back (latest
// rows, events with all columns), with the derived columns in cols.
func (f *Facet) Returns(q Query) (cols []string, all bool) {
	switch {
	case f.countsOnly(q):
		return nil, false
	case f.Kind == Summary:
		cols = append(append(cols, f.Summary.By...), "Count", "FirstSeen", "LastSeen")
		for _, a := range f.Summary.Aggs {
			cols = append(cols, a.Name)
		}
		return cols, false
	case f.Kind != Summary && !q.AllColumns && len(f.Columns) > 0:
		return f.narrow(), false
	}
	for _, e := range f.Extend {
		cols = append(cols, e.Name)
	}
	return cols, true
}

// inputs lists the table columns a query of the facet reads, when its
// answer is narrow (a summary, or events without all columns): the key
// sources, filters, derived columns, groups and aggregates, the page's
// order and projection. nil: every column (whole rows are returned).
func (f *Facet) inputs(q Query) []string {
	counts := f.countsOnly(q)
	switch {
	case f.Kind == Summary, counts:
	case !q.AllColumns && len(f.Columns) > 0:
	default:
		return nil
	}
	derived := map[string]bool{}
	for _, e := range f.Extend {
		derived[e.Name] = true
	}
	var out []string
	add := func(c string) {
		if !derived[c] && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	exprs := append([]Expr{}, f.scalars()...)
	exprs = append(exprs, f.Keys.Texts...)
	exprs = append(exprs, f.Where...)
	for _, e := range f.Extend { // derived from table columns only
		for _, c := range ColumnsOf(e.Expr) {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	for _, a := range f.Summary.Aggs {
		exprs = append(exprs, a.Expr)
	}
	add(f.Time)
	for _, e := range exprs {
		if e == nil {
			continue
		}
		for _, c := range ColumnsOf(e) {
			add(c)
		}
	}
	for _, a := range f.Keys.Arrays {
		add(a.Column)
	}
	for _, in := range q.In {
		add(in.Column)
	}
	for _, b := range f.Summary.By {
		add(b)
	}
	if counts {
		return out
	}
	if f.Kind == Events {
		add(ItemID)
	}
	if f.Kind != Summary {
		for _, c := range f.narrow() {
			add(c)
		}
	}
	return out
}

// pageColumns lists the table columns that choose and order a page of
// rows already matched to their keys: the time, the record id, and what
// the filters and derived columns read.
func (f *Facet) pageColumns() []string {
	out := []string{f.Time}
	if f.Kind == Events {
		out = append(out, ItemID)
	}
	exprs := append([]Expr{}, f.Where...)
	for _, e := range f.Extend {
		exprs = append(exprs, e.Expr)
	}
	for _, e := range exprs {
		for _, c := range ColumnsOf(e) {
			if !slices.Contains(out, c) && !slices.ContainsFunc(f.Extend, func(n Named) bool { return n.Name == c }) {
				out = append(out, c)
			}
		}
	}
	return out
}

func (f *Facet) narrow() []string {
	out := []string{f.Time}
	for _, c := range f.Columns {
		if c != f.Time {
			out = append(out, c)
		}
	}
	return out
}
