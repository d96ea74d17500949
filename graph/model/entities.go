// Package model holds the GraphQL models: generated ones (models_gen.go)
// and the hand-written entities below, whose facets have resolvers.
package model

import (
	"net/netip"
	"time"
)

// Span is the timespan an entity was reached with; its facets inherit it.
type Span struct {
	Start time.Time
	End   time.Time
}

// IPAddress is an IP entity: a canonical address plus its timespan.
type IPAddress struct {
	Addr netip.Addr
	Span Span
}

// Account is an account entity, by canonical name.
type Account struct {
	Name string
	Span Span
}

// Host is a host entity, by canonical name.
type Host struct {
	Name string
	Span Span
}

// IsNode marks entities for the Node interface.
func (IPAddress) IsNode() {}

// IsNode marks entities for the Node interface.
func (Account) IsNode() {}

// IsNode marks entities for the Node interface.
func (Host) IsNode() {}

// GetID is the opaque global id of the IP.
func (ip IPAddress) GetID() string { return EncodeEntityID("IpAddress", ip.Addr.String(), ip.Span) }

// GetID is the opaque global id of the account.
func (a Account) GetID() string { return EncodeEntityID("Account", a.Name, a.Span) }

// GetID is the opaque global id of the host.
func (h Host) GetID() string { return EncodeEntityID("Host", h.Name, h.Span) }
