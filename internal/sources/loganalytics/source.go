// Package loganalytics runs facets as KQL against Log Analytics workspaces
// (Microsoft Sentinel) through the Azure SDK's azlogs client, within the
// service's limits: a concurrency and a rate budget per identity shared by
// all requests, retries of 429 (honouring Retry-After), 5xx and timeouts
// inside the request deadline, and a server-side wait per query.
package loganalytics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/monitor/query/azlogs"

	"entitygraph/internal/facets"
	"entitygraph/internal/sources"
)

// Name is how traces and errors name this source.
const Name = "loganalytics"

// Workspace is one Log Analytics workspace.
type Workspace struct {
	Name     string
	ID       string // the workspace (customer) id, a GUID
	TenantID string
}

// Options configure the source.
type Options struct {
	Workspaces []Workspace
	Default    []string // workspace names queried when a request names none; empty: the first

	Cloud      cloud.Configuration    // authority host and the Log Analytics endpoint and audience
	Credential azcore.TokenCredential // the service identity; nil when every request must bring its own (OBO)
	OBO        *OBO                   // on-behalf-of the analyst's bearer token, when set

	MaxConcurrent int           // queries in flight per identity; 0: 5 (the service's per-user cap)
	RateLimit     int           // queries per RateWindow per identity; 0: 200
	RateWindow    time.Duration // 0: 30 s
	ServerWait    time.Duration // Prefer: wait, the server-side timeout of one query; 0: 3 min
	MaxRows       int           // rows one query may return before it counts as partial; 0: 500,000
	TablesTTL     time.Duration // how long the list of a workspace's tables is trusted; 0: 1 h
	Retry         policy.RetryOptions
	Transport     policy.Transporter // nil: the default HTTP client
	Logger        *slog.Logger

	// Shared, when set, counts each identity's queries in flight and per
	// window for all replicas; IdentityName names the service identity the
	// same way on every replica (e.g. tenant/client id).
	Shared       SharedLimits
	IdentityName string

	// Observer, when set, sees every facet query before it is sent.
	Observer func(f *facets.Facet, q facets.Query, kql string)
}

// Source is the Log Analytics log source.
type Source struct {
	opts    Options
	byName  map[string]Workspace
	service *identity // nil without a service credential

	mu     sync.Mutex
	users  map[string]*userEntry // on-behalf-of identities by analyst
	tables map[string]*tableSet  // by workspace-set key
}

