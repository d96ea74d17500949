package resolvers

import (
	"entitygraph/graph/model"
	"entitygraph/internal/facets"
)

// decoderUse ties a row decoder to the facets whose rows it reads.
// TestDecodersReadWhatTheirFacetsProject holds every decoder to the
// columns its facets return, so no field is silently null for want of a
// projected column.
type decoderUse struct {
	name   string
	facets []*facets.Facet
	decode func(row)
}

var decoderUses = []decoderUse{
	{"alert", []*facets.Facet{facets.IPAlerts, facets.AccountAlerts, facets.HostAlerts, facets.AlertByID, facets.AlertQueue},
		func(r row) { alertFromRow(r, model.Span{}) }},
	{"signin", []*facets.Facet{facets.IPSignins, facets.AccountSignins, facets.IPNonInteractiveSignins, facets.AccountNonInteractiveSignins},
		func(r row) { signinFromRow(r, model.Span{}) }},
	{"azureActivity", []*facets.Facet{facets.IPAzureActivity, facets.AccountAzureActivity}, func(r row) { azureActivityFromRow(r, model.Span{}) }},
	{"officeActivity", []*facets.Facet{facets.IPOfficeActivity, facets.AccountOfficeActivity}, func(r row) { officeActivityFromRow(r, model.Span{}) }},
	{"commonSecurityLog", []*facets.Facet{facets.IPCommonSecurityLog}, func(r row) { commonSecurityLogFromRow(r) }},
	{"heartbeat", []*facets.Facet{facets.IPHeartbeat, facets.HostHeartbeat}, func(r row) { heartbeatFromRow(r, model.Span{}) }},
	{"vmComputer", []*facets.Facet{facets.IPVMComputer, facets.HostVMComputer}, func(r row) { vmComputerFromRow(r, model.Span{}) }},
	{"networkInterface", []*facets.Facet{facets.IPNetworkInterface, facets.HostNetworkInterface}, func(r row) { networkInterfaceFromRow(r, model.Span{}) }},
	{"netflow", []*facets.Facet{facets.IPNetflows, facets.HostNetflows}, func(r row) { netflowFromRow(r) }},
	{"netflowSummary", []*facets.Facet{facets.IPNetflowSummary}, func(r row) { netflowSummaryFromRow(r) }},
	{"networkConnection", []*facets.Facet{facets.IPNetworkConnections, facets.HostNetworkConnections}, func(r row) { networkConnectionFromRow(r, model.Span{}) }},
	{"bookmark", []*facets.Facet{facets.IPBookmarks, facets.AccountBookmarks, facets.HostBookmarks}, func(r row) { bookmarkFromRow(r) }},
	{"dnsQuery", []*facets.Facet{facets.IPDnsQueries}, func(r row) { dnsQueryFromRow(r) }},
	{"windowsHostEvent", []*facets.Facet{facets.HostWindowsProcesses, facets.HostWindowsScheduledTasks, facets.HostWindowsAccountChanges, facets.HostWindowsNotableEvents},
		func(r row) { hostEventFromRow(r, model.OsFamilyWindows, model.Span{}) }},
	{"linuxHostEvent", []*facets.Facet{facets.HostLinuxProcesses, facets.HostLinuxScheduledTasks, facets.HostLinuxAccountChanges, facets.HostLinuxNotableEvents},
		func(r row) { hostEventFromRow(r, model.OsFamilyLinux, model.Span{}) }},
	{"identityLogon", []*facets.Facet{facets.IPIdentityLogons, facets.AccountIdentityLogons, facets.HostIdentityLogons}, func(r row) { identityLogonFromRow(r, model.Span{}) }},
	{"deviceLogon", []*facets.Facet{facets.IPDeviceLogons, facets.AccountDeviceLogons, facets.HostDeviceLogons}, func(r row) { deviceLogonFromRow(r, model.Span{}) }},
	{"threatIndicator", []*facets.Facet{facets.IPThreatIntel}, func(r row) { threatIndicatorFromRow(r, false) }},
	{"threatIndicatorLegacy", []*facets.Facet{facets.IPThreatIntelLegacy}, func(r row) { threatIndicatorFromRow(r, true) }},
}
