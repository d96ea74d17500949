package decode

import (
	"entitygraph/graph/model"
	"entitygraph/internal/facets"
	"strings"
)

// Signin decodes a SigninLogs or AADNonInteractiveUserSignInLogs row.
func Signin(r Row, span model.Span) *model.Signin {
	return &model.Signin{
		Time:                    Time(r, "TimeGenerated"),
		Account:                 AccountRef(Str(r, "UserPrincipalName"), span),
		UserPrincipalName:       Str(r, "UserPrincipalName"),
		UserDisplayName:         Str(r, "UserDisplayName"),
		AppDisplayName:          Str(r, "AppDisplayName"),
		ResourceDisplayName:     Str(r, "ResourceDisplayName"),
		ResultType:              Str(r, "ResultType"),
		ResultDescription:       Str(r, "ResultDescription"),
		Success:                 StrOr(r, "ResultType", "") == "0",
		IPAddress:               Str(r, "IPAddress"),
		City:                    Nested(r, "LocationDetails", "city"),
		State:                   Nested(r, "LocationDetails", "state"),
		CountryOrRegion:         Nested(r, "LocationDetails", "countryOrRegion"),
		ClientAppUsed:           Str(r, "ClientAppUsed"),
		UserAgent:               Str(r, "UserAgent"),
		ConditionalAccessStatus: Str(r, "ConditionalAccessStatus"),
		RiskLevelDuringSignIn:   Str(r, "RiskLevelDuringSignIn"),
		Columns:                 Columns(r),
	}
}

// AzureActivity decodes an AzureActivity row.
func AzureActivity(r Row, span model.Span) *model.AzureActivityEvent {
	return &model.AzureActivityEvent{
		Time:             Time(r, "TimeGenerated"),
		Account:          AccountRef(Str(r, "Caller"), span),
		Caller:           Str(r, "Caller"),
		OperationName:    FirstOf(r, "OperationNameValue", "OperationName"),
		ResourceProvider: FirstOf(r, "ResourceProviderValue", "ResourceProvider"),
		ResourceGroup:    Str(r, "ResourceGroup"),
		ResourceID:       FirstOf(r, "_ResourceId", "ResourceId"),
		Category:         FirstOf(r, "CategoryValue", "Category"),
		Status:           FirstOf(r, "ActivityStatusValue", "ActivityStatus"),
		CallerIPAddress:  Str(r, "CallerIpAddress"),
		Columns:          Columns(r),
	}
}

// OfficeActivity decodes an OfficeActivity row.
func OfficeActivity(r Row, span model.Span) *model.OfficeActivityEvent {
	return &model.OfficeActivityEvent{
		Time:         Time(r, "TimeGenerated"),
		Account:      AccountRef(Str(r, "UserId"), span),
		UserID:       Str(r, "UserId"),
		Operation:    Str(r, "Operation"),
		Workload:     Str(r, "OfficeWorkload"),
		RecordType:   Str(r, "RecordType"),
		ResultStatus: Str(r, "ResultStatus"),
		ClientIP:     FirstOf(r, "ClientIP", "Client_IPAddress", "ActorIpAddress"),
		ObjectID:     Str(r, "OfficeObjectId"),
		Columns:      Columns(r),
	}
}

// ActivitySummary decodes a row of an account activity summary.
func ActivitySummary(r Row, src model.AccountSource, span model.Span) *model.ActivitySummary {
	return &model.ActivitySummary{
		Source: src, Operation: Str(r, "Operation"), App: Str(r, "App"),
		IPAddress: IPRef(Str(r, "IP"), span), Result: Str(r, "Result"),
		Count: Int(r, "Count"), Failures: Int(r, "Failures"),
		FirstSeen: Time(r, "FirstSeen"), LastSeen: Time(r, "LastSeen"),
	}
}

// RelatedAccount decodes a row of an address's account summary.
func RelatedAccount(r Row, src model.AccountSource, span model.Span) *model.RelatedAccount {
	return &model.RelatedAccount{
		Account:   &model.Account{Name: StrOr(r, "AccountName", ""), Span: span},
		Source:    src,
		Details:   List(r, "Details"),
		Count:     Int(r, "Count"),
		Failures:  Int(r, "Failures"),
		FirstSeen: Time(r, "FirstSeen"),
		LastSeen:  Time(r, "LastSeen"),
	}
}

// FoldLogons folds an address's logon summary rows into one related account per account.
func FoldLogons(rs []Row, kind model.AccountSource, span model.Span) []*model.RelatedAccount {
	byAcct := map[string]*model.RelatedAccount{}
	var order []string
	for _, r := range rs {
		name := strings.ToLower(StrOr(r, "LogonAccount", ""))
		if name == "" {
			continue
		}
		a, ok := byAcct[name]
		if !ok {
			a = &model.RelatedAccount{Account: &model.Account{Name: name, Span: span}, Source: kind, Details: []string{}}
			byAcct[name] = a
			order = append(order, name)
		}
		n := Int(r, "Count")
		a.Count += n
		if StrOr(r, "Result", "") == "FAILURE" {
			a.Failures += n
		}
		if lt := Str(r, "LogonKind"); lt != nil {
			a.Details = AppendDistinct(a.Details, *lt)
		}
		if t := Time(r, "FirstSeen"); t != nil && (a.FirstSeen == nil || t.Before(*a.FirstSeen)) {
			a.FirstSeen = t
		}
		if t := Time(r, "LastSeen"); t != nil && (a.LastSeen == nil || t.After(*a.LastSeen)) {
			a.LastSeen = t
		}
	}
	out := make([]*model.RelatedAccount, len(order))
	for i, n := range order {
		out[i] = byAcct[n]
	}
	return out
}

// AccountActivityFacets are an account's activity summaries, read by
// ActivitySummary in this order.
var AccountActivityFacets = []*facets.Facet{facets.AccountSigninActivity, facets.AccountAzureActivitySummary, facets.AccountOfficeActivitySummary}

// AccountLogonFacets are an account's Windows and Linux logon summaries,
// read by LogonSummaries in this order.
var AccountLogonFacets = []*facets.Facet{facets.AccountWindowsLogons, facets.AccountLinuxLogons}
