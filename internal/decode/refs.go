package decode

import (
	"entitygraph/graph/model"
	"entitygraph/internal/entitykey"
	"entitygraph/internal/ipclass"
	"sort"
	"strings"
	"time"
)

// AccountRef links an account name found in a row to its Account, or nil.
func AccountRef(name *string, span model.Span) *model.Account {
	if name == nil {
		return nil
	}
	return &model.Account{Name: strings.ToLower(*name), Span: span}
}

// HostRef links a host name found in a row to its Host (by HostKey), or nil.
func HostRef(name *string, span model.Span) *model.Host {
	if name == nil {
		return nil
	}
	return &model.Host{Name: HostKey(*name), Span: span}
}

// HostKey is a host's canonical key (entitykey.Host), so that
// "WEB-VM-01.contoso.local" (MDE) and "web-vm-01" (Heartbeat) are one host.
func HostKey(name string) string { return entitykey.Host(strings.TrimSpace(name)) }

// IPRef links an address found in a log to its IpAddress entity, or nil
// when the text is not an address.
func IPRef(text *string, span model.Span) *model.IPAddress {
	if text == nil {
		return nil
	}
	a, err := ipclass.Parse(*text)
	if err != nil {
		return nil
	}
	return &model.IPAddress{Addr: a, Span: span}
}

// VMName is the last segment of an NSG "subscription/resourcegroup/vm" path.
func VMName(s *string) *string {
	if s == nil {
		return nil
	}
	parts := strings.Split(*s, "/")
	last := parts[len(parts)-1]
	return &last
}

// AppendDistinct appends s unless list holds it.
func AppendDistinct(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	out := append(list, s)
	sort.Strings(out)
	return out
}

// FirstNonNil is the first value that is set.
func FirstNonNil(vals ...*string) *string {
	for _, v := range vals {
		if v != nil {
			return v
		}
	}
	return nil
}

// DomainUser joins a Windows domain and user ("-" is none).
func DomainUser(domain, user *string) *string {
	if user == nil || *user == "-" {
		return nil
	}
	if domain == nil || *domain == "-" {
		return user
	}
	s := *domain + `\` + *user
	return &s
}

// OsFamilies maps the two logon facets of a pair to their OS.
var OsFamilies = []model.OsFamily{model.OsFamilyWindows, model.OsFamilyLinux}

// MinTime is the earlier of two times (nil: unknown).
func MinTime(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.Before(*a)) {
		return b
	}
	return a
}

// MaxTime is the later of two times (nil: unknown).
func MaxTime(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.After(*a)) {
		return b
	}
	return a
}
