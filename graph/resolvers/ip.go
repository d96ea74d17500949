package resolvers

import (
	"context"
	"errors"
	"sort"

	"entitygraph/graph/model"
	"entitygraph/internal/decode"
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
			out = append(out, decode.IPHostLogon(r, oses[i], ip.Span))
		}
	}
	return out, nil
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
			out = append(out, decode.FoldLogons(rs, kinds[i], ip.Span)...)
			continue
		}
		for _, r := range rs {
			out = append(out, decode.RelatedAccount(r, kinds[i], ip.Span))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	if wantsAccounts(ctx) {
		canonicalAccounts(ctx, out)
	}
	return out, nil
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

func hostSightings(ctx context.Context, ip *model.IPAddress) ([]*model.HostSighting, error) {
	rows, errs := parallel(ctx, decode.OwnerFacets, spanQuery(ip.Span), ip.Addr.String())
	if err := combine(ctx, errs); err != nil {
		return nil, err
	}
	return decode.Sightings(rows, ip.Span), nil
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
