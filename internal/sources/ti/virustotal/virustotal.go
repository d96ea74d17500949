// Package virustotal looks IPs up in VirusTotal API v3.
//
// Verdict (msticpy's thresholds on v3's analysis stats): more than one
// engine says malicious → HIGH; one → MEDIUM; none malicious but some
// suspicious → LOW; otherwise NONE.
package virustotal

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"entitygraph/internal/sources/ti"
)

// Provider is the VirusTotal client.
type Provider struct {
	Key     string
	BaseURL string // default https://www.virustotal.com
	Client  *http.Client
}

// Name implements ti.Provider.
func (p *Provider) Name() string { return "VirusTotal" }

// External implements ti.Provider.
func (p *Provider) External() bool { return true }

func (p *Provider) base() string {
	if p.BaseURL != "" {
		return p.BaseURL
	}
	return "https://www.virustotal.com"
}

func (p *Provider) header() http.Header { return http.Header{"X-Apikey": {p.Key}} }

type stats struct {
	Harmless   int `json:"harmless"`
	Malicious  int `json:"malicious"`
	Suspicious int `json:"suspicious"`
	Undetected int `json:"undetected"`
}

// Verdict maps analysis stats onto the scale.
func Verdict(s stats) ti.Verdict {
	switch {
	case s.Malicious > 1:
		return ti.High
	case s.Malicious == 1:
		return ti.Medium
	case s.Suspicious > 0:
		return ti.Low
	}
	return ti.None
}

// Lookup implements ti.Provider.
func (p *Provider) Lookup(ctx context.Context, ip netip.Addr) (ti.Result, error) {
	var doc struct {
		Data struct {
			Attributes struct {
				Stats      stats    `json:"last_analysis_stats"`
				Reputation int      `json:"reputation"`
				ASOwner    string   `json:"as_owner"`
				ASN        int      `json:"asn"`
				Country    string   `json:"country"`
				Network    string   `json:"network"`
				Tags       []string `json:"tags"`
				LastMod    int64    `json:"last_modification_date"`
			} `json:"attributes"`
		} `json:"data"`
	}
	ref := "https://www.virustotal.com/gui/ip-address/" + ip.String()
	body, found, err := ti.GetJSON(ctx, p.Client, p.Name(), p.base()+"/api/v3/ip_addresses/"+ip.String(), p.header(), &doc, "data.attributes.last_analysis_stats")
	if err != nil {
		return ti.Result{}, err
	}
	if !found {
		return ti.Result{Verdict: ti.None, Status: ti.NotFound, Summary: "unknown to VirusTotal", Reference: ref}, nil
	}
	a := doc.Data.Attributes
	details := map[string]any{"malicious": a.Stats.Malicious, "suspicious": a.Stats.Suspicious, "harmless": a.Stats.Harmless,
		"undetected": a.Stats.Undetected, "reputation": a.Reputation, "asOwner": a.ASOwner, "asn": a.ASN, "country": a.Country, "network": a.Network, "tags": a.Tags}
	if a.LastMod > 0 {
		details["lastModified"] = time.Unix(a.LastMod, 0).UTC().Format(time.RFC3339)
	}
	return ti.Result{Verdict: Verdict(a.Stats), Status: ti.OK, Reference: ref, Raw: body, Details: details,
		Summary: fmt.Sprintf("%d malicious, %d suspicious of %d engines; reputation %d", a.Stats.Malicious, a.Stats.Suspicious,
			a.Stats.Malicious+a.Stats.Suspicious+a.Stats.Harmless+a.Stats.Undetected, a.Reputation)}, nil
}

// PassiveDNS implements ti.PassiveDNSProvider from /resolutions.
func (p *Provider) PassiveDNS(ctx context.Context, ip netip.Addr) ([]ti.Resolution, error) {
	var doc struct {
		Data []struct {
			Attributes struct {
				HostName string `json:"host_name"`
				Date     int64  `json:"date"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if _, found, err := ti.GetJSON(ctx, p.Client, p.Name(), p.base()+"/api/v3/ip_addresses/"+ip.String()+"/resolutions?limit=40", p.header(), &doc); err != nil || !found {
		return nil, err
	}
	out := make([]ti.Resolution, 0, len(doc.Data))
	for _, d := range doc.Data {
		r := ti.Resolution{Hostname: d.Attributes.HostName, Source: "VirusTotal"}
		if d.Attributes.Date > 0 {
			t := time.Unix(d.Attributes.Date, 0).UTC()
			r.FirstSeen, r.LastSeen = &t, &t
		}
		out = append(out, r)
	}
	return out, nil
}
