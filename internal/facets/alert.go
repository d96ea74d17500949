package facets

// Alert facets.
var (
	// AlertByID finds an alert by SystemAlertId (its newest version).
	AlertByID = &Facet{
		Name: "alert.byId", Source: "SecurityAlert", Table: "SecurityAlert", Time: "TimeGenerated",
		Keys: KeyMatch{Columns: []string{"SystemAlertId"}}, Kind: Latest,
	}
	// AlertQueue is the triage queue: every alert of the timespan, newest
	// first; severity and status filters come with the query.
	AlertQueue = &Facet{
		Name: "alerts.queue", Source: "SecurityAlert", Table: "SecurityAlert", Time: "TimeGenerated",
		Keys:    KeyMatch{All: true},
		Kind:    Events,
		Columns: IPAlerts.Columns,
	}
)
