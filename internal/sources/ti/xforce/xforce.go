// Package xforce looks IPs up in IBM X-Force Exchange.
//
// Verdict (msticpy): score below 2 → NONE; 2 to below 5 → MEDIUM; 5 or
// more → HIGH.
package xforce

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"entitygraph/internal/sources/ti"
)

// Provider is the X-Force client (HTTP Basic with an API key and password).
type Provider struct {
	KeyID, Password string
	BaseURL         string // default https://api.xforce.ibmcloud.com
	Client          *http.Client
}

// Name implements ti.Provider.
func (p *Provider) Name() string { return "XForce" }

// External implements ti.Provider.
func (p *Provider) External() bool { return true }

func (p *Provider) base() string {
	if p.BaseURL != "" {
		return p.BaseURL
	}
	return "https://api.xforce.ibmcloud.com"
}

func (p *Provider) header() http.Header {
	return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(p.KeyID+":"+p.Password))}}
}

// Verdict maps a risk score onto the scale.
func Verdict(score float64) ti.Verdict {
	switch {
	case score >= 5:
		return ti.High
	case score >= 2:
		return ti.Medium
	}
	return ti.None
}

// Lookup implements ti.Provider.
func (p *Provider) Lookup(ctx context.Context, ip netip.Addr) (ti.Result, error) {
	var doc struct {
		Score  float64        `json:"score"`
		Cats   map[string]int `json:"cats"`
		Reason string         `json:"reason"`
		Geo    struct {
			Country string `json:"country"`
		} `json:"geo"`
	}
	ref := "https://exchange.xforce.ibmcloud.com/ip/" + ip.String()
	body, found, err := ti.GetJSON(ctx, p.Client, p.Name(), p.base()+"/api/ipr/"+ip.String(), p.header(), &doc, "score")
	if err != nil {
		return ti.Result{}, err
	}
	if !found {
		return ti.Result{Verdict: ti.None, Status: ti.NotFound, Summary: "unknown to X-Force", Reference: ref}, nil
	}
	cats := []string{}
	for c := range doc.Cats {
		cats = append(cats, c)
	}
	return ti.Result{Verdict: Verdict(doc.Score), Status: ti.OK, Reference: ref, Raw: body,
		Details: map[string]any{"score": doc.Score, "categories": cats, "reason": doc.Reason, "country": doc.Geo.Country},
		Summary: fmt.Sprintf("risk score %.1f (%s)", doc.Score, doc.Reason)}, nil
}

// PassiveDNS implements ti.PassiveDNSProvider from /resolve.
func (p *Provider) PassiveDNS(ctx context.Context, ip netip.Addr) ([]ti.Resolution, error) {
	var doc struct {
		Passive struct {
			Records []struct {
				Value string `json:"value"`
				First string `json:"first"`
				Last  string `json:"last"`
			} `json:"records"`
		} `json:"Passive"`
	}
	if _, found, err := ti.GetJSON(ctx, p.Client, p.Name(), p.base()+"/api/resolve/"+ip.String(), p.header(), &doc); err != nil || !found {
		return nil, err
	}
	out := []ti.Resolution{}
	for _, r := range doc.Passive.Records {
		res := ti.Resolution{Hostname: r.Value, Source: "XForce"}
		if t, err := time.Parse(time.RFC3339, r.First); err == nil {
			res.FirstSeen = &t
		}
		if t, err := time.Parse(time.RFC3339, r.Last); err == nil {
			res.LastSeen = &t
		}
		out = append(out, res)
	}
	return out, nil
}
