// Package tor matches IPs against a local copy of the Tor exit list (the
// check.torproject.org "exit-addresses" format, or one address per line).
// Nothing is sent anywhere; refresh the file to refresh the list.
//
// Verdict (msticpy): a listed exit node → MEDIUM; otherwise NONE.
package tor

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"entitygraph/internal/sources/ti"
)

// Provider reads the exit list from Path, again when the file changes.
type Provider struct {
	Path string

	mu      sync.Mutex
	exits   map[netip.Addr]string // address → last published time
	modTime time.Time
}

// Name implements ti.Provider.
func (p *Provider) Name() string { return "Tor" }

// External implements ti.Provider: the list is local.
func (p *Provider) External() bool { return false }

func (p *Provider) load() error {
	fi, err := os.Stat(p.Path)
	if err != nil {
		return fmt.Errorf("tor exit list: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exits != nil && fi.ModTime().Equal(p.modTime) {
		return nil
	}
	f, err := os.Open(p.Path)
	if err != nil {
		return fmt.Errorf("tor exit list: %w", err)
	}
	defer f.Close()
	exits := map[netip.Addr]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) >= 2 && fields[0] == "ExitAddress":
			if a, err := netip.ParseAddr(fields[1]); err == nil {
				exits[a.Unmap()] = strings.Join(fields[2:], " ")
			}
		case len(fields) == 1 && !strings.HasPrefix(fields[0], "#"):
			if a, err := netip.ParseAddr(fields[0]); err == nil {
				exits[a.Unmap()] = ""
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("tor exit list: %w", err)
	}
	p.exits, p.modTime = exits, fi.ModTime()
	return nil
}

// Lookup implements ti.Provider.
func (p *Provider) Lookup(ctx context.Context, ip netip.Addr) (ti.Result, error) {
	if err := p.load(); err != nil {
		return ti.Result{}, err
	}
	p.mu.Lock()
	published, ok := p.exits[ip]
	n := len(p.exits)
	p.mu.Unlock()
	if !ok {
		return ti.Result{Verdict: ti.None, Status: ti.NotFound, Summary: fmt.Sprintf("not among %d Tor exit addresses", n)}, nil
	}
	return ti.Result{Verdict: ti.Medium, Status: ti.OK, Summary: "a Tor exit node", Reference: "https://metrics.torproject.org/rs.html#search/" + ip.String(),
		Details: map[string]any{"exitNode": true, "published": published}}, nil
}
