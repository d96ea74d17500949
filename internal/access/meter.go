package access

import (
	"context"
	"math"
	"sync"
	"time"
)

// Meter keeps the per-caller budgets: GraphQL requests and backend queries
// per minute, threat-intel calls per provider per UTC day (a share of the
// provider's quota), and forced refreshes per hour. Callers are independent:
// one spending its budget leaves the others' intact.
type Meter struct {
	cfg Budgets
	now func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket // "<budget>|<caller>"
	daily   map[string]*daily  // "<caller>|<provider>"

	shared Allowance
}

// Allowance counts budgets once for every replica (Redis); an error means
// it cannot count now, and the meter spends the caller's budget over the
// replicas locally.
type Allowance interface {
	Take(ctx context.Context, name string, capacity float64, per time.Duration, perDay int, now time.Time) (ok bool, wait time.Duration, err error)
	UsedToday(ctx context.Context, name string, now time.Time) (int, error)
	Replicas() int
}

// SetShared counts the budgets in a for every replica (before serving).
func (m *Meter) SetShared(a Allowance) {
	if m != nil {
		m.shared = a
	}
}

// share is a replica's part of a budget while the shared count is down.
func (m *Meter) share(limit int) int {
	return max(1, limit/max(1, m.shared.Replicas()))
}

// maxMeterEntries bounds the memory the meter keeps; full buckets (which
// carry no information) are dropped first.
const maxMeterEntries = 100000

// NewMeter resolves the defaults of b. now nil: time.Now.
func NewMeter(b Budgets, now func() time.Time) *Meter {
	if b.QueriesPerMinute == 0 {
		b.QueriesPerMinute = DefaultQueriesPerMinute
	}
	if b.TIShare == 0 {
		b.TIShare = DefaultTIShare
	}
	if b.RefreshPerHour == 0 {
		b.RefreshPerHour = DefaultRefreshPerHour
	}
	if now == nil {
		now = time.Now
	}
	return &Meter{cfg: b, now: now, buckets: map[string]*bucket{}, daily: map[string]*daily{}}
}

type bucket struct {
	tokens float64
	last   time.Time
}

type daily struct {
	day  time.Time
	used int
}

