package loganalytics

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/monitor/query/azlogs"

	"entitygraph/internal/sources"
)

// OBO configures on-behalf-of: the server's app registration exchanges the
// analyst's token for a Log Analytics token, so workspace RBAC applies and
// each analyst has their own throttling budget.
type OBO struct {
	TenantID     string
	ClientID     string
	ClientSecret string // or a certificate:
	Certs        []*x509.Certificate
	Key          crypto.PrivateKey
	// DisableInstanceDiscovery is set with a custom authority host.
	DisableInstanceDiscovery bool
}

// identity is one Entra identity's client and budget: its queries in
// flight and its queries per window are shared by every request using it.
type identity struct {
	name   string
	client *azlogs.Client
	slots  chan struct{}
	rate   *window
	shared *sharedBudget // nil: this process alone counts
}

// SharedLimits counts an identity's queries in flight and per window once
// for every replica (Redis). An error means it cannot count now: the
// replica then keeps to its share (the limit over the replicas) locally.
type SharedLimits interface {
	Window(ctx context.Context, name string, n int, per time.Duration) (ok bool, wait time.Duration, err error)
	TryAcquire(ctx context.Context, name string, n int, lease time.Duration) (release func(), ok bool, err error)
	Replicas() int
}

// sharedBudget is an identity's budget counted by SharedLimits, with the
// local share used while it cannot count.
type sharedBudget struct {
	limits    SharedLimits
	name      string // the identity as every replica names it
	slots     int
	rateN     int
	ratePer   time.Duration
	lease     time.Duration // a slot's lease: longer than any query may run
	fallSlots chan struct{}
	fallRate  *window
}

func (s *Source) sharedBudget(name string) *sharedBudget {
	if s.opts.Shared == nil {
		return nil
	}
	n := max(1, s.opts.Shared.Replicas())
	return &sharedBudget{limits: s.opts.Shared, name: s.opts.IdentityName + "|" + name,
		slots: s.opts.MaxConcurrent, rateN: s.opts.RateLimit, ratePer: s.opts.RateWindow, lease: s.opts.ServerWait + 30*time.Second,
		fallSlots: make(chan struct{}, max(1, s.opts.MaxConcurrent/n)), fallRate: newWindow(max(1, s.opts.RateLimit/n), s.opts.RateWindow)}
}

