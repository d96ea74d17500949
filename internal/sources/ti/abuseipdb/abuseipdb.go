// Package abuseipdb looks IPs up in AbuseIPDB (/api/v2/check).
//
// Verdict (msticpy): abuse confidence above 50 → HIGH; above 0 → MEDIUM;
// 0 → NONE.
package abuseipdb

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"

	"entitygraph/internal/sources/ti"
)

// Provider is the AbuseIPDB client.
type Provider struct {
	Key     string
	BaseURL string // default https://api.abuseipdb.com
	Client  *http.Client
}

// Name implements ti.Provider.
func (p *Provider) Name() string { return "AbuseIPDB" }

// External implements ti.Provider.
func (p *Provider) External() bool { return true }

// Verdict maps the abuse confidence score onto the scale.
func Verdict(score int) ti.Verdict {
	switch {
	case score > 50:
		return ti.High
	case score > 0:
		return ti.Medium
	}
	return ti.None
}

// Lookup implements ti.Provider.
func (p *Provider) Lookup(ctx context.Context, ip netip.Addr) (ti.Result, error) {
	base := p.BaseURL
	if base == "" {
		base = "https://api.abuseipdb.com"
	}
	q := url.Values{"ipAddress": {ip.String()}, "maxAgeInDays": {"90"}}
	var doc struct {
		Data struct {
			Score          int      `json:"abuseConfidenceScore"`
			CountryCode    string   `json:"countryCode"`
			UsageType      string   `json:"usageType"`
			ISP            string   `json:"isp"`
			Domain         string   `json:"domain"`
			Hostnames      []string `json:"hostnames"`
			IsTor          bool     `json:"isTor"`
			TotalReports   int      `json:"totalReports"`
			LastReportedAt *string  `json:"lastReportedAt"`
		} `json:"data"`
	}
	ref := "https://www.abuseipdb.com/check/" + ip.String()
	body, found, err := ti.GetJSON(ctx, p.Client, p.Name(), base+"/api/v2/check?"+q.Encode(), http.Header{"Key": {p.Key}}, &doc, "data.abuseConfidenceScore")
	if err != nil {
		return ti.Result{}, err
	}
	if !found {
		return ti.Result{Verdict: ti.None, Status: ti.NotFound, Summary: "unknown to AbuseIPDB", Reference: ref}, nil
	}
	d := doc.Data
	details := map[string]any{"abuseConfidenceScore": d.Score, "countryCode": d.CountryCode, "usageType": d.UsageType, "isp": d.ISP,
		"domain": d.Domain, "hostnames": d.Hostnames, "isTor": d.IsTor, "totalReports": d.TotalReports}
	if d.LastReportedAt != nil {
		details["lastReportedAt"] = *d.LastReportedAt
	}
	return ti.Result{Verdict: Verdict(d.Score), Status: ti.OK, Reference: ref, Raw: body, Details: details,
		Summary: fmt.Sprintf("abuse confidence %d%% from %d report(s); %s", d.Score, d.TotalReports, d.ISP)}, nil
}
