// Package redisstate is the state several replicas share through Redis (or
// Valkey): the second level of the result cache, leases that coalesce one
// query across replicas, and limits counted once for all of them (token
// buckets, daily quotas, sliding windows, concurrency slots with leases
// that expire). Every operation is bounded in time; while Redis does not
// answer, the client says so at once (ErrDown) and callers fall back to
// local limits set to their share (Share: the limit over the replicas).
package redisstate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"entitygraph/internal/metrics"
)

// ErrDown is the error of an operation not tried because Redis does not
// answer; callers use their local fallback.
var ErrDown = errors.New("shared state (Redis) is unavailable")

// Options configure the client.
type Options struct {
	URL       string // redis:// or rediss://, with password and database
	Replicas  int    // replicas sharing the limits; 0: 3
	OpTimeout time.Duration
	Logger    *slog.Logger
	Prefix    string // key prefix; "": "eg:"
}

// Client is one replica's connection to the shared state.
type Client struct {
	rdb      *redis.Client
	replicas int
	timeout  time.Duration
	log      *slog.Logger
	prefix   string

	up     atomic.Bool
	mu     sync.Mutex
	reason string
	stop   context.CancelFunc
	done   chan struct{}
}

// Open parses the URL and connects. It does not fail when Redis is down:
// the replica starts on its local fallbacks and joins when Redis answers.
func Open(opts Options) (*Client, error) {
	ro, err := redis.ParseURL(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("shared.redis: %s", redactURL(err.Error(), opts.URL))
	}
	if opts.Replicas <= 0 {
		opts.Replicas = 3
	}
	if opts.OpTimeout <= 0 {
		opts.OpTimeout = 250 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Prefix == "" {
		opts.Prefix = "eg:"
	}
	// No retries: a slow Redis must fall back at once, not slow queries.
	ro.MaxRetries = -1
	ro.DialerRetries = 1
	ro.DialTimeout = opts.OpTimeout * 4
	ro.ReadTimeout = opts.OpTimeout
	ro.WriteTimeout = opts.OpTimeout
	ro.PoolTimeout = opts.OpTimeout
	c := &Client{rdb: redis.NewClient(ro), replicas: opts.Replicas, timeout: opts.OpTimeout, log: opts.Logger, prefix: opts.Prefix, done: make(chan struct{})}
	c.reason = "not yet connected"
	ctx, stop := context.WithCancel(context.Background())
	c.stop = stop
	c.probe(ctx)
	go c.watch(ctx)
	return c, nil
}

// quietLogger drops go-redis's own log lines: the client logs its state
// changes once (lost, back), not every failed dial.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

func init() { redis.SetLogger(quietLogger{}) }

// redactURL removes the URL's password from a message.
func redactURL(msg, url string) string {
	if i := strings.Index(url, "://"); i >= 0 {
		rest := url[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if cred := rest[:at]; cred != "" {
				msg = strings.ReplaceAll(msg, cred, "REDACTED")
				if _, pw, ok := strings.Cut(cred, ":"); ok && pw != "" {
					msg = strings.ReplaceAll(msg, pw, "REDACTED")
				}
			}
		}
	}
	return msg
}

// Close stops the health probe and closes the connections.
func (c *Client) Close() error {
	if c == nil {
		return nil
	}
	c.stop()
	<-c.done
	return c.rdb.Close()
}

// Up reports whether Redis answered the last operation or probe.
func (c *Client) Up() bool { return c != nil && c.up.Load() }

// Status is "ok" or "degraded: <why>", for /readyz.
func (c *Client) Status() string {
	if c.Up() {
		return "ok"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return "degraded: " + c.reason + " (local limits at 1/" + fmt.Sprint(c.replicas) + " of each shared limit)"
}

// Replicas is the number of replicas the limits are shared by.
func (c *Client) Replicas() int { return c.replicas }

// Share is a replica's safe part of a shared limit while Redis is down:
// the limit over the replicas, at least 1 (0 stays 0: no limit).
func (c *Client) Share(limit int) int {
	if limit <= 0 {
		return limit
	}
	return max(1, limit/c.replicas)
}

func (c *Client) watch(ctx context.Context) {
	defer close(c.done)
	for {
		every := 5 * time.Second
		if !c.Up() {
			every = time.Second
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
			c.probe(ctx)
		}
	}
}

func (c *Client) probe(ctx context.Context) {
	pctx, cancel := context.WithTimeout(ctx, c.timeout*4)
	defer cancel()
	if err := c.rdb.Ping(pctx).Err(); err != nil {
		if ctx.Err() == nil {
			c.markDown(err)
		}
		return
	}
	c.markUp()
}

func (c *Client) markUp() {
	if c.up.CompareAndSwap(false, true) {
		c.log.Info("shared state (Redis) available: shared cache and limits on")
	}
	metrics.RedisUp(true)
}

func (c *Client) markDown(err error) {
	c.mu.Lock()
	c.reason = redactURL(err.Error(), "")
	c.mu.Unlock()
	if c.up.CompareAndSwap(true, false) {
		c.log.Warn("shared state (Redis) lost: using local limits", "err", err, "share", fmt.Sprintf("1/%d", c.replicas))
	}
	metrics.RedisUp(false)
}

// do runs one bounded operation, unless Redis is known to be down; a
// failure marks it down (the probe brings it back).
func (c *Client) do(ctx context.Context, op func(ctx context.Context) error) error {
	if !c.Up() {
		return ErrDown
	}
	octx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	err := op(octx)
	if err != nil && !errors.Is(err, redis.Nil) {
		if ctx.Err() == nil {
			c.markDown(err)
		}
		return fmt.Errorf("%w: %w", ErrDown, err)
	}
	return err
}

func (c *Client) key(parts ...string) string { return c.prefix + strings.Join(parts, ":") }
