package resolvers

import (
	"context"
	"sort"
	"strings"

	"entitygraph/graph/model"
	"entitygraph/internal/decode"
	"entitygraph/internal/facets"
)

// The account's summary facets: cloud activity by source, then host
// logons. ipAddresses, hosts, sources and activitySummary all read them,
// so a request asking for several costs the five queries once.
var (
	accountActivity = decode.AccountActivityFacets
	activitySources = []model.AccountSource{model.AccountSourceSigninLogs, model.AccountSourceAzureActivity, model.AccountSourceOfficeActivity}
	accountLogons   = decode.AccountLogonFacets
	logonSources    = []model.AccountSource{model.AccountSourceWindowsLogon, model.AccountSourceLinuxLogon}
)

type accountSummaries struct {
	activity [][]row
	logons   [][]row
}

func loadAccountSummaries(ctx context.Context, a *model.Account) (*accountSummaries, error) {
	all := append(append([]*facets.Facet{}, accountActivity...), accountLogons...)
	results, errs := parallel(ctx, all, spanQuery(a.Span), accountKey(ctx, a))
	if err := combine(ctx, errs); err != nil {
		return nil, err
	}
	return &accountSummaries{activity: results[:3], logons: results[3:]}, nil
}

func accountSources(ctx context.Context, a *model.Account) ([]model.AccountSource, error) {
	s, err := loadAccountSummaries(ctx, a)
	if err != nil {
		return nil, err
	}
	out := []model.AccountSource{}
	for i, rs := range s.activity {
		if len(rs) > 0 {
			out = append(out, activitySources[i])
		}
	}
	for i, rs := range s.logons {
		if len(rs) > 0 {
			out = append(out, logonSources[i])
		}
	}
	return out, nil
}

func accountActivitySummary(ctx context.Context, a *model.Account) ([]*model.ActivitySummary, error) {
	s, err := loadAccountSummaries(ctx, a)
	if err != nil {
		return nil, err
	}
	out := []*model.ActivitySummary{}
	for i, rs := range s.activity {
		for _, r := range rs {
			out = append(out, decode.ActivitySummary(r, activitySources[i], a.Span))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out, nil
}

// accountIPAddresses folds activity and logons per (IP, source).
func accountIPAddresses(ctx context.Context, a *model.Account) ([]*model.AccountIPAddress, error) {
	s, err := loadAccountSummaries(ctx, a)
	if err != nil {
		return nil, err
	}
	byKey := map[string]*model.AccountIPAddress{}
	var order []string
	add := func(ipText *string, src model.AccountSource, r row, failures int) {
		ip := decode.IPRef(ipText, a.Span)
		if ip == nil {
			return
		}
		k := ip.Addr.String() + "|" + string(src)
		e, ok := byKey[k]
		if !ok {
			e = &model.AccountIPAddress{IPAddress: ip, Source: src}
			byKey[k] = e
			order = append(order, k)
		}
		e.Count += decode.Int(r, "Count")
		e.Failures += failures
		e.FirstSeen = decode.MinTime(e.FirstSeen, decode.Time(r, "FirstSeen"))
		e.LastSeen = decode.MaxTime(e.LastSeen, decode.Time(r, "LastSeen"))
	}
	for i, rs := range s.activity {
		for _, r := range rs {
			add(decode.Str(r, "IP"), activitySources[i], r, decode.Int(r, "Failures"))
		}
	}
	for i, rs := range s.logons {
		for _, r := range rs {
			failures := 0
			if decode.StrOr(r, "Result", "") == "FAILURE" {
				failures = decode.Int(r, "Count")
			}
			add(decode.Str(r, "SourceIP"), logonSources[i], r, failures)
		}
	}
	out := make([]*model.AccountIPAddress, len(order))
	for i, k := range order {
		out[i] = byKey[k]
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out, nil
}

// accountHosts folds logons per host.
func accountHosts(ctx context.Context, a *model.Account) ([]*model.AccountHost, error) {
	s, err := loadAccountSummaries(ctx, a)
	if err != nil {
		return nil, err
	}
	byHost := map[string]*model.AccountHost{}
	var order []string
	for i, rs := range s.logons {
		for _, r := range rs {
			name := decode.HostKey(decode.StrOr(r, "Host", ""))
			if name == "" {
				continue
			}
			h, ok := byHost[name]
			if !ok {
				h = &model.AccountHost{Host: &model.Host{Name: name, Span: a.Span}, Os: decode.OsFamilies[i]}
				byHost[name] = h
				order = append(order, name)
			}
			n := decode.Int(r, "Count")
			h.Count += n
			if decode.StrOr(r, "Result", "") == "FAILURE" {
				h.Failures += n
			}
			h.FirstSeen = decode.MinTime(h.FirstSeen, decode.Time(r, "FirstSeen"))
			h.LastSeen = decode.MaxTime(h.LastSeen, decode.Time(r, "LastSeen"))
		}
	}
	out := make([]*model.AccountHost, len(order))
	for i, n := range order {
		out[i] = byHost[n]
	}
	return out, nil
}

func accountHostLogons(ctx context.Context, a *model.Account) ([]*model.HostLogonSummary, error) {
	s, err := loadAccountSummaries(ctx, a)
	if err != nil {
		return nil, err
	}
	return decode.LogonSummaries(s.logons, a.Span), nil
}

// accountDomainUser is DOMAIN\user as Windows logons record the account.
func accountDomainUser(ctx context.Context, a *model.Account) (*string, error) {
	s, err := loadAccountSummaries(ctx, a)
	if err != nil {
		return nil, err
	}
	for _, r := range s.logons[0] {
		if name := decode.StrOr(r, "LogonAccount", ""); strings.Contains(name, `\`) {
			return &name, nil
		}
	}
	return nil, nil
}

// accountProfile is the newest sign-in row, or nil.
func accountProfile(ctx context.Context, a *model.Account) (row, error) {
	return latest(ctx, facets.AccountProfile, a.Span, accountKey(ctx, a))
}
