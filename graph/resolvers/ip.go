package resolvers

import (
	"context"
	"errors"
	"sort"
	"strings"

	"entitygraph/graph/model"
	"entitygraph/internal/facets"
	"entitygraph/internal/identity"
	"entitygraph/internal/ipclass"
	"entitygraph/internal/loaders"
	"entitygraph/internal/sources"

	"github.com/99designs/gqlgen/graphql"
)

// The IpAddress fields that combine several facets.

func hostLogons(ctx context.Context, ip *model.IPAddress) ([]*model.HostLogonSummary, error) {
	fs := []*facets.Facet{facets.IPWindowsLogons, facets.IPLinuxLogons}
	oses := []model.OsFamily{model.OsFamilyWindows, model.OsFamilyLinux}
	rows, errs := parallel(ctx, fs, spanQuery(ip.Span), ip.Addr.String())
	if err := combine(ctx, errs); err != nil {
		return nil, err
	}
	out := []*model.HostLogonSummary{}
	for i, rs := range rows {
		for _, r := range rs {
			out = append(out, ipHostLogonFromRow(r, oses[i], ip.Span))
		}
	}
	return out, nil
}

func ipHostLogonFromRow(r row, os model.OsFamily, span model.Span) *model.HostLogonSummary {
	return &model.HostLogonSummary{
		Host:      &model.Host{Name: HostKey(strOr(r, "Host", "")), Span: span},
		Account:   &model.Account{Name: strings.ToLower(strOr(r, "LogonAccount", "")), Span: span},
		Os:        os,
		LogonType: str(r, "LogonKind"),
		Result:    model.LogonResult(strOr(r, "Result", "FAILURE")),
		Count:     intCol(r, "Count"),
		FirstSeen: timep(r, "FirstSeen"),
		LastSeen:  timep(r, "LastSeen"),
	}
}

