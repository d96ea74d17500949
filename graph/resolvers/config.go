package resolvers

import (
	"time"

	"entitygraph/internal/access"
	"entitygraph/internal/sources"
	"entitygraph/internal/sources/geo"
	"entitygraph/internal/sources/ti"
	"entitygraph/internal/sources/whois"
)

// Config holds what resolvers need besides the per-request loaders.
type Config struct {
	Tables      sources.TableLister // the embedded workspace's tables; nil with Sentinel
	SourceName  string              // the log source, for Query.workspace
	TI          *ti.Service         // threat-intelligence providers; nil: none
	Geo         *geo.DB             // geo and ASN databases; nil: none
	RDAP        *whois.Client       // online RDAP; nil: off
	MaxTimespan time.Duration       // longest timespan a request may ask for
	Now         func() time.Time    // the clock; time.Now in production
	Meter       *access.Meter       // per-caller budgets; nil without an access section
}
