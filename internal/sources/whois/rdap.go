// Package whois asks a registry's RDAP service who holds an IP network
// (online only; the ASN comes from the embedded database offline).
package whois

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/openrdap/rdap"
)

// Network is the registry's record of the network holding an IP.
type Network struct {
	Name, Handle, StartAddress, EndAddress, Type, Country string
	AbuseEmails                                           []string
	Registered, Updated                                   *time.Time
	Server                                                string
	Registry                                              string // from the RDAP server or port 43 host
}

// Client queries an RDAP server (default https://rdap.org, which redirects
// to the right registry).
type Client struct {
	Server string
	HTTP   *http.Client
}

// Lookup fetches the network record of an IP.
func (c *Client) Lookup(ctx context.Context, ip netip.Addr) (*Network, error) {
	server := c.Server
	if server == "" {
		server = "https://rdap.org"
	}
	u, err := url.Parse(server)
	if err != nil {
		return nil, fmt.Errorf("rdap: server URL: %w", err)
	}
	req := rdap.NewIPRequest(net.IP(ip.AsSlice())).WithServer(u).WithContext(ctx)
	client := &rdap.Client{HTTP: c.HTTP}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("rdap: %w", err)
	}
	n, ok := resp.Object.(*rdap.IPNetwork)
	if !ok {
		return nil, fmt.Errorf("rdap: the server did not answer with an IP network")
	}
	out := &Network{Name: n.Name, Handle: n.Handle, StartAddress: n.StartAddress, EndAddress: n.EndAddress, Type: n.Type, Country: n.Country, Server: server, Registry: registry(n.Port43, server)}
	for _, e := range n.Events {
		t, err := time.Parse(time.RFC3339, e.Date)
		if err != nil {
			continue
		}
		t = t.UTC()
		switch e.Action {
		case "registration":
			out.Registered = &t
		case "last changed":
			out.Updated = &t
		}
	}
	emails := map[string]bool{}
	var walk func(es []rdap.Entity, abuse bool)
	walk = func(es []rdap.Entity, abuse bool) {
		for _, e := range es {
			isAbuse := abuse
			for _, r := range e.Roles {
				isAbuse = isAbuse || r == "abuse"
			}
			if isAbuse && e.VCard != nil {
				for _, p := range e.VCard.Get("email") {
					for _, v := range p.Values() {
						emails[strings.ToLower(v)] = true
					}
				}
			}
			walk(e.Entities, isAbuse)
		}
	}
	walk(n.Entities, false)
	for e := range emails {
		out.AbuseEmails = append(out.AbuseEmails, e)
	}
	sort.Strings(out.AbuseEmails)
	return out, nil
}

func registry(port43, server string) string {
	host := port43
	if host == "" {
		if u, err := url.Parse(server); err == nil {
			host = u.Host
		}
	}
	for _, r := range []string{"arin", "ripe", "apnic", "lacnic", "afrinic"} {
		if strings.Contains(strings.ToLower(host), r) {
			return strings.ToUpper(r)
		}
	}
	return host
}
