package ti

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/singleflight"

	"entitygraph/internal/cache"
	"entitygraph/internal/ipclass"
	"entitygraph/internal/safe"
	"entitygraph/internal/telemetry"
)

// ProviderConfig is one provider's budget and cache settings.
type ProviderConfig struct {
	Enabled     bool
	PerMinute   float64       // token bucket rate; 0: unlimited
	PerDay      int           // daily quota, reset 00:00 UTC; 0: unlimited
	CacheTTL    time.Duration // answers; 0: 24 h
	NegativeTTL time.Duration // NOT_FOUND answers; 0: 1 h
	Timeout     time.Duration // one call; 0: 10 s
}

// Info describes a provider for Query.providers.
type Info struct {
	Name           string
	Configured     bool // has what it needs (a key, a file)
	Enabled        bool
	External       bool
	PerMinute      float64
	PerDay         int // daily quota; 0: none
	RemainingToday int // -1: no daily quota
	ResetAt        time.Time
	CacheTTL       time.Duration
	LastError      string
	LastErrorAt    time.Time
}

type entry struct {
	p          Provider
	cfg        ProviderConfig
	configured bool
	budget     *budget
	fallback   *budget // this replica's share while the shared allowance is down
	breaker    breaker

	mu          sync.Mutex
	lastErr     string
	lastErrTime time.Time
}

// Service runs look-ups across the registered providers.
type Service struct {
	entries  []*entry
	byName   map[string]*entry
	cache    *cache.Cache[Result]
	pdns     *cache.Cache[[]Resolution]
	flight   singleflight.Group
	external bool
	now      func() time.Time
	callers  CallerBudget
	shared   Allowance
	answers  AnswerStore
}

// AnswerStore keeps providers' answers for every replica (Redis), so a
// look-up one replica paid for is not paid again by another.
type AnswerStore interface {
	GetBlob(ctx context.Context, key string) ([]byte, bool, error)
	SetBlob(ctx context.Context, key string, b []byte, ttl time.Duration) error
}

// SetAnswerStore shares answers between replicas (before serving).
func (s *Service) SetAnswerStore(a AnswerStore) { s.answers = a }

func init() {
	// The value types of providers' normalized details.
	gob.Register([]any{})
	gob.Register(map[string]any{})
}

// sharedAnswer is an answer another replica stored, still fresh.
func (s *Service) sharedAnswer(ctx context.Context, e *entry, key string) (Result, bool) {
	if s.answers == nil {
		return Result{}, false
	}
	b, ok, err := s.answers.GetBlob(ctx, "ti|"+key)
	if err != nil || !ok {
		return Result{}, false
	}
	var r Result
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&r); err != nil {
		return Result{}, false
	}
	ttl := e.cfg.CacheTTL
	if r.Status == NotFound {
		ttl = e.cfg.NegativeTTL
	}
	if left := ttl - s.now().Sub(r.FetchedAt); left > 0 {
		s.cache.SetTTL(key, r, int64(len(r.Raw)+256), left)
	}
	return r, true
}

// shareAnswer stores an answer for the other replicas.
func (s *Service) shareAnswer(ctx context.Context, key string, r Result, ttl time.Duration) {
	if s.answers == nil {
		return
	}
	var buf bytes.Buffer
	if gob.NewEncoder(&buf).Encode(r) == nil {
		s.answers.SetBlob(ctx, "ti|"+key, buf.Bytes(), ttl)
	}
}

// Allowance counts the providers' budgets once for every replica (Redis):
// a token bucket and a daily quota per provider. An error means it cannot
// count now; the replica then spends its share (Share) locally.
type Allowance interface {
	Take(ctx context.Context, name string, capacity float64, per time.Duration, perDay int, now time.Time) (ok bool, wait time.Duration, err error)
	UsedToday(ctx context.Context, name string, now time.Time) (int, error)
	Replicas() int
}

// SetAllowance shares the providers' budgets between replicas (before
// serving).
func (s *Service) SetAllowance(a Allowance) {
	s.shared = a
	for _, e := range s.entries {
		e.fallback = s.share(e.cfg)
	}
}

// share is a replica's part of a provider's budget while the shared
// allowance cannot count: the budget over the replicas.
func (s *Service) share(cfg ProviderConfig) *budget {
	n := max(1, s.shared.Replicas())
	perDay := cfg.PerDay
	if perDay > 0 {
		perDay = max(1, perDay/n)
	}
	return newBudget(cfg.PerMinute/float64(n), perDay, s.now)
}

