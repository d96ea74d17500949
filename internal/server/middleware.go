package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"time"

	"entitygraph/internal/access"
	"entitygraph/internal/audit"
	"entitygraph/internal/loaders"
	"entitygraph/internal/sources"
)

type requestIDKey struct{}

func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 8)
		rand.Read(b)
		id := hex.EncodeToString(b)
		w.Header().Set("X-Request-Id", id)
		audit.From(r.Context()).SetRequestID(id)
		ctx := withCostHolder(context.WithValue(r.Context(), requestIDKey{}, id))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func withTimeout(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// auditCaller records the authenticated caller and its workspaces.
func auditCaller(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := access.PrincipalFrom(r.Context()); ok {
			scope, _ := sources.ScopeFrom(r.Context())
			audit.From(r.Context()).SetCaller(p.ID, p.Kind, scope.Workspaces)
		}
		next.ServeHTTP(w, r)
	})
}

// auditTrace links the request's backend calls to its audit record.
func auditTrace(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l, err := loaders.For(r.Context()); err == nil {
			audit.From(r.Context()).SetTrace(l.Trace())
		}
		next.ServeHTTP(w, r)
	})
}