func relatedAccounts(ctx context.Context, ip *model.IPAddress) ([]*model.RelatedAccount, error) {
	fs := []*facets.Facet{facets.IPSigninAccounts, facets.IPAzureActivityAccounts, facets.IPOfficeAccounts, facets.IPWindowsLogons, facets.IPLinuxLogons}
	kinds := []model.AccountSource{model.AccountSourceSigninLogs, model.AccountSourceAzureActivity, model.AccountSourceOfficeActivity, model.AccountSourceWindowsLogon, model.AccountSourceLinuxLogon}
	rows, errs := parallel(ctx, fs, spanQuery(ip.Span), ip.Addr.String())
	if err := combine(ctx, errs); err != nil {
		return nil, err
	}
	out := []*model.RelatedAccount{}
	for i, rs := range rows {
		if i >= 3 { // host logons: one row per host/type/result, folded per account
			out = append(out, foldLogons(rs, kinds[i], ip.Span)...)
			continue
		}
		for _, r := range rs {
			out = append(out, relatedAccountFromRow(r, kinds[i], ip.Span))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	if wantsAccounts(ctx) {
		canonicalAccounts(ctx, out)
	}
	return out, nil
}

func relatedAccountFromRow(r row, src model.AccountSource, span model.Span) *model.RelatedAccount {
	return &model.RelatedAccount{
		Account:   &model.Account{Name: strOr(r, "AccountName", ""), Span: span},
		Source:    src,
		Details:   list(r, "Details"),
		Count:     intCol(r, "Count"),
		Failures:  intCol(r, "Failures"),
		FirstSeen: timep(r, "FirstSeen"),
		LastSeen:  timep(r, "LastSeen"),
	}
}

// wantsAccounts reports whether the field being resolved selects its rows'
// account (resolution is only worth its queries then).
func wantsAccounts(ctx context.Context) bool {
	fc := graphql.GetFieldContext(ctx)
	return fc == nil || fc.Field.Field == nil || selects(fc.Field.Selections, "account")
}

// canonicalAccounts names each related account by its person's best name
// (the UPN when known), so one person's rows from several sources link to
// one Account. UPNs are canonical already; the other names are resolved
// together (one batched query per link table).
func canonicalAccounts(ctx context.Context, related []*model.RelatedAccount) {
	var names []string
	seen := map[string]bool{}
	for _, ra := range related {
		if n := ra.Account.Name; !seen[n] && identity.KindOf(n) != identity.UPN {
			seen[n] = true
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return
	}
	span := related[0].Account.Span
	best := make([]string, len(names))
	loaders.Each(ctx, len(names), func(i int) error {
		if res := resolveAccount(ctx, &model.Account{Name: names[i], Span: span}); res.person != nil {
			best[i] = res.person.Best()
			rememberResolution(ctx, &model.Account{Name: best[i], Span: span}, res)
		}
		return nil
	})
	rename := map[string]string{}
	for i, n := range names {
		if best[i] != "" {
			rename[n] = best[i]
		}
	}
	for _, ra := range related {
		if b, ok := rename[ra.Account.Name]; ok {
			ra.Account = &model.Account{Name: b, Span: ra.Account.Span}
		}
	}
}

func foldLogons(rs []row, kind model.AccountSource, span model.Span) []*model.RelatedAccount {
	byAcct := map[string]*model.RelatedAccount{}
	var order []string
	for _, r := range rs {
		name := strings.ToLower(strOr(r, "LogonAccount", ""))
		if name == "" {
			continue
		}
		a, ok := byAcct[name]
		if !ok {
			a = &model.RelatedAccount{Account: &model.Account{Name: name, Span: span}, Source: kind, Details: []string{}}
			byAcct[name] = a
			order = append(order, name)
		}
		n := intCol(r, "Count")
		a.Count += n
		if strOr(r, "Result", "") == "FAILURE" {
			a.Failures += n
		}
		if lt := str(r, "LogonKind"); lt != nil {
			a.Details = appendDistinct(a.Details, *lt)
		}
		if t := timep(r, "FirstSeen"); t != nil && (a.FirstSeen == nil || t.Before(*a.FirstSeen)) {
			a.FirstSeen = t
		}
		if t := timep(r, "LastSeen"); t != nil && (a.LastSeen == nil || t.After(*a.LastSeen)) {
			a.LastSeen = t
		}
	}
	out := make([]*model.RelatedAccount, len(order))
	for i, n := range order {
		out[i] = byAcct[n]
	}
	return out
}

// ownerFacets find monitored hosts owning an IP; they also decide its origin.
var ownerFacets = []*facets.Facet{facets.IPDeviceNetworkInfo, facets.IPHeartbeat, facets.IPVMComputer, facets.IPNetworkInterface}

func hostSightings(ctx context.Context, ip *model.IPAddress) ([]*model.HostSighting, error) {
	rows, errs := parallel(ctx, ownerFacets, spanQuery(ip.Span), ip.Addr.String())
	if err := combine(ctx, errs); err != nil {
		return nil, err
	}
	return sightings(rows, ip.Span), nil
}

// sightings reads the ownerFacets' rows, in their order.
func sightings(rows [][]row, span model.Span) []*model.HostSighting {
	out := []*model.HostSighting{}
	add := func(name *string, src model.HostSource, id *string, r row, timeCol string) {
		if name == nil {
			return
		}
		out = append(out, &model.HostSighting{Host: hostRef(name, span), Source: src, SourceID: id, LastSeen: timep(r, timeCol)})
	}
	for _, r := range rows[0] {
		add(str(r, "DeviceName"), model.HostSourceMdeDevice, str(r, "DeviceId"), r, "LastSeen")
	}
	for _, r := range rows[1] {
		add(str(r, "Computer"), model.HostSourceHeartbeat, firstOf(r, "ResourceId", "SourceComputerId"), r, "TimeGenerated")
	}
	for _, r := range rows[2] {
		add(str(r, "Computer"), model.HostSourceVMComputer, firstOf(r, "AgentId", "_ResourceId"), r, "TimeGenerated")
	}
	for _, r := range rows[3] {
		add(vmName(str(r, "VirtualMachine_s")), model.HostSourceNsgInterface, str(r, "VirtualMachine_s"), r, "TimeGenerated")
	}
	return out
}

// ipOrigin decides INTERNAL/EXTERNAL as the notebook does: private, or owned
// by a monitored host.
func ipOrigin(ctx context.Context, ip *model.IPAddress) (*model.IPOrigin, error) {
	internal, external := model.IPOriginInternal, model.IPOriginExternal
	if ipclass.IsPrivate(ipclass.Classify(ip.Addr)) {
		return &internal, nil
	}
	hosts, err := hostSightings(ctx, ip)
	if err != nil {
		if errors.Is(err, sources.ErrTableUnavailable) {
			return &external, nil
		}
		return nil, err
	}
	if len(hosts) > 0 {
		return &internal, nil
	}
	return &external, nil
}
