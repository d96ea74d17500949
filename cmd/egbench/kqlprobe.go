package main

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"time"

	"entitygraph/internal/config"
	"entitygraph/internal/decorate"
	"entitygraph/internal/parity"
	"entitygraph/internal/sentinel"
	"entitygraph/internal/sources"
	"entitygraph/internal/sources/loganalytics"
)

// kqlProbe runs every parity edge case as a datatable() query on the
// configured Sentinel workspace and on DuckDB, and reports each answer
// that differs from the other engine's or from the documented one; then
// every group probe (a case's facet with the other queries of its scan,
// as one statement), whose answer split by member must equal each
// member's own on the workspace. With dryRun it prints the queries and
// sends nothing.
func kqlProbe(configPath string, dryRun bool) error {
	cases := parity.EdgeCases()
	groups, err := parity.GroupProbes()
	if err != nil {
		return err
	}
	if dryRun {
		for _, c := range cases {
			text, err := parity.ProbeKQL(c)
			if err != nil {
				return err
			}
			fmt.Printf("// %s\n// relies on: %s\n%s\n\n", c.Name, c.Rule, text)
		}
		for _, g := range groups {
			fmt.Printf("// group %s over the rows of %s\n%s\n\n", g.Group.Name, g.Case.Name, g.Text)
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
	for _, g := range groups {
		if d, err := groupMismatch(ctx, src, g); err != nil {
			mismatches++
			fmt.Printf("ERROR     group %s (%s): %v\n", g.Group.Name, g.Case.Name, err)
		} else if d != "" {
			mismatches++
			fmt.Printf("MISMATCH  group %s (%s)\n  relies on: union (kind outer) keeps every leg's rows and columns; row_number after sort numbers a leg's rows in order; materialize computes the scan once\n  %s\n", g.Group.Name, g.Case.Name, d)
		} else {
			fmt.Printf("same      group %s (%s)\n", g.Group.Name, g.Case.Name)
		}
	}
	fmt.Printf("%d cases and %d groups, %d mismatches\n", len(cases), len(groups), mismatches)
	if mismatches > 0 {
		return fmt.Errorf("%d of %d probes differ", mismatches, len(cases)+len(groups))
	}
	return nil
}

// prober runs a KQL text on the workspace.
type prober interface {
	Probe(ctx context.Context, kql string, start, end time.Time) ([]sources.Row, error)
}

// groupMismatch runs a group probe and each of its members alone on the
// workspace and describes the first member whose rows differ, or "".
func groupMismatch(ctx context.Context, src prober, g parity.GroupProbe) (string, error) {
	end := g.Query.End.Add(loganalytics.LateArrival) // as wide as any member needs; each query filters its own window
	qctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	rows, err := src.Probe(qctx, g.Text, g.Query.Start, end)
	if err != nil {
		return "", err
	}
	split := decorate.SplitMembers(g.Group, rows)
	for i, text := range g.Members {
		alone, err := src.Probe(qctx, text, g.Query.Start, end)
		if err != nil {
			return "", err
		}
		if len(alone) == 0 {
			alone = nil
		}
		if !reflect.DeepEqual(split[i], alone) {
			return fmt.Sprintf("member %d (%s): the group's rows %v, its own %v", i, g.Group.Members()[i].Facet.Name, split[i], alone), nil
		}
	}
	return "", nil
}
