package facets

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Output columns a group's statement adds.
const (
	MemberColumn = "_facet" // the member (its index) a row answers
	OrderColumn  = "_ri"    // the row's place in its member's answer, from 1; null where order means nothing (latest rows)
)

// Member is one facet query of a group. Its Query holds the member's own
// page, columns and bucket; the keys, window and restrictions are the
// group's.
type Member struct {
	Facet *Facet
	Query Query
}

// scanKey names the rows q reads before the facet's own filters: the
// table in the window, the restrictions, the keys and how rows match them
// (the KQL that reads them). Queries of equal scan keys can share one
// statement (Group). ok is false for a query that cannot: a queue, or an
// answer of whole table rows (their columns are the table's, unknown
// here).
func scanKey(f *Facet, q Query) (key string, ok bool) {
	if f.Keys.All || len(f.members) > 0 || len(q.Keys) == 0 {
		return "", false
	}
	if _, all := f.Returns(q); all {
		return "", false
	}
	q.Keys = slices.Sorted(slices.Values(q.Keys))
	w := &writer{d: KQL, q: &q, time: f.Time}
	var err error
	if w.forms, w.owners, w.aliased, err = aliasing(q.Keys); err != nil {
		return "", false
	}
	kqlScan(f, w, q)
	if w.err != nil {
		return "", false
	}
	return w.b.String(), true
}

// answers lists a member's output columns besides KeyColumn and
// TotalColumn.
func (m Member) answers() []string {
	cols, _ := m.Facet.Returns(m.Query)
	return cols
}

// Columns lists the columns of the member's own answer: KeyColumn,
// TotalColumn when its query counts, then the rest.
func (m Member) Columns() []string {
	cols := []string{KeyColumn}
	if m.Facet.Kind == Events && !m.Query.NoTotal {
		cols = append(cols, TotalColumn)
	}
	return append(cols, m.answers()...)
}

// Within is the member's query as the group q runs it: the member's page,
// columns and bucket with the group's keys, window and restrictions.
func (m Member) Within(q Query) Query {
	mq := m.Query
	mq.Keys, mq.Start, mq.End, mq.In = q.Keys, q.Start, q.End, q.In
	return mq
}

// Ordered says whether the order of the member's rows is part of its
// answer (OrderColumn carries it): all but latest rows.
func (m Member) Ordered() bool { return m.Facet.Kind != Latest }

// Combine partitions queries into the groups that can share a statement:
// equal scan keys, and answers with no column in common besides the key
// and the total (a union would merge or rename them). Each group lists
// indexes of ms in the order of their facet names; a query that can join
// no other is a group of one.
func Combine(ms []Member) [][]int {
	order := make([]int, len(ms))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		x, y := ms[order[a]], ms[order[b]]
		if x.Facet.Name != y.Facet.Name {
			return x.Facet.Name < y.Facet.Name
		}
		return x.Query.Signature() < y.Query.Signature()
	})
	type open struct {
		scan string
		cols map[string]bool
		idx  []int
	}
	var groups []*open
	var out [][]int
	for _, i := range order {
		scan, ok := scanKey(ms[i].Facet, ms[i].Query)
		if !ok {
			out = append(out, []int{i})
			continue
		}
		cols := ms[i].answers()
		var into *open
		for _, g := range groups {
			if g.scan == scan && !slices.ContainsFunc(cols, func(c string) bool { return g.cols[c] }) {
				into = g
				break
			}
		}
		if into == nil {
			into = &open{scan: scan, cols: map[string]bool{}}
			groups = append(groups, into)
		}
		into.idx = append(into.idx, i)
		for _, c := range cols {
			into.cols[c] = true
		}
	}
	for _, g := range groups {
		out = append(out, g.idx)
	}
	return out
}

// Group is one facet answering several queries of one scan (see
// Combine) with one statement: each row carries the member it answers
// (MemberColumn) and its place in that member's answer (OrderColumn);
// the columns are the union of the members'. It renders to KQL only —
// for Log Analytics, where a query saved is one fewer against the
// concurrency cap; on DuckDB a combined statement gained nothing. Its
// name joins the members' names (traces, logs); what tells groups of
// different pages apart is the members' queries (Members). q is the
// query to run it with: the keys, window and restrictions, which the
// members share.
func Group(ms []Member, keys []string) (*Facet, Query, error) {
	if len(ms) < 2 {
		return nil, Query{}, errors.New("facets: a group has two members or more")
	}
	first := ms[0]
	q := Query{Keys: keys, Start: first.Query.Start, End: first.Query.End, In: first.Query.In}
	scan := ""
	names := make([]string, len(ms))
	members := make([]Member, len(ms))
	for i, m := range ms {
		mq := m.Query
		mq.Keys = keys
		s, ok := scanKey(m.Facet, mq)
		if !ok || (i > 0 && s != scan) {
			return nil, Query{}, fmt.Errorf("facets: %s does not read the rows of %s", m.Facet.Name, first.Facet.Name)
		}
		scan = s
		mq.Keys = nil
		names[i] = m.Facet.Name
		members[i] = Member{m.Facet, mq}
	}
	f := &Facet{Name: strings.Join(names, "+"), Source: first.Facet.Source, Table: first.Facet.Table, Time: first.Facet.Time, Keys: first.Facet.Keys, members: members}
	return f, q, nil
}

// Members lists a group's queries, in the order of MemberColumn; nil for
// a catalogue facet.
func (f *Facet) Members() []Member { return f.members }

// renderKQLGroup reads the scan once (materialize), lets each member's
// filtered rows where its page needs them twice, and unions the members'
// answers, each tagged with its index and row order.
func renderKQLGroup(g *Facet, w *writer, q Query) {
	w.s("let _s = materialize(")
	kqlScan(g.members[0].Facet, w, q)
	w.s(");\n")
	counted := func(m Member) bool {
		return m.Facet.Kind == Events && !m.Query.NoTotal && !m.Facet.countsOnly(m.Query)
	}
	source := func(i int) string { // where member i's page reads its filtered rows
		if len(g.members[i].Facet.Extend)+len(g.members[i].Facet.Where) == 0 {
			return "_s"
		}
		return fmt.Sprintf("_m%d", i)
	}
	for i, m := range g.members {
		if counted(m) && source(i) != "_s" {
			w.s("let ", source(i), " = materialize(_s")
			kqlFilters(m.Facet, w)
			w.s(");\n")
		}
	}
	w.s("union")
	for i, m := range g.members {
		mq := m.Within(q)
		w.q = &mq
		if i > 0 {
			w.s(",")
		}
		w.s("\n    (")
		if counted(m) {
			kqlShape(m.Facet, w, mq, source(i))
		} else {
			w.s("_s")
			kqlFilters(m.Facet, w)
			kqlShape(m.Facet, w, mq, "")
		}
		// Latest rows come from summarize, whose output is not serialized
		// (row_number needs it); their order means nothing.
		if !m.Ordered() {
			w.s(fmt.Sprintf("\n    | extend %s = %d)", MemberColumn, i))
		} else {
			w.s(fmt.Sprintf("\n    | extend %s = %d, %s = row_number())", MemberColumn, i, OrderColumn))
		}
	}
	w.q = &q
}
