package resolvers

import (
	"context"
	"strings"

	"entitygraph/graph/model"
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
		n := threatIndicatorFromRow(r, origin[i] == 1)
		i++
		return n
	}, func(c string, n *model.ThreatIndicator) *model.ThreatIndicatorEdge {
		return &model.ThreatIndicatorEdge{Cursor: c, Node: n}
	})
	return &model.ThreatIndicatorConnection{TotalCount: total, PageInfo: pi, Nodes: nodes, Edges: edges}, nil
}

func boolp(r row, col string) *bool {
	switch v := get(r, col).(type) {
	case bool:
		return &v
	case string:
		b := strings.EqualFold(v, "true")
		return &b
	}
	return nil
}

func threatIndicatorFromRow(r row, legacy bool) *model.ThreatIndicator {
	if legacy {
		return &model.ThreatIndicator{
			Time: timep(r, "TimeGenerated"), ID: str(r, "IndicatorId"), Table: "ThreatIntelligenceIndicator",
			Value:      firstNonNil(str(r, "NetworkIP"), str(r, "NetworkSourceIP"), str(r, "NetworkDestinationIP"), str(r, "EmailSourceIpAddress")),
			Pattern:    str(r, "ExternalIndicatorId"),
			Confidence: intp(r, "ConfidenceScore"), Active: boolp(r, "Active"), ThreatType: str(r, "ThreatType"),
			Description: str(r, "Description"), Action: str(r, "Action"), Tags: list(r, "Tags"),
			ValidUntil: timep(r, "ExpirationDateTime"), SourceSystem: str(r, "SourceSystem"), Columns: columns(r),
		}
	}
	t := &model.ThreatIndicator{
		Time: timep(r, "TimeGenerated"), ID: str(r, "Id"), Table: "ThreatIntelIndicators", Value: str(r, "ObservableValue"),
		Pattern: str(r, "Pattern"), Confidence: intp(r, "Confidence"), Active: boolp(r, "IsActive"), Tags: list(r, "Tags"),
		ValidUntil: timep(r, "ValidUntil"), SourceSystem: str(r, "SourceSystem"), Columns: columns(r),
	}
	if data, ok := jsonValue(r, "Data").(map[string]any); ok {
		if labels, ok := data["labels"].([]any); ok && len(labels) > 0 {
			if s, ok := labels[0].(string); ok {
				t.ThreatType = &s
			}
		}
		if d, ok := data["description"].(string); ok && d != "" {
			t.Description = &d
		}
	}
	return t
}
