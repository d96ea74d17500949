package decode

import (
	"entitygraph/graph/model"
	"entitygraph/internal/facets"
	"entitygraph/internal/ipclass"
)

// CommonSecurityLog decodes a CommonSecurityLog row.
func CommonSecurityLog(r Row) *model.CommonSecurityLogEvent {
	return &model.CommonSecurityLogEvent{
		Time:            Time(r, "TimeGenerated"),
		DeviceVendor:    Str(r, "DeviceVendor"),
		DeviceProduct:   Str(r, "DeviceProduct"),
		Activity:        Str(r, "Activity"),
		DeviceAction:    Str(r, "DeviceAction"),
		SourceIP:        Str(r, "SourceIP"),
		SourcePort:      IntP(r, "SourcePort"),
		DestinationIP:   Str(r, "DestinationIP"),
		DestinationPort: IntP(r, "DestinationPort"),
		Protocol:        Str(r, "Protocol"),
		RequestURL:      Str(r, "RequestURL"),
		Computer:        Str(r, "Computer"),
		Columns:         Columns(r),
	}
}

// Netflow decodes an AzureNetworkAnalytics_CL flow row.
func Netflow(r Row) *model.Netflow {
	ext := List(r, "PublicIPs_s")
	external := StrOr(r, "DestIP_s", "")
	if StrOr(r, "FlowDirection_s", "") == "I" {
		external = StrOr(r, "SrcIP_s", "")
	}
	if a, err := ipclass.Parse(external); err == nil && !ipclass.IsPrivate(ipclass.Classify(a)) {
		ext = AppendDistinct(ext, a.String())
	}
	return &model.Netflow{
		FlowStartTime:   Time(r, "FlowStartTime_t"),
		FlowEndTime:     Time(r, "FlowEndTime_t"),
		FlowType:        Str(r, "FlowType_s"),
		VMName:          VMName(Str(r, "VM_s")),
		VMIP:            Str(r, "VMIP_s"),
		SourceIP:        Str(r, "SrcIP_s"),
		DestinationIP:   Str(r, "DestIP_s"),
		ExternalIps:     ext,
		DestinationPort: IntP(r, "DestPort_d"),
		L4Protocol:      Str(r, "L4Protocol_s"),
		L7Protocol:      Str(r, "L7Protocol_s"),
		Direction:       Str(r, "FlowDirection_s"),
		AllowedInFlows:  IntP(r, "AllowedInFlows_d"),
		AllowedOutFlows: IntP(r, "AllowedOutFlows_d"),
		DeniedInFlows:   IntP(r, "DeniedInFlows_d"),
		DeniedOutFlows:  IntP(r, "DeniedOutFlows_d"),
		Columns:         Columns(r),
	}
}

// NetflowSummary decodes a row of an address's flow summary.
func NetflowSummary(r Row) *model.NetflowSummary {
	return &model.NetflowSummary{
		L7Protocol:      StrOr(r, "Protocol", "unknown"),
		Direction:       Str(r, "Direction"),
		FlowRecords:     Int(r, "Count"),
		AllowedInFlows:  Int(r, "AllowedFlows"),
		AllowedOutFlows: Int(r, "AllowedOutFlows"),
		DeniedInFlows:   Int(r, "DeniedFlows"),
		DeniedOutFlows:  Int(r, "DeniedOutFlows"),
		ExternalIps:     List(r, "ExternalIPs"),
		FirstFlow:       Time(r, "FirstSeen"),
		LastFlow:        Time(r, "LastSeen"),
	}
}

// NetworkConnection decodes a row of a network connection summary.
func NetworkConnection(r Row, span model.Span) *model.NetworkConnectionSummary {
	return &model.NetworkConnectionSummary{
		Host:                        HostRef(Str(r, "DeviceName"), span),
		LocalIP:                     Str(r, "LocalIP"),
		RemoteIP:                    Str(r, "RemoteIP"),
		RemotePort:                  IntP(r, "RemotePort"),
		ActionType:                  Str(r, "ActionType"),
		InitiatingProcessAccount:    Str(r, "InitiatingProcessAccountName"),
		InitiatingProcessFolderPath: Str(r, "InitiatingProcessFolderPath"),
		InitiatingProcessSha256:     Str(r, "InitiatingProcessSHA256"),
		RemoteUrls:                  List(r, "RemoteUrls"),
		Count:                       Int(r, "Count"),
		FirstSeen:                   Time(r, "FirstSeen"),
		LastSeen:                    Time(r, "LastSeen"),
	}
}

