package resolvers

import (
	"context"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"entitygraph/graph/model"
	"entitygraph/internal/errcode"
)

func TestParseLast(t *testing.T) {
	good := map[string]time.Duration{"90m": 90 * time.Minute, "2d": 48 * time.Hour, "1w": 168 * time.Hour, "36h": 36 * time.Hour, "1.5h": 90 * time.Minute, " 30s ": 30 * time.Second}
	for in, want := range good {
		if got, err := ParseLast(in); err != nil || got != want {
			t.Errorf("ParseLast(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "2", "d", "-1d", "0d", "2 fortnights", "1y", "P2D"} {
		if _, err := ParseLast(in); err == nil {
			t.Errorf("ParseLast(%q) accepted", in)
		}
	}
}

func TestResolveSpan(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	r := &Resolver{Config: Config{Now: func() time.Time { return now }, MaxTimespan: 7 * 24 * time.Hour}}
	ts := func(s string) *time.Time { v, _ := time.Parse(time.RFC3339, s); return &v }
	str := func(s string) *string { return &s }
	cases := []struct {
		name       string
		in         *model.TimeSpanInput
		start, end time.Time
		badArg     string
	}{
		{"default: the last 2 days", nil, now.Add(-48 * time.Hour), now, ""},
		{"last", &model.TimeSpanInput{Last: str("6h")}, now.Add(-6 * time.Hour), now, ""},
		{"last before end", &model.TimeSpanInput{Last: str("1d"), End: ts("2026-11-29T00:00:00Z")}, *ts("2026-11-28T00:00:00Z"), *ts("2026-11-29T00:00:00Z"), ""},
		{"start only", &model.TimeSpanInput{Start: ts("2026-11-30T00:00:00Z")}, *ts("2026-11-30T00:00:00Z"), now, ""},
		{"start and last", &model.TimeSpanInput{Start: ts("2026-11-30T00:00:00Z"), Last: str("1d")}, time.Time{}, time.Time{}, "timespan"},
		{"end before start", &model.TimeSpanInput{Start: ts("2026-11-30T00:00:00Z"), End: ts("2026-11-29T00:00:00Z")}, time.Time{}, time.Time{}, "timespan"},
		{"over the maximum", &model.TimeSpanInput{Last: str("8d")}, time.Time{}, time.Time{}, "timespan"},
		{"bad last", &model.TimeSpanInput{Last: str("soon")}, time.Time{}, time.Time{}, "timespan.last"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := r.resolveSpan(context.Background(), c.in)
			if c.badArg != "" {
				gerr, ok := err.(*gqlerror.Error)
				if !ok || gerr.Extensions["code"] != errcode.BadUserInput || gerr.Extensions["argument"] != c.badArg {
					t.Fatalf("err = %v, want BAD_USER_INPUT on %s", err, c.badArg)
				}
				return
			}
			if err != nil || !got.Start.Equal(c.start) || !got.End.Equal(c.end) {
				t.Errorf("span = %v, %v; want %v .. %v", got, err, c.start, c.end)
			}
		})
	}
}

func TestRelativeSpanEndsOnTheMinute(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 30, 0, time.UTC)
	r := &Resolver{Config: Config{Now: func() time.Time { return now }}}
	got, err := r.resolveSpan(context.Background(), nil)
	want := time.Date(2026, 11, 30, 12, 1, 0, 0, time.UTC)
	if err != nil || !got.End.Equal(want) || got.End.Sub(got.Start) != DefaultTimespan {
		t.Errorf("span = %+v, %v; want end %v", got, err, want)
	}
}
