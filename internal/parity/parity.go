// Package parity makes divergence between the two engines visible without
// a Kusto engine: a corpus of edge rows per facet, each with the answer
// written by hand from the Kusto documentation, run for real on DuckDB
// (RunDuckDB) and written as self-contained KQL over datatable() rows
// (ProbeKQL) that Microsoft's analyzer checks here and that
// `egbench kqlprobe` runs on a live workspace.
package parity

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"entitygraph/internal/facets"
	"entitygraph/internal/sources"
)

// Case is one facet run over hand-written rows, with the expected answer.
type Case struct {
	Name string
	// Rule is the documented Kusto behaviour the expected answer follows,
	// with the page that documents it.
	Rule  string
	Facet *facets.Facet
	// Rows of Facet.Table: a missing column is absent from its map; values
	// are string, int64, float64, bool, time.Time, or for dynamic columns
	// any JSON-encodable value (nil is null).
	Rows  []map[string]any
	Query facets.Query
	// Compare lists the output columns compared, besides _key.
	Compare []string
	// Want is the expected output, in order, as Normalize writes values.
	Want []map[string]string
}

// Window is the timespan of every case.
var Window = struct{ Start, End time.Time }{
	time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC),
	time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC),
}

func at(day, hour, minute int) time.Time {
	return time.Date(2026, 11, day, hour, minute, 0, 0, time.UTC)
}

// Project keeps _key and the case's Compare columns of each row, with
// values normalized so that the two engines' answers compare as text.
func (c Case) Project(rows []sources.Row) []map[string]string {
	out := make([]map[string]string, len(rows))
	for i, r := range rows {
		m := map[string]string{facets.KeyColumn: Normalize(r[facets.KeyColumn])}
		for _, col := range c.Compare {
			m[col] = Normalize(r[col])
		}
		out[i] = m
	}
	return out
}

// Diff describes how got differs from the case's Want, or is "".
func (c Case) Diff(got []map[string]string) string {
	if len(got) != len(c.Want) {
		return fmt.Sprintf("%d rows, want %d:\n got  %v\n want %v", len(got), len(c.Want), got, c.Want)
	}
	for i := range got {
		for col, want := range c.Want[i] {
			if got[i][col] != want {
				return fmt.Sprintf("row %d column %s = %q, want %q:\n got  %v\n want %v", i, col, got[i][col], want, got, c.Want)
			}
		}
	}
	return ""
}

// Normalize writes a value of either engine as comparable text: times in
// RFC 3339 UTC, whole numbers without a fraction, sets (arrays) sorted,
// null as "null".
func Normalize(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = Normalize(e)
		}
		sort.Strings(parts)
		return "[" + strings.Join(parts, ",") + "]"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func query(keys ...string) facets.Query {
	return facets.Query{Keys: keys, Start: Window.Start, End: Window.End, Limit: 20}
}

