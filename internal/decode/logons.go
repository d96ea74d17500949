package decode

import (
	"entitygraph/graph/model"
	"strings"
)

// IdentityLogon decodes an IdentityLogonEvents row.
func IdentityLogon(r Row, span model.Span) *model.IdentityLogon {
	account := Str(r, "AccountUpn")
	if account == nil {
		account = DomainUser(Str(r, "AccountDomain"), Str(r, "AccountName"))
	}
	return &model.IdentityLogon{
		Time: Time(r, "TimeGenerated"), ActionType: Str(r, "ActionType"), Application: Str(r, "Application"),
		LogonType: Str(r, "LogonType"), Protocol: Str(r, "Protocol"), Account: AccountRef(account, span),
		IPAddress: IPRef(Str(r, "IPAddress"), span), Host: HostRef(Str(r, "DeviceName"), span),
		DestinationHost: HostRef(Str(r, "DestinationDeviceName"), span), DestinationIPAddress: IPRef(Str(r, "DestinationIPAddress"), span),
		FailureReason: Str(r, "FailureReason"), Columns: Columns(r),
	}
}

// DeviceLogon decodes a DeviceLogonEvents row.
func DeviceLogon(r Row, span model.Span) *model.DeviceLogon {
	return &model.DeviceLogon{
		Time: Time(r, "TimeGenerated"), ActionType: Str(r, "ActionType"), LogonType: Str(r, "LogonType"), Protocol: Str(r, "Protocol"),
		Host: HostRef(Str(r, "DeviceName"), span), Account: AccountRef(DomainUser(Str(r, "AccountDomain"), Str(r, "AccountName")), span),
		RemoteIP: IPRef(Str(r, "RemoteIP"), span), RemoteDeviceName: Str(r, "RemoteDeviceName"), IsLocalAdmin: Bool(r, "IsLocalAdmin"),
		FailureReason: Str(r, "FailureReason"), Columns: Columns(r),
	}
}

// IPHostLogon decodes a row of an address's host logon summary.
func IPHostLogon(r Row, os model.OsFamily, span model.Span) *model.HostLogonSummary {
	return &model.HostLogonSummary{
		Host:      &model.Host{Name: HostKey(StrOr(r, "Host", "")), Span: span},
		Account:   &model.Account{Name: strings.ToLower(StrOr(r, "LogonAccount", "")), Span: span},
		Os:        os,
		LogonType: Str(r, "LogonKind"),
		Result:    model.LogonResult(StrOr(r, "Result", "FAILURE")),
		Count:     Int(r, "Count"),
		FirstSeen: Time(r, "FirstSeen"),
		LastSeen:  Time(r, "LastSeen"),
	}
}

// LogonSummaries turns Windows and Linux logon summary rows into models.
func LogonSummaries(results [][]Row, span model.Span) []*model.HostLogonSummary {
	out := []*model.HostLogonSummary{}
	for i, rs := range results {
		for _, r := range rs {
			out = append(out, &model.HostLogonSummary{
				Host:      &model.Host{Name: HostKey(StrOr(r, "Host", "")), Span: span},
				Account:   &model.Account{Name: strings.ToLower(StrOr(r, "LogonAccount", "")), Span: span},
				SourceIP:  IPRef(Str(r, "SourceIP"), span),
				Os:        OsFamilies[i],
				LogonType: Str(r, "LogonKind"),
				Result:    model.LogonResult(StrOr(r, "Result", "FAILURE")),
				Count:     Int(r, "Count"),
				FirstSeen: Time(r, "FirstSeen"),
				LastSeen:  Time(r, "LastSeen"),
			})
		}
	}
	return out
}
