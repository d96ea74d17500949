package redisstate

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// Scripts count in Redis's own clock (TIME), so replicas with skewed
// clocks share one budget; each is atomic.
var (
	// KEYS: bucket, daily counter. ARGV: capacity, refill per ms, daily
	// limit, daily counter TTL (ms), ms until the day ends.
	takeScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cap, rate, dayLimit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if dayLimit > 0 then
  local used = tonumber(redis.call('GET', KEYS[2]) or '0')
  if used >= dayLimit then return {0, tonumber(ARGV[5])} end
end
if cap > 0 then
  local b = redis.call('HMGET', KEYS[1], 'tokens', 'last')
  local tokens, last = tonumber(b[1]), tonumber(b[2])
  if tokens == nil or last == nil then tokens, last = cap, now end
  tokens = math.min(cap, tokens + math.max(0, now - last) * rate)
  local ok = tokens >= 1
  if ok then tokens = tokens - 1 end
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'last', now)
  redis.call('PEXPIRE', KEYS[1], math.ceil(cap / rate) + 1000)
  if not ok then return {0, math.ceil((1 - tokens) / rate)} end
end
if dayLimit > 0 then
  redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
return {1, 0}`)

	// KEYS: log. ARGV: events allowed, window (ms), a unique member.
	windowScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n, per = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - per)
if redis.call('ZCARD', KEYS[1]) < n then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], per)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, math.max(1, tonumber(oldest[2]) + per - now)}`)

	// KEYS: slots. ARGV: slots, lease (ms), a unique member. A member is
	// scored by its lease's expiry, so a replica that dies frees its slots.
	slotScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n, lease = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < n then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], lease)
  return 1
end
return 0`)
)

func utcDay(now time.Time) time.Time { return now.UTC().Truncate(24 * time.Hour) }

// Take spends one unit of a shared allowance named name: a token bucket
// holding capacity tokens refilled over per (capacity ≤ 0: none) and a
// quota of perDay a UTC day (≤ 0: none). Not ok says how long to wait.
func (c *Client) Take(ctx context.Context, name string, capacity float64, per time.Duration, perDay int, now time.Time) (ok bool, wait time.Duration, err error) {
	day := utcDay(now)
	rate := 0.0
	if capacity > 0 {
		rate = capacity / float64(per.Milliseconds())
	}
	var res []int64
	err = c.do(ctx, func(ctx context.Context) error {
		var err error
		res, err = takeScript.Run(ctx, c.rdb, []string{c.key("bucket", name), c.key("day", day.Format("2006-01-02"), name)},
			capacity, rate, perDay, (48 * time.Hour).Milliseconds(), day.Add(24*time.Hour).Sub(now).Milliseconds()).Int64Slice()
		return err
	})
	if err != nil {
		return false, 0, err
	}
	return res[0] == 1, time.Duration(res[1]) * time.Millisecond, nil
}

// UsedToday is how much of name's daily quota the replicas spent today.
func (c *Client) UsedToday(ctx context.Context, name string, now time.Time) (int, error) {
	var n int
	err := c.do(ctx, func(ctx context.Context) error {
		v, err := c.rdb.Get(ctx, c.key("day", utcDay(now).Format("2006-01-02"), name)).Int()
		if err == redis.Nil {
			return nil
		}
		n = v
		return err
	})
	return n, err
}

// Window admits one event of at most n per sliding window per.
func (c *Client) Window(ctx context.Context, name string, n int, per time.Duration) (ok bool, wait time.Duration, err error) {
	var res []int64
	err = c.do(ctx, func(ctx context.Context) error {
		var err error
		res, err = windowScript.Run(ctx, c.rdb, []string{c.key("window", name)}, n, per.Milliseconds(), uuid.NewString()).Int64Slice()
		return err
	})
	if err != nil {
		return false, 0, err
	}
	return res[0] == 1, time.Duration(res[1]) * time.Millisecond, nil
}

// TryAcquire takes one of n slots named name for at most lease; release
// frees it early. Not ok: all slots are held.
func (c *Client) TryAcquire(ctx context.Context, name string, n int, lease time.Duration) (release func(), ok bool, err error) {
	member := uuid.NewString()
	key := c.key("slots", name)
	var got int64
	err = c.do(ctx, func(ctx context.Context) error {
		var err error
		got, err = slotScript.Run(ctx, c.rdb, []string{key}, n, lease.Milliseconds(), member).Int64()
		return err
	})
	if err != nil || got != 1 {
		return nil, false, err
	}
	return func() {
		c.do(context.Background(), func(ctx context.Context) error { return c.rdb.ZRem(ctx, key, member).Err() })
	}, true, nil
}
