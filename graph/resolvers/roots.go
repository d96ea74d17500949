package resolvers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"entitygraph/graph/model"
	"entitygraph/internal/decode"
	"entitygraph/internal/errcode"
	"entitygraph/internal/facets"
	"entitygraph/internal/ipclass"
	"entitygraph/internal/loaders"
	"entitygraph/internal/sources"
)

// MaxBulk caps the entities one root list field or nodes() takes.
const MaxBulk = 100

// defaultAlertLookback is how far back alert(id:) looks when the server
// sets no --max-timespan: a SystemAlertId carries no time.
const defaultAlertLookback = 90 * 24 * time.Hour

// alertByID finds an alert by SystemAlertId or global id: over the
// timespan given, else the one its global id carries, else as far back as
// --max-timespan allows (one narrow query by id). An alert that is not
// there is null with a NOT_FOUND error saying where it was looked for.
func (r *Resolver) alertByID(ctx context.Context, id string, timespan *model.TimeSpanInput) (*model.Alert, error) {
	systemID := id
	var idSpan model.Span
	var hasSpan bool
	if typ, key, span, ok, err := model.DecodeEntityID(id); err == nil && typ == "Alert" {
		systemID, idSpan, hasSpan = key, span, ok
	}
	if systemID == "" || len(systemID) > 128 {
		return nil, badInput(ctx, "id", "not an alert id")
	}
	var span model.Span
	var err error
	switch {
	case timespan != nil:
		if span, err = r.resolveSpan(ctx, timespan); err != nil {
			return nil, err
		}
	case hasSpan:
		span = idSpan
	default:
		lookback := r.Config.MaxTimespan
		if lookback <= 0 {
			lookback = defaultAlertLookback
		}
		end := r.Config.now().UTC().Truncate(time.Minute).Add(time.Minute)
		span = model.Span{Start: end.Add(-lookback), End: end}
	}
	rw, err := latest(ctx, facets.AlertByID, span, systemID)
	if err != nil {
		return nil, err
	}
	if rw == nil {
		return nil, &gqlerror.Error{Path: graphql.GetPath(ctx), Message: fmt.Sprintf("no alert %q between %s and %s", truncate(systemID, 128), span.Start.Format(time.RFC3339), span.End.Format(time.RFC3339)),
			Extensions: map[string]any{"code": errcode.NotFound}}
	}
	return decode.Alert(rw, span), nil
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
		total = decode.IntOf(rows[0][facets.TotalColumn])
	}
	if len(rows) > limit {
		rows = rows[:limit]
	}
	nodes, edges, pi := connection(rows, offset, total, func(rw row) *model.Alert { return decode.Alert(rw, span) }, func(c string, n *model.Alert) *model.AlertEdge { return &model.AlertEdge{Cursor: c, Node: n} })
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

// node refetches one entity by global id, over the timespan the id
// carries (the default one for ids without), and is null for an account or
// host nothing in that timespan names.
func (r *Resolver) node(ctx context.Context, id, arg string) (model.Node, error) {
	typ, key, span, hasSpan, err := model.DecodeEntityID(id)
	if err != nil {
		return nil, badInput(ctx, arg, "%v", err)
	}
	if !hasSpan {
		span, _ = r.resolveSpan(ctx, nil)
	} else if r.Config.MaxTimespan > 0 && span.End.Sub(span.Start) > r.Config.MaxTimespan {
		return nil, badInput(ctx, arg, "the id's timespan is longer than this server's --max-timespan")
	}
	switch typ {
	case "IpAddress":
		if addr, err := ipclass.Parse(key); err == nil {
			return &model.IPAddress{Addr: addr, Span: span}, nil
		}
	case "Account":
		if k, err := AccountKey(key); err == nil {
			return r.knownAccount(ctx, &model.Account{Name: k, Span: span})
		}
	case "Host":
		if k, err := hostKeyOf(key); err == nil {
			return r.knownHost(ctx, &model.Host{Name: k, Span: span})
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

// knownAccount is the account, or nil when nothing in its timespan names
// it (no event in any source, no sign-in profile). A failing source does
// not hide it: its error is reported and the account returned.
func (r *Resolver) knownAccount(ctx context.Context, a *model.Account) (model.Node, error) {
	if ok := r.known(ctx, facets.AccountTimeline, []*facets.Facet{facets.AccountProfile}, a.Span, accountKey(ctx, a)); !ok {
		return nil, nil
	}
	return a, nil
}

// knownHost is the host, or nil when nothing in its timespan names it (no
// event, heartbeat, VM inventory or MDE record).
func (r *Resolver) knownHost(ctx context.Context, h *model.Host) (model.Node, error) {
	if ok := r.known(ctx, facets.HostTimeline, []*facets.Facet{facets.HostHeartbeat, facets.HostVMComputer, facets.HostDeviceInfo}, h.Span, h.Name); !ok {
		return nil, nil
	}
	return h, nil
}

// known says whether any of the entity's sources names it in the span:
// its timeline (the same batched queries firstSeen and lastSeen use) or
// one of the latest-record facets. A failing source counts as naming it
// (its error is reported): an outage never makes an entity vanish.
func (r *Resolver) known(ctx context.Context, timeline, records []*facets.Facet, span model.Span, key string) bool {
	q := spanQuery(span)
	q.Bucket = time.Hour
	results, errs := parallel(ctx, timeline, q, key)
	latestRows := make([]row, len(records))
	errs = append(errs, loaders.Each(ctx, len(records), func(i int) (err error) {
		latestRows[i], err = latest(ctx, records[i], span, key)
		return err
	})...)
	for _, rs := range results {
		if len(rs) > 0 {
			return true
		}
	}
	for _, rw := range latestRows {
		if rw != nil {
			return true
		}
	}
	failed := false
	for _, err := range errs {
		if err != nil && !errors.Is(err, sources.ErrTableUnavailable) {
			addError(ctx, err)
			failed = true
		}
	}
	return failed
}
