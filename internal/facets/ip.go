package facets

// The IpAddress facets: msticnb IpAddressSummary's log look-ups, each
// applying the request timespan (see shared/reference/msticnb-inventory.md §1).

// sshdLogon matches sshd's "Accepted"/"Failed" lines; group 1 is the result,
// 2 the method, 4 the user. Classes are written out: Kusto's \S is Unicode,
// DuckDB's ASCII, and the two must split a line the same way.
const sshdLogon = `^(Accepted|Failed) ([^ \t\r\n]+) for (invalid user )?([^ \t\r\n]+) from`

// IP facets, by GraphQL field.
var (
	IPAlerts = &Facet{
		Name: "ip.alerts", Source: "SecurityAlert", Table: "SecurityAlert", Time: "TimeGenerated",
		Keys: KeyMatch{
			Texts:  []Expr{JSONString(Col("ExtendedProperties"), "Source IPs"), JSONString(Col("ExtendedProperties"), "Destination IPs")},
			Arrays: []ArrayElement{ElemField("Entities", "Address")},
		},
		Kind:    Events,
		Columns: []string{"SystemAlertId", "AlertName", "DisplayName", "AlertSeverity", "Status", "StartTime", "EndTime", "ProviderName", "VendorName", "ProductName", "Description", "RemediationSteps", "Tactics", "Techniques", "CompromisedEntity", "ExtendedProperties", "Entities"},
	}
	IPSignins = &Facet{
		Name: "ip.signins", Source: "SigninLogs", Table: "SigninLogs", Time: "TimeGenerated",
		Keys: KeyMatch{Columns: []string{"IPAddress"}}, Kind: Events,
		Columns: []string{"UserPrincipalName", "UserDisplayName", "AppDisplayName", "ResourceDisplayName", "ResultType", "ResultDescription", "IPAddress", "LocationDetails", "ClientAppUsed", "UserAgent", "ConditionalAccessStatus", "RiskLevelDuringSignIn"},
	}
	IPAzureActivity = &Facet{
		Name: "ip.azureActivity", Source: "AzureActivity", Table: "AzureActivity", Time: "TimeGenerated",
		Keys: KeyMatch{Columns: []string{"CallerIpAddress"}}, Kind: Events,
		Columns: []string{"Caller", "OperationNameValue", "OperationName", "ResourceProviderValue", "ResourceProvider", "ResourceGroup", "_ResourceId", "ResourceId", "CategoryValue", "Category", "ActivityStatusValue", "ActivityStatus", "CallerIpAddress"},
	}
	// OfficeActivity's client address often carries a port or brackets
	// ("[::ffff:1.2.3.4]:50123"), so the columns are matched by IP token.
	IPOfficeActivity = &Facet{
		Name: "ip.officeActivity", Source: "OfficeActivity", Table: "OfficeActivity", Time: "TimeGenerated",
		Keys:    KeyMatch{Texts: []Expr{Col("ClientIP"), Col("Client_IPAddress"), Col("ActorIpAddress")}},
		Kind:    Events,
		Columns: []string{"UserId", "Operation", "OfficeWorkload", "RecordType", "ResultStatus", "ClientIP", "Client_IPAddress", "ActorIpAddress", "OfficeObjectId"},
	}
	IPCommonSecurityLog = &Facet{
		Name: "ip.commonSecurityLog", Source: "CommonSecurityLog", Table: "CommonSecurityLog", Time: "TimeGenerated",
		Keys: KeyMatch{Columns: []string{"SourceIP", "DestinationIP"}}, Kind: Events,
		Columns: []string{"DeviceVendor", "DeviceProduct", "Activity", "DeviceAction", "SourceIP", "SourcePort", "DestinationIP", "DestinationPort", "Protocol", "RequestURL", "Computer"},
	}
	IPWindowsLogons = &Facet{
		Name: "ip.hostLogons.windows", Source: "SecurityEvent", Table: "SecurityEvent", Time: "TimeGenerated",
		Keys: KeyMatch{Columns: []string{"IpAddress"}},
		Extend: []Named{
			{"Host", Col("Computer")},
			{"LogonAccount", Coalesce(Col("Account"), Concat(Col("TargetDomainName"), Str(`\`), Col("TargetUserName")))},
			{"Result", If(Eq(Col("EventID"), Int(4624)), Str("SUCCESS"), Str("FAILURE"))},
			{"LogonKind", Coalesce(Col("LogonTypeName"), ToString(Col("LogonType")))},
		},
		Where:   []Expr{InInt(Col("EventID"), 4624, 4625)},
		Kind:    Summary,
		Summary: SummarySpec{By: []string{"Host", "LogonAccount", "LogonKind", "Result"}},
	}
	IPLinuxLogons = &Facet{
		Name: "ip.hostLogons.linux", Source: "Syslog", Table: "Syslog", Time: "TimeGenerated",
		Keys: KeyMatch{Texts: []Expr{Col("SyslogMessage")}},
		Extend: []Named{
			{"Host", Col("Computer")},
			{"LogonAccount", Extract(sshdLogon, 4, Col("SyslogMessage"))},
			{"Result", If(Eq(Extract(sshdLogon, 1, Col("SyslogMessage")), Str("Accepted")), Str("SUCCESS"), Str("FAILURE"))},
			{"LogonKind", Concat(Extract(sshdLogon, 2, Col("SyslogMessage")), Str(" ("), Col("ProcessName"), Str(")"))},
		},
		Where: []Expr{
			InStr(Col("Facility"), "auth", "authpriv"),
			Not(IsEmpty(Extract(sshdLogon, 1, Col("SyslogMessage")))),
		},
		Kind:    Summary,
		Summary: SummarySpec{By: []string{"Host", "LogonAccount", "LogonKind", "Result"}},
	}
	IPSigninAccounts = &Facet{
		Name: "ip.relatedAccounts.signins", Source: "SigninLogs", Table: "SigninLogs", Time: "TimeGenerated",
		Keys:    KeyMatch{Columns: []string{"IPAddress"}},
		Extend:  []Named{{"AccountName", Lower(Col("UserPrincipalName"))}, {"Detail", Col("AppDisplayName")}, {"Failed", Ne(Col("ResultType"), Str("0"))}},
		Where:   []Expr{Not(IsEmpty(Col("UserPrincipalName")))},
		Kind:    Summary,
		Summary: SummarySpec{By: []string{"AccountName"}, Aggs: []Agg{{"Failures", "countif", Col("Failed")}, {"Details", "make_set", Col("Detail")}}},
	}
	IPAzureActivityAccounts = &Facet{
		Name: "ip.relatedAccounts.azureActivity", Source: "AzureActivity", Table: "AzureActivity", Time: "TimeGenerated",
		Keys:    KeyMatch{Columns: []string{"CallerIpAddress"}},
		Extend:  []Named{{"AccountName", Lower(Col("Caller"))}, {"Detail", Col("ResourceProviderValue")}, {"Failed", Eq(Col("ActivityStatusValue"), Str("Failure"))}},
		Where:   []Expr{Not(IsEmpty(Col("Caller")))},
		Kind:    Summary,
		Summary: SummarySpec{By: []string{"AccountName"}, Aggs: []Agg{{"Failures", "countif", Col("Failed")}, {"Details", "make_set", Col("Detail")}}},
	}
	IPOfficeAccounts = &Facet{
		Name: "ip.relatedAccounts.officeActivity", Source: "OfficeActivity", Table: "OfficeActivity", Time: "TimeGenerated",
		Keys:    IPOfficeActivity.Keys,
		Extend:  []Named{{"AccountName", Lower(Col("UserId"))}, {"Detail", Col("OfficeWorkload")}, {"Failed", Eq(Col("ResultStatus"), Str("Failed"))}},
		Where:   []Expr{Not(IsEmpty(Col("UserId")))},
		Kind:    Summary,
		Summary: SummarySpec{By: []string{"AccountName"}, Aggs: []Agg{{"Failures", "countif", Col("Failed")}, {"Details", "make_set", Col("Detail")}}},
	}
	IPDeviceNetworkInfo = &Facet{
		Name: "ip.hosts.deviceNetworkInfo", Source: "DeviceNetworkInfo", Table: "DeviceNetworkInfo", Time: "TimeGenerated",
		Keys:    KeyMatch{Arrays: []ArrayElement{ElemField("IPAddresses", "IPAddress")}},
		Kind:    Summary,
		Summary: SummarySpec{By: []string{"DeviceName", "DeviceId"}, Aggs: []Agg{{"Adapters", "make_set", Col("NetworkAdapterName")}}},
	}
	IPHeartbeat = &Facet{
		Name: "ip.heartbeat", Source: "Heartbeat", Table: "Heartbeat", Time: "TimeGenerated",
		Keys: KeyMatch{Columns: []string{"ComputerIP"}, Arrays: []ArrayElement{{Column: "ComputerPrivateIPs"}}}, Kind: Latest,
	}
	IPVMComputer = &Facet{
		Name: "ip.vmComputer", Source: "VMComputer", Table: "VMComputer", Time: "TimeGenerated",
		Keys: KeyMatch{Arrays: []ArrayElement{{Column: "Ipv4Addresses"}, {Column: "Ipv6Addresses"}}}, Kind: Latest,
		Columns: vmComputerColumns,
	}
	IPNetworkInterface = &Facet{
		Name: "ip.networkInterface", Source: "AzureNetworkAnalytics_CL", Table: "AzureNetworkAnalytics_CL", Time: "TimeGenerated",
		Keys:    KeyMatch{Texts: []Expr{Col("PrivateIPAddresses_s"), Col("PublicIPAddresses_s")}},
		Where:   []Expr{Eq(Col("ResourceType"), Str("NetworkInterface"))},
		Kind:    Latest,
		Columns: networkInterfaceColumns,
	}
	// vmComputerColumns: what a VMComputer, a host sighting, a host's
	// addresses and its profile read of a VMComputer row.
	vmComputerColumns = []string{"TimeGenerated", "Computer", "OperatingSystemFamily", "OperatingSystemFullName", "AgentId", "AzureVmId",
		"AzureSubscriptionId", "AzureResourceGroup", "HostingProvider", "VirtualMachineType", "_ResourceId", "Ipv4Addresses", "Ipv6Addresses"}
	// networkInterfaceColumns: what a NetworkInterface, a host sighting and
	// a host's addresses read of an NSG interface row.
	networkInterfaceColumns = []string{"TimeGenerated", "VirtualMachine_s", "PrivateIPAddresses_s", "PublicIPAddresses_s", "Subnet_s", "Subnet1_s", "Region_s", "AzureRegion_s"}
	flowWhere               = []Expr{Eq(Col("SubType_s"), Str("FlowLog"))}
	flowKeys                = KeyMatch{Columns: []string{"VMIP_s", "SrcIP_s", "DestIP_s"}, Texts: []Expr{Col("PublicIPs_s")}}
	IPNetflows              = &Facet{
		Name: "ip.netflows", Source: "AzureNetworkAnalytics_CL", Table: "AzureNetworkAnalytics_CL", Time: "FlowStartTime_t",
		Keys: flowKeys, Where: flowWhere, Kind: Events,
		Columns: []string{"FlowStartTime_t", "FlowEndTime_t", "FlowType_s", "VM_s", "VMIP_s", "SrcIP_s", "DestIP_s", "PublicIPs_s", "DestPort_d", "L4Protocol_s", "L7Protocol_s", "FlowDirection_s", "AllowedInFlows_d", "AllowedOutFlows_d", "DeniedInFlows_d", "DeniedOutFlows_d"},
	}
	IPNetflowSummary = &Facet{
		Name: "ip.netflowSummary", Source: "AzureNetworkAnalytics_CL", Table: "AzureNetworkAnalytics_CL", Time: "FlowStartTime_t",
		Keys:  flowKeys,
		Where: flowWhere,
		Extend: []Named{
			{"ExternalIP", If(Eq(Col("FlowDirection_s"), Str("I")), Col("SrcIP_s"), Col("DestIP_s"))},
			{"Protocol", Coalesce(Col("L7Protocol_s"), Str("unknown"))},
			{"Direction", Col("FlowDirection_s")},
		},
		Kind: Summary,
		Summary: SummarySpec{By: []string{"Protocol", "Direction"}, Aggs: []Agg{
			{"AllowedFlows", "sum", Col("AllowedInFlows_d")},
			{"AllowedOutFlows", "sum", Col("AllowedOutFlows_d")},
			{"DeniedFlows", "sum", Col("DeniedInFlows_d")},
			{"DeniedOutFlows", "sum", Col("DeniedOutFlows_d")},
			{"ExternalIPs", "make_set", Col("ExternalIP")},
		}},
	}
	IPNetworkConnections = &Facet{
		Name: "ip.networkConnections", Source: "DeviceNetworkEvents", Table: "DeviceNetworkEvents", Time: "TimeGenerated",
		Keys: KeyMatch{Columns: []string{"RemoteIP"}},
		Kind: Summary,
		Summary: SummarySpec{
			By:   []string{"DeviceName", "LocalIP", "RemoteIP", "RemotePort", "ActionType", "InitiatingProcessAccountName", "InitiatingProcessFolderPath", "InitiatingProcessSHA256"},
			Aggs: []Agg{{"RemoteUrls", "make_set", Col("RemoteUrl")}},
		},
	}
	IPBookmarks = &Facet{
		Name: "ip.bookmarks", Source: "HuntingBookmark", Table: "HuntingBookmark", Time: "TimeGenerated",
		Keys:    KeyMatch{Texts: []Expr{Col("QueryResultRow")}},
		Where:   []Expr{Not(IsTrue(Col("SoftDeleted")))},
		Kind:    Events,
		Columns: []string{"BookmarkId", "BookmarkName", "CreatedBy", "Notes", "Tags", "QueryText", "QueryResultRow"},
	}
	IPDnsQueries = &Facet{
		Name: "ip.dnsQueries", Source: "DnsEvents", Table: "DnsEvents", Time: "TimeGenerated",
		Keys:    KeyMatch{Columns: []string{"ClientIP"}, Texts: []Expr{Col("IPAddresses")}},
		Where:   []Expr{Eq(Col("SubType"), Str("LookupQuery"))},
		Kind:    Events,
		Columns: []string{"Name", "ClientIP", "IPAddresses", "QueryType", "ResultCode", "Computer"},
	}
)
