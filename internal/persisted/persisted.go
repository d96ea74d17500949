// Package persisted holds trusted documents: a manifest of the GraphQL
// documents a deployment's front-ends ship, looked up by id, and, when the
// server allows nothing else, the gate that refuses every other document.
package persisted

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

// ApolloFormat is the "format" of Apollo's persisted-query manifest, the
// form this package writes.
const ApolloFormat = "apollo-persisted-query-manifest"

// Operation is one manifest entry.
type Operation struct {
	ID   string `json:"id"` // sha256 hex of Body
	Name string `json:"name"`
	Type string `json:"type"` // query, mutation, subscription
	Body string `json:"body"`
}

// Manifest is Apollo's persisted-query manifest.
type Manifest struct {
	Format     string      `json:"format"`
	Version    int         `json:"version"`
	Operations []Operation `json:"operations"`
}

// Store finds documents by id: the manifest's id, and the SHA-256 of the
// document (what automatic persisted queries send).
type Store struct {
	byID map[string]string
	only bool
}

// Hash is a document's id: the hex SHA-256 of its text.
func Hash(doc string) string {
	s := sha256.Sum256([]byte(doc))
	return hex.EncodeToString(s[:])
}

// Load reads a manifest: Apollo's format, or a plain JSON object of id →
// document (Relay's). Apollo ids must be the SHA-256 of their body.
func Load(path string, only bool) (*Store, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("persisted queries: %w", err)
	}
	s := &Store{byID: map[string]string{}, only: only}
	var m Manifest
	if err := json.Unmarshal(b, &m); err == nil && m.Format == ApolloFormat {
		for _, op := range m.Operations {
			if op.ID != Hash(op.Body) {
				return nil, fmt.Errorf("persisted queries %s: operation %q: id is not the SHA-256 of its body", path, op.Name)
			}
			s.add(op.ID, op.Body)
		}
		return s, nil
	}
	var plain map[string]string
	if err := json.Unmarshal(b, &plain); err != nil {
		return nil, fmt.Errorf("persisted queries %s: neither an Apollo manifest nor an object of id → document", path)
	}
	for id, doc := range plain {
		s.add(id, doc)
	}
	return s, nil
}

func (s *Store) add(id, doc string) {
	s.byID[id] = doc
	s.byID[Hash(doc)] = doc
}

// Len is the number of documents.
func (s *Store) Len() int {
	if s == nil {
		return 0
	}
	seen := map[string]bool{}
	for _, d := range s.byID {
		seen[d] = true
	}
	return len(seen)
}

// Errors of Resolve, each with the code clients see.
var (
	ErrNotFound   = errors.New("PERSISTED_QUERY_NOT_FOUND")
	ErrNotAllowed = errors.New("PERSISTED_QUERY_NOT_ALLOWED")
)

// Resolve returns the document a request runs: the one its id names (a
// documentId, or the persistedQuery extension's sha256Hash), else its own
// text — refused under "only" unless the manifest holds that text. found
// says whether an id was resolved here (APQ may still know one we do not).
func (s *Store) Resolve(query, documentID, sha string) (doc string, found bool, err error) {
	if s == nil {
		return query, false, nil
	}
	for _, id := range []string{documentID, sha} {
		if id == "" {
			continue
		}
		if d, ok := s.byID[id]; ok {
			return d, true, nil
		}
		if s.only {
			return "", false, ErrNotFound
		}
	}
	if query == "" {
		return "", false, nil
	}
	if s.only {
		if _, ok := s.byID[Hash(query)]; !ok {
			return "", false, ErrNotAllowed
		}
	}
	return query, false, nil
}

var (
	fence   = regexp.MustCompile("(?s)```graphql\n(.*?)```")
	opNamed = regexp.MustCompile(`^\s*(query|mutation|subscription)\s+([A-Za-z_][A-Za-z0-9_]*)`)
)

// FromMarkdown builds the manifest of every ```graphql block of a document
// (the README's examples), named by their operation or by position.
func FromMarkdown(md string) Manifest {
	m := Manifest{Format: ApolloFormat, Version: 1, Operations: []Operation{}}
	for i, match := range fence.FindAllStringSubmatch(md, -1) {
		body := strings.TrimSpace(match[1]) + "\n"
		name := fmt.Sprintf("ReadmeExample%d", i+1)
		typ := "query"
		if n := opNamed.FindStringSubmatch(body); n != nil {
			typ, name = n[1], n[2]
		}
		m.Operations = append(m.Operations, Operation{ID: Hash(body), Name: name, Type: typ, Body: body})
	}
	sort.SliceStable(m.Operations, func(i, j int) bool { return m.Operations[i].Name < m.Operations[j].Name })
	return m
}
