// Package audit writes one JSON line per GraphQL request: who asked, from
// where, for which entities, what it cost the backends, and how it ended.
// Tokens and keys never reach it: it records the principal's stable id.
package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"

	"entitygraph/internal/loaders"
)

// Log writes audit lines to one writer.
type Log struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

// New writes to w (nil: nothing is written).
func New(w io.Writer) *Log { return &Log{w: w, now: time.Now} }

// Line is one request's audit record as written.
type Line struct {
	Time           time.Time `json:"time"`
	RequestID      string    `json:"requestId"`
	Principal      string    `json:"principal"`               // stable id; "" when authentication failed
	PrincipalKind  string    `json:"principalKind,omitempty"` // ENTRA, API_KEY, LOCAL
	Client         string    `json:"client"`                  // remote address
	Method         string    `json:"method"`
	Operation      string    `json:"operation,omitempty"` // operation name, when given
	Entities       []string  `json:"entities"`            // root fields and the entities they name, e.g. ipAddress:1.2.3.4
	Workspaces     []string  `json:"workspaces"`
	Sources        []string  `json:"sources"`
	Facets         []string  `json:"facets"`
	BackendQueries int       `json:"backendQueries"` // calls that reached a backend
	CachedCalls    int       `json:"cachedCalls"`    // calls answered from the shared cache
	CoalescedCalls int       `json:"coalescedCalls"` // calls that shared another request's query
	DurationMs     float64   `json:"durationMs"`
	Status         int       `json:"status"`
	Outcome        string    `json:"outcome"` // ok, partial (data with errors), refused (4xx), failed (5xx)
	ErrorCodes     []string  `json:"errorCodes"`
}

// Record collects one request's line while it runs.
type Record struct {
	mu    sync.Mutex
	line  Line
	trace *loaders.Trace
}

type recordKey struct{}

// From returns the request's record (nil outside an audited request; every
// method is safe on nil).
func From(ctx context.Context) *Record {
	r, _ := ctx.Value(recordKey{}).(*Record)
	return r
}

// SetCaller records who asked and which workspaces the request reads.
func (r *Record) SetCaller(id, kind string, workspaces []string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.line.Principal, r.line.PrincipalKind = id, kind
	r.line.Workspaces = append([]string(nil), workspaces...)
	r.mu.Unlock()
}

// SetRequestID records the request id.
func (r *Record) SetRequestID(id string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.line.RequestID = id
	r.mu.Unlock()
}

// SetOperation records the operation name and the entities asked for.
func (r *Record) SetOperation(name string, entities []string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.line.Operation = name
	r.line.Entities = entities
	r.mu.Unlock()
}

// AddErrorCodes records the codes of the response's errors.
func (r *Record) AddErrorCodes(codes ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.line.ErrorCodes = append(r.line.ErrorCodes, codes...)
	r.mu.Unlock()
}

// SetTrace links the request's backend-call trace.
func (r *Record) SetTrace(t *loaders.Trace) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.trace = t
	r.mu.Unlock()
}

// Middleware audits every request through next.
func (l *Log) Middleware(next http.Handler) http.Handler {
	if l == nil || l.w == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started := l.now()
		rec := &Record{line: Line{Time: started.UTC(), Client: r.RemoteAddr, Method: r.Method}}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), recordKey{}, rec)))
		rec.mu.Lock()
		line := rec.line
		trace := rec.trace
		rec.mu.Unlock()
		line.Status = sw.status
		if len(line.ErrorCodes) == 0 && sw.status >= 400 {
			line.ErrorCodes = errorCodes(sw.head.Bytes())
		}
		line.DurationMs = float64(l.now().Sub(started).Microseconds()) / 1000
		summarize(&line, trace)
		l.write(line)
	})
}

func summarize(line *Line, trace *loaders.Trace) {
	sources, facets := map[string]bool{}, map[string]bool{}
	if trace != nil {
		for _, c := range trace.Calls() {
			sources[c.Source] = true
			if c.Facet != "" {
				facets[c.Facet] = true
			}
			switch {
			case c.Cached:
				line.CachedCalls++
			case c.Coalesced:
				line.CoalescedCalls++
			case !c.Skipped && (c.Statement != "" || c.Source == "ti"):
				line.BackendQueries++
			}
		}
	}
	line.Sources, line.Facets = sorted(sources), sorted(facets)
	for _, p := range []*[]string{&line.Entities, &line.Workspaces, &line.ErrorCodes} {
		if *p == nil {
			*p = []string{}
		}
	}
	switch {
	case line.Status >= 500:
		line.Outcome = "failed"
	case line.Status >= 400:
		line.Outcome = "refused"
	case len(line.ErrorCodes) > 0:
		line.Outcome = "partial"
	default:
		line.Outcome = "ok"
	}
}

func sorted(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (l *Log) write(line Line) {
	b, err := json.Marshal(line)
	if err != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w.Write(append(b, '\n'))
}

type statusWriter struct {
	http.ResponseWriter
	status  int
	written bool
	head    bytes.Buffer // the start of an error response's body
}

// maxErrorBody bounds what is kept of a refused request's answer.
const maxErrorBody = 4 << 10

// errorCodes reads extensions.code of a GraphQL error body written before
// the GraphQL handler ran (authentication, limits, parsing).
func errorCodes(body []byte) []string {
	var resp struct {
		Errors []struct {
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &resp) != nil {
		return nil
	}
	var out []string
	for _, e := range resp.Errors {
		if e.Extensions.Code != "" {
			out = append(out, e.Extensions.Code)
		}
	}
	return out
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.written {
		w.status, w.written = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.written = true
	if w.status >= 400 && w.head.Len() < maxErrorBody {
		w.head.Write(b[:min(len(b), maxErrorBody-w.head.Len())])
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets streaming responses through.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
