// Row → model conversions shared by every entity.

package resolvers

import (
	"sort"
	"strings"

	"entitygraph/graph/model"
	"entitygraph/internal/entitykey"
	"entitygraph/internal/ipclass"
)

func accountRef(name *string, span model.Span) *model.Account {
	if name == nil {
		return nil
	}
	return &model.Account{Name: strings.ToLower(*name), Span: span}
}

func hostRef(name *string, span model.Span) *model.Host {
	if name == nil {
		return nil
	}
	return &model.Host{Name: HostKey(*name), Span: span}
}

// HostKey is a host's canonical key (entitykey.Host), so that
// "WEB-VM-01.contoso.local" (MDE) and "web-vm-01" (Heartbeat) are one host.
func HostKey(name string) string { return entitykey.Host(strings.TrimSpace(name)) }

var severities = map[string]model.Severity{
	"informational": model.SeverityInformational, "low": model.SeverityLow,
	"medium": model.SeverityMedium, "high": model.SeverityHigh,
}

func alertFromRow(r row, span model.Span) *model.Alert {
	a := &model.Alert{
		SystemAlertID:      strOr(r, "SystemAlertId", ""),
		Name:               str(r, "AlertName"),
		DisplayName:        str(r, "DisplayName"),
		Status:             str(r, "Status"),
		Time:               timep(r, "TimeGenerated"),
		StartTime:          timep(r, "StartTime"),
		EndTime:            timep(r, "EndTime"),
		Provider:           str(r, "ProviderName"),
		Vendor:             str(r, "VendorName"),
		Product:            str(r, "ProductName"),
		Description:        str(r, "Description"),
		Remediation:        str(r, "RemediationSteps"),
		Tactics:            list(r, "Tactics"),
		Techniques:         list(r, "Techniques"),
		CompromisedEntity:  str(r, "CompromisedEntity"),
		ExtendedProperties: jsonValue(r, "ExtendedProperties"),
		RawEntities:        jsonValue(r, "Entities"),
		Columns:            columns(r),
		Span:               span,
		Row:                r,
	}
	if s, ok := severities[strings.ToLower(strOr(r, "AlertSeverity", ""))]; ok {
		a.Severity = &s
	}
	return a
}

func signinFromRow(r row, span model.Span) *model.Signin {
	return &model.Signin{
		Time:                    timep(r, "TimeGenerated"),
		Account:                 accountRef(str(r, "UserPrincipalName"), span),
		UserPrincipalName:       str(r, "UserPrincipalName"),
		UserDisplayName:         str(r, "UserDisplayName"),
		AppDisplayName:          str(r, "AppDisplayName"),
		ResourceDisplayName:     str(r, "ResourceDisplayName"),
		ResultType:              str(r, "ResultType"),
		ResultDescription:       str(r, "ResultDescription"),
		Success:                 strOr(r, "ResultType", "") == "0",
		IPAddress:               str(r, "IPAddress"),
		City:                    nested(r, "LocationDetails", "city"),
		State:                   nested(r, "LocationDetails", "state"),
		CountryOrRegion:         nested(r, "LocationDetails", "countryOrRegion"),
		ClientAppUsed:           str(r, "ClientAppUsed"),
		UserAgent:               str(r, "UserAgent"),
		ConditionalAccessStatus: str(r, "ConditionalAccessStatus"),
		RiskLevelDuringSignIn:   str(r, "RiskLevelDuringSignIn"),
		Columns:                 columns(r),
	}
}

// nested reads a string field of a dynamic object column.
func nested(r row, col, field string) *string {
	if m, ok := jsonValue(r, col).(map[string]any); ok {
		if s, ok := m[field].(string); ok && s != "" {
			return &s
		}
	}
	return nil
}

func azureActivityFromRow(r row, span model.Span) *model.AzureActivityEvent {
	return &model.AzureActivityEvent{
		Time:             timep(r, "TimeGenerated"),
		Account:          accountRef(str(r, "Caller"), span),
		Caller:           str(r, "Caller"),
		OperationName:    firstOf(r, "OperationNameValue", "OperationName"),
		ResourceProvider: firstOf(r, "ResourceProviderValue", "ResourceProvider"),
		ResourceGroup:    str(r, "ResourceGroup"),
		ResourceID:       firstOf(r, "_ResourceId", "ResourceId"),
		Category:         firstOf(r, "CategoryValue", "Category"),
		Status:           firstOf(r, "ActivityStatusValue", "ActivityStatus"),
		CallerIPAddress:  str(r, "CallerIpAddress"),
		Columns:          columns(r),
	}
}

