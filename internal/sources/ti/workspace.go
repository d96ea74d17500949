package ti

import (
	"strings"
	"time"
)

// WorkspaceName is the workspace's own TI tables (ThreatIntelIndicators,
// ThreatIntelligenceIndicator) among the providers.
const WorkspaceName = "SentinelTI"

// Indicator is what the workspace verdict reads of one indicator row.
type Indicator struct {
	Confidence *int
	Action     string // the legacy schema's alert, block, …
}

// WorkspaceResult is the verdict of the indicators the workspace's TI
// tables hold for an address (msticpy's rule: any indicator is MEDIUM;
// HIGH when its confidence is 80 or more, or its action is alert or
// block). noTables: neither table exists.
func WorkspaceResult(found []Indicator, noTables bool, now time.Time) Result {
	if noTables {
		return Result{Provider: WorkspaceName, Status: Disabled, Summary: "the workspace has no TI table"}
	}
	res := Result{Provider: WorkspaceName, Verdict: None, Status: NotFound, FetchedAt: now.UTC(), Summary: "not in the workspace's threat intelligence"}
	for _, in := range found {
		v := Medium
		if (in.Confidence != nil && *in.Confidence >= 80) || strings.EqualFold(in.Action, "alert") || strings.EqualFold(in.Action, "block") {
			v = High
		}
		if v > res.Verdict {
			res.Verdict = v
		}
		res.Status = OK
	}
	if res.Status == OK {
		res.Summary = "in the workspace's threat intelligence"
		res.Details = map[string]any{"indicators": len(found)}
	}
	return res
}

// WorkspaceFailed is the result when the TI tables could not be read.
func WorkspaceFailed(now time.Time) Result {
	return Result{Provider: WorkspaceName, Verdict: Unknown, Status: Failed, FetchedAt: now.UTC(), Error: "the workspace's TI tables could not be read"}
}
