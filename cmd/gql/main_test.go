package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"entitygraph/graph/resolvers"
	"entitygraph/internal/demo"
	"entitygraph/internal/facets"
	"entitygraph/internal/loaders"
	"entitygraph/internal/server"
	"entitygraph/internal/sources"
	"entitygraph/internal/workspace/workspacetest"
)

// TestRefusesOpenNonLoopback: without an access section the server starts
// only on loopback; the refusal comes before the workspace is loaded.
func TestRefusesOpenNonLoopback(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, listen := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		err := run(log, []string{"--listen", listen})
		if err == nil || !strings.Contains(err.Error(), "without authentication") || !strings.Contains(err.Error(), "--insecure-no-auth") {
			t.Errorf("--listen %s: %v", listen, err)
		}
	}
}

// blockingSource holds every query until released or cancelled.
type blockingSource struct {
	sources.LogSource
	started chan struct{}
	release chan struct{}
}

func (b *blockingSource) Run(ctx context.Context, f *facets.Facet, q facets.Query) (sources.Result, error) {
	b.started <- struct{}{}
	select {
	case <-b.release:
		return b.LogSource.Run(ctx, f, q)
	case <-ctx.Done():
		return sources.Result{}, ctx.Err()
	}
}

// TestDrain: on shutdown /readyz turns 503 at once; a request that
// finishes within the grace period is answered whole; one that does not is
// cancelled and answered with SHUTTING_DOWN; drain returns only when no
// handler runs.
func TestDrain(t *testing.T) {
	store := workspacetest.Demo(t)
	for _, c := range []struct {
		name    string
		finish  bool // the query completes during the grace period
		grace   time.Duration
		wantErr string
	}{
		{"finishes within grace", true, time.Minute, ""},
		{"cancelled after grace", false, 200 * time.Millisecond, "SHUTTING_DOWN"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := &blockingSource{LogSource: store, started: make(chan struct{}, 1), release: make(chan struct{})}
			srv := server.New(server.Options{Source: src, Batching: loaders.Options{Wait: time.Millisecond},
				Resolver: &resolvers.Resolver{Config: resolvers.Config{Store: store, Now: func() time.Time { return workspacetest.Anchor }}}})
			srv.SetReady()
			front := &frontDoor{}
			front.set(srv)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			baseCtx, cancelBase := context.WithCancel(context.Background())
			httpSrv := &http.Server{Handler: front, BaseContext: func(net.Listener) context.Context { return baseCtx }}
			go httpSrv.Serve(ln)
			url := "http://" + ln.Addr().String()

			answer := make(chan map[string]any, 1)
			go func() {
				resp, err := http.Post(url+"/graphql", "application/json", strings.NewReader(`{"query":"{ ipAddress(address: \"`+demo.SprayIP+`\") { signins { totalCount } } }"}`))
				if err != nil {
					answer <- map[string]any{"transport": err.Error()}
					return
				}
				defer resp.Body.Close()
				var out map[string]any
				json.NewDecoder(resp.Body).Decode(&out)
				answer <- out
			}()
			<-src.started // the query is in flight
			done := make(chan error, 1)
			go func() {
				done <- drain(slog.New(slog.NewTextHandler(io.Discard, nil)), httpSrv, srv, front, cancelBase, c.grace)
			}()
			for !readyzUnavailable(srv) {
				runtime.Gosched()
			}
			if c.finish {
				close(src.release)
			}
			if err := <-done; err != nil {
				t.Fatalf("drain: %v", err)
			}
			if n := front.inFlight(); n != 0 {
				t.Errorf("drain returned with %d requests in flight", n)
			}
			out := <-answer
			b, _ := json.Marshal(out)
			switch {
			case c.wantErr == "" && (out["errors"] != nil || !strings.Contains(string(b), `"signins":{"totalCount":`)):
				t.Errorf("answer: %s", b)
			case c.wantErr != "" && !strings.Contains(string(b), c.wantErr):
				t.Errorf("answer: %s", b)
			}
		})
	}
}

func readyzUnavailable(srv *server.Server) bool {
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
	return w.Code == http.StatusServiceUnavailable
}

// TestHTTPServerBounds: slow bodies, slow readers and idle connections are
// cut; answers outlive the request timeout.
func TestHTTPServerBounds(t *testing.T) {
	s := httpServer(http.NotFoundHandler(), 60*time.Second, context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.IdleTimeout <= 0 || s.MaxHeaderBytes <= 0 || s.MaxHeaderBytes > 1<<20 {
		t.Errorf("unbounded: %+v", s)
	}
	if s.WriteTimeout <= 60*time.Second {
		t.Errorf("write timeout %v cuts answers of a 60 s request", s.WriteTimeout)
	}
}
