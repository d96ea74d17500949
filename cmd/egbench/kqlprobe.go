package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"entitygraph/internal/config"
	"entitygraph/internal/parity"
	"entitygraph/internal/sentinel"
)

// kqlProbe runs every parity edge case as a datatable() query on the
// configured Sentinel workspace and on DuckDB, and reports each answer
// that differs from the other engine's or from the documented one. With
// dryRun it prints the queries and sends nothing.
func kqlProbe(configPath string, dryRun bool) error {
	cases := parity.EdgeCases()
	if dryRun {
		for _, c := range cases {
			text, err := parity.ProbeKQL(c)
			if err != nil {
				return err
			}
			fmt.Printf("// %s\n// relies on: %s\n%s\n\n", c.Name, c.Rule, text)
		}
		return nil
	}
	args := []string{"--source", "sentinel"}
	if configPath != "" {
		args = append(args, "--config", configPath)
	}
	cfg, err := config.Load(args, os.Getenv)
	if err != nil {
		return err
	}
	src, err := sentinel.Source(cfg.Sentinel, nil)
	if err != nil {
		return err
	}
	ctx := context.Background()
	mismatches := 0
	for _, c := range cases {
		text, err := parity.ProbeKQL(c)
		if err != nil {
			return err
		}
		duck, err := parity.RunDuckDB(ctx, c)
		if err != nil {
			return err
		}
		qctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		live, err := src.Probe(qctx, text, c.Query.Start, c.Query.End)
		cancel()
		if err != nil {
			mismatches++
			fmt.Printf("ERROR     %s: %v\n", c.Name, err)
			continue
		}
		liveDiff, duckDiff := c.Diff(c.Project(live)), c.Diff(c.Project(duck))
		switch {
		case liveDiff == "" && duckDiff == "":
			fmt.Printf("same      %s\n", c.Name)
		default:
			mismatches++
			fmt.Printf("MISMATCH  %s\n  relies on: %s\n", c.Name, c.Rule)
			if liveDiff != "" {
				fmt.Printf("  Log Analytics: %s\n", liveDiff)
			}
			if duckDiff != "" {
				fmt.Printf("  DuckDB: %s\n", duckDiff)
			}
		}
	}
	fmt.Printf("%d cases, %d mismatches\n", len(cases), mismatches)
	if mismatches > 0 {
		return fmt.Errorf("%d of %d cases differ", mismatches, len(cases))
	}
	return nil
}