// take spends one call of a provider's budget: the shared one, or while it
// cannot count, this replica's share.
func (s *Service) take(ctx context.Context, e *entry) (bool, time.Duration) {
	if s.shared == nil {
		return e.budget.take()
	}
	ok, wait, err := s.shared.Take(ctx, "ti|"+strings.ToLower(e.p.Name()), e.cfg.PerMinute, time.Minute, e.cfg.PerDay, s.now())
	if err != nil {
		return e.fallback.take()
	}
	return ok, wait
}

// remaining is a provider's daily quota left, as the replicas count it.
func (s *Service) remaining(e *entry) (int, time.Time) {
	left, reset := e.budget.remaining()
	if s.shared == nil || e.cfg.PerDay <= 0 {
		return left, reset
	}
	used, err := s.shared.UsedToday(context.Background(), "ti|"+strings.ToLower(e.p.Name()), s.now())
	if err != nil {
		return e.fallback.remaining()
	}
	return max(0, e.cfg.PerDay-used), reset
}

// CallerBudget shares the providers' budgets fairly between callers: each
// caller may spend only a share of a provider's daily quota, and only a few
// look-ups that bypass the cache.
type CallerBudget interface {
	TakeTI(caller, provider string, perDay int) (ok bool, retryAfter time.Duration)
	TakeRefresh(caller string) (ok bool, retryAfter time.Duration)
}

// SetCallerBudget turns on per-caller budgets (before serving).
func (s *Service) SetCallerBudget(b CallerBudget) { s.callers = b }

// Options configure a Service.
type Options struct {
	// External allows look-ups that send an IP to a third party (default
	// true); false keeps every look-up local (TLP:RED).
	External   bool
	CacheBytes int64 // 0: 64 MB
	Now        func() time.Time
}

