package facets

// All lists every facet, for golden tests and documentation.
var All = []*Facet{
	IPAlerts, IPSignins, IPAzureActivity, IPOfficeActivity, IPCommonSecurityLog,
	IPWindowsLogons, IPLinuxLogons, IPSigninAccounts, IPAzureActivityAccounts, IPOfficeAccounts,
	IPDeviceNetworkInfo, IPHeartbeat, IPVMComputer, IPNetworkInterface,
	IPNetflows, IPNetflowSummary, IPNetworkConnections, IPBookmarks, IPDnsQueries,
}
