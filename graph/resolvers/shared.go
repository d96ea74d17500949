package resolvers

import (
	"context"

	"entitygraph/graph/model"
	"entitygraph/internal/decode"
	"entitygraph/internal/facets"
)

// Connections and summaries that several entities share.

// paged loads one page of an Events facet and turns its rows into nodes
// and edges; each connection type below only names its node and edge.
func paged[N, E any](ctx context.Context, f *facets.Facet, span model.Span, key string, first *int, after *string,
	node func(row) *N, edge func(cursor string, n *N) *E) ([]*N, []*E, *model.PageInfo, int, error) {
	rows, offset, total, err := loadPage(ctx, f, span, key, first, after)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	nodes, edges, pi := connection(rows, offset, total, node, edge)
	return nodes, edges, pi, total, nil
}

func alertConnection(ctx context.Context, f *facets.Facet, span model.Span, key string, first *int, after *string) (*model.AlertConnection, error) {
	nodes, edges, pi, total, err := paged(ctx, f, span, key, first, after, func(rw row) *model.Alert { return decode.Alert(rw, span) },
		func(c string, n *model.Alert) *model.AlertEdge { return &model.AlertEdge{Cursor: c, Node: n} })
	if err != nil {
		return nil, err
	}
	return &model.AlertConnection{TotalCount: total, PageInfo: pi, Nodes: nodes, Edges: edges}, nil
}

func bookmarkConnection(ctx context.Context, f *facets.Facet, span model.Span, key string, first *int, after *string) (*model.BookmarkConnection, error) {
	nodes, edges, pi, total, err := paged(ctx, f, span, key, first, after, decode.Bookmark,
		func(c string, n *model.Bookmark) *model.BookmarkEdge { return &model.BookmarkEdge{Cursor: c, Node: n} })
	if err != nil {
		return nil, err
	}
	return &model.BookmarkConnection{TotalCount: total, PageInfo: pi, Nodes: nodes, Edges: edges}, nil
}

func netflowConnection(ctx context.Context, f *facets.Facet, span model.Span, key string, first *int, after *string) (*model.NetflowConnection, error) {
	nodes, edges, pi, total, err := paged(ctx, f, span, key, first, after, decode.Netflow,
		func(c string, n *model.Netflow) *model.NetflowEdge { return &model.NetflowEdge{Cursor: c, Node: n} })
	if err != nil {
		return nil, err
	}
	return &model.NetflowConnection{TotalCount: total, PageInfo: pi, Nodes: nodes, Edges: edges}, nil
}

func signinConnection(ctx context.Context, f *facets.Facet, span model.Span, key string, first *int, after *string) (*model.SigninConnection, error) {
	nodes, edges, pi, total, err := paged(ctx, f, span, key, first, after, func(rw row) *model.Signin { return decode.Signin(rw, span) },
		func(c string, n *model.Signin) *model.SigninEdge { return &model.SigninEdge{Cursor: c, Node: n} })
	if err != nil {
		return nil, err
	}
	return &model.SigninConnection{TotalCount: total, PageInfo: pi, Nodes: nodes, Edges: edges}, nil
}

func azureActivityConnection(ctx context.Context, f *facets.Facet, span model.Span, key string, first *int, after *string) (*model.AzureActivityConnection, error) {
	nodes, edges, pi, total, err := paged(ctx, f, span, key, first, after, func(rw row) *model.AzureActivityEvent { return decode.AzureActivity(rw, span) },
		func(c string, n *model.AzureActivityEvent) *model.AzureActivityEdge {
			return &model.AzureActivityEdge{Cursor: c, Node: n}
		})
	if err != nil {
		return nil, err
	}
	return &model.AzureActivityConnection{TotalCount: total, PageInfo: pi, Nodes: nodes, Edges: edges}, nil
}

func officeActivityConnection(ctx context.Context, f *facets.Facet, span model.Span, key string, first *int, after *string) (*model.OfficeActivityConnection, error) {
	nodes, edges, pi, total, err := paged(ctx, f, span, key, first, after, func(rw row) *model.OfficeActivityEvent { return decode.OfficeActivity(rw, span) },
		func(c string, n *model.OfficeActivityEvent) *model.OfficeActivityEdge {
			return &model.OfficeActivityEdge{Cursor: c, Node: n}
		})
	if err != nil {
		return nil, err
	}
	return &model.OfficeActivityConnection{TotalCount: total, PageInfo: pi, Nodes: nodes, Edges: edges}, nil
}