// EdgeCases is the corpus.
func EdgeCases() []Case {
	paged := query("9.9.9.9")
	paged.Offset, paged.Limit = 2, 2
	counts := query("1.2.3.4", "5.5.5.5", "7.7.7.7")
	counts.Limit = 0
	buckets := query("5.6.7.9")
	buckets.Bucket = 48 * time.Hour
	return []Case{
		{
			Name: "ip.officeActivity: addresses with ports, brackets, mapped, glued to letters, longer octets",
			Rule: "extract_all is null when nothing matches (kusto/query/extract-all-function), so it is replaced by dynamic([]) before array_concat; " +
				"contains is a substring test (kusto/query/datatypes-string-operators), so the prefilter keeps \"ip1.2.3.4\"",
			Facet: facets.IPOfficeActivity,
			Query: query("1.2.3.4"),
			Rows: []map[string]any{
				{"TimeGenerated": at(25, 10, 0), "ClientIP": "1.2.3.4:443", "UserId": "port"},
				{"TimeGenerated": at(25, 9, 0), "ClientIP": "[::ffff:1.2.3.4]:50123", "UserId": "mapped"},
				{"TimeGenerated": at(25, 8, 0), "ClientIP": "ip1.2.3.4", "UserId": "glued"},
				{"TimeGenerated": at(25, 7, 0), "ClientIP": "11.2.3.4", "UserId": "longer-first-octet"},
				{"TimeGenerated": at(25, 6, 0), "ClientIP": "1.2.3.45", "UserId": "longer-last-octet"},
				{"TimeGenerated": at(25, 5, 0), "ClientIP": "", "Client_IPAddress": "1.2.3.4", "UserId": "second-column"},
				{"TimeGenerated": at(25, 4, 0), "UserId": "no-address"},
			},
			Compare: []string{"UserId", facets.TotalColumn},
			Want: []map[string]string{
				{"_key": "1.2.3.4", "UserId": "port", "_total": "4"},
				{"_key": "1.2.3.4", "UserId": "mapped", "_total": "4"},
				{"_key": "1.2.3.4", "UserId": "glued", "_total": "4"},
				{"_key": "1.2.3.4", "UserId": "second-column", "_total": "4"},
			},
		},
		{
			Name:    "ip.officeActivity: IPv6 in brackets with a port, in the second column",
			Rule:    "extract_all returns every match of the RE2 pattern (kusto/query/extract-all-function, kusto/query/re2)",
			Facet:   facets.IPOfficeActivity,
			Query:   query("2001:db8::7"),
			Rows:    []map[string]any{{"TimeGenerated": at(25, 10, 0), "ClientIP": "10.0.0.1", "Client_IPAddress": "[2001:db8::7]:443", "UserId": "v6"}},
			Compare: []string{"UserId"},
			Want:    []map[string]string{{"_key": "2001:db8::7", "UserId": "v6"}},
		},
		{
			Name: "ip.alerts: Entities empty, missing, malformed or naming the address; addresses in ExtendedProperties",
			Rule: "mv-apply emits no row for an empty array (kusto/query/mv-apply-operator), so an empty or missing array becomes dynamic([null]); " +
				"array_length is null for a non-array (kusto/query/array-length-function); tostring of a missing property is \"\"",
			Facet: facets.IPAlerts,
			Query: query("10.9.8.7"),
			Rows: []map[string]any{
				{"TimeGenerated": at(25, 10, 0), "SystemAlertId": "empty-entities", "Entities": "[]", "ExtendedProperties": `{"Source IPs":"10.9.8.7"}`},
				{"TimeGenerated": at(25, 9, 0), "SystemAlertId": "no-entities", "ExtendedProperties": `{"Destination IPs":"10.9.8.7, 5.5.5.5"}`},
				{"TimeGenerated": at(25, 8, 0), "SystemAlertId": "malformed-entities", "Entities": "not json", "ExtendedProperties": `{"Source IPs":"10.9.8.7"}`},
				{"TimeGenerated": at(25, 7, 0), "SystemAlertId": "entity", "Entities": `[{"$id":"2","Type":"ip","Address":"10.9.8.7"}]`},
				{"TimeGenerated": at(25, 6, 0), "SystemAlertId": "other-entity", "Entities": `[{"$id":"2","Type":"ip","Address":"10.9.8.70"}]`},
			},
			Compare: []string{"SystemAlertId", facets.TotalColumn},
			Want: []map[string]string{
				{"_key": "10.9.8.7", "SystemAlertId": "empty-entities", "_total": "4"},
				{"_key": "10.9.8.7", "SystemAlertId": "no-entities", "_total": "4"},
				{"_key": "10.9.8.7", "SystemAlertId": "malformed-entities", "_total": "4"},
				{"_key": "10.9.8.7", "SystemAlertId": "entity", "_total": "4"},
			},
		},
		{
			Name:  "ip.relatedAccounts.signins: a sign-in without a result code is a failure; one group per lower-cased name",
			Rule:  "strings are never null: a missing value is \"\" (kusto/query/scalar-data-types/null-values), so ResultType != \"0\" holds for it",
			Facet: facets.IPSigninAccounts,
			Query: query("5.6.7.8"),
			Rows: []map[string]any{
				{"TimeGenerated": at(25, 10, 0), "IPAddress": "5.6.7.8", "UserPrincipalName": "Ann@Contoso.com", "ResultType": "0", "AppDisplayName": "Portal"},
				{"TimeGenerated": at(25, 11, 0), "IPAddress": "5.6.7.8", "UserPrincipalName": "ann@contoso.com", "AppDisplayName": "Portal"},
				{"TimeGenerated": at(25, 12, 0), "IPAddress": "5.6.7.8", "UserPrincipalName": "ann@contoso.com", "ResultType": "", "AppDisplayName": ""},
				{"TimeGenerated": at(25, 13, 0), "IPAddress": "5.6.7.8", "UserPrincipalName": "ANN@CONTOSO.COM", "ResultType": "50126", "AppDisplayName": "Teams"},
				{"TimeGenerated": at(25, 14, 0), "IPAddress": "5.6.7.8", "UserPrincipalName": "", "ResultType": "50126"},
			},
			Compare: []string{"AccountName", "Count", "Failures", "FirstSeen", "LastSeen", "Details"},
			Want: []map[string]string{{
				"_key": "5.6.7.8", "AccountName": "ann@contoso.com", "Count": "4", "Failures": "3",
				"FirstSeen": "2026-11-25T10:00:00Z", "LastSeen": "2026-11-25T13:00:00Z", "Details": "[,Portal,Teams]",
			}},
		},
		{
			Name:  "ip.signins.timeline: 2-day buckets counted from the Unix epoch",
			Rule:  "bin_at(value, bin size, fixed point) (kusto/query/bin-at-function); DuckDB time_bucket with the same origin",
			Facet: facets.IPTimeline[0],
			Query: buckets,
			Rows: []map[string]any{
				{"TimeGenerated": at(25, 12, 0), "IPAddress": "5.6.7.9", "UserPrincipalName": "a@contoso.com"},
				{"TimeGenerated": at(26, 12, 0), "IPAddress": "5.6.7.9", "UserPrincipalName": "a@contoso.com"},
				{"TimeGenerated": at(24, 12, 0), "IPAddress": "5.6.7.9", "UserPrincipalName": "a@contoso.com"},
			},
			Compare: []string{"Bucket", "Count"},
			Want: []map[string]string{
				{"_key": "5.6.7.9", "Bucket": "2026-11-25T00:00:00Z", "Count": "2"},
				{"_key": "5.6.7.9", "Bucket": "2026-11-23T00:00:00Z", "Count": "1"},
			},
		},
		{
			Name:  "ip.hostLogons.linux: an sshd user name holding a no-break space",
			Rule:  "matches and extract use RE2 (kusto/query/re2); classes are written out ([^ \\t\\r\\n]) because \\S is Unicode in Kusto and ASCII in DuckDB",
			Facet: facets.IPLinuxLogons,
			Query: query("45.1.2.3"),
			Rows: []map[string]any{
				{"TimeGenerated": at(25, 10, 0), "Computer": "db1", "Facility": "auth", "ProcessName": "sshd", "SyslogMessage": "Failed password for bob\u00a0x from 45.1.2.3 port 22 ssh2"},
			},
			Compare: []string{"LogonAccount", "Result", "Count"},
			Want:    []map[string]string{{"_key": "45.1.2.3", "LogonAccount": "bob\u00a0x", "Result": "FAILURE", "Count": "1"}},
		},
		{
			Name:  "ip.signins: rows of one second paged in _ItemId order",
			Rule:  "_ItemId is a unique id of every record (azure-monitor/logs/log-standard-columns); sort is a total order on it (kusto/query/sort-operator)",
			Facet: facets.IPSignins,
			Query: paged,
			Rows: []map[string]any{
				{"TimeGenerated": at(25, 10, 0), "IPAddress": "9.9.9.9", "_ItemId": "e", "UserPrincipalName": "e@contoso.com"},
				{"TimeGenerated": at(25, 10, 0), "IPAddress": "9.9.9.9", "_ItemId": "b", "UserPrincipalName": "b@contoso.com"},
				{"TimeGenerated": at(25, 10, 0), "IPAddress": "9.9.9.9", "_ItemId": "d", "UserPrincipalName": "d@contoso.com"},
				{"TimeGenerated": at(25, 10, 0), "IPAddress": "9.9.9.9", "_ItemId": "a", "UserPrincipalName": "a@contoso.com"},
				{"TimeGenerated": at(25, 10, 0), "IPAddress": "9.9.9.9", "_ItemId": "c", "UserPrincipalName": "c@contoso.com"},
			},
			Compare: []string{"UserPrincipalName", facets.TotalColumn},
			Want: []map[string]string{
				{"_key": "9.9.9.9", "UserPrincipalName": "c@contoso.com", "_total": "5"},
				{"_key": "9.9.9.9", "UserPrincipalName": "d@contoso.com", "_total": "5"},
			},
		},
		{
			Name: "ip.officeActivity: each key's total alone",
			Rule: "summarize count() by a key column counts each row once per distinct key it holds (kusto/query/summarize-operator); " +
				"a key without rows has no group",
			Facet: facets.IPOfficeActivity,
			Query: counts,
			Rows: []map[string]any{
				{"TimeGenerated": at(25, 10, 0), "ClientIP": "1.2.3.4:50123", "Client_IPAddress": "1.2.3.4", "UserId": "twice-in-one-row"},
				{"TimeGenerated": at(25, 11, 0), "ClientIP": "1.2.3.4", "ActorIpAddress": "5.5.5.5", "UserId": "both-keys"},
				{"TimeGenerated": at(25, 12, 0), "ClientIP": "[::ffff:5.5.5.5]:443", "UserId": "mapped"},
				{"TimeGenerated": Window.End.Add(time.Minute), "ClientIP": "1.2.3.4", "UserId": "after-the-window"},
			},
			Compare: []string{facets.TotalColumn},
			Want: []map[string]string{
				{"_key": "1.2.3.4", "_total": "2"},
				{"_key": "5.5.5.5", "_total": "2"},
			},
		},
		{
			Name:  "ip.signins: a row exactly at the end of the window",
			Rule:  "between is inclusive at both ends (kusto/query/between-operator)",
			Facet: facets.IPSignins,
			Query: query("9.9.9.8"),
			Rows: []map[string]any{
				{"TimeGenerated": Window.End, "IPAddress": "9.9.9.8", "UserPrincipalName": "end@contoso.com"},
				{"TimeGenerated": Window.End.Add(time.Second), "IPAddress": "9.9.9.8", "UserPrincipalName": "after@contoso.com"},
			},
			Compare: []string{"UserPrincipalName"},
			Want:    []map[string]string{{"_key": "9.9.9.8", "UserPrincipalName": "end@contoso.com"}},
		},
		{
			Name:  "ip.heartbeat: ComputerIP matches while ComputerPrivateIPs is empty",
			Rule:  "mv-apply emits no row for an empty array (kusto/query/mv-apply-operator): the array is replaced by dynamic([null]) so the row stays",
			Facet: facets.IPHeartbeat,
			Query: query("10.1.1.1"),
			Rows: []map[string]any{
				{"TimeGenerated": at(25, 10, 0), "Computer": "hb-new", "ComputerIP": "10.1.1.1", "ComputerPrivateIPs": []any{}},
				{"TimeGenerated": at(25, 9, 0), "Computer": "hb-old", "ComputerIP": "20.1.1.1", "ComputerPrivateIPs": []any{"10.1.1.1"}},
			},
			Compare: []string{"Computer"},
			Want:    []map[string]string{{"_key": "10.1.1.1", "Computer": "hb-new"}},
		},
	}
}
