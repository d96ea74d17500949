package resolvers

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"time"

	"entitygraph/graph/model"
	"entitygraph/graph/relay"
)

// DefaultTimespan is the window used when a request names none (the notebook's default).
const DefaultTimespan = 48 * time.Hour

var lastPattern = regexp.MustCompile(`^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$`)

// ParseLast reads a duration such as "90m", "36h", "2d" or "1w".
func ParseLast(s string) (time.Duration, error) {
	m := lastPattern.FindStringSubmatch(s)
	if m == nil {
		return 0, errors.New(`expected a number and a unit (ms, s, m, h, d, w), e.g. "90m" or "2d"`)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, err
	}
	unit := map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
	d := time.Duration(n * float64(unit))
	if d <= 0 {
		return 0, errors.New("must be positive")
	}
	return d, nil
}

// resolveSpan turns the TimeSpanInput into an absolute span.
func (r *Resolver) resolveSpan(ctx context.Context, in *model.TimeSpanInput) (model.Span, error) {
	// Relative spans end at the next whole minute, so that requests within
	// a minute share cached facet results; no event is newer than now.
	now := r.Config.now().UTC()
	if m := now.Truncate(time.Minute); !m.Equal(now) {
		now = m.Add(time.Minute)
	}
	if in == nil {
		return model.Span{Start: now.Add(-DefaultTimespan), End: now}, nil
	}
	end := now
	if in.End != nil {
		end = in.End.UTC()
	}
	var start time.Time
	switch {
	case in.Last != nil && in.Start != nil:
		return model.Span{}, badInput(ctx, "timespan", "give either start or last, not both")
	case in.Last != nil:
		d, err := ParseLast(*in.Last)
		if err != nil {
			return model.Span{}, badInput(ctx, "timespan.last", "%q: %v", truncate(*in.Last, 32), err)
		}
		start = end.Add(-d)
	case in.Start != nil:
		start = in.Start.UTC()
	default:
		start = end.Add(-DefaultTimespan)
	}
	if !end.After(start) {
		return model.Span{}, badInput(ctx, "timespan", "end (%s) must be after start (%s)", end.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	if max := r.Config.maxTimespan(); end.Sub(start) > max {
		return model.Span{}, badInput(ctx, "timespan", "spans %s, over the maximum of %s", end.Sub(start).Round(time.Second), max)
	}
	return model.Span{Start: start, End: end}, nil
}

func (c Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c Config) maxTimespan() time.Duration {
	if c.MaxTimespan > 0 {
		return c.MaxTimespan
	}
	return 90 * 24 * time.Hour
}

// page validates first/after and returns the offset and limit.
func page(ctx context.Context, first *int, after *string) (offset, limit int, err error) {
	offset, limit, err = relay.Window(first, after)
	var ae *relay.ArgumentError
	if errors.As(err, &ae) {
		return 0, 0, badInput(ctx, ae.Argument, "%s", ae.Message)
	}
	return offset, limit, err
}
