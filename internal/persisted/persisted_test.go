package persisted

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite persisted-queries.json from README.md")

// TestReadmeManifest: the committed manifest holds exactly the README's
// GraphQL examples (go test ./internal/persisted -update rewrites it).
func TestReadmeManifest(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.MarshalIndent(FromMarkdown(string(readme)), "", "  ")
	want = append(want, '\n')
	path := filepath.Join("..", "..", "persisted-queries.json")
	if *update {
		os.WriteFile(path, want, 0o644)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != string(want) {
		t.Fatalf("persisted-queries.json is not the README's examples (go test ./internal/persisted -update): %v", err)
	}
	if m := FromMarkdown(string(readme)); len(m.Operations) < 2 {
		t.Errorf("only %d README examples", len(m.Operations))
	}
	s, err := Load(path, true)
	if err != nil || s.Len() != len(FromMarkdown(string(readme)).Operations) {
		t.Fatalf("load: %v (%d documents)", err, s.Len())
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	doc := "{ __typename }\n"
	apollo := Manifest{Format: ApolloFormat, Version: 1, Operations: []Operation{{ID: Hash(doc), Name: "T", Type: "query", Body: doc}}}
	b, _ := json.Marshal(apollo)
	os.WriteFile(filepath.Join(dir, "apollo.json"), b, 0o644)
	os.WriteFile(filepath.Join(dir, "relay.json"), []byte(`{"relay-1": "{ __typename }\n"}`), 0o644)
	bad := apollo
	bad.Operations = []Operation{{ID: Hash("other"), Name: "T", Body: doc}}
	b, _ = json.Marshal(bad)
	os.WriteFile(filepath.Join(dir, "bad.json"), b, 0o644)
	if _, err := Load(filepath.Join(dir, "bad.json"), false); err == nil {
		t.Error("a manifest whose id is not its body's hash was accepted")
	}
	for _, only := range []bool{false, true} {
		for _, file := range []string{"apollo.json", "relay.json"} {
			s, err := Load(filepath.Join(dir, file), only)
			if err != nil {
				t.Fatal(err)
			}
			cases := []struct {
				query, id, sha string
				doc            string
				err            error
			}{
				{"", "", Hash(doc), doc, nil},
				{"", map[string]string{"apollo.json": Hash(doc), "relay.json": "relay-1"}[file], "", doc, nil},
				{doc, "", "", doc, nil}, // the manifest's own text
				{"{ me { principal } }", "", "", "{ me { principal } }", map[bool]error{true: ErrNotAllowed}[only]},
				{"", "unknown", "", "", map[bool]error{true: ErrNotFound}[only]},
			}
			for _, c := range cases {
				got, _, err := s.Resolve(c.query, c.id, c.sha)
				if !errors.Is(err, c.err) || (err == nil && got != c.doc) {
					t.Errorf("%s only=%v Resolve(%q, %q, %q) = %q, %v; want %q, %v", file, only, c.query, c.id, c.sha, got, err, c.doc, c.err)
				}
			}
		}
	}
}
