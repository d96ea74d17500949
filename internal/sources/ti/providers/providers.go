// Package providers registers every threat-intelligence provider with its
// default budget. Adding a provider: one package under internal/sources/ti
// and one entry in defaults below.
package providers

import (
	"net/http"
	"time"

	"entitygraph/internal/config"
	"entitygraph/internal/sources/ti"
	"entitygraph/internal/sources/ti/abuseipdb"
	"entitygraph/internal/sources/ti/crowdsec"
	"entitygraph/internal/sources/ti/feeds"
	"entitygraph/internal/sources/ti/greynoise"
	"entitygraph/internal/sources/ti/otx"
	"entitygraph/internal/sources/ti/tor"
	"entitygraph/internal/sources/ti/virustotal"
	"entitygraph/internal/sources/ti/xforce"
)

// Default budgets, from the providers' published free tiers where there is
// one (shared/reference/practice-and-limits.md §C.3); the others are
// conservative guesses, marked so.
var defaults = map[string]ti.ProviderConfig{
	"VirusTotal": {PerMinute: 4, PerDay: 500},   // public API
	"AbuseIPDB":  {PerMinute: 60, PerDay: 1000}, // individual (free) plan: 1,000 checks/day
	"GreyNoise":  {PerMinute: 10, PerDay: 50},   // community: no published number; ~50/day is commonly cited
	"OTX":        {PerMinute: 60, PerDay: 10000},
	"XForce":     {PerMinute: 10, PerDay: 160}, // ~5,000/month
	"CrowdSec":   {PerMinute: 10, PerDay: 50},  // free CTI key: no published number here
}

// Client is the one HTTP client the providers share.
func Client() *http.Client {
	return &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{
		Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 8, IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second,
	}}
}

// Build creates the service from the configuration; client may be a test
// client (nil: Client()).
func Build(c config.TI, client *http.Client, now func() time.Time) (*ti.Service, error) {
	if client == nil {
		client = Client()
	}
	external := c.External == nil || *c.External
	svc, err := ti.NewService(ti.Options{External: external, CacheBytes: int64(c.CacheMB) << 20, Now: now})
	if err != nil {
		return nil, err
	}
	conf := func(name string) (config.TIProvider, ti.ProviderConfig) {
		p := c.Providers[name]
		d := defaults[name]
		d.Enabled = p.Enabled == nil || *p.Enabled
		if p.PerMinute > 0 {
			d.PerMinute = p.PerMinute
		}
		if p.PerDay > 0 {
			d.PerDay = p.PerDay
		}
		if p.CacheTTL > 0 {
			d.CacheTTL = p.CacheTTL
		}
		return p, d
	}
	p, d := conf("VirusTotal")
	svc.Register(&virustotal.Provider{Key: p.APIKey, BaseURL: p.BaseURL, Client: client}, d, p.APIKey != "")
	p, d = conf("OTX")
	svc.Register(&otx.Provider{Key: p.APIKey, BaseURL: p.BaseURL, Client: client}, d, p.APIKey != "")
	p, d = conf("XForce")
	svc.Register(&xforce.Provider{KeyID: p.APIID, Password: p.APIKey, BaseURL: p.BaseURL, Client: client}, d, p.APIKey != "" && p.APIID != "")
	p, d = conf("GreyNoise")
	// The community API works without a key, but sending IPs out is opt-in.
	svc.Register(&greynoise.Provider{Key: p.APIKey, BaseURL: p.BaseURL, Client: client}, d, p.APIKey != "" || (p.Enabled != nil && *p.Enabled))
	p, d = conf("AbuseIPDB")
	svc.Register(&abuseipdb.Provider{Key: p.APIKey, BaseURL: p.BaseURL, Client: client}, d, p.APIKey != "")
	p, d = conf("CrowdSec")
	svc.Register(&crowdsec.Provider{Key: p.APIKey, BaseURL: p.BaseURL, Client: client}, d, p.APIKey != "")
	svc.Register(&tor.Provider{Path: c.TorExitList}, ti.ProviderConfig{Enabled: true, CacheTTL: time.Hour}, c.TorExitList != "")
	svc.Register(&feeds.Provider{Dir: c.Feeds}, ti.ProviderConfig{Enabled: true, CacheTTL: 5 * time.Minute}, c.Feeds != "")
	return svc, nil
}
