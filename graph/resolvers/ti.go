package resolvers

import (
	"context"

	"entitygraph/graph/model"
	"entitygraph/internal/decode"
	"entitygraph/internal/facets"
)

var tiFacets = []*facets.Facet{facets.IPThreatIntel, facets.IPThreatIntelLegacy}

// threatIndicators pages both TI schemas as one list.
func threatIndicators(ctx context.Context, ip *model.IPAddress, first *int, after *string) (*model.ThreatIndicatorConnection, error) {
	rows, origin, offset, total, err := pageMerged(ctx, tiFacets, ip.Span, ip.Addr.String(), first, after)
	if err != nil {
		return nil, err
	}
	i := 0
	nodes, edges, pi := connection(rows, offset, total, func(r row) *model.ThreatIndicator {
		n := decode.ThreatIndicator(r, origin[i] == 1)
		i++
		return n
	}, func(c string, n *model.ThreatIndicator) *model.ThreatIndicatorEdge {
		return &model.ThreatIndicatorEdge{Cursor: c, Node: n}
	})
	return &model.ThreatIndicatorConnection{TotalCount: total, PageInfo: pi, Nodes: nodes, Edges: edges}, nil
}
