package resolvers

import (
	"context"

	"entitygraph/graph/model"
	"entitygraph/internal/facets"
)

// Connections and summaries that several entities share.

func alertConnection(ctx context.Context, f *facets.Facet, span model.Span, key string, first *int, after *string) (*model.AlertConnection, error) {
	rows, offset, total, err := loadPage(ctx, f, span, key, first, after)
	if err != nil {
		return nil, err
	}
	nodes, edges, pi := connection(rows, offset, total, func(rw row) *model.Alert { return alertFromRow(rw, span) }, func(c string, n *model.Alert) *model.AlertEdge { return &model.AlertEdge{Cursor: c, Node: n} })
	return &model.AlertConnection{TotalCount: total, PageInfo: pi, Nodes: nodes, Edges: edges}, nil
}

func bookmarkConnection(ctx context.Context, f *facets.Facet, span model.Span, key string, first *int, after *string) (*model.BookmarkConnection, error) {
	rows, offset, total, err := loadPage(ctx, f, span, key, first, after)
	if err != nil {
		return nil, err
	}
	nodes, edges, pi := connection(rows, offset, total, bookmarkFromRow, func(c string, n *model.Bookmark) *model.BookmarkEdge { return &model.BookmarkEdge{Cursor: c, Node: n} })
	return &model.BookmarkConnection{TotalCount: total, PageInfo: pi, Nodes: nodes, Edges: edges}, nil
}

func netflowConnection(ctx context.Context, f *facets.Facet, span model.Span, key string, first *int, after *string) (*model.NetflowConnection, error) {
	rows, offset, total, err := loadPage(ctx, f, span, key, first, after)
	if err != nil {
		return nil, err
	}
	nodes, edges, pi := connection(rows, offset, total, netflowFromRow, func(c string, n *model.Netflow) *model.NetflowEdge { return &model.NetflowEdge{Cursor: c, Node: n} })
	return &model.NetflowConnection{TotalCount: total, PageInfo: pi, Nodes: nodes, Edges: edges}, nil
}

func networkConnections(ctx context.Context, f *facets.Facet, span model.Span, key string) ([]*model.NetworkConnectionSummary, error) {
	rows, err := load(ctx, f, span, key)
	if err != nil {
		return nil, err
	}
	out := make([]*model.NetworkConnectionSummary, 0, len(rows))
	for _, rw := range rows {
		out = append(out, networkConnectionFromRow(rw, span))
	}
	return out, nil
}
