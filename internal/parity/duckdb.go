package parity

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"entitygraph/internal/sources"
	"entitygraph/internal/sources/duckdb"
)

// RunDuckDB loads the case's rows into a fresh embedded workspace and
// runs the facet on it.
func RunDuckDB(ctx context.Context, c Case) ([]sources.Row, error) {
	store, err := LoadDuckDB(ctx, c)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	res, err := store.Run(ctx, c.Facet, c.Query)
	if err != nil {
		return nil, fmt.Errorf("parity: %s: %w", c.Name, err)
	}
	return res.Rows, nil
}

// LoadDuckDB is a fresh embedded workspace holding the case's rows, loaded
// from a JSON-lines export exactly as an analyst's export would be.
func LoadDuckDB(ctx context.Context, c Case) (*duckdb.Store, error) {
	dir, err := os.MkdirTemp("", "parity-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	f, err := os.Create(filepath.Join(dir, c.Facet.Table+".jsonl"))
	if err != nil {
		return nil, err
	}
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	for _, r := range c.Rows {
		row := make(map[string]any, len(r))
		for k, v := range r {
			if t, ok := v.(time.Time); ok {
				v = t.UTC().Format(time.RFC3339Nano)
			}
			row[k] = v
		}
		if err := enc.Encode(row); err != nil {
			f.Close()
			return nil, err
		}
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	store, err := duckdb.Open(duckdb.Options{})
	if err != nil {
		return nil, err
	}
	if _, err := store.LoadDir(ctx, dir); err != nil {
		store.Close()
		return nil, fmt.Errorf("parity: %s: load: %w", c.Name, err)
	}
	return store, nil
}