// NewService creates an empty service.
func NewService(opts Options) (*Service, error) {
	if opts.CacheBytes <= 0 {
		opts.CacheBytes = 64 << 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	// TTLs are per entry: the caches' own TTL is the longest allowed.
	c, err := cache.New[Result](opts.CacheBytes, 30*24*time.Hour)
	if err != nil {
		return nil, err
	}
	p, err := cache.New[[]Resolution](opts.CacheBytes/4, 30*24*time.Hour)
	if err != nil {
		return nil, err
	}
	return &Service{byName: map[string]*entry{}, cache: c, pdns: p, external: opts.External, now: opts.Now}, nil
}

// Register adds a provider; configured says whether it has its key or data.
func (s *Service) Register(p Provider, cfg ProviderConfig, configured bool) {
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = 24 * time.Hour
	}
	if cfg.NegativeTTL <= 0 {
		cfg.NegativeTTL = time.Hour
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	e := &entry{p: p, cfg: cfg, configured: configured, budget: newBudget(cfg.PerMinute, cfg.PerDay, s.now)}
	if s.shared != nil {
		e.fallback = s.share(cfg)
	}
	s.entries = append(s.entries, e)
	s.byName[strings.ToLower(p.Name())] = e
}

// Names lists the registered providers.
func (s *Service) Names() []string {
	out := make([]string, len(s.entries))
	for i, e := range s.entries {
		out[i] = e.p.Name()
	}
	return out
}

// Providers describes every provider.
func (s *Service) Providers() []Info {
	out := make([]Info, 0, len(s.entries))
	for _, e := range s.entries {
		left, reset := s.remaining(e)
		e.mu.Lock()
		out = append(out, Info{Name: e.p.Name(), Configured: e.configured, Enabled: e.cfg.Enabled && e.configured, External: e.p.External(),
			PerMinute: e.cfg.PerMinute, PerDay: e.cfg.PerDay, RemainingToday: left, ResetAt: reset, CacheTTL: e.cfg.CacheTTL, LastError: e.lastErr, LastErrorAt: e.lastErrTime})
		e.mu.Unlock()
	}
	return out
}

// Close stops the caches.
func (s *Service) Close() {
	s.cache.Close()
	s.pdns.Close()
}

// Wait applies buffered cache writes (tests).
func (s *Service) Wait() {
	s.cache.Wait()
	s.pdns.Wait()
}

// LookupOptions tune one look-up.
type LookupOptions struct {
	Providers []string // empty: all
	Refresh   bool     // bypass the cache (still within budget)
	External  bool     // the request allows external look-ups
	Caller    string   // who asks, for per-caller budgets
}

func (s *Service) pick(names []string) ([]*entry, error) {
	if len(names) == 0 {
		return s.entries, nil
	}
	var out []*entry
	for _, n := range names {
		e, ok := s.byName[strings.ToLower(n)]
		if !ok {
			return nil, fmt.Errorf("unknown provider %q (known: %s)", n, strings.Join(s.Names(), ", "))
		}
		out = append(out, e)
	}
	return out, nil
}

// applicable says why a provider may not see this IP, or "".
func (s *Service) applicable(e *entry, ip netip.Addr, o LookupOptions) (Status, string) {
	switch {
	case !e.configured:
		return Disabled, "not configured"
	case !e.cfg.Enabled:
		return Disabled, "disabled"
	case e.p.External() && !s.external:
		return NotApplicable, "external look-ups are off on this server"
	case e.p.External() && !o.External:
		return NotApplicable, "external look-ups are off for this request"
	case e.p.External() && ipclass.Classify(ip) != ipclass.Public:
		return NotApplicable, fmt.Sprintf("%s address: never sent to a third party", strings.ToLower(string(ipclass.Classify(ip))))
	}
	return "", ""
}

// Lookup asks the chosen providers about one IP, concurrently; results come
// back in registration order.
func (s *Service) Lookup(ctx context.Context, ip netip.Addr, o LookupOptions) ([]Result, error) {
	entries, err := s.pick(o.Providers)
	if err != nil {
		return nil, err
	}
	out := make([]Result, len(entries))
	if o.Refresh && s.callers != nil {
		if ok, wait := s.callers.TakeRefresh(o.Caller); !ok {
			for i, e := range entries {
				out[i] = Result{Provider: e.p.Name(), Verdict: Unknown, Status: RateLimited, RetryAfter: wait, Summary: "your budget of refresh: true look-ups is spent"}
			}
			return out, nil
		}
	}
	errs := safe.Each(len(entries), func(i int) error {
		out[i] = s.lookupOne(ctx, entries[i], ip, o)
		return nil
	})
	for i, err := range errs {
		if err != nil {
			out[i] = Result{Provider: entries[i].p.Name(), Verdict: Unknown, Status: Failed, Error: "internal error"}
		}
	}
	return out, nil
}

func (s *Service) lookupOne(ctx context.Context, e *entry, ip netip.Addr, o LookupOptions) Result {
	name := e.p.Name()
	if st, why := s.applicable(e, ip, o); st != "" {
		return Result{Provider: name, Verdict: Unknown, Status: st, Summary: why}
	}
	key := strings.ToLower(name) + "|" + ip.String()
	if !o.Refresh {
		if r, ok := s.cache.Get(key); ok {
			r.Cached = true
			return r
		}
		if r, ok := s.sharedAnswer(ctx, e, key); ok {
			r.Cached = true
			return r
		}
	}
	if r, limited := s.callerShare(e, o.Caller); limited {
		return r
	}
	v, _, _ := s.flight.Do(key, func() (any, error) {
		return s.call(ctx, e, ip, key), nil
	})
	return v.(Result)
}

// callerShare spends one call of the caller's share of the provider's
// daily quota. It is taken before coalescing, so one caller's spent share
// never answers another caller's look-up.
func (s *Service) callerShare(e *entry, caller string) (Result, bool) {
	if s.callers == nil {
		return Result{}, false
	}
	if ok, wait := s.callers.TakeTI(caller, e.p.Name(), e.cfg.PerDay); !ok {
		return Result{Provider: e.p.Name(), Verdict: Unknown, Status: RateLimited, RetryAfter: wait, Summary: "your share of this server's daily quota for the provider is spent"}, true
	}
	return Result{}, false
}

// call spends budget and calls the provider once.
func (s *Service) call(ctx context.Context, e *entry, ip netip.Addr, key string) Result {
	name := e.p.Name()
	now := s.now()
	if !e.breaker.allow(now) {
		return Result{Provider: name, Status: Failed, Error: "the provider keeps failing; paused for a minute"}
	}
	if ok, wait := s.take(ctx, e); !ok {
		return Result{Provider: name, Status: RateLimited, RetryAfter: wait, Summary: "this server's budget for the provider is spent"}
	}
	cctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	cctx, span := telemetry.Tracer().Start(cctx, "ti "+name, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("entitygraph.provider", name)))
	defer span.End()
	r, err := e.p.Lookup(cctx, ip)
	defer func() { span.SetAttributes(attribute.String("entitygraph.ti.status", string(r.Status))) }()
	r.Provider = name
	r.FetchedAt = s.now().UTC()
	if err != nil {
		r = classify(name, err)
		r.FetchedAt = s.now().UTC()
		e.breaker.record(r.Status == Failed, s.now())
		e.mu.Lock()
		e.lastErr, e.lastErrTime = r.Error, r.FetchedAt
		e.mu.Unlock()
		return r
	}
	e.breaker.record(false, s.now())
	ttl := e.cfg.CacheTTL
	if r.Status == NotFound {
		ttl = e.cfg.NegativeTTL
	}
	s.cache.SetTTL(key, r, int64(len(r.Raw)+256), ttl)
	s.shareAnswer(ctx, key, r, ttl)
	return r
}

