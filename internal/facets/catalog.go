package facets

// IPFacets are the facets of the IpAddress entity (the full IP summary runs each once).
var IPFacets = []*Facet{
	IPAlerts, IPSignins, IPAzureActivity, IPOfficeActivity, IPCommonSecurityLog,
	IPWindowsLogons, IPLinuxLogons, IPSigninAccounts, IPAzureActivityAccounts, IPOfficeAccounts,
	IPDeviceNetworkInfo, IPHeartbeat, IPVMComputer, IPNetworkInterface,
	IPNetflows, IPNetflowSummary, IPNetworkConnections, IPBookmarks, IPDnsQueries,
}

// All lists every facet, for golden tests and documentation.
var All = append(append([]*Facet{}, IPFacets...),
	AccountSignins, AccountAzureActivity, AccountOfficeActivity, AccountWindowsLogons, AccountLinuxLogons,
	AccountAlerts, AccountBookmarks, AccountSigninActivity, AccountAzureActivitySummary, AccountOfficeActivitySummary,
	AccountProfile, AccountLinksSignins, AccountLinksWindows, AccountLinksDirectory,

	HostWindowsLogons, HostLinuxLogons, HostAlerts, HostWindowsProcesses, HostLinuxProcesses,
	HostWindowsScheduledTasks, HostLinuxScheduledTasks, HostWindowsAccountChanges, HostLinuxAccountChanges,
	HostWindowsNotableEvents, HostLinuxNotableEvents, HostWindowsEventSummary, HostLinuxEventSummary,
	HostHeartbeat, HostVMComputer, HostNetworkInterface, HostDeviceInfo, HostDeviceNetworkInfo,
	HostNetflows, HostNetworkConnections, HostBookmarks, HostLinksDeviceInfo, HostLinksHeartbeat, HostLinksVMComputer,

	AlertByID, AlertQueue,

	IPNonInteractiveSignins, AccountNonInteractiveSignins, IPIdentityLogons, AccountIdentityLogons, HostIdentityLogons,
	IPDeviceLogons, AccountDeviceLogons, HostDeviceLogons,

	IPThreatIntel, IPThreatIntelLegacy, IPResolvedNames,
)

func init() {
	All = append(All, IPTimeline...)
	All = append(All, AccountTimeline...)
	All = append(All, HostTimeline...)
}