// take spends one token of a bucket holding capacity tokens refilled over
// per; off when capacity ≤ 0.
func (m *Meter) take(name, caller string, capacity int, per time.Duration) (bool, time.Duration) {
	if m == nil || capacity <= 0 {
		return true, 0
	}
	if m.shared != nil {
		ok, wait, err := m.shared.Take(context.Background(), "meter|"+name+"|"+caller, float64(capacity), per, 0, m.now())
		if err == nil {
			return ok, wait
		}
		name, capacity = "share-"+name, m.share(capacity)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	key := name + "|" + caller
	b := m.refill(key, capacity, per, now)
	if b.tokens < 1 {
		rate := float64(capacity) / per.Seconds()
		return false, time.Duration(math.Ceil((1-b.tokens)/rate*1000)) * time.Millisecond
	}
	b.tokens--
	return true, 0
}

func (m *Meter) refill(key string, capacity int, per time.Duration, now time.Time) *bucket {
	b, ok := m.buckets[key]
	if !ok {
		if len(m.buckets) >= maxMeterEntries {
			m.prune(now)
		}
		b = &bucket{tokens: float64(capacity), last: now}
		m.buckets[key] = b
	}
	b.tokens = math.Min(float64(capacity), b.tokens+now.Sub(b.last).Seconds()*float64(capacity)/per.Seconds())
	b.last = now
	return b
}

// prune drops buckets idle long enough to be full again (an hour covers
// every window used here).
func (m *Meter) prune(now time.Time) {
	for k, b := range m.buckets {
		if now.Sub(b.last) > time.Hour {
			delete(m.buckets, k)
		}
	}
}

// TakeRequest admits one GraphQL request; perMinute overrides the default
// (an API key's own budget).
func (m *Meter) TakeRequest(caller string, perMinute int) (bool, time.Duration) {
	if m == nil {
		return true, 0
	}
	if perMinute == 0 {
		perMinute = m.cfg.RequestsPerMinute
	}
	return m.take("requests", caller, perMinute, time.Minute)
}

// TakeQuery admits one backend log query.
func (m *Meter) TakeQuery(caller string) (bool, time.Duration) {
	if m == nil {
		return true, 0
	}
	return m.take("queries", caller, m.cfg.QueriesPerMinute, time.Minute)
}

// TakeRefresh admits one threat-intel look-up that bypasses the cache.
func (m *Meter) TakeRefresh(caller string) (bool, time.Duration) {
	if m == nil {
		return true, 0
	}
	return m.take("refresh", caller, m.cfg.RefreshPerHour, time.Hour)
}

// tiShare is a caller's daily calls of a provider whose quota is perDay.
func (m *Meter) tiShare(perDay int) int {
	if m.cfg.TIShare < 0 || m.cfg.TIShare >= 1 {
		return perDay
	}
	return max(1, int(math.Ceil(float64(perDay)*m.cfg.TIShare)))
}

// TakeTI spends one call of the caller's share of a provider's daily quota
// (perDay ≤ 0: the provider has none, nor does the caller).
func (m *Meter) TakeTI(caller, provider string, perDay int) (bool, time.Duration) {
	if m == nil || perDay <= 0 {
		return true, 0
	}
	limit := m.tiShare(perDay)
	key := caller + "|" + provider
	if m.shared != nil {
		ok, wait, err := m.shared.Take(context.Background(), "meter|ti|"+key, 0, 0, limit, m.now())
		if err == nil {
			return ok, wait
		}
		key, limit = "share|"+key, m.share(limit)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	day := now.UTC().Truncate(24 * time.Hour)
	d, ok := m.daily[key]
	if !ok || d.day.Before(day) {
		if len(m.daily) >= maxMeterEntries {
			for k, old := range m.daily {
				if old.day.Before(day) {
					delete(m.daily, k)
				}
			}
		}
		d = &daily{day: day}
		m.daily[key] = d
	}
	if d.used >= limit {
		return false, day.Add(24 * time.Hour).Sub(now)
	}
	d.used++
	return true, 0
}

// Remaining is one budget as Query.me shows it.
type Remaining struct {
	Name      string
	Remaining int
	ResetAt   time.Time
}

// Report lists the caller's budgets; tiQuotas maps each provider with a
// daily quota to that quota.
func (m *Meter) Report(p *Principal, tiQuotas map[string]int, providers []string) []Remaining {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	var out []Remaining
	window := func(name, label string, capacity int, per time.Duration) {
		if capacity <= 0 {
			return
		}
		b := m.refill(name+"|"+p.ID, capacity, per, now)
		missing := float64(capacity) - b.tokens
		reset := now.Add(time.Duration(missing / float64(capacity) * float64(per)))
		out = append(out, Remaining{Name: label, Remaining: int(b.tokens), ResetAt: reset.UTC()})
	}
	rpm := p.requestsPerMinute
	if rpm == 0 {
		rpm = m.cfg.RequestsPerMinute
	}
	window("requests", "requests per minute", rpm, time.Minute)
	window("queries", "backend queries per minute", m.cfg.QueriesPerMinute, time.Minute)
	window("refresh", "threat-intel refreshes per hour", m.cfg.RefreshPerHour, time.Hour)
	day := now.UTC().Truncate(24 * time.Hour)
	for _, name := range providers {
		perDay := tiQuotas[name]
		if perDay <= 0 {
			continue
		}
		used := 0
		if d, ok := m.daily[p.ID+"|"+name]; ok && !d.day.Before(day) {
			used = d.used
		}
		if m.shared != nil {
			// What every replica spent, when the shared count answers.
			if n, err := m.shared.UsedToday(context.Background(), "meter|ti|"+p.ID+"|"+name, now); err == nil {
				used = n
			}
		}
		out = append(out, Remaining{Name: name + " calls today", Remaining: m.tiShare(perDay) - used, ResetAt: day.Add(24 * time.Hour)})
	}
	return out
}
