package resolvers

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"
	"unicode"

	"entitygraph/graph/model"
	"entitygraph/graph/relay"
	"entitygraph/internal/decode"
	"entitygraph/internal/entitykey"
	"entitygraph/internal/facets"
)

// AccountKey canonicalizes an account name: trimmed and lower-cased.
func AccountKey(name string) (string, error) {
	name = entitykey.Account(strings.TrimSpace(name))
	switch {
	case name == "":
		return "", errors.New("empty")
	case len(name) > 256:
		return "", errors.New("longer than 256 characters")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", errors.New("contains control characters")
	case strings.Contains(name, facets.AliasSep):
		return "", errors.New("contains U+241F, which joins a person's identifiers")
	}
	return name, nil
}

// hostKeyOf validates and canonicalizes a host name.
func hostKeyOf(name string) (string, error) {
	key := decode.HostKey(name)
	switch {
	case key == "":
		return "", errors.New("empty")
	case len(key) > 255:
		return "", errors.New("longer than 255 characters")
	case strings.IndexFunc(key, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0:
		return "", errors.New("contains spaces or control characters")
	}
	return key, nil
}

// pageMerged pages over several Events facets of one key as one list,
// newest first: each source is read up to offset+first rows and the merged
// list sliced, so pages stay exact whatever the mix of sources.
func pageMerged(ctx context.Context, fs []*facets.Facet, span model.Span, key string, first *int, after *string) (rows []row, origin []int, offset, total int, err error) {
	offset, limit, err := page(ctx, first, after)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	q := spanQuery(span)
	q.Limit, q.AllColumns = max(offset+limit, 1), wantsColumns(ctx)
	results, errs := parallel(ctx, fs, q, key)
	if err := combine(ctx, errs); err != nil {
		return nil, nil, 0, 0, err
	}
	for _, rs := range results {
		if len(rs) > 0 {
			total += decode.IntOf(rs[0][facets.TotalColumn])
		}
	}
	rows, origin = relay.Merge(results, func(src int, r row) *time.Time { return decode.Time(r, fs[src].Time) }, offset, limit)
	return rows, origin, offset, total, nil
}

// Bucket widths a timeline accepts.
const (
	minBucket     = time.Minute
	maxBucketsPer = 5000
)

func parseBucket(ctx context.Context, bucket *string, span model.Span) (time.Duration, string, error) {
	text := "1h"
	if bucket != nil {
		text = *bucket
	}
	d, err := ParseLast(text)
	if err != nil {
		return 0, "", badInput(ctx, "bucket", "%q: %v", truncate(text, 32), err)
	}
	if d < minBucket {
		return 0, "", badInput(ctx, "bucket", "at least 1m")
	}
	if n := span.End.Sub(span.Start) / d; n > maxBucketsPer {
		return 0, "", badInput(ctx, "bucket", "%s makes %d buckets over the timespan; the maximum is %d", text, n, maxBucketsPer)
	}
	return d, text, nil
}

// timeline counts an entity's events per source and bucket.
func timeline(ctx context.Context, fs []*facets.Facet, span model.Span, key string, bucket *string) (*model.Timeline, error) {
	width, text, err := parseBucket(ctx, bucket, span)
	if err != nil {
		return nil, err
	}
	points, err := timelinePoints(ctx, fs, span, key, width)
	if err != nil {
		return nil, err
	}
	return &model.Timeline{Bucket: text, Points: points}, nil
}

func timelinePoints(ctx context.Context, fs []*facets.Facet, span model.Span, key string, width time.Duration) ([]*model.TimelinePoint, error) {
	q := spanQuery(span)
	q.Bucket = width
	results, errs := parallel(ctx, fs, q, key)
	if err := combine(ctx, errs); err != nil {
		return nil, err
	}
	byPoint := map[string]*model.TimelinePoint{}
	var points []*model.TimelinePoint
	for i, rs := range results {
		for _, r := range rs {
			t := decode.Time(r, "Bucket")
			if t == nil {
				continue
			}
			id := fs[i].Source + "|" + t.String()
			if p, ok := byPoint[id]; ok { // two facets of one table (none today)
				p.Count += decode.Int(r, "Count")
				continue
			}
			p := &model.TimelinePoint{Time: *t, Source: fs[i].Source, Count: decode.Int(r, "Count")}
			byPoint[id] = p
			points = append(points, p)
		}
	}
	sort.Slice(points, func(i, j int) bool {
		if !points[i].Time.Equal(points[j].Time) {
			return points[i].Time.Before(points[j].Time)
		}
		return points[i].Source < points[j].Source
	})
	if points == nil {
		points = []*model.TimelinePoint{}
	}
	return points, nil
}

// seen is the first or last event time across an entity's sources (it
// reads the hourly timeline, which a timeline field may share).
func seen(ctx context.Context, fs []*facets.Facet, span model.Span, key string, last bool) (*time.Time, error) {
	q := spanQuery(span)
	q.Bucket = time.Hour
	results, errs := parallel(ctx, fs, q, key)
	if err := combine(ctx, errs); err != nil {
		return nil, err
	}
	var out *time.Time
	for _, rs := range results {
		for _, r := range rs {
			col := "FirstSeen"
			if last {
				col = "LastSeen"
			}
			t := decode.Time(r, col)
			if t != nil && (out == nil || (last && t.After(*out)) || (!last && t.Before(*out))) {
				out = t
			}
		}
	}
	return out, nil
}
