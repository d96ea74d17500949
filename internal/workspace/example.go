package workspace

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"entitygraph/internal/facets"
	"entitygraph/internal/ipclass"
	"entitygraph/internal/sources/duckdb"
)

// exampleField is one field of GraphiQL's default tab: shown only when a
// table one of its facets reads (facet names starting with one of uses)
// is loaded.
type exampleField struct {
	selection string
	uses      []string
}

var (
	ipFields = []exampleField{
		{`alerts(first: 5) { totalCount nodes { name severity time tactics } }`, []string{"ip.alerts"}},
		{`signins(first: 5) { totalCount nodes { time userPrincipalName appDisplayName resultType countryOrRegion } }`, []string{"ip.signins"}},
		{`relatedAccounts { account { name } source count failures firstSeen lastSeen }`, []string{"ip.relatedAccounts", "ip.hostLogons"}},
		{`officeActivity(first: 5) { totalCount nodes { time userId operation workload } }`, []string{"ip.officeActivity"}},
		{`hostLogons { host { name } account { name } os result count }`, []string{"ip.hostLogons"}},
		{`hosts { host { name } source }`, []string{"ip.hosts", "ip.heartbeat", "ip.vmComputer", "ip.networkInterface"}},
		{`netflowSummary { l7Protocol direction flowRecords externalIps }`, []string{"ip.netflowSummary"}},
		{`networkConnections { host { name } remoteUrls count }`, []string{"ip.networkConnections"}},
		{`dnsQueries(first: 3) { totalCount nodes { name clientIp } }`, []string{"ip.dnsQueries"}},
		{`commonSecurityLog(first: 5) { totalCount nodes { time deviceAction requestUrl } }`, []string{"ip.commonSecurityLog"}},
		{`bookmarks { totalCount nodes { name } }`, []string{"ip.bookmarks"}},
	}
	accountFields = []exampleField{
		{`signins(first: 5) { totalCount nodes { time ipAddress appDisplayName resultType } }`, []string{"account.signins"}},
		{`alerts(first: 5) { totalCount nodes { name severity } }`, []string{"account.alerts"}},
		{`ipAddresses { ipAddress { address } source count failures }`, []string{"account.activity", "account.hostLogons"}},
		{`hosts { host { name } count failures }`, []string{"account.hostLogons"}},
	}
	hostFields = []exampleField{
		{`logons { account { name } result count }`, []string{"host.logons"}},
		{`alerts(first: 5) { totalCount nodes { name severity } }`, []string{"host.alerts"}},
		{`eventSummary { os eventId activity facility process count }`, []string{"host.eventSummary"}},
		{`ipAddresses { ipAddress { address } source lastSeen }`, []string{"host.heartbeat", "host.vmComputer", "host.deviceNetworkInfo"}},
		{`networkConnections { remoteIp count }`, []string{"host.networkConnections"}},
	}
)

// Where the example looks for an entity that occurs in the workspace, most
// frequent first.
var (
	ipColumns      = [][2]string{{"SigninLogs", "IPAddress"}, {"CommonSecurityLog", "SourceIP"}, {"SecurityEvent", "IpAddress"}, {"AzureActivity", "CallerIpAddress"}, {"DeviceNetworkEvents", "RemoteIP"}, {"DnsEvents", "ClientIP"}}
	accountColumns = [][2]string{{"SigninLogs", "UserPrincipalName"}, {"OfficeActivity", "UserId"}, {"SecurityEvent", "TargetUserName"}}
	hostColumns    = [][2]string{{"Heartbeat", "Computer"}, {"SecurityEvent", "Computer"}, {"Syslog", "Computer"}, {"DeviceInfo", "DeviceName"}, {"VMComputer", "Computer"}}
)

// LocalExample is GraphiQL's default tab for a loaded workspace: an IP, an
// account and a host that occur in it, with only the fields whose tables
// it has, over a timespan that ends at its latest event.
func LocalExample(store *duckdb.Store) string {
	tables := store.Tables()
	has := func(f exampleField) bool {
		for _, fc := range facets.All {
			for _, u := range f.uses {
				if strings.HasPrefix(fc.Name, u) {
					if _, ok := tables[fc.Table]; ok {
						return true
					}
				}
			}
		}
		return false
	}
	span := exampleSpan(store)
	var b strings.Builder
	b.WriteString("# entitygraph on this workspace: an IP, an account and a host that occur in it.\n")
	b.WriteString("# Fields whose tables the workspace lacks are left out; Query.workspace lists what loaded.\n")
	b.WriteString("query Investigate {\n")
	write := func(root, arg, value string, fields []exampleField, head string) {
		if value == "" {
			return
		}
		var sel []string
		for _, f := range fields {
			if has(f) {
				sel = append(sel, f.selection)
			}
		}
		fmt.Fprintf(&b, "  %s(%s: %q, timespan: %s) {\n    %s\n", root, arg, value, span, head)
		for _, s := range sel {
			b.WriteString("    " + s + "\n")
		}
		b.WriteString("  }\n")
	}
	write("ipAddress", "address", mostFrequent(store, ipColumns, validIP), ipFields, "address type origin firstSeen lastSeen")
	write("account", "name", mostFrequent(store, accountColumns, validAccount), accountFields, "name upn domainUser sources")
	write("host", "name", mostFrequent(store, hostColumns, func(s string) bool { return s != "" && s != "-" }), hostFields, "name fqdn osFamily")
	b.WriteString("  workspace { tables { name rows } warnings }\n}\n")
	return b.String()
}

// exampleSpan covers the week up to the workspace's latest event (exports
// are often older than the default two days).
func exampleSpan(store *duckdb.Store) string {
	var latest time.Time
	for name := range store.Tables() {
		var t *time.Time
		if err := store.DB().QueryRow(`SELECT max("TimeGenerated") FROM "` + strings.ReplaceAll(name, `"`, `""`) + `"`).Scan(&t); err == nil && t != nil && t.After(latest) {
			latest = *t
		}
	}
	if latest.IsZero() || time.Since(latest) < 24*time.Hour {
		return `{last: "2d"}`
	}
	end := latest.UTC().Add(time.Minute).Truncate(time.Minute)
	return fmt.Sprintf(`{start: %q, end: %q}`, end.Add(-7*24*time.Hour).Format(time.RFC3339), end.Format(time.RFC3339))
}

// mostFrequent is the most frequent acceptable value of the first listed
// column that has one.
func mostFrequent(store *duckdb.Store, columns [][2]string, ok func(string) bool) string {
	tables := store.Tables()
	for _, tc := range columns {
		if _, loaded := tables[tc[0]]; !loaded {
			continue
		}
		rows, err := store.DB().Query(fmt.Sprintf(`SELECT CAST("%s" AS VARCHAR) v, count(*) n FROM "%s" WHERE "%s" IS NOT NULL GROUP BY 1 ORDER BY n DESC, v LIMIT 50`, tc[1], tc[0], tc[1]))
		if err != nil {
			continue // the column is not in this export
		}
		var found string
		for rows.Next() {
			var v string
			var n int64
			if rows.Scan(&v, &n) == nil && ok(v) {
				found = v
				break
			}
		}
		rows.Close()
		if found != "" {
			return found
		}
	}
	return ""
}

func validIP(s string) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	return err == nil && !a.IsUnspecified() && ipclass.Classify(a) != ipclass.Loopback
}

func validAccount(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && s != "-" && !strings.HasSuffix(s, "$") && !strings.EqualFold(s, "SYSTEM")
}