func firstOf(r row, cols ...string) *string {
	for _, c := range cols {
		if s := str(r, c); s != nil {
			return s
		}
	}
	return nil
}

func officeActivityFromRow(r row, span model.Span) *model.OfficeActivityEvent {
	return &model.OfficeActivityEvent{
		Time:         timep(r, "TimeGenerated"),
		Account:      accountRef(str(r, "UserId"), span),
		UserID:       str(r, "UserId"),
		Operation:    str(r, "Operation"),
		Workload:     str(r, "OfficeWorkload"),
		RecordType:   str(r, "RecordType"),
		ResultStatus: str(r, "ResultStatus"),
		ClientIP:     firstOf(r, "ClientIP", "Client_IPAddress", "ActorIpAddress"),
		ObjectID:     str(r, "OfficeObjectId"),
		Columns:      columns(r),
	}
}

func commonSecurityLogFromRow(r row) *model.CommonSecurityLogEvent {
	return &model.CommonSecurityLogEvent{
		Time:            timep(r, "TimeGenerated"),
		DeviceVendor:    str(r, "DeviceVendor"),
		DeviceProduct:   str(r, "DeviceProduct"),
		Activity:        str(r, "Activity"),
		DeviceAction:    str(r, "DeviceAction"),
		SourceIP:        str(r, "SourceIP"),
		SourcePort:      intp(r, "SourcePort"),
		DestinationIP:   str(r, "DestinationIP"),
		DestinationPort: intp(r, "DestinationPort"),
		Protocol:        str(r, "Protocol"),
		RequestURL:      str(r, "RequestURL"),
		Computer:        str(r, "Computer"),
		Columns:         columns(r),
	}
}

func heartbeatFromRow(r row, span model.Span) *model.Heartbeat {
	var version *string
	if maj := str(r, "OSMajorVersion"); maj != nil {
		v := *maj
		if min := str(r, "OSMinorVersion"); min != nil {
			v += "." + *min
		}
		version = &v
	}
	return &model.Heartbeat{
		Time:            timep(r, "TimeGenerated"),
		Host:            hostRef(str(r, "Computer"), span),
		Computer:        str(r, "Computer"),
		ComputerIP:      str(r, "ComputerIP"),
		OsType:          str(r, "OSType"),
		OsName:          str(r, "OSName"),
		OsVersion:       version,
		Environment:     str(r, "ComputerEnvironment"),
		ResourceID:      str(r, "ResourceId"),
		ResourceGroup:   str(r, "ResourceGroup"),
		SubscriptionID:  str(r, "SubscriptionId"),
		VMUUID:          str(r, "VMUUID"),
		AgentVersion:    str(r, "Version"),
		Solutions:       str(r, "Solutions"),
		RemoteIPCountry: str(r, "RemoteIPCountry"),
		Columns:         columns(r),
	}
}

func vmComputerFromRow(r row, span model.Span) *model.VMComputer {
	return &model.VMComputer{
		Time:            timep(r, "TimeGenerated"),
		Host:            hostRef(str(r, "Computer"), span),
		Computer:        str(r, "Computer"),
		OsFamily:        str(r, "OperatingSystemFamily"),
		OsFullName:      str(r, "OperatingSystemFullName"),
		AgentID:         str(r, "AgentId"),
		AzureVMID:       str(r, "AzureVmId"),
		SubscriptionID:  str(r, "AzureSubscriptionId"),
		ResourceGroup:   str(r, "AzureResourceGroup"),
		HostingProvider: str(r, "HostingProvider"),
		VMType:          str(r, "VirtualMachineType"),
		ResourceID:      str(r, "_ResourceId"),
		Ipv4Addresses:   list(r, "Ipv4Addresses"),
		Ipv6Addresses:   list(r, "Ipv6Addresses"),
		Columns:         columns(r),
	}
}

// vmName is the last segment of an NSG "subscription/resourcegroup/vm" path.
func vmName(s *string) *string {
	if s == nil {
		return nil
	}
	parts := strings.Split(*s, "/")
	last := parts[len(parts)-1]
	return &last
}

func networkInterfaceFromRow(r row, span model.Span) *model.NetworkInterface {
	vm := str(r, "VirtualMachine_s")
	return &model.NetworkInterface{
		Time:               timep(r, "TimeGenerated"),
		Host:               hostRef(vmName(vm), span),
		VirtualMachine:     vm,
		PrivateIPAddresses: list(r, "PrivateIPAddresses_s"),
		PublicIPAddresses:  list(r, "PublicIPAddresses_s"),
		Subnet:             firstOf(r, "Subnet_s", "Subnet1_s"),
		Region:             firstOf(r, "Region_s", "AzureRegion_s"),
		Columns:            columns(r),
	}
}

