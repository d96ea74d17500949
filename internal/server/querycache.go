package server

import (
	"context"
	"time"

	"entitygraph/internal/cache"
)

// maxCachedQuery is the longest query text whose parse is kept: a large
// document costs memory in proportion and is rarely repeated.
const maxCachedQuery = 64 << 10

// boundedCache is gqlgen's query and persisted-query cache bounded in
// bytes rather than entries: an entry costs about perByte times the
// length of its query text.
type boundedCache[T any] struct {
	c       *cache.Cache[T]
	perByte int64
	text    func(key string, v T) string // the query text of an entry
}

func newBoundedCache[T any](maxBytes, perByte int64, text func(key string, v T) string) *boundedCache[T] {
	c, err := cache.New[T](maxBytes, 24*time.Hour)
	if err != nil {
		panic(err) // only for an invalid size, a constant here
	}
	return &boundedCache[T]{c: c, perByte: perByte, text: text}
}

// Get implements graphql.Cache.
func (b *boundedCache[T]) Get(_ context.Context, key string) (T, bool) { return b.c.Get(key) }

// Add implements graphql.Cache.
func (b *boundedCache[T]) Add(_ context.Context, key string, v T) {
	n := len(b.text(key, v))
	if n > maxCachedQuery {
		return
	}
	b.c.Set(key, v, int64(n)*b.perByte+64)
}
