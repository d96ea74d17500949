package relay

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	n := func(v int) *int { return &v }
	s := func(v string) *string { return &v }
	for _, c := range []struct {
		name          string
		first         *int
		after         *string
		offset, limit int
		arg           string
	}{
		{"defaults", nil, nil, 0, DefaultFirst, ""},
		{"first", n(5), nil, 0, 5, ""},
		{"zero", n(0), nil, 0, 0, ""},
		{"after", n(5), s(Cursor(9)), 10, 5, ""},
		{"empty after", n(5), s(""), 0, 5, ""},
		{"too many", n(MaxFirst + 1), nil, 0, 0, "first"},
		{"negative", n(-1), nil, 0, 0, "first"},
		{"foreign cursor", nil, s("aWQ6MQ=="), 0, 0, "after"},
		{"garbage", nil, s("%%%"), 0, 0, "after"},
	} {
		off, lim, err := Window(c.first, c.after)
		var ae *ArgumentError
		if c.arg != "" {
			if !errors.As(err, &ae) || ae.Argument != c.arg {
				t.Errorf("%s: err %v, want an error on %s", c.name, err, c.arg)
			}
			continue
		}
		if err != nil || off != c.offset || lim != c.limit {
			t.Errorf("%s: %d, %d, %v; want %d, %d", c.name, off, lim, err, c.offset, c.limit)
		}
	}
}

func TestInfoAndEdges(t *testing.T) {
	type item struct{ v int }
	type node struct{ v int }
	type edge struct {
		c string
		n *node
	}
	nodes, edges, pi := Edges([]item{{1}, {2}}, 10, 30, func(i item) *node { return &node{i.v} },
		func(c string, n *node) *edge { return &edge{c, n} })
	if len(nodes) != 2 || edges[1].n != nodes[1] || !pi.HasNextPage || !pi.HasPreviousPage || *pi.EndCursor != Cursor(11) {
		t.Errorf("pi %+v edges %+v", pi, edges)
	}
	if off, _ := ParseCursor(*pi.StartCursor); off != 10 {
		t.Errorf("start cursor offset %d", off)
	}
	_, _, last := Edges([]item{{1}}, 29, 30, func(i item) *node { return &node{} }, func(c string, n *node) *edge { return nil })
	if last.HasNextPage {
		t.Error("the last page says it has a next one")
	}
	_, _, empty := Edges([]item{}, 0, 0, func(i item) *node { return nil }, func(c string, n *node) *edge { return nil })
	if empty.StartCursor != nil || empty.HasNextPage {
		t.Errorf("empty page: %+v", empty)
	}
}

func TestMerge(t *testing.T) {
	at := func(h int) *time.Time { v := time.Date(2026, 11, 30, h, 0, 0, 0, time.UTC); return &v }
	lists := [][]int{{9, 5, 1, -1}, {8, 5, 2}} // -1: no time
	when := func(_ int, v int) *time.Time {
		if v < 0 {
			return nil
		}
		return at(v)
	}
	items, origin := Merge(lists, when, 0, 10)
	if fmt.Sprint(items) != "[9 8 5 5 2 1 -1]" || fmt.Sprint(origin) != "[0 1 0 1 1 0 0]" {
		t.Errorf("merged %v from %v", items, origin)
	}
	items, origin = Merge(lists, when, 2, 2)
	if fmt.Sprint(items) != "[5 5]" || fmt.Sprint(origin) != "[0 1]" {
		t.Errorf("window %v from %v", items, origin)
	}
	if items, _ := Merge(lists, when, 10, 5); len(items) != 0 {
		t.Errorf("past the end: %v", items)
	}
}