// PassiveDNS merges the names that providers and the caller's own records
// saw pointing at the IP, each hostname once with the widest first/last.
func (s *Service) PassiveDNS(ctx context.Context, ip netip.Addr, o LookupOptions) ([]Resolution, []Result) {
	type asked struct {
		e  *entry
		pd PassiveDNSProvider
	}
	var ask []asked
	for _, e := range s.entries {
		pd, ok := e.p.(PassiveDNSProvider)
		if !ok {
			continue
		}
		if st, _ := s.applicable(e, ip, o); st != "" {
			continue
		}
		ask = append(ask, asked{e, pd})
	}
	found := make([][]Resolution, len(ask))
	failed := make([]*Result, len(ask))
	errs := safe.Each(len(ask), func(i int) error {
		found[i], failed[i] = s.passiveDNSOne(ctx, ask[i].e, ask[i].pd, ip, o)
		return nil
	})
	var all []Resolution
	var problems []Result
	for i := range ask {
		switch {
		case errs[i] != nil:
			problems = append(problems, Result{Provider: ask[i].e.p.Name(), Verdict: Unknown, Status: Failed, Error: "internal error"})
		case failed[i] != nil:
			problems = append(problems, *failed[i])
		default:
			all = append(all, found[i]...)
		}
	}
	return all, problems
}

// passiveDNSOne asks one provider, cache first and within budget.
func (s *Service) passiveDNSOne(ctx context.Context, e *entry, pd PassiveDNSProvider, ip netip.Addr, o LookupOptions) ([]Resolution, *Result) {
	key := "pdns|" + strings.ToLower(e.p.Name()) + "|" + ip.String()
	if rs, ok := s.pdns.Get(key); ok && !o.Refresh {
		return rs, nil
	}
	if r, limited := s.callerShare(e, o.Caller); limited {
		return nil, &r
	}
	v, _, _ := s.flight.Do(key, func() (any, error) {
		if ok, wait := s.take(ctx, e); !ok {
			return Result{Provider: e.p.Name(), Status: RateLimited, RetryAfter: wait}, nil
		}
		cctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
		defer cancel()
		rs, err := pd.PassiveDNS(cctx, ip)
		if err != nil && err != ErrNotFound {
			return classify(e.p.Name(), err), nil
		}
		s.pdns.SetTTL(key, rs, int64(64*len(rs)+64), e.cfg.CacheTTL)
		return rs, nil
	})
	if r, ok := v.(Result); ok {
		return nil, &r
	}
	rs, _ := v.([]Resolution)
	return rs, nil
}

// MergeResolutions folds records by hostname (case-insensitive), keeping
// the earliest first-seen and latest last-seen and every source.
func MergeResolutions(rs []Resolution) []Merged {
	by := map[string]*Merged{}
	var order []string
	for _, r := range rs {
		h := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(r.Hostname)), ".")
		if h == "" {
			continue
		}
		m, ok := by[h]
		if !ok {
			m = &Merged{Hostname: h}
			by[h] = m
			order = append(order, h)
		}
		if r.FirstSeen != nil && (m.FirstSeen == nil || r.FirstSeen.Before(*m.FirstSeen)) {
			m.FirstSeen = r.FirstSeen
		}
		if r.LastSeen != nil && (m.LastSeen == nil || r.LastSeen.After(*m.LastSeen)) {
			m.LastSeen = r.LastSeen
		}
		if !contains(m.Sources, r.Source) {
			m.Sources = append(m.Sources, r.Source)
		}
	}
	out := make([]Merged, len(order))
	for i, h := range order {
		sort.Strings(by[h].Sources)
		out[i] = *by[h]
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].LastSeen, out[j].LastSeen
		return a != nil && (b == nil || a.After(*b))
	})
	return out
}

// Merged is a de-duplicated passive-DNS record.
type Merged struct {
	Hostname  string
	FirstSeen *time.Time
	LastSeen  *time.Time
	Sources   []string
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
