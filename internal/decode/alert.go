package decode

import (
	"entitygraph/graph/model"
	"strings"
)

var severities = map[string]model.Severity{
	"informational": model.SeverityInformational, "low": model.SeverityLow,
	"medium": model.SeverityMedium, "high": model.SeverityHigh,
}

// Alert decodes a SecurityAlert row.
func Alert(r Row, span model.Span) *model.Alert {
	a := &model.Alert{
		SystemAlertID:      StrOr(r, "SystemAlertId", ""),
		Name:               Str(r, "AlertName"),
		DisplayName:        Str(r, "DisplayName"),
		Status:             Str(r, "Status"),
		Time:               Time(r, "TimeGenerated"),
		StartTime:          Time(r, "StartTime"),
		EndTime:            Time(r, "EndTime"),
		Provider:           Str(r, "ProviderName"),
		Vendor:             Str(r, "VendorName"),
		Product:            Str(r, "ProductName"),
		Description:        Str(r, "Description"),
		Remediation:        Str(r, "RemediationSteps"),
		Tactics:            List(r, "Tactics"),
		Techniques:         List(r, "Techniques"),
		CompromisedEntity:  Str(r, "CompromisedEntity"),
		ExtendedProperties: JSON(r, "ExtendedProperties"),
		RawEntities:        JSON(r, "Entities"),
		Columns:            Columns(r),
		Span:               span,
		Row:                r,
	}
	if s, ok := severities[strings.ToLower(StrOr(r, "AlertSeverity", ""))]; ok {
		a.Severity = &s
	}
	return a
}
