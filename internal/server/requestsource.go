package server

import (
	"encoding/json"
	"errors"
	"net/http"

	"entitygraph/internal/errcode"
	"entitygraph/internal/loaders"
	"entitygraph/internal/sources"
)

// withLoaders gives every request its own loaders and trace over what
// requests share, on the source as the request's scope sees it (its
// workspaces, and the caller under on-behalf-of).
func withLoaders(src sources.LogSource, shared *loaders.Shared, opts loaders.Options, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		scope, _ := sources.ScopeFrom(ctx)
		reqSrc := src
		if scoped, ok := src.(sources.RequestScoped); ok {
			var err error
			if reqSrc, err = scoped.ForScope(scope); err != nil {
				writeSourceRefusal(w, err)
				return
			}
		}
		l := loaders.New(ctx, reqSrc, shared, &loaders.Trace{}, opts)
		l.CountAgainst(scope.Caller.ID)
		defer l.Close()
		next.ServeHTTP(w, r.WithContext(loaders.With(ctx, l)))
	})
}

// writeSourceRefusal answers a request its source refused, as GraphQL does.
func writeSourceRefusal(w http.ResponseWriter, err error) {
	code, status := errcode.BadUserInput, http.StatusBadRequest
	var se *sources.Error
	if errors.As(err, &se) && se.Kind == sources.Unauthenticated {
		code, status = errcode.Unauthenticated, http.StatusUnauthorized
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"message": err.Error(), "extensions": map[string]any{"code": code}}}})
}
