package ti

import (
	"sync"
	"time"
)

// budget is a provider's allowance shared by the whole server: a token
// bucket refilled at perMinute, and a daily quota reset at 00:00 UTC.
type budget struct {
	mu        sync.Mutex
	perMinute float64
	perDay    int
	tokens    float64
	last      time.Time
	usedToday int
	day       time.Time
	now       func() time.Time
}

func newBudget(perMinute float64, perDay int, now func() time.Time) *budget {
	return &budget{perMinute: perMinute, perDay: perDay, tokens: perMinute, last: now(), day: utcDay(now()), now: now}
}

func utcDay(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

// take spends one call, or says how long until one is allowed.
func (b *budget) take() (ok bool, wait time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if d := utcDay(now); d.After(b.day) {
		b.day, b.usedToday = d, 0
	}
	if b.perDay > 0 && b.usedToday >= b.perDay {
		return false, b.day.Add(24 * time.Hour).Sub(now)
	}
	if b.perMinute > 0 {
		b.tokens += now.Sub(b.last).Minutes() * b.perMinute
		if b.tokens > b.perMinute {
			b.tokens = b.perMinute
		}
		b.last = now
		if b.tokens < 1 {
			return false, time.Duration((1 - b.tokens) / b.perMinute * float64(time.Minute))
		}
		b.tokens--
	}
	b.usedToday++
	return true, 0
}

// remaining is the daily quota left (-1: unlimited) and its reset time.
func (b *budget) remaining() (int, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d := utcDay(b.now()); d.After(b.day) {
		b.day, b.usedToday = d, 0
	}
	if b.perDay <= 0 {
		return -1, b.day.Add(24 * time.Hour)
	}
	return b.perDay - b.usedToday, b.day.Add(24 * time.Hour)
}

// breaker stops calling a provider that keeps failing.
type breaker struct {
	mu        sync.Mutex
	failures  int
	openUntil time.Time
}

const (
	breakerThreshold = 5
	breakerCooldown  = time.Minute
)

func (b *breaker) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return now.After(b.openUntil)
}

func (b *breaker) record(failed bool, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !failed {
		b.failures = 0
		return
	}
	b.failures++
	if b.failures >= breakerThreshold {
		b.openUntil = now.Add(breakerCooldown)
		b.failures = 0
	}
}
