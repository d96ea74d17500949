package resolvers

import (
	"context"
	"fmt"
	"time"

	"entitygraph/graph/model"
	"entitygraph/internal/facets"
	"entitygraph/internal/ipclass"
)

// MaxBulk caps the entities one root list field or nodes() takes.
const MaxBulk = 100

// alertLookback is the default timespan of alert(id:) and node refetches
// of alerts: an alert id carries no time.
const alertLookback = 30 * 24 * time.Hour

func (r *Resolver) alertByID(ctx context.Context, id string, timespan *model.TimeSpanInput) (*model.Alert, error) {
	systemID := id
	if typ, key, err := model.DecodeID(id); err == nil && typ == "Alert" {
		systemID = key
	}
	if systemID == "" || len(systemID) > 128 {
		return nil, badInput(ctx, "id", "not an alert id")
	}
	var span model.Span
	var err error
	if timespan == nil {
		end := r.Config.now().UTC()
		span = model.Span{Start: end.Add(-alertLookback), End: end}
	} else if span, err = r.resolveSpan(ctx, timespan); err != nil {
		return nil, err
	}
	rw, err := latest(ctx, facets.AlertByID, span, systemID)
	if rw == nil || err != nil {
		return nil, err
	}
	return alertFromRow(rw, span), nil
}

func (r *Resolver) alertQueue(ctx context.Context, timespan *model.TimeSpanInput, first *int, after *string, minSeverity *model.Severity, status []string) (*model.AlertConnection, error) {
	span, err := r.resolveSpan(ctx, timespan)
	if err != nil {
		return nil, err
	}
	offset, limit, err := page(ctx, first, after)
	if err != nil {
		return nil, err
	}
	q := spanQuery(span)
	if minSeverity != nil {
		if !minSeverity.IsValid() {
			return nil, badInput(ctx, "minSeverity", "unknown severity")
		}
		q.In = append(q.In, facets.ColumnIn{Column: "AlertSeverity", Values: severitiesFrom(*minSeverity)})
	}
	if status != nil {
		if len(status) == 0 || len(status) > 10 {
			return nil, badInput(ctx, "status", "give 1 to 10 statuses")
		}
		for _, s := range status {
			if s == "" || len(s) > 64 {
				return nil, badInput(ctx, "status", "%q is not a status", truncate(s, 64))
			}
		}
		q.In = append(q.In, facets.ColumnIn{Column: "Status", Values: status})
	}
	q.Offset, q.Limit, q.AllColumns = offset, max(limit, 1), wantsColumns(ctx)
	rows, err := loadQuery(ctx, facets.AlertQueue, q, "*")
	if err != nil {
		return nil, err
	}
	total := 0
	if len(rows) > 0 {
		total = intOf(rows[0][facets.TotalColumn])
	}
	if len(rows) > limit {
		rows = rows[:limit]
	}
	nodes, edges, pi := connection(rows, offset, total, func(rw row) *model.Alert { return alertFromRow(rw, span) }, func(c string, n *model.Alert) *model.AlertEdge { return &model.AlertEdge{Cursor: c, Node: n} })
	return &model.AlertConnection{TotalCount: total, PageInfo: pi, Nodes: nodes, Edges: edges}, nil
}

func (r *Resolver) ipAddresses(ctx context.Context, addresses []string, timespan *model.TimeSpanInput) ([]*model.IPAddress, error) {
	if len(addresses) > MaxBulk {
		return nil, badInput(ctx, "addresses", "%d addresses; the maximum is %d", len(addresses), MaxBulk)
	}
	span, err := r.resolveSpan(ctx, timespan)
	if err != nil {
		return nil, err
	}
	out := make([]*model.IPAddress, len(addresses))
	for i, a := range addresses {
		addr, err := ipclass.Parse(a)
		if err != nil {
			return nil, badInput(ctx, fmt.Sprintf("addresses[%d]", i), "%q is not a valid IP address: %v", truncate(a, 64), err)
		}
		out[i] = &model.IPAddress{Addr: addr, Span: span}
	}
	return out, nil
}

// node refetches one entity by global id, over the default timespan.
func (r *Resolver) node(ctx context.Context, id, arg string) (model.Node, error) {
	typ, key, err := model.DecodeID(id)
	if err != nil {
		return nil, badInput(ctx, arg, "%v", err)
	}
	span, _ := r.resolveSpan(ctx, nil)
	switch typ {
	case "IpAddress":
		if addr, err := ipclass.Parse(key); err == nil {
			return &model.IPAddress{Addr: addr, Span: span}, nil
		}
	case "Account":
		if k, err := AccountKey(key); err == nil {
			return &model.Account{Name: k, Span: span}, nil
		}
	case "Host":
		if k, err := hostKeyOf(key); err == nil {
			return &model.Host{Name: k, Span: span}, nil
		}
	case "Alert":
		a, err := r.alertByID(ctx, id, nil)
		if a == nil || err != nil {
			return nil, err
		}
		return a, nil
	}
	return nil, badInput(ctx, arg, "not an entitygraph id")
}

func (r *Resolver) nodes(ctx context.Context, ids []string) ([]model.Node, error) {
	if len(ids) > MaxBulk {
		return nil, badInput(ctx, "ids", "%d ids; the maximum is %d", len(ids), MaxBulk)
	}
	out := make([]model.Node, len(ids))
	for i, id := range ids {
		n, err := r.node(ctx, id, fmt.Sprintf("ids[%d]", i))
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}
