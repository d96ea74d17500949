package facets

// The Host facets (msticnb HostSummary, shared/reference/msticnb-inventory.md §3.3).
// Keys are lower-cased short host names: "WIN-FS01.contoso.local" and
// "win-fs01" are one host.

func hostKey(col string) KeyMatch { return KeyMatch{Values: []Expr{ShortName(Col(col))}} }

// alertHostForms are the short names of every host entity in an alert.
var alertHostForms = []Expr{
	If(Eq(Lower(Elem("Type")), Str("host")), ShortName(Elem("HostName")), Str("")),
	If(Eq(Lower(Elem("Type")), Str("host")), ShortName(Elem("FQDN")), Str("")),
}

var (
	windowsAccountChangeIDs = []int64{4720, 4722, 4723, 4724, 4725, 4726, 4727, 4728, 4731, 4732, 4738, 4740, 4754, 4756, 4767}
	linuxAccountTools       = []string{"useradd", "usermod", "userdel", "groupadd", "groupmod", "groupdel", "gpasswd", "passwd", "chpasswd", "adduser", "deluser"}
)

// Host facets, by GraphQL field.
var (
	HostWindowsLogons = &Facet{
		Name: "host.logons.windows", Source: "SecurityEvent", Table: "SecurityEvent", Time: "TimeGenerated",
		Keys:    hostKey("Computer"),
		Extend:  windowsLogonExtend,
		Where:   []Expr{InInt(Col("EventID"), 4624, 4625)},
		Kind:    Summary,
		Summary: hostLogonSummary,
	}
	HostLinuxLogons = &Facet{
		Name: "host.logons.linux", Source: "Syslog", Table: "Syslog", Time: "TimeGenerated",
		Keys:    hostKey("Computer"),
		Extend:  linuxLogonExtend,
		Where:   linuxLogonWhere,
		Kind:    Summary,
		Summary: hostLogonSummary,
	}
	HostAlerts = &Facet{
		Name: "host.alerts", Source: "SecurityAlert", Table: "SecurityAlert", Time: "TimeGenerated",
		Keys:    KeyMatch{Values: []Expr{ShortName(Col("CompromisedEntity"))}, Arrays: []ArrayElement{{Column: "Entities", Forms: alertHostForms}}},
		Kind:    Events,
		Columns: IPAlerts.Columns,
	}
	HostWindowsProcesses = &Facet{
		Name: "host.processes.windows", Source: "SecurityEvent", Table: "SecurityEvent", Time: "TimeGenerated",
		Keys:    hostKey("Computer"),
		Where:   []Expr{Eq(Col("EventID"), Int(4688))},
		Kind:    Events,
		Columns: windowsEvent("NewProcessId", "ProcessId", "TokenElevationType"),
	}
	// Sysmon for Linux logs process creation (EventID 1) as XML in Syslog.
	HostLinuxProcesses = &Facet{
		Name: "host.processes.linux", Source: "Syslog", Table: "Syslog", Time: "TimeGenerated",
		Keys:    hostKey("Computer"),
		Where:   []Expr{Eq(Lower(Col("ProcessName")), Str("sysmon")), Contains(Col("SyslogMessage"), "<EventID>1</EventID>")},
		Kind:    Events,
		Columns: []string{"Computer", "ProcessName", "SyslogMessage"},
	}
	HostWindowsScheduledTasks = &Facet{
		Name: "host.scheduledTasks.windows", Source: "SecurityEvent", Table: "SecurityEvent", Time: "TimeGenerated",
		Keys:    hostKey("Computer"),
		Where:   []Expr{InInt(Col("EventID"), 4697, 4698, 4700, 4702)},
		Kind:    Events,
		Columns: windowsEvent("ServiceName", "ServiceFileName", "EventData"),
	}
	HostLinuxScheduledTasks = &Facet{
		Name: "host.scheduledTasks.linux", Source: "Syslog", Table: "Syslog", Time: "TimeGenerated",
		Keys:    hostKey("Computer"),
		Where:   []Expr{Or(InStr(Col("ProcessName"), "CRON", "cron", "crontab", "crond"), Eq(Col("Facility"), Str("cron")))},
		Kind:    Events,
		Columns: []string{"Computer", "Facility", "ProcessName", "SyslogMessage", "SeverityLevel"},
	}
	HostWindowsAccountChanges = &Facet{
		Name: "host.accountChanges.windows", Source: "SecurityEvent", Table: "SecurityEvent", Time: "TimeGenerated",
		Keys:    hostKey("Computer"),
		Where:   []Expr{InInt(Col("EventID"), windowsAccountChangeIDs...)},
		Kind:    Events,
		Columns: windowsEvent("MemberName", "TargetAccount"),
	}
	HostLinuxAccountChanges = &Facet{
		Name: "host.accountChanges.linux", Source: "Syslog", Table: "Syslog", Time: "TimeGenerated",
		Keys:    hostKey("Computer"),
		Where:   []Expr{InStr(Col("ProcessName"), linuxAccountTools...)},
		Kind:    Events,
		Columns: HostLinuxScheduledTasks.Columns,
	}
	HostWindowsNotableEvents = &Facet{
		Name: "host.notableEvents.windows", Source: "SecurityEvent", Table: "SecurityEvent", Time: "TimeGenerated",
		Keys:    hostKey("Computer"),
		Where:   []Expr{InInt(Col("EventID"), 1102, 4657, 4719, 4794)},
		Kind:    Events,
		Columns: windowsEvent("ObjectName"),
	}
	HostLinuxNotableEvents = &Facet{
		Name: "host.notableEvents.linux", Source: "Syslog", Table: "Syslog", Time: "TimeGenerated",
		Keys:    hostKey("Computer"),
		Where:   []Expr{InStr(Col("SeverityLevel"), "emerg", "alert", "crit")},
		Kind:    Events,
		Columns: HostLinuxScheduledTasks.Columns,
	}
	HostWindowsEventSummary = &Facet{
		Name: "host.eventSummary.windows", Source: "SecurityEvent", Table: "SecurityEvent", Time: "TimeGenerated",
		Keys:    hostKey("Computer"),
		Kind:    Summary,
		Summary: SummarySpec{By: []string{"EventID", "Channel", "Activity"}},
	}
	HostLinuxEventSummary = &Facet{
		Name: "host.eventSummary.linux", Source: "Syslog", Table: "Syslog", Time: "TimeGenerated",
		Keys:    hostKey("Computer"),
		Kind:    Summary,
		Summary: SummarySpec{By: []string{"Facility", "SeverityLevel", "ProcessName"}},
	}
	HostHeartbeat = &Facet{
		Name: "host.heartbeat", Source: "Heartbeat", Table: "Heartbeat", Time: "TimeGenerated",
		Keys: hostKey("Computer"), Kind: Latest,
	}
	HostVMComputer = &Facet{
		Name: "host.vmComputer", Source: "VMComputer", Table: "VMComputer", Time: "TimeGenerated",
		Keys: hostKey("Computer"), Kind: Latest,
		Columns: vmComputerColumns,
	}
	HostNetworkInterface = &Facet{
		Name: "host.networkInterface", Source: "AzureNetworkAnalytics_CL", Table: "AzureNetworkAnalytics_CL", Time: "TimeGenerated",
		Keys:    KeyMatch{Values: []Expr{ShortName(LastSegment(Col("VirtualMachine_s"), "/"))}},
		Where:   IPNetworkInterface.Where,
		Kind:    Latest,
		Columns: networkInterfaceColumns,
	}
	HostDeviceInfo = &Facet{
		Name: "host.deviceInfo", Source: "DeviceInfo", Table: "DeviceInfo", Time: "TimeGenerated",
		Keys: hostKey("DeviceName"), Kind: Latest,
		// What a host's profile and addresses read of a DeviceInfo row.
		Columns: []string{"TimeGenerated", "DeviceName", "DeviceId", "OSPlatform", "OSVersion", "PublicIP"},
	}
	HostDeviceNetworkInfo = &Facet{
		Name: "host.deviceNetworkInfo", Source: "DeviceNetworkInfo", Table: "DeviceNetworkInfo", Time: "TimeGenerated",
		Keys:    hostKey("DeviceName"),
		Extend:  []Named{{"Adapter", Col("NetworkAdapterName")}, {"Addresses", ToString(Col("IPAddresses"))}},
		Kind:    Summary,
		Summary: SummarySpec{By: []string{"DeviceId", "Adapter", "Addresses"}},
	}
	HostNetflows = &Facet{
		Name: "host.netflows", Source: "AzureNetworkAnalytics_CL", Table: "AzureNetworkAnalytics_CL", Time: "FlowStartTime_t",
		Keys:    KeyMatch{Values: []Expr{ShortName(LastSegment(Col("VM_s"), "/"))}},
		Where:   flowWhere,
		Kind:    Events,
		Columns: IPNetflows.Columns,
	}
	HostNetworkConnections = &Facet{
		Name: "host.networkConnections", Source: "DeviceNetworkEvents", Table: "DeviceNetworkEvents", Time: "TimeGenerated",
		Keys:    hostKey("DeviceName"),
		Kind:    Summary,
		Summary: IPNetworkConnections.Summary,
	}
	HostBookmarks = &Facet{
		Name: "host.bookmarks", Source: "HuntingBookmark", Table: "HuntingBookmark", Time: "TimeGenerated",
		Keys:    KeyMatch{Values: []Expr{ShortName(JSONString(Col("QueryResultRow"), "Computer")), ShortName(JSONString(Col("QueryResultRow"), "HostName"))}},
		Where:   IPBookmarks.Where,
		Kind:    Events,
		Columns: IPBookmarks.Columns,
	}
)

// windowsEvent is the columns of a host's Windows security events: what
// every HostEvent reads (the actor, the target account, the process), and
// the facet's own.
func windowsEvent(own ...string) []string {
	return append([]string{"Computer", "EventID", "Activity", "SubjectUserName", "SubjectDomainName", "Account",
		"TargetUserName", "TargetDomainName", "NewProcessName", "ProcessName", "CommandLine", "ParentProcessName"}, own...)
}