// acquire waits for a rate token and a slot counted for all replicas.
func (b *sharedBudget) acquire(ctx context.Context) (func(), error) {
	for {
		ok, wait, err := b.limits.Window(ctx, "la|rate|"+b.name, b.rateN, b.ratePer)
		if err != nil {
			return b.acquireLocal(ctx)
		}
		if ok {
			break
		}
		if dl, has := ctx.Deadline(); has && time.Until(dl) < wait {
			return nil, fmt.Errorf("rate budget of %d queries per %v (all replicas) is spent for %v more", b.rateN, b.ratePer, wait.Round(time.Millisecond))
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
	for pause := 5 * time.Millisecond; ; pause = min(pause*2, 100*time.Millisecond) {
		release, ok, err := b.limits.TryAcquire(ctx, "la|slots|"+b.name, b.slots, b.lease)
		if err != nil {
			return b.acquireLocalSlot(ctx)
		}
		if ok {
			return release, nil
		}
		if err := sleep(ctx, pause); err != nil {
			return nil, fmt.Errorf("waiting for a query slot (all replicas): %w", err)
		}
	}
}

func (b *sharedBudget) acquireLocal(ctx context.Context) (func(), error) {
	if err := b.fallRate.wait(ctx); err != nil {
		return nil, err
	}
	return b.acquireLocalSlot(ctx)
}

func (b *sharedBudget) acquireLocalSlot(ctx context.Context) (func(), error) {
	select {
	case b.fallSlots <- struct{}{}:
		return func() { <-b.fallSlots }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for a query slot: %w", ctx.Err())
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Source) newIdentity(name string, cred azcore.TokenCredential) (*identity, error) {
	opts := &azlogs.ClientOptions{ClientOptions: azcore.ClientOptions{Cloud: s.opts.Cloud, Retry: s.opts.Retry, Transport: s.opts.Transport}}
	client, err := azlogs.NewClient(cred, opts)
	if err != nil {
		return nil, fmt.Errorf("loganalytics: client: %w", err)
	}
	return &identity{name: name, client: client, slots: make(chan struct{}, s.opts.MaxConcurrent),
		rate: newWindow(s.opts.RateLimit, s.opts.RateWindow), shared: s.sharedBudget(name)}, nil
}

// acquire waits for a query slot and a rate token within ctx.
func (id *identity) acquire(ctx context.Context) (func(), error) {
	if id.shared != nil {
		return id.shared.acquire(ctx)
	}
	if err := id.rate.wait(ctx); err != nil {
		return nil, err
	}
	select {
	case id.slots <- struct{}{}:
		return func() { <-id.slots }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for a query slot: %w", ctx.Err())
	}
}

// maxUsers bounds the on-behalf-of identities kept.
const maxUsers = 1000

type userEntry struct {
	id        *identity
	assertion string
	used      time.Time
}

// userIdentity returns the identity of the analyst whose validated token
// the caller carries, keyed by tenant and object id so that a refreshed
// token keeps the budget.
func (s *Source) userIdentity(c sources.Caller) (*identity, error) {
	key, token := c.TenantID+"/"+c.ObjectID, c.Token
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.users[key]; ok && e.assertion == token {
		e.used = time.Now()
		return e.id, nil
	}
	o := s.opts.OBO
	copts := &azidentity.OnBehalfOfCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: s.opts.Cloud, Transport: s.opts.Transport},
		DisableInstanceDiscovery: o.DisableInstanceDiscovery,
	}
	var cred azcore.TokenCredential
	var err error
	if o.ClientSecret != "" {
		cred, err = azidentity.NewOnBehalfOfCredentialWithSecret(o.TenantID, o.ClientID, token, o.ClientSecret, copts)
	} else {
		cred, err = azidentity.NewOnBehalfOfCredentialWithCertificate(o.TenantID, o.ClientID, token, o.Certs, o.Key, copts)
	}
	if err != nil {
		return nil, fmt.Errorf("on-behalf-of credential: %w", err)
	}
	cache := s.users
	if old, ok := cache[key]; ok {
		// Same analyst, new token: keep the budget, swap the client.
		client, err := azlogs.NewClient(cred, &azlogs.ClientOptions{ClientOptions: azcore.ClientOptions{Cloud: s.opts.Cloud, Retry: s.opts.Retry, Transport: s.opts.Transport}})
		if err != nil {
			return nil, err
		}
		id := &identity{name: old.id.name, client: client, slots: old.id.slots, rate: old.id.rate, shared: old.id.shared}
		cache[key] = &userEntry{id: id, assertion: token, used: time.Now()}
		return id, nil
	}
	if len(cache) >= maxUsers {
		var oldest string
		for k, e := range cache {
			if oldest == "" || e.used.Before(cache[oldest].used) {
				oldest = k
			}
		}
		delete(cache, oldest)
	}
	id, err := s.newIdentity("user "+key, cred)
	if err != nil {
		return nil, err
	}
	cache[key] = &userEntry{id: id, assertion: token, used: time.Now()}
	return id, nil
}

// window allows at most n events per duration (a sliding log).
type window struct {
	mu     sync.Mutex
	n      int
	per    time.Duration
	events []time.Time
}

func newWindow(n int, per time.Duration) *window { return &window{n: n, per: per} }

// wait blocks until an event is allowed, or ctx ends.
func (w *window) wait(ctx context.Context) error {
	for {
		w.mu.Lock()
		now := time.Now()
		cut := 0
		for cut < len(w.events) && now.Sub(w.events[cut]) >= w.per {
			cut++
		}
		w.events = w.events[cut:]
		if len(w.events) < w.n {
			w.events = append(w.events, now)
			w.mu.Unlock()
			return nil
		}
		next := w.events[0].Add(w.per).Sub(now)
		w.mu.Unlock()
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < next {
			return fmt.Errorf("rate budget of %d queries per %v is spent for %v more", w.n, w.per, next.Round(time.Millisecond))
		}
		select {
		case <-time.After(next):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
