package decorate

import (
	"sort"

	"entitygraph/internal/facets"
	"entitygraph/internal/sources"
)

// A group (facets.Group) is cached as its members: one entry per member
// and key, the entries each member's own queries read, so a later request
// asking one member alone is answered from the cache. These helpers map a
// key's rows to and from its entries.

// entryKeys names key's entries of f's answer: one, or one per member of
// a group.
func entryKeys(part string, f *facets.Facet, sig, key string) []string {
	ms := f.Members()
	if len(ms) == 0 {
		return []string{CacheKey(part, f, sig, key)}
	}
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = CacheKey(part, m.Facet, m.Query.Signature(), key)
	}
	return out
}

// whole is a key's rows when lookup holds every one of its entries (cks).
func whole(f *facets.Facet, cks []string, lookup func(ck string) ([]sources.Row, bool)) ([]sources.Row, bool) {
	entries := make([][]sources.Row, len(cks))
	for i, ck := range cks {
		rows, ok := lookup(ck)
		if !ok {
			return nil, false
		}
		entries[i] = rows
	}
	return JoinMembers(f, entries), true
}

// SplitMembers splits rows of a group by member, each row holding only
// its member's columns, in its member's order. rows of a plain facet come
// back as they are, as its one entry.
func SplitMembers(f *facets.Facet, rows []sources.Row) [][]sources.Row {
	ms := f.Members()
	if len(ms) == 0 {
		return [][]sources.Row{rows}
	}
	out := make([][]sources.Row, len(ms))
	order := make([][]int64, len(ms))
	for _, r := range rows {
		i, ok := r[facets.MemberColumn].(int64)
		if !ok || i < 0 || int(i) >= len(ms) {
			continue // not a member's row: the union adds none
		}
		m := ms[i]
		own := make(sources.Row, len(r))
		for _, c := range m.Columns() {
			if v, ok := r[c]; ok {
				own[c] = v
			}
		}
		n, _ := r[facets.OrderColumn].(int64)
		out[i] = append(out[i], own)
		order[i] = append(order[i], n)
	}
	for i := range out {
		if ms[i].Ordered() {
			sort.Sort(byOrder{out[i], order[i]})
		}
	}
	return out
}

// JoinMembers is the inverse of SplitMembers: a group's rows from its
// members' entries, each tagged with its member and order.
func JoinMembers(f *facets.Facet, entries [][]sources.Row) []sources.Row {
	if len(f.Members()) == 0 {
		return entries[0]
	}
	var out []sources.Row
	for i, rows := range entries {
		ordered := f.Members()[i].Ordered()
		for j, r := range rows {
			tagged := make(sources.Row, len(r)+2)
			for k, v := range r {
				tagged[k] = v
			}
			tagged[facets.MemberColumn] = int64(i)
			if ordered {
				tagged[facets.OrderColumn] = int64(j + 1)
			}
			out = append(out, tagged)
		}
	}
	return out
}

type byOrder struct {
	rows  []sources.Row
	order []int64
}

func (b byOrder) Len() int           { return len(b.rows) }
func (b byOrder) Less(i, j int) bool { return b.order[i] < b.order[j] }
func (b byOrder) Swap(i, j int) {
	b.rows[i], b.rows[j] = b.rows[j], b.rows[i]
	b.order[i], b.order[j] = b.order[j], b.order[i]
}
