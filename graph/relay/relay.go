// Package relay is the Relay connection model every growing list uses:
// opaque cursors, the first/after window, page info and edges.
package relay

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"entitygraph/graph/model"
)

// Page sizes.
const (
	DefaultFirst = 20  // the schema's default for first
	MaxFirst     = 100 // the most a connection returns at once
)

// ArgumentError is a first/after the window refuses.
type ArgumentError struct {
	Argument string
	Message  string
}

func (e *ArgumentError) Error() string { return e.Argument + ": " + e.Message }

// Cursor is the opaque cursor of the item at offset.
func Cursor(offset int) string { return model.EncodeID("cursor", strconv.Itoa(offset)) }

// ParseCursor reads a Cursor back.
func ParseCursor(c string) (int, error) {
	typ, key, err := model.DecodeID(c)
	if err != nil || typ != "cursor" {
		return 0, fmt.Errorf("not a cursor")
	}
	n, err := strconv.Atoi(key)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("not a cursor")
	}
	return n, nil
}

// Window turns first/after into the offset and limit of a page.
func Window(first *int, after *string) (offset, limit int, err error) {
	limit = DefaultFirst
	if first != nil {
		limit = *first
	}
	if limit < 0 || limit > MaxFirst {
		return 0, 0, &ArgumentError{"first", fmt.Sprintf("must be between 0 and %d, got %d", MaxFirst, limit)}
	}
	if after != nil && *after != "" {
		off, err := ParseCursor(*after)
		if err != nil {
			return 0, 0, &ArgumentError{"after", "not a cursor of this connection"}
		}
		offset = off + 1
	}
	return offset, limit, nil
}

// Info describes n items starting at offset of total, with their cursors.
func Info(offset, n, total int) (*model.PageInfo, []string) {
	cursors := make([]string, n)
	for i := range cursors {
		cursors[i] = Cursor(offset + i)
	}
	pi := &model.PageInfo{HasNextPage: offset+n < total, HasPreviousPage: offset > 0}
	if n > 0 {
		pi.StartCursor = &cursors[0]
		pi.EndCursor = &cursors[n-1]
	}
	return pi, cursors
}

// Edges turns a page of items into nodes, edges and page info.
func Edges[T, N, E any](items []T, offset, total int, node func(T) *N, edge func(cursor string, n *N) *E) ([]*N, []*E, *model.PageInfo) {
	pi, cursors := Info(offset, len(items), total)
	nodes := make([]*N, len(items))
	edges := make([]*E, len(items))
	for i, it := range items {
		nodes[i] = node(it)
		edges[i] = edge(cursors[i], nodes[i])
	}
	return nodes, edges, pi
}

// Merge pages several newest-first lists as one: every list read up to
// offset+limit, merged by time (items without one last, ties in list
// order), and the window [offset, offset+limit) taken. origin says which
// list each item came from.
func Merge[T any](lists [][]T, at func(list int, item T) *time.Time, offset, limit int) (items []T, origin []int) {
	type tagged struct {
		item T
		list int
	}
	var all []tagged
	for i, l := range lists {
		for _, it := range l {
			all = append(all, tagged{it, i})
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := at(all[i].list, all[i].item), at(all[j].list, all[j].item)
		return a != nil && (b == nil || a.After(*b))
	})
	for i := offset; i < len(all) && i < offset+limit; i++ {
		items = append(items, all[i].item)
		origin = append(origin, all[i].list)
	}
	return items, origin
}
