package resolvers

import (
	"context"
	"errors"
	"strings"
	"time"

	"entitygraph/graph/model"
	"entitygraph/internal/decode"
	"entitygraph/internal/errcode"
	"entitygraph/internal/facets"
	"entitygraph/internal/ipclass"
	"entitygraph/internal/loaders"
	"entitygraph/internal/sources"
	"entitygraph/internal/sources/ti"
	"entitygraph/internal/sources/whois"
)

func verdictOf(v ti.Verdict) model.Verdict { return model.Verdict(v.String()) }

func tiResult(r ti.Result) *model.ThreatIntelResult {
	out := &model.ThreatIntelResult{Provider: r.Provider, Verdict: verdictOf(r.Verdict), Status: model.ThreatIntelStatus(r.Status),
		Summary: optional(r.Summary), Reference: optional(r.Reference), Cached: r.Cached, Error: optional(r.Error)}
	if r.Details != nil {
		out.Details = r.Details
	}
	if len(r.Raw) > 0 {
		if v := decode.JSON(row{"raw": string(r.Raw)}, "raw"); v != nil {
			out.Raw = v
		}
	}
	if !r.FetchedAt.IsZero() {
		t := r.FetchedAt
		out.FetchedAt = &t
	}
	if r.RetryAfter > 0 {
		s := int((r.RetryAfter + time.Second - 1) / time.Second)
		out.RetryAfter = &s
	}
	return out
}

// sentinelTI reads the workspace's TI tables for the address; the verdict
// is ti.WorkspaceResult's.
func (r *Resolver) sentinelTI(ctx context.Context, ip *model.IPAddress) ti.Result {
	q := spanQuery(ip.Span)
	q.Limit, q.AllColumns = 20, true
	results, errs := parallel(ctx, tiFacets, q, ip.Addr.String())
	missing := 0
	var found []ti.Indicator
	for i, err := range errs {
		switch {
		case errors.Is(err, sources.ErrTableUnavailable):
			missing++
		case err != nil:
			return ti.WorkspaceFailed(r.Config.now())
		}
		for _, row := range results[i] {
			n := decode.ThreatIndicator(row, i == 1)
			in := ti.Indicator{Confidence: n.Confidence}
			if n.Action != nil {
				in.Action = *n.Action
			}
			found = append(found, in)
		}
	}
	return ti.WorkspaceResult(found, missing == len(tiFacets), r.Config.now())
}

func (r *Resolver) threatIntel(ctx context.Context, ip *model.IPAddress, providers []string, refresh, external *bool) (*model.ThreatIntel, error) {
	wantSentinel := len(providers) == 0
	var others []string
	for _, p := range providers {
		if strings.EqualFold(p, ti.WorkspaceName) {
			wantSentinel = true
		} else {
			others = append(others, p)
		}
	}
	var results []ti.Result
	if r.Config.TI != nil && (len(providers) == 0 || len(others) > 0) {
		o := ti.LookupOptions{Providers: others, Refresh: refresh != nil && *refresh, External: external == nil || *external, Caller: callerID(ctx)}
		started := time.Now()
		var rs []ti.Result
		var err error
		loaders.Waiting(ctx, func() { rs, err = r.Config.TI.Lookup(ctx, ip.Addr, o) })
		if err != nil {
			return nil, badInput(ctx, "providers", "%v", err)
		}
		traceTI(ctx, rs, time.Since(started))
		results = append(results, rs...)
	} else if len(others) > 0 {
		return nil, badInput(ctx, "providers", "no threat-intelligence provider is configured")
	}
	if wantSentinel {
		results = append(results, r.sentinelTI(ctx, ip))
	}
	out := &model.ThreatIntel{Verdict: verdictOf(ti.Worst(results)), Results: make([]*model.ThreatIntelResult, len(results))}
	for i, res := range results {
		out.Results[i] = tiResult(res)
	}
	return out, nil
}

// traceTI lists provider calls in the request trace.
func traceTI(ctx context.Context, rs []ti.Result, took time.Duration) {
	l, err := loaders.For(ctx)
	if err != nil {
		return
	}
	for _, res := range rs {
		// A budget's refusal (RATE_LIMITED without a provider error) sent nothing.
		skipped := res.Status == ti.Disabled || res.Status == ti.NotApplicable || (res.Status == ti.RateLimited && res.Error == "")
		c := loaders.Call{Source: "ti", Facet: res.Provider, Keys: 1, Cached: res.Cached, Skipped: skipped, Error: res.Error}
		if !res.Cached && !skipped {
			c.DurationMs = float64(took.Microseconds()) / 1000
		}
		l.Trace().Record(c)
	}
}

