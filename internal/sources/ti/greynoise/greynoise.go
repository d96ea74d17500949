// Package greynoise looks IPs up in the GreyNoise community API.
//
// Verdict (msticpy): classification "malicious" → HIGH; "benign" or a
// RIOT (common business service) address → NONE; otherwise LOW (seen
// scanning, intent unknown). 404 means "not observed": a valid NONE.
package greynoise

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"

	"entitygraph/internal/sources/ti"
)

// Provider is the GreyNoise community client.
type Provider struct {
	Key     string
	BaseURL string // default https://api.greynoise.io
	Client  *http.Client
}

// Name implements ti.Provider.
func (p *Provider) Name() string { return "GreyNoise" }

// External implements ti.Provider.
func (p *Provider) External() bool { return true }

type answer struct {
	Noise          bool   `json:"noise"`
	RIOT           bool   `json:"riot"`
	Classification string `json:"classification"`
	Name           string `json:"name"`
	LastSeen       string `json:"last_seen"`
	Message        string `json:"message"`
}

// Verdict maps a community answer onto the scale.
func Verdict(a answer) ti.Verdict {
	switch {
	case a.Classification == "malicious":
		return ti.High
	case a.Classification == "benign" || a.RIOT:
		return ti.None
	case a.Noise:
		return ti.Low
	}
	return ti.None
}

// Lookup implements ti.Provider.
func (p *Provider) Lookup(ctx context.Context, ip netip.Addr) (ti.Result, error) {
	base := p.BaseURL
	if base == "" {
		base = "https://api.greynoise.io"
	}
	var h http.Header
	if p.Key != "" {
		h = http.Header{"Key": {p.Key}}
	}
	var a answer
	ref := "https://viz.greynoise.io/ip/" + ip.String()
	body, found, err := ti.GetJSON(ctx, p.Client, p.Name(), base+"/v3/community/"+ip.String(), h, &a, "noise", "riot")
	if err != nil {
		return ti.Result{}, err
	}
	if !found {
		return ti.Result{Verdict: ti.None, Status: ti.NotFound, Summary: "not observed by GreyNoise", Reference: ref, Raw: body}, nil
	}
	return ti.Result{Verdict: Verdict(a), Status: ti.OK, Reference: ref, Raw: body,
		Details: map[string]any{"classification": a.Classification, "noise": a.Noise, "riot": a.RIOT, "name": a.Name, "lastSeen": a.LastSeen},
		Summary: fmt.Sprintf("%s; noise %t, riot %t, last seen %s", a.Classification, a.Noise, a.RIOT, a.LastSeen)}, nil
}
