package resolvers

import (
	"context"

	"entitygraph/graph/model"
	"entitygraph/internal/decode"
	"entitygraph/internal/facets"
)

func loadHostProfile(ctx context.Context, h *model.Host) (*decode.HostProfile, error) {
	results, errs := parallel(ctx, decode.ProfileFacets, spanQuery(h.Span), h.Name)
	if err := combine(ctx, errs); err != nil {
		return nil, err
	}
	p := &decode.HostProfile{}
	for i, dst := range []*row{&p.HeartbeatRow, &p.VMRow, &p.DeviceRow} {
		if len(results[i]) > 0 {
			*dst = results[i][0]
		}
	}
	return p, nil
}

// hostAttr reads one attribute from the first profile source that has it.
func hostAttr(ctx context.Context, h *model.Host, pick func(p *decode.HostProfile) *string) (*string, error) {
	p, err := loadHostProfile(ctx, h)
	if err != nil {
		return nil, err
	}
	return pick(p), nil
}

func hostIPAddresses(ctx context.Context, h *model.Host) ([]*model.HostIPAddress, error) {
	results, errs := parallel(ctx, decode.AddressFacets, spanQuery(h.Span), h.Name)
	if err := combine(ctx, errs); err != nil {
		return nil, err
	}
	return decode.HostAddresses(results, h.Span), nil
}

func hostLogonSummaries(ctx context.Context, h *model.Host) ([]*model.HostLogonSummary, error) {
	results, errs := parallel(ctx, []*facets.Facet{facets.HostWindowsLogons, facets.HostLinuxLogons}, spanQuery(h.Span), h.Name)
	if err := combine(ctx, errs); err != nil {
		return nil, err
	}
	return decode.LogonSummaries(results, h.Span), nil
}

// hostEvents pages a Windows and a Linux facet as one list of HostEvents.
func hostEvents(ctx context.Context, h *model.Host, windows, linux *facets.Facet, first *int, after *string) (*model.HostEventConnection, error) {
	rows, origin, offset, total, err := pageMerged(ctx, []*facets.Facet{windows, linux}, h.Span, h.Name, first, after)
	if err != nil {
		return nil, err
	}
	i := 0
	nodes, edges, pi := connection(rows, offset, total, func(r row) *model.HostEvent {
		e := decode.HostEvent(r, decode.OsFamilies[origin[i]], h.Span)
		i++
		return e
	}, func(c string, n *model.HostEvent) *model.HostEventEdge {
		return &model.HostEventEdge{Cursor: c, Node: n}
	})
	return &model.HostEventConnection{TotalCount: total, PageInfo: pi, Nodes: nodes, Edges: edges}, nil
}

func hostEventSummary(ctx context.Context, h *model.Host) ([]*model.EventSummary, error) {
	results, errs := parallel(ctx, []*facets.Facet{facets.HostWindowsEventSummary, facets.HostLinuxEventSummary}, spanQuery(h.Span), h.Name)
	if err := combine(ctx, errs); err != nil {
		return nil, err
	}
	out := []*model.EventSummary{}
	for i, rs := range results {
		for _, r := range rs {
			s := &model.EventSummary{Os: decode.OsFamilies[i], Count: decode.Int(r, "Count"), FirstSeen: decode.Time(r, "FirstSeen"), LastSeen: decode.Time(r, "LastSeen")}
			if i == 0 {
				s.EventID, s.Channel, s.Activity = decode.IntP(r, "EventID"), decode.Str(r, "Channel"), decode.Str(r, "Activity")
			} else {
				s.Facility, s.Severity, s.Process = decode.Str(r, "Facility"), decode.Str(r, "SeverityLevel"), decode.Str(r, "ProcessName")
			}
			out = append(out, s)
		}
	}
	return out, nil
}
