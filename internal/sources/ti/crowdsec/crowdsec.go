// Package crowdsec looks IPs up in the CrowdSec CTI smoke API.
//
// Verdict (msticpy): overall score 0 → NONE; up to 2 → LOW; 3 → MEDIUM;
// above 3 → HIGH. 404 means CrowdSec has not seen it.
package crowdsec

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"

	"entitygraph/internal/sources/ti"
)

// Provider is the CrowdSec CTI client.
type Provider struct {
	Key     string
	BaseURL string // default https://cti.api.crowdsec.net
	Client  *http.Client
}

// Name implements ti.Provider.
func (p *Provider) Name() string { return "CrowdSec" }

// External implements ti.Provider.
func (p *Provider) External() bool { return true }

// Verdict maps the overall score (0–5) onto the scale.
func Verdict(total int) ti.Verdict {
	switch {
	case total > 3:
		return ti.High
	case total == 3:
		return ti.Medium
	case total > 0:
		return ti.Low
	}
	return ti.None
}

// Lookup implements ti.Provider.
func (p *Provider) Lookup(ctx context.Context, ip netip.Addr) (ti.Result, error) {
	base := p.BaseURL
	if base == "" {
		base = "https://cti.api.crowdsec.net"
	}
	var doc struct {
		BackgroundNoise string `json:"background_noise"`
		Scores          struct {
			Overall struct {
				Total int `json:"total"`
			} `json:"overall"`
		} `json:"scores"`
		Behaviors []struct {
			Label string `json:"label"`
		} `json:"behaviors"`
		History struct {
			FirstSeen string `json:"first_seen"`
			LastSeen  string `json:"last_seen"`
		} `json:"history"`
	}
	ref := "https://app.crowdsec.net/cti/" + ip.String()
	body, found, err := ti.GetJSON(ctx, p.Client, p.Name(), base+"/v2/smoke/"+ip.String(), http.Header{"X-Api-Key": {p.Key}}, &doc, "scores.overall.total")
	if err != nil {
		return ti.Result{}, err
	}
	if !found {
		return ti.Result{Verdict: ti.None, Status: ti.NotFound, Summary: "not seen by CrowdSec", Reference: ref}, nil
	}
	behaviors := []string{}
	for _, b := range doc.Behaviors {
		behaviors = append(behaviors, b.Label)
	}
	return ti.Result{Verdict: Verdict(doc.Scores.Overall.Total), Status: ti.OK, Reference: ref, Raw: body,
		Details: map[string]any{"score": doc.Scores.Overall.Total, "backgroundNoise": doc.BackgroundNoise, "behaviors": behaviors,
			"firstSeen": doc.History.FirstSeen, "lastSeen": doc.History.LastSeen},
		Summary: fmt.Sprintf("overall score %d/5; %d behavior(s)", doc.Scores.Overall.Total, len(behaviors))}, nil
}
