package resolvers

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"entitygraph/graph/model"
	"entitygraph/internal/decode"
	"entitygraph/internal/errcode"
	"entitygraph/internal/facets"
	"entitygraph/internal/loaders"
)

// hostIDColumn is an id column of a host link facet and the kind of id
// it holds.
type hostIDColumn struct {
	column string
	kind   model.HostAliasKind
}

var hostIDColumns = map[*facets.Facet][]hostIDColumn{
	facets.HostLinksDeviceInfo: {{"FQDN", model.HostAliasKindFqdn}, {"DeviceId", model.HostAliasKindMdeDeviceID}},
	facets.HostLinksHeartbeat:  {{"FQDN", model.HostAliasKindFqdn}, {"ResourceId", model.HostAliasKindAzureResourceID}, {"VmId", model.HostAliasKindAzureVMID}},
	facets.HostLinksVMComputer: {{"FQDN", model.HostAliasKindFqdn}, {"ResourceId", model.HostAliasKindAzureResourceID}, {"AgentId", model.HostAliasKindAgentID}, {"VmId", model.HostAliasKindAzureVMID}},
}

var (
	mdeDeviceID = regexp.MustCompile(`^[0-9a-f]{40}$`)
	hostGUID    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// hostIDOf recognises a host id a user may paste instead of a name: an MDE
// device id, an agent or VM id (a GUID), or an Azure resource id.
func hostIDOf(name string) (string, bool) {
	id := strings.ToLower(strings.TrimSpace(name))
	if mdeDeviceID.MatchString(id) || hostGUID.MatchString(id) || (strings.HasPrefix(id, "/subscriptions/") && len(id) <= 1024 && !strings.ContainsAny(id, " \t\r\n")) {
		return id, true
	}
	return "", false
}

// hostLinkRows loads every host link facet for one key, together.
func hostLinkRows(ctx context.Context, span model.Span, key string) map[*facets.Facet][]row {
	out := map[*facets.Facet][]row{}
	var mu sync.Mutex
	loaders.Each(ctx, len(facets.HostLinks), func(i int) error {
		f := facets.HostLinks[i]
		rows, err := load(ctx, f, span, key)
		if err == nil {
			mu.Lock()
			out[f] = rows
			mu.Unlock()
		}
		return nil
	})
	return out
}

// hostsWithID are the short names of the hosts an id belongs to.
func hostsWithID(ctx context.Context, span model.Span, id string) []string {
	seen := map[string]bool{}
	var out []string
	for _, rows := range hostLinkRows(ctx, span, id) {
		for _, r := range rows {
			if h := decode.StrOr(r, "Host", ""); h != "" && !seen[h] {
				seen[h] = true
				out = append(out, h)
			}
		}
	}
	sort.Strings(out)
	return out
}

// hostAliases lists the host's names and ids with the tables giving them.
func hostAliases(ctx context.Context, h *model.Host) []*model.HostAlias {
	type aliasKey struct {
		kind  model.HostAliasKind
		value string
	}
	short := aliasKey{model.HostAliasKindShortName, h.Name}
	sources := map[aliasKey]map[string]bool{short: {}}
	for f, rows := range hostLinkRows(ctx, h.Span, h.Name) {
		for _, r := range rows {
			for _, c := range hostIDColumns[f] {
				v := decode.StrOr(r, c.column, "")
				if v == "" || (c.kind == model.HostAliasKindFqdn && v == h.Name) {
					continue
				}
				k := aliasKey{c.kind, v}
				if sources[k] == nil {
					sources[k] = map[string]bool{}
				}
				sources[k][f.Table] = true
			}
			sources[short][f.Table] = true
		}
	}
	order := map[model.HostAliasKind]int{}
	for i, k := range model.AllHostAliasKind {
		order[k] = i
	}
	out := make([]*model.HostAlias, 0, len(sources))
	for k, src := range sources {
		tables := make([]string, 0, len(src))
		for t := range src {
			tables = append(tables, t)
		}
		sort.Strings(tables)
		out = append(out, &model.HostAlias{Kind: k.kind, Value: k.value, Sources: tables})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return order[out[i].Kind] < order[out[j].Kind]
		}
		return out[i].Value < out[j].Value
	})
	return out
}

// hostIDNotUnique says why a host id names no host (nil: null, nothing in
// the timespan) or several (AMBIGUOUS_NAME with the candidates).
func hostIDNotUnique(ctx context.Context, id string, hosts []string) error {
	if len(hosts) == 0 {
		return nil
	}
	return &gqlerror.Error{Path: graphql.GetPath(ctx),
		Message:    fmt.Sprintf("%q is an id of %d hosts (%s); ask for one by name", id, len(hosts), strings.Join(hosts, ", ")),
		Extensions: map[string]any{"code": errcode.AmbiguousName, "candidates": hosts}}
}
