package facets

// Sentinel's threat-intelligence tables, in both schemas: the current
// ThreatIntelIndicators (STIX-shaped) and the legacy
// ThreatIntelligenceIndicator. A workspace has either or both.
var (
	IPThreatIntel = &Facet{
		Name: "ip.threatIntel.sentinel", Source: "ThreatIntelIndicators", Table: "ThreatIntelIndicators", Time: "TimeGenerated",
		Keys:    KeyMatch{Columns: []string{"ObservableValue"}},
		Where:   []Expr{InStr(Col("ObservableKey"), "ipv4-addr:value", "ipv6-addr:value")},
		Kind:    Events,
		Columns: []string{"Id", "ObservableKey", "ObservableValue", "Confidence", "IsActive", "Pattern", "Tags", "ValidUntil", "SourceSystem", "Data"},
	}
	IPThreatIntelLegacy = &Facet{
		Name: "ip.threatIntel.sentinelLegacy", Source: "ThreatIntelligenceIndicator", Table: "ThreatIntelligenceIndicator", Time: "TimeGenerated",
		Keys:    KeyMatch{Columns: []string{"NetworkIP", "NetworkSourceIP", "NetworkDestinationIP", "EmailSourceIpAddress"}},
		Kind:    Events,
		Columns: []string{"IndicatorId", "ConfidenceScore", "Active", "Action", "ThreatType", "ThreatSeverity", "Description", "Tags", "ExpirationDateTime", "SourceSystem", "NetworkIP", "NetworkSourceIP", "NetworkDestinationIP", "EmailSourceIpAddress", "ExternalIndicatorId"},
	}
)

// IPResolvedNames are the names the workspace's DNS logs resolved to the IP
// (passive DNS from DnsEvents).
var IPResolvedNames = &Facet{
	Name: "ip.passiveDns.dnsEvents", Source: "DnsEvents", Table: "DnsEvents", Time: "TimeGenerated",
	Keys:    KeyMatch{Texts: []Expr{Col("IPAddresses")}},
	Where:   []Expr{Eq(Col("SubType"), Str("LookupQuery")), Not(IsEmpty(Col("Name")))},
	Kind:    Summary,
	Summary: SummarySpec{By: []string{"Name"}},
}
