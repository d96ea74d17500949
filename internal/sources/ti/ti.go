// Package ti looks IP addresses up in threat-intelligence providers,
// cache-first and within each provider's budget. Each provider is one file
// of this package (see providers.go for the registry); they share the HTTP
// plumbing, the verdict scale and the budget, cache and breaker here.
package ti

import (
	"context"
	"encoding/json"
	"net/netip"
	"time"
)

// Verdict is one ordered scale for every provider.
type Verdict int

// Verdicts, worst last.
const (
	Unknown Verdict = iota // no usable answer
	None                   // known, nothing bad (msticpy "information")
	Low                    // weak signal
	Medium                 // suspicious (msticpy "warning")
	High                   // known bad (msticpy "high")
)

var verdictNames = []string{"UNKNOWN", "NONE", "LOW", "MEDIUM", "HIGH"}

func (v Verdict) String() string { return verdictNames[v] }

// Status says how a look-up went.
type Status string

// Statuses.
const (
	OK            Status = "OK"
	NotFound      Status = "NOT_FOUND" // the provider has no record: a valid answer
	RateLimited   Status = "RATE_LIMITED"
	Unauthorized  Status = "UNAUTHORIZED"
	Failed        Status = "ERROR"
	Disabled      Status = "DISABLED"
	NotApplicable Status = "NOT_APPLICABLE" // not a global address, or external look-ups are off
)

// Result is one provider's answer about one IP.
type Result struct {
	Provider   string
	Verdict    Verdict
	Status     Status
	Summary    string
	Details    map[string]any
	Raw        json.RawMessage
	Reference  string
	FetchedAt  time.Time
	Cached     bool
	RetryAfter time.Duration
	Error      string // safe to show: never holds a key
}

// Resolution is one passive-DNS record: a name seen pointing at the IP.
type Resolution struct {
	Hostname  string
	FirstSeen *time.Time
	LastSeen  *time.Time
	Source    string
}

// Provider looks one IP up.
type Provider interface {
	Name() string
	// External providers send the IP to a third party.
	External() bool
	// Lookup returns the provider's answer; a transport or protocol failure
	// is an error (classified by the caller), a "no record" a NotFound result.
	Lookup(ctx context.Context, ip netip.Addr) (Result, error)
}

// PassiveDNSProvider also knows which names pointed at an IP.
type PassiveDNSProvider interface {
	Provider
	PassiveDNS(ctx context.Context, ip netip.Addr) ([]Resolution, error)
}

// Worst is the verdict of a set of results.
func Worst(rs []Result) Verdict {
	w := Unknown
	for _, r := range rs {
		if r.Verdict > w {
			w = r.Verdict
		}
	}
	return w
}
