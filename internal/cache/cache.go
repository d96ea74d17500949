// Package cache is the server-wide result cache: cost-bounded (approximate
// bytes), with a TTL per entry. Errors are never stored.
package cache

import (
	"fmt"
	"time"

	"github.com/dgraph-io/ristretto/v2"
)

// Cache maps string keys to values of type V.
type Cache[V any] struct {
	c   *ristretto.Cache[string, V]
	ttl time.Duration
}

// New creates a cache holding about maxBytes of values for ttl each.
func New[V any](maxBytes int64, ttl time.Duration) (*Cache[V], error) {
	c, err := ristretto.NewCache(&ristretto.Config[string, V]{
		NumCounters: 10 * (maxBytes / 1024), // ~10 counters per expected 1 KiB entry
		MaxCost:     maxBytes,
		BufferItems: 64,
	})
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return &Cache[V]{c: c, ttl: ttl}, nil
}

// Get returns a live entry.
func (c *Cache[V]) Get(key string) (V, bool) {
	if c == nil {
		var zero V
		return zero, false
	}
	return c.c.Get(key)
}

// Set stores a value whose size is about cost bytes. Ristretto admits
// entries asynchronously; Wait makes them visible (tests).
func (c *Cache[V]) Set(key string, v V, cost int64) {
	if c == nil || c.ttl <= 0 {
		return
	}
	c.c.SetWithTTL(key, v, cost, c.ttl)
}

// TTL is how long entries live (0 when nil: nothing is kept).
func (c *Cache[V]) TTL() time.Duration {
	if c == nil {
		return 0
	}
	return c.ttl
}

// Wait blocks until buffered writes are applied.
func (c *Cache[V]) Wait() {
	if c != nil {
		c.c.Wait()
	}
}

// Close stops the cache's goroutines.
func (c *Cache[V]) Close() {
	if c != nil {
		c.c.Close()
	}
}

// SetTTL stores a value with its own time to live.
func (c *Cache[V]) SetTTL(key string, v V, cost int64, ttl time.Duration) {
	if c == nil || ttl <= 0 {
		return
	}
	c.c.SetWithTTL(key, v, cost, ttl)
}
