package resolvers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"entitygraph/internal/errcode"
	"entitygraph/internal/facets"
	"entitygraph/internal/loaders"
	"entitygraph/internal/sources"
)

// badInput is a BAD_USER_INPUT error naming the argument.
func badInput(ctx context.Context, arg, format string, a ...any) error {
	return &gqlerror.Error{
		Path:    graphql.GetPath(ctx),
		Message: fmt.Sprintf("%s: %s", arg, fmt.Sprintf(format, a...)),
		Extensions: map[string]any{
			"code":     errcode.BadUserInput,
			"argument": arg,
		},
	}
}

// sourceError turns a failed facet look-up into a field error naming the
// source and table; the rest of the response stands.
func sourceError(ctx context.Context, f *facets.Facet, source string, err error) error {
	code := errcode.SourceUnavailable
	msg := fmt.Sprintf("%s: %s facet failed", source, f.Source)
	ext := map[string]any{"source": source, "table": f.Table, "facet": f.Name}
	var se *sources.Error
	var partial *sources.PartialError
	switch {
	case errors.Is(err, loaders.ErrTooManyShapes):
		code, msg = errcode.QueryTooComplex, err.Error()
	case errors.Is(err, loaders.ErrShuttingDown):
		code, msg = errcode.ShuttingDown, fmt.Sprintf("%s: %s facet cancelled: the server is shutting down; retry", source, f.Source)
	case errors.Is(err, sources.ErrTableUnavailable):
		code = errcode.TableUnavailable
		msg = fmt.Sprintf("table %s not available in this workspace", f.Table)
	case errors.As(err, &partial):
		code = errcode.PartialResult
		msg = fmt.Sprintf("%s: %s results are incomplete", source, f.Source)
	case errors.As(err, &se):
		if se.Workspace != "" {
			ext["workspace"] = se.Workspace
		}
		switch se.Kind {
		case sources.Unauthenticated:
			code, msg = errcode.Unauthenticated, fmt.Sprintf("%s: the credential was refused for workspace %s", source, se.Workspace)
		case sources.Forbidden:
			code, msg = errcode.Forbidden, fmt.Sprintf("%s: no read access to workspace %s", source, se.Workspace)
		case sources.RateLimited:
			code, msg = errcode.RateLimited, fmt.Sprintf("%s: query budget exhausted; retry later", source)
			if se.RetryAfter > 0 {
				ext["retryAfter"] = int(math.Ceil(se.RetryAfter.Seconds()))
			}
		case sources.BadQuery:
			code, msg = errcode.Internal, fmt.Sprintf("%s: the %s query was rejected (a bug; logged)", source, f.Source)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			code, msg = errcode.Timeout, fmt.Sprintf("%s: %s facet timed out", source, f.Source)
		}
	case errors.Is(err, context.DeadlineExceeded):
		code = errcode.Timeout
		msg = fmt.Sprintf("%s: %s facet timed out", source, f.Source)
	}
	ext["code"] = code
	return &gqlerror.Error{Path: graphql.GetPath(ctx), Message: msg, Err: err, Extensions: ext}
}

// addError reports a partial failure while the field still returns data.
func addError(ctx context.Context, err error) {
	graphql.AddError(ctx, err)
}

// truncate shortens user input quoted back in error messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n-- // never cut a character in two
	}
	return s[:n] + "…"
}

// badSource is a field error from a non-log source (TI, geo, RDAP).
func badSource(ctx context.Context, source, code, msg string) error {
	return &gqlerror.Error{Path: graphql.GetPath(ctx), Message: source + ": " + msg, Extensions: map[string]any{"code": code, "source": source}}
}
