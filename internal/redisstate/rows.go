package redisstate

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"entitygraph/internal/sources"
)

func init() {
	// The value types of rows from either engine.
	gob.Register(time.Time{})
	gob.Register([]any{})
	gob.Register(map[string]any{})
}

// rowKey is the Redis key of one cache key: a digest, so keys never carry
// the looked-up values, under the same partition-first cache key.
func (c *Client) rowKey(cacheKey string) string {
	sum := sha256.Sum256([]byte(cacheKey))
	return c.key("rows", hex.EncodeToString(sum[:]))
}

// EncodeRows is the compact form rows are stored in: gob, deflated.
func EncodeRows(rows []sources.Row) ([]byte, error) {
	var buf bytes.Buffer
	zw, _ := flate.NewWriter(&buf, flate.BestSpeed)
	if err := gob.NewEncoder(zw).Encode(rows); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecodeRows reads EncodeRows' form.
func DecodeRows(b []byte) ([]sources.Row, error) {
	var rows []sources.Row
	err := gob.NewDecoder(flate.NewReader(bytes.NewReader(b))).Decode(&rows)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return rows, err
}

// GetRows looks cache keys up; the map holds the keys found.
func (c *Client) GetRows(ctx context.Context, cacheKeys []string) (map[string][]sources.Row, error) {
	if len(cacheKeys) == 0 {
		return nil, nil
	}
	rkeys := make([]string, len(cacheKeys))
	for i, k := range cacheKeys {
		rkeys[i] = c.rowKey(k)
	}
	var vals []any
	err := c.do(ctx, func(ctx context.Context) error {
		var err error
		vals, err = c.rdb.MGet(ctx, rkeys...).Result()
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string][]sources.Row)
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue
		}
		rows, err := DecodeRows([]byte(s))
		if err != nil {
			continue // a value this version cannot read is a miss
		}
		out[cacheKeys[i]] = rows
	}
	return out, nil
}

// SetRows stores rows under cache keys for ttl, in one round trip.
func (c *Client) SetRows(ctx context.Context, rows map[string][]sources.Row, ttl time.Duration) error {
	if len(rows) == 0 || ttl <= 0 {
		return nil
	}
	enc := make(map[string][]byte, len(rows))
	for k, r := range rows {
		b, err := EncodeRows(r)
		if err != nil {
			return fmt.Errorf("shared cache: encode: %w", err)
		}
		enc[c.rowKey(k)] = b
	}
	return c.do(ctx, func(ctx context.Context) error {
		_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for k, b := range enc {
				p.Set(ctx, k, b, ttl)
			}
			return nil
		})
		return err
	})
}

// releaseScript deletes a lease only while this replica holds it.
var releaseScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

func (c *Client) leaseKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return c.key("lease", hex.EncodeToString(sum[:]))
}

// Lease takes the lease named by key for ttl: the first replica to miss a
// query takes it and queries; others wait for its rows (WaitRows). held
// says another replica has it. release is never nil.
func (c *Client) Lease(ctx context.Context, key string, ttl time.Duration) (release func(), held bool, err error) {
	lk := c.leaseKey(key)
	token := uuid.NewString()
	var ok bool
	err = c.do(ctx, func(ctx context.Context) error {
		var err error
		ok, err = c.rdb.SetNX(ctx, lk, token, ttl).Result()
		return err
	})
	if err != nil {
		return func() {}, false, err
	}
	if !ok {
		return func() {}, true, nil
	}
	return func() {
		c.do(context.Background(), func(ctx context.Context) error {
			return releaseScript.Run(ctx, c.rdb, []string{lk}, token).Err()
		})
	}, false, nil
}

// WaitRows polls for cache keys another replica is fetching under the
// lease named by lease, until all are stored, the lease is gone (its
// holder failed or stored all it could), ctx ends or wait passes; it
// returns what it found.
func (c *Client) WaitRows(ctx context.Context, lease string, cacheKeys []string, wait time.Duration) map[string][]sources.Row {
	lk := c.leaseKey(lease)
	leaseGone := false
	found := map[string][]sources.Row{}
	deadline := time.Now().Add(wait)
	for pause := 10 * time.Millisecond; ; pause = min(pause*2, 200*time.Millisecond) {
		var missing []string
		for _, k := range cacheKeys {
			if _, ok := found[k]; !ok {
				missing = append(missing, k)
			}
		}
		if len(missing) == 0 {
			return found
		}
		got, err := c.GetRows(ctx, missing)
		if err != nil {
			return found
		}
		for k, r := range got {
			found[k] = r
		}
		if len(found) == len(cacheKeys) || leaseGone || time.Now().Add(pause).After(deadline) {
			return found
		}
		var n int64
		if c.do(ctx, func(ctx context.Context) error {
			var err error
			n, err = c.rdb.Exists(ctx, lk).Result()
			return err
		}) != nil {
			return found
		}
		if n == 0 {
			leaseGone = true // one more look for what it stored, then stop
			continue
		}
		select {
		case <-ctx.Done():
			return found
		case <-time.After(pause):
		}
	}
}

func (c *Client) blobKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return c.key("blob", hex.EncodeToString(sum[:]))
}

// GetBlob reads a value another replica stored with SetBlob.
func (c *Client) GetBlob(ctx context.Context, key string) ([]byte, bool, error) {
	var b []byte
	err := c.do(ctx, func(ctx context.Context) error {
		var err error
		b, err = c.rdb.Get(ctx, c.blobKey(key)).Bytes()
		return err
	})
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	return b, err == nil, err
}

// SetBlob stores a value for every replica for ttl.
func (c *Client) SetBlob(ctx context.Context, key string, b []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return nil
	}
	return c.do(ctx, func(ctx context.Context) error { return c.rdb.Set(ctx, c.blobKey(key), b, ttl).Err() })
}
