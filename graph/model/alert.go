package model

import "time"

// Alert is a SecurityAlert row; its entity edges are parsed on demand.
type Alert struct {
	SystemAlertID      string
	Name               *string
	DisplayName        *string
	Severity           *Severity
	Status             *string
	Time               *time.Time
	StartTime          *time.Time
	EndTime            *time.Time
	Provider           *string
	Vendor             *string
	Product            *string
	Description        *string
	Remediation        *string
	Tactics            []string
	Techniques         []string
	CompromisedEntity  *string
	ExtendedProperties any
	RawEntities        any
	Columns            any

	Span Span           // the timespan it was reached with
	Row  map[string]any // the row, for the entity edges
}

// IsNode marks alerts for the Node interface.
func (Alert) IsNode() {}

// GetID is the alert's opaque global id.
func (a Alert) GetID() string { return EncodeEntityID("Alert", a.SystemAlertID, a.Span) }

// IsAlertEntity marks entity types of the AlertEntity union.
func (IPAddress) IsAlertEntity() {}

// IsAlertEntity marks entity types of the AlertEntity union.
func (Account) IsAlertEntity() {}

// IsAlertEntity marks entity types of the AlertEntity union.
func (Host) IsAlertEntity() {}