func netflowFromRow(r row) *model.Netflow {
	ext := list(r, "PublicIPs_s")
	external := strOr(r, "DestIP_s", "")
	if strOr(r, "FlowDirection_s", "") == "I" {
		external = strOr(r, "SrcIP_s", "")
	}
	if a, err := ipclass.Parse(external); err == nil && !ipclass.IsPrivate(ipclass.Classify(a)) {
		ext = appendDistinct(ext, a.String())
	}
	return &model.Netflow{
		FlowStartTime:   timep(r, "FlowStartTime_t"),
		FlowEndTime:     timep(r, "FlowEndTime_t"),
		FlowType:        str(r, "FlowType_s"),
		VMName:          vmName(str(r, "VM_s")),
		VMIP:            str(r, "VMIP_s"),
		SourceIP:        str(r, "SrcIP_s"),
		DestinationIP:   str(r, "DestIP_s"),
		ExternalIps:     ext,
		DestinationPort: intp(r, "DestPort_d"),
		L4Protocol:      str(r, "L4Protocol_s"),
		L7Protocol:      str(r, "L7Protocol_s"),
		Direction:       str(r, "FlowDirection_s"),
		AllowedInFlows:  intp(r, "AllowedInFlows_d"),
		AllowedOutFlows: intp(r, "AllowedOutFlows_d"),
		DeniedInFlows:   intp(r, "DeniedInFlows_d"),
		DeniedOutFlows:  intp(r, "DeniedOutFlows_d"),
		Columns:         columns(r),
	}
}

func appendDistinct(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	out := append(list, s)
	sort.Strings(out)
	return out
}

func netflowSummaryFromRow(r row) *model.NetflowSummary {
	return &model.NetflowSummary{
		L7Protocol:      strOr(r, "Protocol", "unknown"),
		Direction:       str(r, "Direction"),
		FlowRecords:     intCol(r, "Count"),
		AllowedInFlows:  intCol(r, "AllowedFlows"),
		AllowedOutFlows: intCol(r, "AllowedOutFlows"),
		DeniedInFlows:   intCol(r, "DeniedFlows"),
		DeniedOutFlows:  intCol(r, "DeniedOutFlows"),
		ExternalIps:     list(r, "ExternalIPs"),
		FirstFlow:       timep(r, "FirstSeen"),
		LastFlow:        timep(r, "LastSeen"),
	}
}

func networkConnectionFromRow(r row, span model.Span) *model.NetworkConnectionSummary {
	return &model.NetworkConnectionSummary{
		Host:                        hostRef(str(r, "DeviceName"), span),
		LocalIP:                     str(r, "LocalIP"),
		RemoteIP:                    str(r, "RemoteIP"),
		RemotePort:                  intp(r, "RemotePort"),
		ActionType:                  str(r, "ActionType"),
		InitiatingProcessAccount:    str(r, "InitiatingProcessAccountName"),
		InitiatingProcessFolderPath: str(r, "InitiatingProcessFolderPath"),
		InitiatingProcessSha256:     str(r, "InitiatingProcessSHA256"),
		RemoteUrls:                  list(r, "RemoteUrls"),
		Count:                       intCol(r, "Count"),
		FirstSeen:                   timep(r, "FirstSeen"),
		LastSeen:                    timep(r, "LastSeen"),
	}
}

func bookmarkFromRow(r row) *model.Bookmark {
	return &model.Bookmark{
		ID:             str(r, "BookmarkId"),
		Name:           str(r, "BookmarkName"),
		Time:           timep(r, "TimeGenerated"),
		CreatedBy:      str(r, "CreatedBy"),
		Notes:          str(r, "Notes"),
		Tags:           str(r, "Tags"),
		QueryText:      str(r, "QueryText"),
		QueryResultRow: jsonValue(r, "QueryResultRow"),
		Columns:        columns(r),
	}
}

func dnsQueryFromRow(r row) *model.DNSQuery {
	return &model.DNSQuery{
		Time:        timep(r, "TimeGenerated"),
		Name:        str(r, "Name"),
		ClientIP:    str(r, "ClientIP"),
		IPAddresses: list(r, "IPAddresses"),
		QueryType:   str(r, "QueryType"),
		ResultCode:  intp(r, "ResultCode"),
		Computer:    str(r, "Computer"),
		Columns:     columns(r),
	}
}