// Bookmark decodes a HuntingBookmark row.
func Bookmark(r Row) *model.Bookmark {
	return &model.Bookmark{
		ID:             Str(r, "BookmarkId"),
		Name:           Str(r, "BookmarkName"),
		Time:           Time(r, "TimeGenerated"),
		CreatedBy:      Str(r, "CreatedBy"),
		Notes:          Str(r, "Notes"),
		Tags:           Str(r, "Tags"),
		QueryText:      Str(r, "QueryText"),
		QueryResultRow: JSON(r, "QueryResultRow"),
		Columns:        Columns(r),
	}
}

// DNSQuery decodes a DnsEvents row.
func DNSQuery(r Row) *model.DNSQuery {
	return &model.DNSQuery{
		Time:        Time(r, "TimeGenerated"),
		Name:        Str(r, "Name"),
		ClientIP:    Str(r, "ClientIP"),
		IPAddresses: List(r, "IPAddresses"),
		QueryType:   Str(r, "QueryType"),
		ResultCode:  IntP(r, "ResultCode"),
		Computer:    Str(r, "Computer"),
		Columns:     Columns(r),
	}
}

// OwnerFacets find monitored hosts owning an IP; they also decide its origin.
var OwnerFacets = []*facets.Facet{facets.IPDeviceNetworkInfo, facets.IPHeartbeat, facets.IPVMComputer, facets.IPNetworkInterface}

// Sightings reads the OwnerFacets' rows, in their order.
func Sightings(rows [][]Row, span model.Span) []*model.HostSighting {
	out := []*model.HostSighting{}
	add := func(name *string, src model.HostSource, id *string, r Row, timeCol string) {
		if name == nil {
			return
		}
		out = append(out, &model.HostSighting{Host: HostRef(name, span), Source: src, SourceID: id, LastSeen: Time(r, timeCol)})
	}
	for _, r := range rows[0] {
		add(Str(r, "DeviceName"), model.HostSourceMdeDevice, Str(r, "DeviceId"), r, "LastSeen")
	}
	for _, r := range rows[1] {
		add(Str(r, "Computer"), model.HostSourceHeartbeat, FirstOf(r, "ResourceId", "SourceComputerId"), r, "TimeGenerated")
	}
	for _, r := range rows[2] {
		add(Str(r, "Computer"), model.HostSourceVMComputer, FirstOf(r, "AgentId", "_ResourceId"), r, "TimeGenerated")
	}
	for _, r := range rows[3] {
		add(VMName(Str(r, "VirtualMachine_s")), model.HostSourceNsgInterface, Str(r, "VirtualMachine_s"), r, "TimeGenerated")
	}
	return out
}

// ThreatIndicator decodes a ThreatIntelIndicators (or, legacy, ThreatIntelligenceIndicator) row.
func ThreatIndicator(r Row, legacy bool) *model.ThreatIndicator {
	if legacy {
		return &model.ThreatIndicator{
			Time: Time(r, "TimeGenerated"), ID: Str(r, "IndicatorId"), Table: "ThreatIntelligenceIndicator",
			Value:      FirstNonNil(Str(r, "NetworkIP"), Str(r, "NetworkSourceIP"), Str(r, "NetworkDestinationIP"), Str(r, "EmailSourceIpAddress")),
			Pattern:    Str(r, "ExternalIndicatorId"),
			Confidence: IntP(r, "ConfidenceScore"), Active: Bool(r, "Active"), ThreatType: Str(r, "ThreatType"),
			Description: Str(r, "Description"), Action: Str(r, "Action"), Tags: List(r, "Tags"),
			ValidUntil: Time(r, "ExpirationDateTime"), SourceSystem: Str(r, "SourceSystem"), Columns: Columns(r),
		}
	}
	t := &model.ThreatIndicator{
		Time: Time(r, "TimeGenerated"), ID: Str(r, "Id"), Table: "ThreatIntelIndicators", Value: Str(r, "ObservableValue"),
		Pattern: Str(r, "Pattern"), Confidence: IntP(r, "Confidence"), Active: Bool(r, "IsActive"), Tags: List(r, "Tags"),
		ValidUntil: Time(r, "ValidUntil"), SourceSystem: Str(r, "SourceSystem"), Columns: Columns(r),
	}
	if data, ok := JSON(r, "Data").(map[string]any); ok {
		if labels, ok := data["labels"].([]any); ok && len(labels) > 0 {
			if s, ok := labels[0].(string); ok {
				t.ThreatType = &s
			}
		}
		if d, ok := data["description"].(string); ok && d != "" {
			t.Description = &d
		}
	}
	return t
}