func identityLogonConnection(ctx context.Context, f *facets.Facet, span model.Span, key string, first *int, after *string) (*model.IdentityLogonConnection, error) {
	nodes, edges, pi, total, err := paged(ctx, f, span, key, first, after, func(rw row) *model.IdentityLogon { return decode.IdentityLogon(rw, span) },
		func(c string, n *model.IdentityLogon) *model.IdentityLogonEdge {
			return &model.IdentityLogonEdge{Cursor: c, Node: n}
		})
	if err != nil {
		return nil, err
	}
	return &model.IdentityLogonConnection{TotalCount: total, PageInfo: pi, Nodes: nodes, Edges: edges}, nil
}

func deviceLogonConnection(ctx context.Context, f *facets.Facet, span model.Span, key string, first *int, after *string) (*model.DeviceLogonConnection, error) {
	nodes, edges, pi, total, err := paged(ctx, f, span, key, first, after, func(rw row) *model.DeviceLogon { return decode.DeviceLogon(rw, span) },
		func(c string, n *model.DeviceLogon) *model.DeviceLogonEdge {
			return &model.DeviceLogonEdge{Cursor: c, Node: n}
		})
	if err != nil {
		return nil, err
	}
	return &model.DeviceLogonConnection{TotalCount: total, PageInfo: pi, Nodes: nodes, Edges: edges}, nil
}

func networkConnections(ctx context.Context, f *facets.Facet, span model.Span, key string) ([]*model.NetworkConnectionSummary, error) {
	rows, err := load(ctx, f, span, key)
	if err != nil {
		return nil, err
	}
	out := make([]*model.NetworkConnectionSummary, 0, len(rows))
	for _, rw := range rows {
		out = append(out, decode.NetworkConnection(rw, span))
	}
	return out, nil
}

// latestAs decodes a Latest facet's row for one key; nil when there is none.
func latestAs[T any](ctx context.Context, f *facets.Facet, span model.Span, key string, dec func(row, model.Span) *T) (*T, error) {
	rw, err := latest(ctx, f, span, key)
	if rw == nil || err != nil {
		return nil, err
	}
	return dec(rw, span), nil
}

// rowsAs decodes every row of a facet for one key.
func rowsAs[T any](ctx context.Context, f *facets.Facet, span model.Span, key string, dec func(row) *T) ([]*T, error) {
	rows, err := load(ctx, f, span, key)
	if err != nil {
		return nil, err
	}
	out := make([]*T, 0, len(rows))
	for _, rw := range rows {
		out = append(out, dec(rw))
	}
	return out, nil
}

func commonSecurityLogConnection(ctx context.Context, f *facets.Facet, span model.Span, key string, first *int, after *string) (*model.CommonSecurityLogConnection, error) {
	nodes, edges, pi, total, err := paged(ctx, f, span, key, first, after, decode.CommonSecurityLog,
		func(c string, n *model.CommonSecurityLogEvent) *model.CommonSecurityLogEdge {
			return &model.CommonSecurityLogEdge{Cursor: c, Node: n}
		})
	if err != nil {
		return nil, err
	}
	return &model.CommonSecurityLogConnection{TotalCount: total, PageInfo: pi, Nodes: nodes, Edges: edges}, nil
}

func dnsQueryConnection(ctx context.Context, f *facets.Facet, span model.Span, key string, first *int, after *string) (*model.DNSQueryConnection, error) {
	nodes, edges, pi, total, err := paged(ctx, f, span, key, first, after, decode.DNSQuery,
		func(c string, n *model.DNSQuery) *model.DNSQueryEdge { return &model.DNSQueryEdge{Cursor: c, Node: n} })
	if err != nil {
		return nil, err
	}
	return &model.DNSQueryConnection{TotalCount: total, PageInfo: pi, Nodes: nodes, Edges: edges}, nil
}
