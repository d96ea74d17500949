package resolvers

import (
	"entitygraph/graph/model"
)

// Rows of the logon tables several entities read.

func identityLogonFromRow(r row, span model.Span) *model.IdentityLogon {
	account := str(r, "AccountUpn")
	if account == nil {
		account = domainUser(str(r, "AccountDomain"), str(r, "AccountName"))
	}
	return &model.IdentityLogon{
		Time: timep(r, "TimeGenerated"), ActionType: str(r, "ActionType"), Application: str(r, "Application"),
		LogonType: str(r, "LogonType"), Protocol: str(r, "Protocol"), Account: accountRef(account, span),
		IPAddress: ipRef(str(r, "IPAddress"), span), Host: hostRef(str(r, "DeviceName"), span),
		DestinationHost: hostRef(str(r, "DestinationDeviceName"), span), DestinationIPAddress: ipRef(str(r, "DestinationIPAddress"), span),
		FailureReason: str(r, "FailureReason"), Columns: columns(r),
	}
}

func deviceLogonFromRow(r row, span model.Span) *model.DeviceLogon {
	return &model.DeviceLogon{
		Time: timep(r, "TimeGenerated"), ActionType: str(r, "ActionType"), LogonType: str(r, "LogonType"), Protocol: str(r, "Protocol"),
		Host: hostRef(str(r, "DeviceName"), span), Account: accountRef(domainUser(str(r, "AccountDomain"), str(r, "AccountName")), span),
		RemoteIP: ipRef(str(r, "RemoteIP"), span), RemoteDeviceName: str(r, "RemoteDeviceName"), IsLocalAdmin: boolp(r, "IsLocalAdmin"),
		FailureReason: str(r, "FailureReason"), Columns: columns(r),
	}
}
