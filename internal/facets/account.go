package facets

// The Account facets (msticnb AccountSummary, shared/reference/msticnb-inventory.md §3.1).
// Keys are lower-cased canonical names: a UPN, DOMAIN\user, the bare user
// name, or an Entra object id. A row matches a key only when one of its own
// canonical forms equals it exactly: "bob" matches bob@contoso.com and
// CONTOSO\bob, never "bobby" nor "bob.smith@…".

// bare is the user part of a UPN or DOMAIN\user, lower-cased.
func bare(e Expr) Expr {
	return Lower(UserPart(e))
}

// upnForms are the canonical forms of a column holding a UPN (or an id).
func upnForms(col string) []Expr { return []Expr{Lower(Col(col)), bare(Col(col))} }

// windowsAccountForms are SecurityEvent's account forms.
var windowsAccountForms = []Expr{
	Lower(Col("Account")),
	Lower(Concat(Col("TargetDomainName"), Str(`\`), Col("TargetUserName"))),
	Lower(Col("TargetUserName")),
	Lower(Col("TargetUserSid")),
}

// sshSource is the client address in an sshd logon line.
const sshSource = ` from ([^ \t\r\n]+) port`

// hostLogonSummary groups logons; shared by the Account and Host facets.
var hostLogonSummary = SummarySpec{By: []string{"Host", "LogonAccount", "SourceIP", "LogonKind", "Result"}}

var windowsLogonExtend = []Named{
	{"Host", ShortName(Col("Computer"))},
	{"LogonAccount", Lower(Coalesce(Col("Account"), Concat(Col("TargetDomainName"), Str(`\`), Col("TargetUserName"))))},
	{"SourceIP", Col("IpAddress")},
	{"Result", If(Eq(Col("EventID"), Int(4624)), Str("SUCCESS"), Str("FAILURE"))},
	{"LogonKind", Coalesce(Col("LogonTypeName"), ToString(Col("LogonType")))},
}

var linuxLogonExtend = []Named{
	{"Host", ShortName(Col("Computer"))},
	{"LogonAccount", Lower(Extract(sshdLogon, 4, Col("SyslogMessage")))},
	{"SourceIP", Extract(sshSource, 1, Col("SyslogMessage"))},
	{"Result", If(Eq(Extract(sshdLogon, 1, Col("SyslogMessage")), Str("Accepted")), Str("SUCCESS"), Str("FAILURE"))},
	{"LogonKind", Concat(Extract(sshdLogon, 2, Col("SyslogMessage")), Str(" ("), Col("ProcessName"), Str(")"))},
}

var linuxLogonWhere = []Expr{
	InStr(Col("Facility"), "auth", "authpriv"),
	Not(IsEmpty(Extract(sshdLogon, 1, Col("SyslogMessage")))),
}

// alertAccountForms are the canonical forms of every account entity in an
// alert's Entities.
var alertAccountForms = func() []Expr {
	isAccount := func(e Expr) Expr { return If(Eq(Lower(Elem("Type")), Str("account")), e, Str("")) }
	return []Expr{
		isAccount(Lower(Concat(Elem("Name"), Str("@"), Elem("UPNSuffix")))),
		isAccount(Lower(Concat(Elem("NTDomain"), Str(`\`), Elem("Name")))),
		isAccount(Lower(Elem("Name"))),
		isAccount(Lower(Elem("AadUserId"))),
		If(Eq(Lower(Elem("Type")), Str("mailbox")), Lower(Elem("MailboxPrimaryAddress")), Str("")),
	}
}()

// Account facets, by GraphQL field.
var (
	AccountSignins = &Facet{
		Name: "account.signins", Source: "SigninLogs", Table: "SigninLogs", Time: "TimeGenerated",
		Keys:    KeyMatch{Values: append(upnForms("UserPrincipalName"), Lower(Col("UserId")))},
		Kind:    Events,
		Columns: IPSignins.Columns,
	}
	AccountAzureActivity = &Facet{
		Name: "account.azureActivity", Source: "AzureActivity", Table: "AzureActivity", Time: "TimeGenerated",
		Keys:    KeyMatch{Values: upnForms("Caller")},
		Kind:    Events,
		Columns: IPAzureActivity.Columns,
	}
	AccountOfficeActivity = &Facet{
		Name: "account.officeActivity", Source: "OfficeActivity", Table: "OfficeActivity", Time: "TimeGenerated",
		Keys:    KeyMatch{Values: upnForms("UserId")},
		Kind:    Events,
		Columns: IPOfficeActivity.Columns,
	}
	AccountWindowsLogons = &Facet{
		Name: "account.hostLogons.windows", Source: "SecurityEvent", Table: "SecurityEvent", Time: "TimeGenerated",
		Keys:    KeyMatch{Values: windowsAccountForms},
		Extend:  windowsLogonExtend,
		Where:   []Expr{InInt(Col("EventID"), 4624, 4625)},
		Kind:    Summary,
		Summary: hostLogonSummary,
	}
	AccountLinuxLogons = &Facet{
		Name: "account.hostLogons.linux", Source: "Syslog", Table: "Syslog", Time: "TimeGenerated",
		Keys:    KeyMatch{Values: []Expr{Lower(Extract(sshdLogon, 4, Col("SyslogMessage")))}},
		Extend:  linuxLogonExtend,
		Where:   linuxLogonWhere,
		Kind:    Summary,
		Summary: hostLogonSummary,
	}
	AccountAlerts = &Facet{
		Name: "account.alerts", Source: "SecurityAlert", Table: "SecurityAlert", Time: "TimeGenerated",
		Keys:    KeyMatch{Values: []Expr{Lower(Col("CompromisedEntity"))}, Arrays: []ArrayElement{{Column: "Entities", Forms: alertAccountForms}}},
		Kind:    Events,
		Columns: IPAlerts.Columns,
	}
	AccountBookmarks = &Facet{
		Name: "account.bookmarks", Source: "HuntingBookmark", Table: "HuntingBookmark", Time: "TimeGenerated",
		Keys: KeyMatch{Values: []Expr{
			Lower(JSONString(Col("QueryResultRow"), "Account")),
			Lower(JSONString(Col("QueryResultRow"), "UserPrincipalName")),
			Lower(JSONString(Col("QueryResultRow"), "Caller")),
		}},
		Where:   IPBookmarks.Where,
		Kind:    Events,
		Columns: IPBookmarks.Columns,
	}
	// The activity summaries group cloud activity as the notebook's
	// azure_activity_summary does; they also give the account's IPs.
	AccountSigninActivity = &Facet{
		Name: "account.activity.signins", Source: "SigninLogs", Table: "SigninLogs", Time: "TimeGenerated",
		Keys: AccountSignins.Keys,
		Extend: []Named{
			{"Operation", Coalesce(Col("OperationName"), Str("Sign-in activity"))},
			{"App", Col("AppDisplayName")},
			{"IP", Col("IPAddress")},
			{"Result", If(Eq(Col("ResultType"), Str("0")), Str("Success"), Concat(Str("Failure "), Col("ResultType")))},
			{"Failed", Ne(Col("ResultType"), Str("0"))},
		},
		Kind:    Summary,
		Summary: SummarySpec{By: []string{"Operation", "App", "IP", "Result"}, Aggs: []Agg{{"Failures", "countif", Col("Failed")}}},
	}
	AccountAzureActivitySummary = &Facet{
		Name: "account.activity.azureActivity", Source: "AzureActivity", Table: "AzureActivity", Time: "TimeGenerated",
		Keys: AccountAzureActivity.Keys,
		Extend: []Named{
			{"Operation", Coalesce(Col("OperationNameValue"), Col("OperationName"))},
			{"App", Coalesce(Col("ResourceProviderValue"), Col("ResourceProvider"))},
			{"IP", Col("CallerIpAddress")},
			{"Result", Coalesce(Col("ActivityStatusValue"), Col("ActivityStatus"))},
			{"Failed", Eq(Col("ActivityStatusValue"), Str("Failure"))},
		},
		Kind:    Summary,
		Summary: SummarySpec{By: []string{"Operation", "App", "IP", "Result"}, Aggs: []Agg{{"Failures", "countif", Col("Failed")}}},
	}
	AccountOfficeActivitySummary = &Facet{
		Name: "account.activity.officeActivity", Source: "OfficeActivity", Table: "OfficeActivity", Time: "TimeGenerated",
		Keys: AccountOfficeActivity.Keys,
		Extend: []Named{
			{"Operation", Col("Operation")},
			{"App", Col("OfficeWorkload")},
			{"IP", Coalesce(Extract(ipTokens[0], 1, Coalesce(Col("ClientIP"), Col("Client_IPAddress"))), Extract(`^\[?([0-9A-Fa-f:]+)\]?`, 1, Coalesce(Col("ClientIP"), Col("Client_IPAddress"))))},
			{"Result", Col("ResultStatus")},
			{"Failed", InStr(Col("ResultStatus"), "Failed", "False")},
		},
		Kind:    Summary,
		Summary: SummarySpec{By: []string{"Operation", "App", "IP", "Result"}, Aggs: []Agg{{"Failures", "countif", Col("Failed")}}},
	}
	// AccountProfile is the newest sign-in: what Entra says about the account.
	AccountProfile = &Facet{
		Name: "account.profile", Source: "SigninLogs", Table: "SigninLogs", Time: "TimeGenerated",
		Keys: AccountSignins.Keys,
		Kind: Latest,
	}
)
