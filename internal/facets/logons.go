package facets

// Tables several entities read: Entra non-interactive sign-ins, Defender
// for Identity logons (IdentityLogonEvents) and Defender for Endpoint
// device logons (DeviceLogonEvents).

var (
	identityLogonColumns = []string{"ActionType", "Application", "LogonType", "Protocol", "AccountUpn", "AccountName", "AccountDomain",
		"AccountSid", "DeviceName", "DestinationDeviceName", "IPAddress", "DestinationIPAddress", "FailureReason"}
	deviceLogonColumns = []string{"ActionType", "LogonType", "Protocol", "AccountName", "AccountDomain", "AccountSid", "DeviceName",
		"RemoteIP", "RemoteDeviceName", "IsLocalAdmin", "FailureReason"}

	IPNonInteractiveSignins = &Facet{
		Name: "ip.nonInteractiveSignins", Source: "AADNonInteractiveUserSignInLogs", Table: "AADNonInteractiveUserSignInLogs", Time: "TimeGenerated",
		Keys: KeyMatch{Columns: []string{"IPAddress"}}, Kind: Events, Columns: IPSignins.Columns,
	}
	AccountNonInteractiveSignins = &Facet{
		Name: "account.nonInteractiveSignins", Source: "AADNonInteractiveUserSignInLogs", Table: "AADNonInteractiveUserSignInLogs", Time: "TimeGenerated",
		Keys: AccountSignins.Keys, Kind: Events, Columns: IPSignins.Columns,
	}
	IPIdentityLogons = &Facet{
		Name: "ip.identityLogons", Source: "IdentityLogonEvents", Table: "IdentityLogonEvents", Time: "TimeGenerated",
		Keys: KeyMatch{Columns: []string{"IPAddress", "DestinationIPAddress"}}, Kind: Events, Columns: identityLogonColumns,
	}
	AccountIdentityLogons = &Facet{
		Name: "account.identityLogons", Source: "IdentityLogonEvents", Table: "IdentityLogonEvents", Time: "TimeGenerated",
		Keys: KeyMatch{Values: []Expr{
			Lower(Col("AccountUpn")), Lower(Col("AccountObjectId")), Lower(Col("AccountSid")), Lower(Col("AccountName")),
			Lower(Concat(ShortName(Col("AccountDomain")), Str(`\`), Col("AccountName"))),
		}},
		Kind: Events, Columns: identityLogonColumns,
	}
	HostIdentityLogons = &Facet{
		Name: "host.identityLogons", Source: "IdentityLogonEvents", Table: "IdentityLogonEvents", Time: "TimeGenerated",
		Keys: KeyMatch{Values: []Expr{ShortName(Col("DeviceName")), ShortName(Col("DestinationDeviceName"))}},
		Kind: Events, Columns: identityLogonColumns,
	}
	IPDeviceLogons = &Facet{
		Name: "ip.deviceLogons", Source: "DeviceLogonEvents", Table: "DeviceLogonEvents", Time: "TimeGenerated",
		Keys: KeyMatch{Columns: []string{"RemoteIP"}}, Kind: Events, Columns: deviceLogonColumns,
	}
	AccountDeviceLogons = &Facet{
		Name: "account.deviceLogons", Source: "DeviceLogonEvents", Table: "DeviceLogonEvents", Time: "TimeGenerated",
		Keys: KeyMatch{Values: []Expr{
			Lower(Col("AccountName")), Lower(Concat(Col("AccountDomain"), Str(`\`), Col("AccountName"))), Lower(Col("AccountSid")),
		}},
		Kind: Events, Columns: deviceLogonColumns,
	}
	HostDeviceLogons = &Facet{
		Name: "host.deviceLogons", Source: "DeviceLogonEvents", Table: "DeviceLogonEvents", Time: "TimeGenerated",
		Keys: KeyMatch{Values: []Expr{ShortName(Col("DeviceName"))}}, Kind: Events, Columns: deviceLogonColumns,
	}
)