// New validates the options and builds the source.
func New(opts Options) (*Source, error) {
	if len(opts.Workspaces) == 0 {
		return nil, errors.New("loganalytics: no workspace configured")
	}
	if opts.Credential == nil && opts.OBO == nil {
		return nil, errors.New("loganalytics: no credential configured")
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = 5
	}
	if opts.RateLimit <= 0 {
		opts.RateLimit = 200
	}
	if opts.RateWindow <= 0 {
		opts.RateWindow = 30 * time.Second
	}
	if opts.ServerWait <= 0 {
		opts.ServerWait = 3 * time.Minute
	}
	if opts.MaxRows <= 0 {
		opts.MaxRows = 500000
	}
	if opts.TablesTTL <= 0 {
		opts.TablesTTL = time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.IdentityName == "" {
		opts.IdentityName = "default"
	}
	if opts.Cloud.Services == nil {
		opts.Cloud = cloud.AzurePublic
	}
	if _, ok := opts.Cloud.Services[azlogs.ServiceName]; !ok {
		return nil, errors.New("loganalytics: the cloud configuration has no Log Analytics endpoint")
	}
	s := &Source{opts: opts, byName: map[string]Workspace{}, users: map[string]*userEntry{}, tables: map[string]*tableSet{}}
	for _, w := range opts.Workspaces {
		if w.Name == "" || w.ID == "" {
			return nil, fmt.Errorf("loganalytics: workspace %q needs a name and an id", w.Name)
		}
		if _, dup := s.byName[w.Name]; dup {
			return nil, fmt.Errorf("loganalytics: workspace %q configured twice", w.Name)
		}
		s.byName[w.Name] = w
	}
	for _, d := range opts.Default {
		if _, ok := s.byName[d]; !ok {
			return nil, fmt.Errorf("loganalytics: default workspace %q is not configured", d)
		}
	}
	if opts.Credential != nil {
		id, err := s.newIdentity("service", opts.Credential)
		if err != nil {
			return nil, err
		}
		s.service = id
	}
	return s, nil
}

// Name names the source in traces and errors.
func (s *Source) Name() string { return Name }

// CombinesScans: see scoped.CombinesScans.
func (s *Source) CombinesScans() bool { return true }

func (s *Source) defaultWorkspaces() []Workspace {
	if len(s.opts.Default) == 0 {
		return s.opts.Workspaces[:1]
	}
	out := make([]Workspace, len(s.opts.Default))
	for i, n := range s.opts.Default {
		out[i] = s.byName[n]
	}
	return out
}

// Run runs a facet on the default workspaces as the service identity.
func (s *Source) Run(ctx context.Context, f *facets.Facet, q facets.Query) (sources.Result, error) {
	if s.service == nil || s.opts.OBO != nil {
		return sources.Result{}, &sources.Error{Source: Name, Kind: sources.Unauthenticated, Err: errors.New("no bearer token to query on behalf of")}
	}
	return scoped{s: s, id: s.service, ws: s.defaultWorkspaces()}.Run(ctx, f, q)
}

// Probe runs one KQL text, as it is, on the default workspaces as the
// service identity, within the identity's budgets (egbench kqlprobe).
func (s *Source) Probe(ctx context.Context, kql string, start, end time.Time) ([]sources.Row, error) {
	if s.service == nil {
		return nil, &sources.Error{Source: Name, Kind: sources.Unauthenticated, Err: errors.New("probes run as the service identity, and none is configured")}
	}
	return scoped{s: s, id: s.service, ws: s.defaultWorkspaces()}.query(ctx, kql, start, end)
}

// Workspaces lists the configured workspace names and the defaults.
func (s *Source) Workspaces() (all, defaults []string) {
	for _, w := range s.defaultWorkspaces() {
		defaults = append(defaults, w.Name)
	}
	return s.names(), defaults
}

// Partition is the default workspaces' partition as the service identity.
func (s *Source) Partition() string {
	return scoped{s: s, ws: s.defaultWorkspaces()}.Partition()
}

// ForScope is the source as one request sees it: the workspaces its scope
// names (the access layer has checked the caller may read them) and, with
// on-behalf-of, the caller's own identity. Under on-behalf-of a request
// without a validated caller token is refused; it never falls back to the
// service identity.
func (s *Source) ForScope(sc sources.Scope) (sources.LogSource, error) {
	ws := s.defaultWorkspaces()
	if len(sc.Workspaces) > 0 {
		ws = make([]Workspace, 0, len(sc.Workspaces))
		for _, name := range sc.Workspaces {
			w, ok := s.byName[name]
			if !ok {
				return nil, &sources.Error{Source: Name, Kind: sources.BadQuery, Err: fmt.Errorf("unknown workspace %q (configured: %s)", name, strings.Join(s.names(), ", "))}
			}
			ws = append(ws, w)
		}
	}
	if s.opts.OBO == nil {
		if s.service == nil {
			return nil, &sources.Error{Source: Name, Kind: sources.Unauthenticated, Err: errors.New("no credential to query with")}
		}
		return scoped{s: s, id: s.service, ws: ws}, nil
	}
	c := sc.Caller
	if c.Token == "" || c.ObjectID == "" {
		return nil, &sources.Error{Source: Name, Kind: sources.Unauthenticated, Err: errors.New("a validated Entra bearer token is required (queries run on behalf of the caller)")}
	}
	id, err := s.userIdentity(c)
	if err != nil {
		return nil, &sources.Error{Source: Name, Kind: sources.Unauthenticated, Err: err}
	}
	return scoped{s: s, id: id, ws: ws, caller: c.TenantID + "/" + c.ObjectID}, nil
}

func (s *Source) names() []string {
	out := make([]string, len(s.opts.Workspaces))
	for i, w := range s.opts.Workspaces {
		out[i] = w.Name
	}
	return out
}

// scoped is the source bound to an identity and a set of workspaces.
type scoped struct {
	s      *Source
	id     *identity
	ws     []Workspace
	caller string // tid/oid when queries run on the caller's behalf
}

func (sc scoped) Name() string { return Name }

// CombinesScans: a level's facet queries of one scan go as one query
// (facets.Group): the identity's concurrency cap counts queries.
func (sc scoped) CombinesScans() bool { return true }

// Partition: the sorted workspace ids, and the caller under on-behalf-of
// (workspace RBAC then decides per analyst what a query returns).
func (sc scoped) Partition() string {
	ids := make([]string, len(sc.ws))
	for i, w := range sc.ws {
		ids[i] = strings.ToLower(w.ID)
	}
	sort.Strings(ids)
	p := Name + "|" + strings.Join(ids, ",")
	if sc.caller != "" {
		p += "|as:" + sc.caller
	}
	return p
}

// Run renders the facet to KQL and executes it, unless the workspaces lack
// its table.
func (sc scoped) Run(ctx context.Context, f *facets.Facet, q facets.Query) (sources.Result, error) {
	has, err := sc.hasTable(ctx, f.Table)
	if err != nil {
		return sources.Result{}, err
	}
	if !has {
		return sources.Result{}, &sources.TableError{Table: f.Table}
	}
	st, err := f.Render(facets.KQL, q)
	if err != nil {
		return sources.Result{}, err
	}
	if sc.s.opts.Observer != nil {
		sc.s.opts.Observer(f, q, st.Text)
	}
	rows, err := sc.query(ctx, st.Text, q.Start, apiEnd(f, q.End))
	res := sources.Result{Statement: st.Text, Rows: rows}
	var se *sources.Error
	if errors.As(err, &se) && se.Kind == sources.BadQuery {
		sc.s.opts.Logger.Error("Log Analytics rejected a facet query", "facet", f.Name, "kql", st.Text, "err", err)
	}
	if err == nil && len(rows) >= sc.s.opts.MaxRows {
		err = &sources.PartialError{Source: Name, Err: fmt.Errorf("%d rows: the row cap was reached", len(rows))}
	}
	return res, err
}

// LateArrival is how long after its event time a row of a facet whose
// time column is not TimeGenerated may still be ingested (Traffic
// Analytics processes flow logs up to an hour late).
const LateArrival = 2 * time.Hour

// apiEnd is the end of the query API's timespan for a facet. The API
// applies its timespan to TimeGenerated on top of the query's own filter:
// for a facet filtering another time column (FlowStartTime_t), a flow that
// started inside the window but was ingested after it would be dropped, so
// the API window is widened by LateArrival and the KQL filter decides.
func apiEnd(f *facets.Facet, end time.Time) time.Time {
	if f.Time != "" && f.Time != "TimeGenerated" {
		return end.Add(LateArrival)
	}
	return end
}

// query sends one KQL query within the identity's budget.
func (sc scoped) query(ctx context.Context, kql string, start, end time.Time) ([]sources.Row, error) {
	release, err := sc.id.acquire(ctx)
	if err != nil {
		return nil, &sources.Error{Source: Name, Kind: sources.RateLimited, Err: err}
	}
	defer release()
	body := azlogs.QueryBody{Query: &kql}
	if !start.IsZero() {
		// Whole seconds that cover the KQL's own filter (the service
		// intersects the two), one past the end: whether the API's end is
		// inclusive is not documented, and the KQL's between is.
		ceil := end.UTC().Truncate(time.Second).Add(time.Second)
		ti := azlogs.NewTimeInterval(start.UTC().Truncate(time.Second), ceil)
		body.Timespan = &ti
	}
	for _, w := range sc.ws[1:] {
		body.AdditionalWorkspaces = append(body.AdditionalWorkspaces, w.ID)
	}
	wait := int(sc.s.opts.ServerWait / time.Second)
	resp, err := sc.id.client.QueryWorkspace(ctx, sc.ws[0].ID, body, &azlogs.QueryWorkspaceOptions{Options: &azlogs.QueryOptions{Wait: &wait}})
	if err != nil {
		return nil, sc.classify(err)
	}
	if len(resp.Tables) == 0 {
		if resp.Error != nil {
			return nil, &sources.Error{Source: Name, Workspace: sc.ws[0].Name, Kind: sources.Unavailable, Err: resp.Error}
		}
		return nil, nil
	}
	rows, err := decodeTable(resp.Tables[0])
	if err != nil {
		return nil, &sources.Error{Source: Name, Workspace: sc.ws[0].Name, Kind: sources.Unavailable, Err: err}
	}
	sc.labelWorkspaces(rows)
	if resp.Error != nil {
		return rows, &sources.PartialError{Source: Name, Err: resp.Error}
	}
	return rows, nil
}

// labelWorkspaces names the workspace of each row that carries TenantId
// (a Log Analytics table's TenantId is its workspace id).
func (sc scoped) labelWorkspaces(rows []sources.Row) {
	if len(sc.ws) < 2 {
		return
	}
	names := map[string]string{}
	for _, w := range sc.ws {
		names[strings.ToLower(w.ID)] = w.Name
	}
	for _, r := range rows {
		if id, ok := r["TenantId"].(string); ok {
			if n, ok := names[strings.ToLower(id)]; ok {
				r["_workspace"] = n
			}
		}
	}
}

// classify maps a failed call onto the kinds users see.
func (sc scoped) classify(err error) error {
	kind := sources.Unavailable
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		switch {
		case re.StatusCode == http.StatusUnauthorized:
			kind = sources.Unauthenticated
		case re.StatusCode == http.StatusForbidden:
			kind = sources.Forbidden
		case re.StatusCode == http.StatusTooManyRequests:
			kind = sources.RateLimited
		case re.StatusCode == http.StatusBadRequest && (strings.Contains(re.Error(), "SyntaxError") || strings.Contains(re.Error(), "SemanticError") || strings.Contains(re.Error(), "BadArgumentError")):
			kind = sources.BadQuery
		}
	}
	var authErr *azidentity.AuthenticationFailedError
	if errors.As(err, &authErr) {
		kind = sources.Unauthenticated
	}
	return &sources.Error{Source: Name, Workspace: sc.ws[0].Name, Kind: kind, Err: err}
}
