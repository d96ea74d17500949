// Package otx looks IPs up in AlienVault OTX.
//
// Verdict (msticpy): no pulse → NONE; one pulse → MEDIUM; two or more → HIGH.
package otx

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"entitygraph/internal/sources/ti"
)

// Provider is the OTX client. The key is optional for /general.
type Provider struct {
	Key     string
	BaseURL string // default https://otx.alienvault.com
	Client  *http.Client
}

// Name implements ti.Provider.
func (p *Provider) Name() string { return "OTX" }

// External implements ti.Provider.
func (p *Provider) External() bool { return true }

func (p *Provider) url(ip netip.Addr, section string) string {
	base := p.BaseURL
	if base == "" {
		base = "https://otx.alienvault.com"
	}
	kind := "IPv4"
	if ip.Is6() {
		kind = "IPv6"
	}
	return base + "/api/v1/indicators/" + kind + "/" + ip.String() + "/" + section
}

func (p *Provider) header() http.Header {
	if p.Key == "" {
		return nil
	}
	return http.Header{"X-Otx-Api-Key": {p.Key}}
}

// Verdict maps a pulse count onto the scale.
func Verdict(pulses int) ti.Verdict {
	switch {
	case pulses >= 2:
		return ti.High
	case pulses == 1:
		return ti.Medium
	}
	return ti.None
}

// Lookup implements ti.Provider.
func (p *Provider) Lookup(ctx context.Context, ip netip.Addr) (ti.Result, error) {
	var doc struct {
		ASN         string `json:"asn"`
		CountryCode string `json:"country_code"`
		PulseInfo   struct {
			Count  int `json:"count"`
			Pulses []struct {
				Name     string   `json:"name"`
				Tags     []string `json:"tags"`
				Modified string   `json:"modified"`
			} `json:"pulses"`
		} `json:"pulse_info"`
	}
	ref := "https://otx.alienvault.com/indicator/ip/" + ip.String()
	body, found, err := ti.GetJSON(ctx, p.Client, p.Name(), p.url(ip, "general"), p.header(), &doc, "pulse_info.count")
	if err != nil {
		return ti.Result{}, err
	}
	if !found {
		return ti.Result{Verdict: ti.None, Status: ti.NotFound, Summary: "unknown to OTX", Reference: ref}, nil
	}
	names, tags := []string{}, map[string]bool{}
	lastSeen := ""
	for _, pl := range doc.PulseInfo.Pulses {
		if len(names) < 10 {
			names = append(names, pl.Name)
		}
		for _, t := range pl.Tags {
			tags[t] = true
		}
		if pl.Modified > lastSeen {
			lastSeen = pl.Modified
		}
	}
	tagList := make([]string, 0, len(tags))
	for t := range tags {
		tagList = append(tagList, t)
	}
	details := map[string]any{"pulseCount": doc.PulseInfo.Count, "pulseNames": names, "tags": tagList, "asn": doc.ASN, "country": doc.CountryCode}
	if lastSeen != "" {
		details["lastSeen"] = lastSeen
	}
	return ti.Result{Verdict: Verdict(doc.PulseInfo.Count), Status: ti.OK, Reference: ref, Raw: body, Details: details,
		Summary: fmt.Sprintf("in %d OTX pulse(s)", doc.PulseInfo.Count)}, nil
}

// PassiveDNS implements ti.PassiveDNSProvider from /passive_dns.
func (p *Provider) PassiveDNS(ctx context.Context, ip netip.Addr) ([]ti.Resolution, error) {
	var doc struct {
		PassiveDNS []struct {
			Hostname string `json:"hostname"`
			First    string `json:"first"`
			Last     string `json:"last"`
		} `json:"passive_dns"`
	}
	if _, found, err := ti.GetJSON(ctx, p.Client, p.Name(), p.url(ip, "passive_dns"), p.header(), &doc); err != nil || !found {
		return nil, err
	}
	out := make([]ti.Resolution, 0, len(doc.PassiveDNS))
	for _, d := range doc.PassiveDNS {
		out = append(out, ti.Resolution{Hostname: d.Hostname, FirstSeen: parseTime(d.First), LastSeen: parseTime(d.Last), Source: "OTX"})
	}
	return out, nil
}

func parseTime(s string) *time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t
		}
	}
	return nil
}
