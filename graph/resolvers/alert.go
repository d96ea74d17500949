package resolvers

import (
	"context"
	"sort"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"entitygraph/graph/model"
	"entitygraph/internal/alertentities"
	"entitygraph/internal/decode"
	"entitygraph/internal/errcode"
	"entitygraph/internal/facets"
	"entitygraph/internal/ipclass"
	"entitygraph/internal/loaders"
)

// severityNames in order, as SecurityAlert.AlertSeverity spells them.
var severityNames = []string{"Informational", "Low", "Medium", "High"}

// severitiesFrom lists the decode.severities at or above min.
func severitiesFrom(min model.Severity) []string {
	for i, s := range severityNames {
		if strings.EqualFold(s, string(min)) {
			return severityNames[i:]
		}
	}
	return severityNames
}

// parseEntities reads an alert's Entities; malformed JSON fails only the
// field asking for them.
func parseEntities(ctx context.Context, a *model.Alert) ([]alertentities.Entity, error) {
	ents, err := alertentities.Parse(a.Row["Entities"])
	if err != nil {
		return nil, &gqlerror.Error{
			Path:       graphql.GetPath(ctx),
			Message:    "alert " + a.SystemAlertID + ": " + err.Error(),
			Extensions: map[string]any{"code": errcode.MalformedSourceData, "table": "SecurityAlert", "column": "Entities"},
		}
	}
	return ents, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func fileEntity(e alertentities.Entity) *model.FileEntity {
	f := &model.FileEntity{Name: optional(e.String("Name")), Directory: optional(e.String("Directory")), Hashes: []*model.FileHashEntity{}}
	if hashes, ok := e.Props["FileHashes"].([]any); ok {
		for _, h := range hashes {
			if m, ok := h.(map[string]any); ok {
				v, _ := m["Value"].(string)
				alg, _ := m["Algorithm"].(string)
				if v != "" {
					f.Hashes = append(f.Hashes, &model.FileHashEntity{Algorithm: optional(alg), Value: v})
				}
			}
		}
	}
	return f
}

// entityModel turns a parsed entity into its GraphQL type.
func entityModel(e alertentities.Entity, span model.Span) model.AlertEntity {
	switch e.Type {
	case "ip":
		if addr, err := ipclass.Parse(e.String("Address")); err == nil {
			return &model.IPAddress{Addr: addr, Span: span}
		}
	case "account":
		if name := alertentities.AccountName(e); name != "" {
			return &model.Account{Name: name, Span: span}
		}
	case "host":
		if name := alertentities.HostName(e); name != "" {
			return &model.Host{Name: decode.HostKey(name), Span: span}
		}
	case "url":
		if u := e.String("Url"); u != "" {
			return &model.URLEntity{URL: u}
		}
	case "filehash":
		if v := e.String("Value"); v != "" {
			return &model.FileHashEntity{Algorithm: optional(e.String("Algorithm")), Value: v}
		}
	case "file":
		return fileEntity(e)
	case "process":
		p := &model.ProcessEntity{ProcessID: optional(e.String("ProcessId")), CommandLine: optional(e.String("CommandLine")), CreationTime: optional(e.String("CreationTimeUtc"))}
		if f, ok := e.Object("ImageFile"); ok {
			p.ImageFile = fileEntity(f)
		}
		if a, ok := e.Object("Account"); ok {
			if name := alertentities.AccountName(a); name != "" {
				p.Account = &model.Account{Name: name, Span: span}
			}
		}
		if h, ok := e.Object("Host"); ok {
			if name := alertentities.HostName(h); name != "" {
				p.Host = &model.Host{Name: decode.HostKey(name), Span: span}
			}
		}
		return p
	case "mailbox":
		if addr := e.String("MailboxPrimaryAddress"); addr != "" {
			return &model.MailboxEntity{Address: strings.ToLower(addr), DisplayName: optional(e.String("DisplayName")), Upn: optional(e.String("Upn"))}
		}
	case "dns":
		if d := e.String("DomainName"); d != "" {
			dns := &model.DNSEntity{DomainName: d, IPAddresses: []*model.IPAddress{}}
			if ips, ok := e.Props["IpAddresses"].([]any); ok {
				for _, x := range ips {
					if m, ok := x.(map[string]any); ok {
						addr, _ := m["Address"].(string)
						if ip := decode.IPRef(&addr, span); ip != nil {
							dns.IPAddresses = append(dns.IPAddresses, ip)
						}
					}
				}
			}
			return dns
		}
	case "cloud-application":
		return &model.CloudApplicationEntity{Name: optional(e.String("Name")), AppID: optional(e.String("AppId"))}
	case "azure-resource":
		if id := e.String("ResourceId"); id != "" {
			return &model.AzureResourceEntity{ResourceID: id}
		}
	}
	return &model.OtherEntity{Type: e.Type, Properties: e.Props}
}

func alertEntities(ctx context.Context, a *model.Alert) ([]model.AlertEntity, error) {
	ents, err := parseEntities(ctx, a)
	if err != nil {
		return nil, err
	}
	out := make([]model.AlertEntity, 0, len(ents))
	for _, e := range ents {
		out = append(out, entityModel(e, a.Span))
	}
	return out, nil
}

// alertEdges are the alert's IP, account and host entities, each once.
func alertEdges(ctx context.Context, a *model.Alert) (ips []*model.IPAddress, accounts []*model.Account, hosts []*model.Host, err error) {
	ents, err := parseEntities(ctx, a)
	if err != nil {
		return nil, nil, nil, err
	}
	seen := map[string]bool{}
	ips, accounts, hosts = []*model.IPAddress{}, []*model.Account{}, []*model.Host{}
	for _, e := range ents {
		switch m := entityModel(e, a.Span).(type) {
		case *model.IPAddress:
			if !seen["ip:"+m.Addr.String()] {
				seen["ip:"+m.Addr.String()] = true
				ips = append(ips, m)
			}
		case *model.Account:
			if !seen["account:"+m.Name] {
				seen["account:"+m.Name] = true
				accounts = append(accounts, m)
			}
		case *model.Host:
			if !seen["host:"+m.Name] {
				seen["host:"+m.Name] = true
				hosts = append(hosts, m)
			}
		}
	}
	return ips, accounts, hosts, nil
}

// relatedAlerts: alerts sharing an entity, through the entities' own alert
// facets (so a level of many alerts costs three queries).
func relatedAlerts(ctx context.Context, a *model.Alert, first *int) ([]*model.Alert, error) {
	_, limit, err := page(ctx, first, nil)
	if err != nil {
		return nil, err
	}
	ips, accounts, hosts, err := alertEdges(ctx, a)
	if err != nil {
		return nil, err
	}
	type lookup struct {
		f   *facets.Facet
		key string
	}
	var lookups []lookup
	for _, ip := range ips {
		lookups = append(lookups, lookup{facets.IPAlerts, ip.Addr.String()})
	}
	for _, acct := range accounts {
		lookups = append(lookups, lookup{facets.AccountAlerts, acct.Name})
	}
	for _, h := range hosts {
		lookups = append(lookups, lookup{facets.HostAlerts, h.Name})
	}
	q := spanQuery(a.Span)
	q.Limit = limit + 1 // the alert itself may be among them
	q.AllColumns = true
	results := make([][]row, len(lookups))
	errs := loaders.Each(ctx, len(lookups), func(i int) (err error) {
		results[i], err = loadQuery(ctx, lookups[i].f, q, lookups[i].key)
		return err
	})
	if err := combine(ctx, errs); err != nil {
		return nil, err
	}
	seen := map[string]bool{a.SystemAlertID: true}
	out := []*model.Alert{}
	for _, rs := range results {
		for _, r := range rs {
			id := decode.StrOr(r, "SystemAlertId", "")
			if id == "" || seen[id] {
				continue
			}
			seen[id] = true
			out = append(out, decode.Alert(r, a.Span))
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Time != nil && (out[j].Time == nil || out[i].Time.After(*out[j].Time))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
