package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"entitygraph/graph/resolvers"
	"entitygraph/internal/demo"
	"entitygraph/internal/loaders"
)

// TestLevelsDispatchWithoutWindow: with a batch window and a backstop of a
// minute, every query shape still answers at once — each level is sent
// when its last field waits, which only an exact count of the fields the
// executor starts allows (lists, connections, unions, interfaces,
// fragments, @include, aliases, fan-out inside resolvers) — and each facet
// of a level is one query.
func TestLevelsDispatchWithoutWindow(t *testing.T) {
	store := demoWorkspace(t)
	s := New(Options{
		Source:   store,
		Batching: loaders.Options{Wait: time.Minute, LevelWait: time.Minute},
		Resolver: &resolvers.Resolver{Config: resolvers.Config{Tables: store, Now: func() time.Time { return anchor }, MaxTimespan: 30 * 24 * time.Hour}},
	})
	s.SetReady()
	ts := httptest.NewServer(s)
	defer ts.Close()

	addrs := []any{demo.SprayIP, demo.C2IP, demo.BruteIP, demo.BeaconIP, "10.0.3.31", "198.51.100.7"}
	cases := []struct {
		name  string
		query string
		vars  map[string]any
	}{
		{"pivot through account resolution", `query($a: [String!]!) { ipAddresses(addresses: $a) { address relatedAccounts { account { name
			alerts(first: 5) { totalCount nodes { name } } signins(first: 5) { totalCount } hosts { host { name } } } } } }`, map[string]any{"a": addrs}},
		{"full summary with fragments and @include", `query($ip: String!, $more: Boolean!) { ipAddress(address: $ip) { ...Summary
			signins(first: 2) @include(if: $more) { nodes { account { name } } } hostLogons @skip(if: $more) { count } } }
			fragment Summary on IpAddress { address alerts { totalCount } relatedAccounts { count } hosts { host { name } }
			s1: signins(first: 1) { totalCount } s2: signins(first: 3) { totalCount } }`, map[string]any{"ip": demo.SprayIP, "more": true}},
		{"union members", `{ ipAddress(address: "` + demo.C2IP + `") { alerts { nodes { name entities { __typename
			... on IpAddress { address alerts { totalCount } } ... on Host { name heartbeat { computer } } ... on DnsEntity { domainName } } } } } }`, nil},
		{"interface", `query($id: ID!) { node(id: $id) { id ... on Account { name alerts { totalCount } } ... on IpAddress { address } } }`,
			map[string]any{"id": accountNodeID(t, ts)}},
		{"host with fan-out", `{ host(name: "` + demo.BeaconHost + `") { name aliases { kind value } processes(first: 3) { totalCount } alerts { totalCount } } }`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := postWithin(t, ts, c.query, c.vars, 20*time.Second)
			noErrors(t, r)
			perLevel := map[string]int{}
			for _, call := range r.Extensions.Trace {
				if !call.Cached {
					perLevel[call.Facet+"|"+fmt.Sprint(call.Keys > 0)]++
				}
			}
			for facet, n := range perLevel {
				if n > 1 && c.name == "pivot through account resolution" {
					t.Errorf("%s sent %d times: a level was split", facet, n)
				}
			}
		})
	}
}

// accountNodeID returns the global id of the spray victim's Account.
func accountNodeID(t *testing.T, ts *httptest.Server) string {
	t.Helper()
	r := postWithin(t, ts, `{ account(name: "`+demo.SprayVictim+`") { id } }`, nil, 20*time.Second)
	noErrors(t, r)
	return get(r.Data, "account.id").(string)
}

// postWithin posts a query and fails the test if the answer takes longer
// than within (far below the test server's batch window).
func postWithin(t *testing.T, ts *httptest.Server, query string, vars map[string]any, within time.Duration) gqlResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars, "extensions": map[string]any{"trace": true}})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("no answer within %v (a level waited for the window): %v", within, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out gqlResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return out
}
