package resolvers

import (
	"time"

	"entitygraph/internal/sources/duckdb"
)

// Config holds what resolvers need besides the per-request loaders.
type Config struct {
	Store       *duckdb.Store    // the embedded workspace, for table listings; nil with Sentinel
	SourceName  string           // the log source, for Query.workspace
	MaxTimespan time.Duration    // longest timespan a request may ask for
	Now         func() time.Time // the clock; time.Now in production
}
