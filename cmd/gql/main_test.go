package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"entitygraph/graph/resolvers"
	"entitygraph/internal/config"
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
				Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store, Now: func() time.Time { return workspacetest.Anchor }}}})
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

// TestCLI: --help succeeds and names every flag with its environment
// variable; a positional argument is an error, not a silent demo.
func TestCLI(t *testing.T) {
	var help strings.Builder
	config.HelpOutput = &help
	defer func() { config.HelpOutput = os.Stdout }()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := run(log, []string{"--help"}); !errors.Is(err, config.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	for _, want := range []string{"gql serves the entitygraph GraphQL API", "-listen", "EG_LISTEN", "-demo-rows", "EG_DEMO_ROWS", "-cache-ttl duration", "(default 5m0s)", "-cors-origins", "-lenient", "-insecure-no-auth"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	if strings.Contains(help.String(), "-1ns") {
		t.Error("--help prints a false default")
	}
	err := run(log, []string{"./ws", "--listen", "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), `unexpected argument "./ws"`) {
		t.Errorf("positional argument: %v", err)
	}
	if v := version(); !strings.HasPrefix(v, "entitygraph ") {
		t.Errorf("version = %q", v)
	}
}

// TestHealthcheck: 0 when /readyz answers 200 (a wildcard listen address
// is reached on loopback), 1 otherwise.
func TestHealthcheck(t *testing.T) {
	ready := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" || !ready {
			http.Error(w, "loading workspace", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready"))
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	var out strings.Builder
	if code := healthcheck([]string{"--listen", "0.0.0.0:" + port}, func(string) string { return "" }, &out); code != 0 {
		t.Errorf("ready: exit %d (%s)", code, out.String())
	}
	ready = false
	if code := healthcheck(nil, func(k string) string { return map[string]string{"EG_LISTEN": "127.0.0.1:" + port}[k] }, &out); code != 1 {
		t.Errorf("not ready: exit %d", code)
	}
	srv.Close()
	if code := healthcheck([]string{"--listen", "127.0.0.1:" + port}, func(string) string { return "" }, &out); code != 1 {
		t.Errorf("down: exit %d", code)
	}
}
