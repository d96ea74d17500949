// Package feeds matches IPs against a directory of local indicator files:
// plain lists (one IP or CIDR per line, # comments), CSV with a header (a
// column named ip, ip_address, indicator, value, network or cidr; optional
// description/threat/confidence columns), and STIX 2.1 bundles (indicator
// patterns on ipv4-addr/ipv6-addr values). A match is an exact address or a
// containing network.
//
// Verdict: a match → MEDIUM, or HIGH when its confidence is 80 or more
// (msticpy's Sentinel TI rule).
package feeds

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"entitygraph/internal/sources/ti"
)

// Indicator is one feed entry.
type Indicator struct {
	Prefix      netip.Prefix
	File        string
	Description string
	Confidence  int // -1: unknown
}

// Provider serves the indicators of Dir, reloaded when a file changes.
type Provider struct {
	Dir string

	mu    sync.Mutex
	items []Indicator
	stamp string
}

// Name implements ti.Provider.
func (p *Provider) Name() string { return "Feeds" }

// External implements ti.Provider: the files are local.
func (p *Provider) External() bool { return false }

func (p *Provider) stampOf() (string, error) {
	entries, err := os.ReadDir(p.Dir)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && !e.IsDir() {
			fmt.Fprintf(&b, "%s:%d:%d;", e.Name(), fi.Size(), fi.ModTime().UnixNano())
		}
	}
	return b.String(), nil
}

// Load (re)reads the directory when it changed.
func (p *Provider) Load() ([]Indicator, error) {
	stamp, err := p.stampOf()
	if err != nil {
		return nil, fmt.Errorf("feeds: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if stamp == p.stamp && p.items != nil {
		return p.items, nil
	}
	entries, _ := os.ReadDir(p.Dir)
	var items []Indicator
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		path := filepath.Join(p.Dir, e.Name())
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("feeds: %w", err)
		}
		var got []Indicator
		switch strings.ToLower(filepath.Ext(path)) {
		case ".json":
			got, err = readSTIX(f, e.Name())
		case ".csv":
			got, err = readCSV(f, e.Name())
		default:
			got, err = readList(f, e.Name())
		}
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("feeds: %s: %w", e.Name(), err)
		}
		items = append(items, got...)
	}
	p.items, p.stamp = items, stamp
	return items, nil
}

func parsePrefix(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		pf, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return pf.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

func readList(r io.Reader, name string) ([]Indicator, error) {
	var out []Indicator
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexAny(line, "#;"); i >= 0 {
			line = line[:i]
		}
		if pf, ok := parsePrefix(line); ok {
			out = append(out, Indicator{Prefix: pf, File: name, Confidence: -1})
		}
	}
	return out, sc.Err()
}

func readCSV(r io.Reader, name string) ([]Indicator, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	ipCol := -1
	for _, n := range []string{"ip", "ip_address", "ipaddress", "indicator", "value", "network", "cidr"} {
		if i, ok := col[n]; ok {
			ipCol = i
			break
		}
	}
	if ipCol < 0 {
		return nil, fmt.Errorf("no ip/indicator column in %v", header)
	}
	field := func(rec []string, names ...string) string {
		for _, n := range names {
			if i, ok := col[n]; ok && i < len(rec) {
				return rec[i]
			}
		}
		return ""
	}
	var out []Indicator
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if ipCol >= len(rec) {
			continue
		}
		pf, ok := parsePrefix(rec[ipCol])
		if !ok {
			continue
		}
		conf := -1
		if c, err := strconv.Atoi(strings.TrimSpace(field(rec, "confidence", "score"))); err == nil {
			conf = c
		}
		desc := field(rec, "description", "threat", "threat_type", "comment", "tags")
		out = append(out, Indicator{Prefix: pf, File: name, Description: desc, Confidence: conf})
	}
	return out, nil
}

var stixValue = regexp.MustCompile(`ipv[46]-addr:value\s*=\s*'([^']+)'`)

func readSTIX(r io.Reader, name string) ([]Indicator, error) {
	var bundle struct {
		Type    string `json:"type"`
		Objects []struct {
			Type        string `json:"type"`
			Pattern     string `json:"pattern"`
			PatternType string `json:"pattern_type"`
			Name        string `json:"name"`
			Description string `json:"description"`
			Confidence  *int   `json:"confidence"`
			ValidUntil  string `json:"valid_until"`
			Revoked     bool   `json:"revoked"`
		} `json:"objects"`
	}
	if err := json.NewDecoder(r).Decode(&bundle); err != nil {
		return nil, err
	}
	if bundle.Type != "bundle" {
		return nil, fmt.Errorf("not a STIX bundle")
	}
	var out []Indicator
	for _, o := range bundle.Objects {
		if o.Type != "indicator" || o.Revoked || (o.PatternType != "" && o.PatternType != "stix") {
			continue
		}
		if o.ValidUntil != "" {
			if t, err := time.Parse(time.RFC3339, o.ValidUntil); err == nil && t.Before(time.Now()) {
				continue
			}
		}
		conf := -1
		if o.Confidence != nil {
			conf = *o.Confidence
		}
		desc := o.Name
		if o.Description != "" {
			desc = strings.TrimSpace(desc + ": " + o.Description)
		}
		for _, m := range stixValue.FindAllStringSubmatch(o.Pattern, -1) {
			if pf, ok := parsePrefix(m[1]); ok {
				out = append(out, Indicator{Prefix: pf, File: name, Description: desc, Confidence: conf})
			}
		}
	}
	return out, nil
}

// Lookup implements ti.Provider.
func (p *Provider) Lookup(ctx context.Context, ip netip.Addr) (ti.Result, error) {
	items, err := p.Load()
	if err != nil {
		return ti.Result{}, err
	}
	var hits []map[string]any
	verdict := ti.None
	for _, it := range items {
		if !it.Prefix.Contains(ip) {
			continue
		}
		hit := map[string]any{"file": it.File, "match": it.Prefix.String(), "description": it.Description}
		if it.Confidence >= 0 {
			hit["confidence"] = it.Confidence
		}
		hits = append(hits, hit)
		v := ti.Medium
		if it.Confidence >= 80 {
			v = ti.High
		}
		if v > verdict {
			verdict = v
		}
	}
	if len(hits) == 0 {
		return ti.Result{Verdict: ti.None, Status: ti.NotFound, Summary: fmt.Sprintf("in none of %d feed indicators", len(items))}, nil
	}
	return ti.Result{Verdict: verdict, Status: ti.OK, Details: map[string]any{"matches": hits},
		Summary: fmt.Sprintf("in %d feed indicator(s), first %s (%s)", len(hits), hits[0]["match"], hits[0]["file"])}, nil
}
