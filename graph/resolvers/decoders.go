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
	decode func(row) // one decoder for each facet's rows
	// combine reads the facets' rows together, one list per facet in order
	// (instead of decode).
	combine func([][]row)
}

// exportedOnly lists columns real exports carry that the table reference
// does not document; decoders of whole rows may read them (Heartbeat's
// SourceComputerId: msticpy's and msticnb's host_hb test exports).
var exportedOnly = map[string][]string{"Heartbeat": {"SourceComputerId"}}

var decoderUses = []decoderUse{
	{"alert", []*facets.Facet{facets.IPAlerts, facets.AccountAlerts, facets.HostAlerts, facets.AlertByID, facets.AlertQueue},
		func(r row) { alertFromRow(r, model.Span{}) }, nil},
	{"signin", []*facets.Facet{facets.IPSignins, facets.AccountSignins, facets.IPNonInteractiveSignins, facets.AccountNonInteractiveSignins},
		func(r row) { signinFromRow(r, model.Span{}) }, nil},
	{"azureActivity", []*facets.Facet{facets.IPAzureActivity, facets.AccountAzureActivity}, func(r row) { azureActivityFromRow(r, model.Span{}) }, nil},
	{"officeActivity", []*facets.Facet{facets.IPOfficeActivity, facets.AccountOfficeActivity}, func(r row) { officeActivityFromRow(r, model.Span{}) }, nil},
	{"commonSecurityLog", []*facets.Facet{facets.IPCommonSecurityLog}, func(r row) { commonSecurityLogFromRow(r) }, nil},
	{"heartbeat", []*facets.Facet{facets.IPHeartbeat, facets.HostHeartbeat}, func(r row) { heartbeatFromRow(r, model.Span{}) }, nil},
	{"vmComputer", []*facets.Facet{facets.IPVMComputer, facets.HostVMComputer}, func(r row) { vmComputerFromRow(r, model.Span{}) }, nil},
	{"networkInterface", []*facets.Facet{facets.IPNetworkInterface, facets.HostNetworkInterface}, func(r row) { networkInterfaceFromRow(r, model.Span{}) }, nil},
	{"netflow", []*facets.Facet{facets.IPNetflows, facets.HostNetflows}, func(r row) { netflowFromRow(r) }, nil},
	{"netflowSummary", []*facets.Facet{facets.IPNetflowSummary}, func(r row) { netflowSummaryFromRow(r) }, nil},
	{"networkConnection", []*facets.Facet{facets.IPNetworkConnections, facets.HostNetworkConnections}, func(r row) { networkConnectionFromRow(r, model.Span{}) }, nil},
	{"bookmark", []*facets.Facet{facets.IPBookmarks, facets.AccountBookmarks, facets.HostBookmarks}, func(r row) { bookmarkFromRow(r) }, nil},
	{"dnsQuery", []*facets.Facet{facets.IPDnsQueries}, func(r row) { dnsQueryFromRow(r) }, nil},
	{"windowsHostEvent", []*facets.Facet{facets.HostWindowsProcesses, facets.HostWindowsScheduledTasks, facets.HostWindowsAccountChanges, facets.HostWindowsNotableEvents},
		func(r row) { hostEventFromRow(r, model.OsFamilyWindows, model.Span{}) }, nil},
	{"linuxHostEvent", []*facets.Facet{facets.HostLinuxProcesses, facets.HostLinuxScheduledTasks, facets.HostLinuxAccountChanges, facets.HostLinuxNotableEvents},
		func(r row) { hostEventFromRow(r, model.OsFamilyLinux, model.Span{}) }, nil},
	{"identityLogon", []*facets.Facet{facets.IPIdentityLogons, facets.AccountIdentityLogons, facets.HostIdentityLogons}, func(r row) { identityLogonFromRow(r, model.Span{}) }, nil},
	{"deviceLogon", []*facets.Facet{facets.IPDeviceLogons, facets.AccountDeviceLogons, facets.HostDeviceLogons}, func(r row) { deviceLogonFromRow(r, model.Span{}) }, nil},
	{"threatIndicator", []*facets.Facet{facets.IPThreatIntel}, func(r row) { threatIndicatorFromRow(r, false) }, nil},
	{"threatIndicatorLegacy", []*facets.Facet{facets.IPThreatIntelLegacy}, func(r row) { threatIndicatorFromRow(r, true) }, nil},
	{"ipHostLogon", []*facets.Facet{facets.IPWindowsLogons, facets.IPLinuxLogons}, func(r row) { ipHostLogonFromRow(r, model.OsFamilyWindows, model.Span{}) }, nil},
	{"foldLogons", []*facets.Facet{facets.IPWindowsLogons, facets.IPLinuxLogons}, func(r row) { foldLogons([]row{r}, model.AccountSourceWindowsLogon, model.Span{}) }, nil},
	{"relatedAccount", []*facets.Facet{facets.IPSigninAccounts, facets.IPAzureActivityAccounts, facets.IPOfficeAccounts},
		func(r row) { relatedAccountFromRow(r, model.AccountSourceSigninLogs, model.Span{}) }, nil},
	{"activitySummary", accountActivity, func(r row) { activitySummaryFromRow(r, model.AccountSourceSigninLogs, model.Span{}) }, nil},
	{"accountLogonSummaries", accountLogons, nil, func(rows [][]row) { logonSummaries(rows, model.Span{}) }},
	{"hostLogonSummaries", []*facets.Facet{facets.HostWindowsLogons, facets.HostLinuxLogons}, nil, func(rows [][]row) { logonSummaries(rows, model.Span{}) }},
	{"hostAddresses", hostAddressFacets, nil, func(rows [][]row) { hostAddressesFrom(rows, model.Span{}) }},
	{"hostSightings", ownerFacets, nil, func(rows [][]row) { sightings(rows, model.Span{}) }},
	{"hostProfile", profileFacets, nil, func(rows [][]row) {
		p := &hostProfile{}
		for i, dst := range []*row{&p.heartbeat, &p.vm, &p.device} {
			if len(rows[i]) > 0 {
				*dst = rows[i][0]
			}
		}
		for _, read := range []func(*hostProfile) *string{(*hostProfile).fqdn, (*hostProfile).osFamily, (*hostProfile).osVersion,
			(*hostProfile).azureResourceID, (*hostProfile).agentID, (*hostProfile).mdeDeviceID, (*hostProfile).environment} {
			read(p)
		}
	}},
}