func (r *Resolver) passiveDNS(ctx context.Context, ip *model.IPAddress, external *bool) ([]*model.PassiveDNSRecord, error) {
	var all []ti.Resolution
	if r.Config.TI != nil {
		rs, problems := r.Config.TI.PassiveDNS(ctx, ip.Addr, ti.LookupOptions{External: external == nil || *external, Caller: callerID(ctx)})
		all = append(all, rs...)
		for _, p := range problems {
			addError(ctx, badSource(ctx, "ti:"+p.Provider, string(p.Status), p.Error))
		}
	}
	rows, err := load(ctx, facets.IPResolvedNames, ip.Span, ip.Addr.String())
	if err != nil && !errors.Is(err, sources.ErrTableUnavailable) {
		addError(ctx, err)
	}
	for _, rw := range rows {
		all = append(all, ti.Resolution{Hostname: decode.StrOr(rw, "Name", ""), FirstSeen: decode.Time(rw, "FirstSeen"), LastSeen: decode.Time(rw, "LastSeen"), Source: "DnsEvents"})
	}
	merged := ti.MergeResolutions(all)
	out := make([]*model.PassiveDNSRecord, len(merged))
	for i, m := range merged {
		out[i] = &model.PassiveDNSRecord{Hostname: m.Hostname, FirstSeen: m.FirstSeen, LastSeen: m.LastSeen, Sources: m.Sources}
	}
	return out, nil
}

func (r *Resolver) geo(ctx context.Context, ip *model.IPAddress) (*model.GeoLocation, error) {
	if r.Config.Geo == nil || ipclass.Classify(ip.Addr) != ipclass.Public {
		return nil, nil
	}
	loc, ok, err := r.Config.Geo.Locate(ip.Addr)
	if err != nil {
		return nil, badSource(ctx, "geo", errcode.SourceUnavailable, err.Error())
	}
	if !ok {
		return nil, nil
	}
	return &model.GeoLocation{CountryCode: optional(loc.CountryCode), CountryName: optional(loc.CountryName), Region: optional(loc.Region),
		City: optional(loc.City), Latitude: loc.Latitude, Longitude: loc.Longitude, Source: loc.Source}, nil
}

func (r *Resolver) whois(ctx context.Context, ip *model.IPAddress) (*model.Whois, error) {
	if r.Config.Geo == nil || ipclass.Classify(ip.Addr) != ipclass.Public {
		return nil, nil
	}
	netw, ok, err := r.Config.Geo.Owner(ip.Addr)
	if err != nil {
		return nil, badSource(ctx, "geo", errcode.SourceUnavailable, err.Error())
	}
	w := &model.Whois{Source: netw.Source}
	if ok {
		asn := int(netw.ASN)
		cidr := netw.CIDR.String()
		w.Asn, w.AsName, w.Cidr = &asn, optional(netw.ASName), &cidr
	}
	if loc, found, _ := r.Config.Geo.Locate(ip.Addr); found {
		w.Country = optional(loc.CountryCode)
	}
	if r.Config.RDAP != nil {
		var n *whois.Network
		var err error
		loaders.Waiting(ctx, func() { n, err = r.Config.RDAP.Lookup(ctx, ip.Addr) })
		if err != nil {
			addError(ctx, badSource(ctx, "rdap", errcode.SourceUnavailable, err.Error()))
		} else {
			w.Registry = optional(n.Registry)
			w.Rdap = &model.RdapNetwork{Name: optional(n.Name), Handle: optional(n.Handle), StartAddress: optional(n.StartAddress),
				EndAddress: optional(n.EndAddress), Type: optional(n.Type), Country: optional(n.Country), AbuseEmails: n.AbuseEmails,
				Registered: n.Registered, Updated: n.Updated, Server: n.Server}
			if w.Rdap.AbuseEmails == nil {
				w.Rdap.AbuseEmails = []string{}
			}
		}
	}
	if !ok && w.Rdap == nil {
		return nil, nil
	}
	return w, nil
}

func (r *Resolver) providerInfo() []*model.ProviderInfo {
	out := []*model.ProviderInfo{}
	if r.Config.TI != nil {
		for _, p := range r.Config.TI.Providers() {
			info := &model.ProviderInfo{Name: p.Name, Configured: p.Configured, Enabled: p.Enabled, External: p.External,
				CacheTTLSeconds: int(p.CacheTTL / time.Second), LastError: optional(p.LastError)}
			if p.PerMinute > 0 {
				pm := p.PerMinute
				info.RequestsPerMinute = &pm
			}
			if p.RemainingToday >= 0 {
				left := p.RemainingToday
				reset := p.ResetAt
				info.RemainingToday, info.ResetAt = &left, &reset
			}
			if !p.LastErrorAt.IsZero() {
				t := p.LastErrorAt
				info.LastErrorAt = &t
			}
			out = append(out, info)
		}
	}
	out = append(out, &model.ProviderInfo{Name: ti.WorkspaceName, Configured: true, Enabled: true, External: false})
	return out
}
