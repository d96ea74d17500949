package facets

// Identity link facets: which identifiers sources name together, for
// account resolution (internal/identity). Each is keyed by an account's
// name forms and returns one group per identifier pair it saw.
var (
	AccountLinksSignins = &Facet{
		Name: "account.links.signins", Source: "SigninLogs", Table: "SigninLogs", Time: "TimeGenerated",
		Keys:    AccountSignins.Keys,
		Extend:  []Named{{"UPN", Lower(Col("UserPrincipalName"))}, {"ObjectId", Lower(Col("UserId"))}},
		Where:   []Expr{Not(IsEmpty(Col("UserPrincipalName")))},
		Kind:    Summary,
		Summary: SummarySpec{By: []string{"UPN", "ObjectId"}, Limit: 50},
	}
	AccountLinksWindows = &Facet{
		Name: "account.links.securityEvent", Source: "SecurityEvent", Table: "SecurityEvent", Time: "TimeGenerated",
		Keys: KeyMatch{Values: windowsAccountForms},
		Extend: []Named{
			{"DomainUser", Lower(Concat(Col("TargetDomainName"), Str(`\`), Col("TargetUserName")))},
			{"SID", Lower(Col("TargetUserSid"))},
		},
		Where:   []Expr{InInt(Col("EventID"), 4624, 4625), Not(IsEmpty(Col("TargetUserName"))), Not(IsEmpty(Col("TargetDomainName")))},
		Kind:    Summary,
		Summary: SummarySpec{By: []string{"DomainUser", "SID"}, Limit: 50},
	}
	// The UEBA directory: one record names a person's UPN, object id, SID
	// and on-premises account.
	AccountLinksDirectory = &Facet{
		Name: "account.links.identityInfo", Source: "IdentityInfo", Table: "IdentityInfo", Time: "TimeGenerated",
		Keys: KeyMatch{Values: []Expr{
			Lower(Col("AccountUPN")), bare(Col("AccountUPN")), Lower(Col("AccountObjectId")), Lower(Col("AccountSID")),
			Lower(Col("AccountName")), Lower(Col("SAMAccountName")),
		}},
		Extend: []Named{
			{"UPN", Lower(Col("AccountUPN"))},
			{"ObjectId", Lower(Col("AccountObjectId"))},
			{"SID", Lower(Col("AccountSID"))},
			{"DomainUser", If(Or(IsEmpty(Col("AccountDomain")), IsEmpty(Coalesce(Col("SAMAccountName"), Col("AccountName")))), Str(""),
				Concat(ShortName(Col("AccountDomain")), Str(`\`), Lower(Coalesce(Col("SAMAccountName"), Col("AccountName")))))},
		},
		Kind:    Summary,
		Summary: SummarySpec{By: []string{"UPN", "ObjectId", "SID", "DomainUser"}, Limit: 50},
	}
	// AccountLinks are the sources of account resolution.
	AccountLinks = []*Facet{AccountLinksSignins, AccountLinksWindows, AccountLinksDirectory}
)

// Host link facets: the ids each inventory gives a host (its FQDN, MDE
// device id, Azure resource id, agent id, VM id), keyed by the short name
// or by any of those ids.
var (
	HostLinksDeviceInfo = &Facet{
		Name: "host.links.deviceInfo", Source: "DeviceInfo", Table: "DeviceInfo", Time: "TimeGenerated",
		Keys:    KeyMatch{Values: []Expr{ShortName(Col("DeviceName")), Lower(Col("DeviceId"))}},
		Extend:  []Named{{"Host", ShortName(Col("DeviceName"))}, {"FQDN", Lower(Col("DeviceName"))}, {"DeviceId", Lower(Col("DeviceId"))}},
		Where:   []Expr{Not(IsEmpty(Col("DeviceName")))},
		Kind:    Summary,
		Summary: SummarySpec{By: []string{"Host", "FQDN", "DeviceId"}, Limit: 20},
	}
	HostLinksHeartbeat = &Facet{
		Name: "host.links.heartbeat", Source: "Heartbeat", Table: "Heartbeat", Time: "TimeGenerated",
		Keys: KeyMatch{Values: []Expr{ShortName(Col("Computer")), Lower(Col("ResourceId")), Lower(Col("_ResourceId")), Lower(Col("VMUUID"))}},
		Extend: []Named{
			{"Host", ShortName(Col("Computer"))}, {"FQDN", Lower(Col("Computer"))},
			{"ResourceId", Lower(Coalesce(Col("ResourceId"), Col("_ResourceId")))}, {"VmId", Lower(Col("VMUUID"))},
		},
		Where:   []Expr{Not(IsEmpty(Col("Computer")))},
		Kind:    Summary,
		Summary: SummarySpec{By: []string{"Host", "FQDN", "ResourceId", "VmId"}, Limit: 20},
	}
	HostLinksVMComputer = &Facet{
		Name: "host.links.vmComputer", Source: "VMComputer", Table: "VMComputer", Time: "TimeGenerated",
		Keys: KeyMatch{Values: []Expr{ShortName(Col("Computer")), Lower(Col("_ResourceId")), Lower(Col("AgentId")), Lower(Col("AzureVmId"))}},
		Extend: []Named{
			{"Host", ShortName(Col("Computer"))}, {"FQDN", Lower(Col("Computer"))},
			{"ResourceId", Lower(Col("_ResourceId"))}, {"AgentId", Lower(Col("AgentId"))}, {"VmId", Lower(Col("AzureVmId"))},
		},
		Where:   []Expr{Not(IsEmpty(Col("Computer")))},
		Kind:    Summary,
		Summary: SummarySpec{By: []string{"Host", "FQDN", "ResourceId", "AgentId", "VmId"}, Limit: 20},
	}
	// HostLinks are the sources of host resolution.
	HostLinks = []*Facet{HostLinksDeviceInfo, HostLinksHeartbeat, HostLinksVMComputer}
)
