package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"entitygraph/internal/access"
	"entitygraph/internal/admission"
	"entitygraph/internal/audit"
	"entitygraph/internal/errcode"
	"entitygraph/internal/loaders"
	"entitygraph/internal/persisted"
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

// DefaultMaxBody bounds a request body.
const DefaultMaxBody = 1 << 20

// withBody reads a POST body up to max bytes (413 beyond), and refuses one
// that is not a single GraphQL request object (400: a JSON array, which
// would batch operations past the per-operation limits, or malformed
// JSON). A refused body is logged by size and hash, never by content.
//
// With trusted documents (docs non-nil), a request naming a document by id
// (documentId, or the persistedQuery extension's sha256Hash) runs the
// manifest's text; under persisted-only nothing else runs.
func withBody(max int64, log *slog.Logger, docs *persisted.Store, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && docs != nil {
			if !resolveGET(w, r, docs) {
				return
			}
		}
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > max {
			writeHTTPError(w, http.StatusRequestEntityTooLarge, errcode.RequestTooLarge, fmt.Sprintf("request body of %d bytes is over the limit of %d", r.ContentLength, max))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			writeHTTPError(w, http.StatusRequestEntityTooLarge, errcode.RequestTooLarge, fmt.Sprintf("request body is over the limit of %d bytes", max))
			return
		case err != nil:
			writeHTTPError(w, http.StatusBadRequest, errcode.BadRequest, "could not read the request body")
			return
		}
		trimmed := bytes.TrimLeft(body, " \t\r\n")
		if len(trimmed) > 0 && trimmed[0] == '[' {
			writeHTTPError(w, http.StatusBadRequest, errcode.BadRequest, "batched requests (a JSON array) are not supported: send one operation per request")
			return
		}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			var probe struct {
				Query         string         `json:"query"`
				OperationName string         `json:"operationName"`
				Variables     map[string]any `json:"variables"`
				Extensions    map[string]any `json:"extensions"`
				DocumentID    string         `json:"documentId"`
			}
			if err := json.Unmarshal(body, &probe); err != nil {
				sum := sha256.Sum256(body)
				log.Info("malformed request body", "request_id", requestID(r.Context()), "bytes", len(body), "sha256", hex.EncodeToString(sum[:8]))
				writeHTTPError(w, http.StatusBadRequest, errcode.BadRequest, "the request body is not a GraphQL request object: "+jsonProblem(err))
				return
			}
			if docs != nil {
				doc, found, err := docs.Resolve(probe.Query, probe.DocumentID, apqHash(probe.Extensions))
				if err != nil {
					writePersistedError(w, err)
					return
				}
				if found {
					var whole map[string]any
					json.Unmarshal(body, &whole)
					whole["query"] = doc
					delete(whole, "documentId")
					body, _ = json.Marshal(whole)
				}
			}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

// jsonProblem describes a decoding error without quoting the input.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s must not be a JSON %s", typ.Field, typ.Value)
	}
	return "invalid JSON"
}

// writeHTTPError answers as a GraphQL server does: {"errors":[…]}.
func writeHTTPError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": code}}}})
}

// legacyJSONStatus answers well-formed requests whose GraphQL document
// fails to parse or validate with 200 when the response is
// application/json, as the GraphQL-over-HTTP specification recommends for
// that media type (gqlgen answers 422); application/graphql-response+json
// keeps its 4xx.
func legacyJSONStatus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&jsonStatusWriter{ResponseWriter: w}, r)
	})
}

type jsonStatusWriter struct{ http.ResponseWriter }

func (w *jsonStatusWriter) WriteHeader(code int) {
	if code == http.StatusUnprocessableEntity && strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		code = http.StatusOK
	}
	w.ResponseWriter.WriteHeader(code)
}

// Flush lets streaming responses through.
func (w *jsonStatusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// apqHash is the sha256Hash of an automatic-persisted-query extension.
func apqHash(ext map[string]any) string {
	pq, _ := ext["persistedQuery"].(map[string]any)
	h, _ := pq["sha256Hash"].(string)
	return h
}

// resolveGET applies trusted documents to a GET request's parameters; it
// answers and returns false when the request is refused.
func resolveGET(w http.ResponseWriter, r *http.Request, docs *persisted.Store) bool {
	q := r.URL.Query()
	var ext map[string]any
	json.Unmarshal([]byte(q.Get("extensions")), &ext)
	doc, found, err := docs.Resolve(q.Get("query"), q.Get("documentId"), apqHash(ext))
	if err != nil {
		writePersistedError(w, err)
		return false
	}
	if found {
		q.Set("query", doc)
		q.Del("documentId")
		r.URL.RawQuery = q.Encode()
	}
	return true
}

func writePersistedError(w http.ResponseWriter, err error) {
	msg := "this server runs trusted documents only: send the id of a document from its manifest"
	if errors.Is(err, persisted.ErrNotFound) {
		msg = "no persisted document has this id"
	}
	// 200, as automatic-persisted-query clients expect, with the code.
	writeHTTPError(w, http.StatusOK, err.Error(), msg)
}

// withAdmission works on a request only when the admission controller
// gives it a slot (per caller, then overall); one that waits too long is
// answered 503 with Retry-After.
func withAdmission(c *admission.Controller, next http.Handler) http.Handler {
	if c == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who := ""
		if p, ok := access.PrincipalFrom(r.Context()); ok {
			who = p.ID
		}
		release, err := c.Acquire(r.Context(), who)
		if err != nil {
			w.Header().Set("Retry-After", "1")
			writeHTTPError(w, http.StatusServiceUnavailable, errcode.ServerBusy, "the server is at capacity: retry in a second")
			return
		}
		defer release()
		next.ServeHTTP(w, r)
	})
}
