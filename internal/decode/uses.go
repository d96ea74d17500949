package decode

import (
	"entitygraph/graph/model"
	"entitygraph/internal/facets"
)

// decoderUse ties a Row decoder to the facets whose rows it reads.
// TestDecodersReadWhatTheirFacetsProject holds every decoder to the
// columns its facets return, so no field is silently null for want of a
// projected column.
type decoderUse struct {
	name   string
	facets []*facets.Facet
	decode func(Row) // one decoder for each facet's rows
	// combine reads the facets' rows together, one list per facet in order
	// (instead of decode).
	combine func([][]Row)
}

// exportedOnly lists columns real exports carry that the table reference
// does not document; decoders of whole rows may read them (Heartbeat's
// SourceComputerId: msticpy's and msticnb's host_hb test exports).
var exportedOnly = map[string][]string{"Heartbeat": {"SourceComputerId"}}

var decoderUses = []decoderUse{
	{"alert", []*facets.Facet{facets.IPAlerts, facets.AccountAlerts, facets.HostAlerts, facets.AlertByID, facets.AlertQueue},
		func(r Row) { Alert(r, model.Span{}) }, nil},
	{"signin", []*facets.Facet{facets.IPSignins, facets.AccountSignins, facets.IPNonInteractiveSignins, facets.AccountNonInteractiveSignins},
		func(r Row) { Signin(r, model.Span{}) }, nil},
	{"azureActivity", []*facets.Facet{facets.IPAzureActivity, facets.AccountAzureActivity}, func(r Row) { AzureActivity(r, model.Span{}) }, nil},
	{"officeActivity", []*facets.Facet{facets.IPOfficeActivity, facets.AccountOfficeActivity}, func(r Row) { OfficeActivity(r, model.Span{}) }, nil},
	{"commonSecurityLog", []*facets.Facet{facets.IPCommonSecurityLog}, func(r Row) { CommonSecurityLog(r) }, nil},
	{"heartbeat", []*facets.Facet{facets.IPHeartbeat, facets.HostHeartbeat}, func(r Row) { Heartbeat(r, model.Span{}) }, nil},
	{"vmComputer", []*facets.Facet{facets.IPVMComputer, facets.HostVMComputer}, func(r Row) { VMComputer(r, model.Span{}) }, nil},
	{"networkInterface", []*facets.Facet{facets.IPNetworkInterface, facets.HostNetworkInterface}, func(r Row) { NetworkInterface(r, model.Span{}) }, nil},
	{"netflow", []*facets.Facet{facets.IPNetflows, facets.HostNetflows}, func(r Row) { Netflow(r) }, nil},
	{"netflowSummary", []*facets.Facet{facets.IPNetflowSummary}, func(r Row) { NetflowSummary(r) }, nil},
	{"networkConnection", []*facets.Facet{facets.IPNetworkConnections, facets.HostNetworkConnections}, func(r Row) { NetworkConnection(r, model.Span{}) }, nil},
	{"bookmark", []*facets.Facet{facets.IPBookmarks, facets.AccountBookmarks, facets.HostBookmarks}, func(r Row) { Bookmark(r) }, nil},
	{"dnsQuery", []*facets.Facet{facets.IPDnsQueries}, func(r Row) { DNSQuery(r) }, nil},
	{"windowsHostEvent", []*facets.Facet{facets.HostWindowsProcesses, facets.HostWindowsScheduledTasks, facets.HostWindowsAccountChanges, facets.HostWindowsNotableEvents},
		func(r Row) { HostEvent(r, model.OsFamilyWindows, model.Span{}) }, nil},
	{"linuxHostEvent", []*facets.Facet{facets.HostLinuxProcesses, facets.HostLinuxScheduledTasks, facets.HostLinuxAccountChanges, facets.HostLinuxNotableEvents},
		func(r Row) { HostEvent(r, model.OsFamilyLinux, model.Span{}) }, nil},
	{"identityLogon", []*facets.Facet{facets.IPIdentityLogons, facets.AccountIdentityLogons, facets.HostIdentityLogons}, func(r Row) { IdentityLogon(r, model.Span{}) }, nil},
	{"deviceLogon", []*facets.Facet{facets.IPDeviceLogons, facets.AccountDeviceLogons, facets.HostDeviceLogons}, func(r Row) { DeviceLogon(r, model.Span{}) }, nil},
	{"threatIndicator", []*facets.Facet{facets.IPThreatIntel}, func(r Row) { ThreatIndicator(r, false) }, nil},
	{"threatIndicatorLegacy", []*facets.Facet{facets.IPThreatIntelLegacy}, func(r Row) { ThreatIndicator(r, true) }, nil},
	{"ipHostLogon", []*facets.Facet{facets.IPWindowsLogons, facets.IPLinuxLogons}, func(r Row) { IPHostLogon(r, model.OsFamilyWindows, model.Span{}) }, nil},
	{"foldLogons", []*facets.Facet{facets.IPWindowsLogons, facets.IPLinuxLogons}, func(r Row) { FoldLogons([]Row{r}, model.AccountSourceWindowsLogon, model.Span{}) }, nil},
	{"relatedAccount", []*facets.Facet{facets.IPSigninAccounts, facets.IPAzureActivityAccounts, facets.IPOfficeAccounts},
		func(r Row) { RelatedAccount(r, model.AccountSourceSigninLogs, model.Span{}) }, nil},
	{"activitySummary", AccountActivityFacets, func(r Row) { ActivitySummary(r, model.AccountSourceSigninLogs, model.Span{}) }, nil},
	{"accountLogonSummaries", AccountLogonFacets, nil, func(rows [][]Row) { LogonSummaries(rows, model.Span{}) }},
	{"hostLogonSummaries", []*facets.Facet{facets.HostWindowsLogons, facets.HostLinuxLogons}, nil, func(rows [][]Row) { LogonSummaries(rows, model.Span{}) }},
	{"hostAddresses", AddressFacets, nil, func(rows [][]Row) { HostAddresses(rows, model.Span{}) }},
	{"hostSightings", OwnerFacets, nil, func(rows [][]Row) { Sightings(rows, model.Span{}) }},
	{"HostProfile", ProfileFacets, nil, func(rows [][]Row) {
		p := &HostProfile{}
		for i, dst := range []*Row{&p.HeartbeatRow, &p.VMRow, &p.DeviceRow} {
			if len(rows[i]) > 0 {
				*dst = rows[i][0]
			}
		}
		for _, read := range []func(*HostProfile) *string{(*HostProfile).FQDN, (*HostProfile).OSFamily, (*HostProfile).OSVersion,
			(*HostProfile).AzureResourceID, (*HostProfile).AgentID, (*HostProfile).MDEDeviceID, (*HostProfile).Environment} {
			read(p)
		}
	}},
}
