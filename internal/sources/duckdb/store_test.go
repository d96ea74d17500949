package duckdb

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"entitygraph/internal/demo"
	"entitygraph/internal/facets"
	"entitygraph/internal/sources"
)

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if dir != "" {
		if _, err := s.LoadDir(context.Background(), dir); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func span2021() facets.Query {
	return facets.Query{Start: time.Date(2021, 4, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2021, 5, 1, 0, 0, 0, 0, time.UTC), Limit: 100}
}

func run(t *testing.T, s *Store, f *facets.Facet, q facets.Query) []Row {
	t.Helper()
	res, err := s.Run(context.Background(), f, q)
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	return res.Rows
}

// TestTrainingLab runs facets on real Log Analytics portal exports.
func TestTrainingLab(t *testing.T) {
	s := open(t, "testdata/traininglab")
	tables := s.Tables()
	if got := tables["SigninLogs"].TimeFallback; got != "CreatedDateTime" {
		t.Errorf("SigninLogs TimeGenerated filled from %q, want CreatedDateTime", got)
	}
	cases := []struct {
		name   string
		facet  *facets.Facet
		key    string
		rows   int
		totals int
	}{
		{"signins of the attacker IP", facets.IPSignins, "175.45.176.99", 56, 56},
		{"office activity, ClientIP with or without port", facets.IPOfficeActivity, "175.45.176.99", 100, 176},
		{"azure activity of Adele's IP", facets.IPAzureActivity, "37.142.150.162", 23, 23},
		{"no rows for an unknown IP", facets.IPSignins, "8.8.8.8", 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := span2021()
			q.Keys = []string{c.key}
			rows := run(t, s, c.facet, q)
			if len(rows) != c.rows {
				t.Fatalf("rows = %d, want %d", len(rows), c.rows)
			}
			if c.rows > 0 {
				if got := rows[0][facets.TotalColumn]; got != int64(c.totals) {
					t.Errorf("total = %v, want %d", got, c.totals)
				}
				if rows[0][facets.KeyColumn] != c.key {
					t.Errorf("key = %v", rows[0][facets.KeyColumn])
				}
			}
		})
	}

	q := span2021()
	q.Keys = []string{"175.45.176.99"}
	rows := run(t, s, facets.IPSignins, q)
	first := rows[len(rows)-1] // oldest
	if first["UserPrincipalName"] != "adelev@m365x816222.onmicrosoft.com" {
		t.Errorf("UserPrincipalName = %v", first["UserPrincipalName"])
	}
	loc, ok := first["LocationDetails"].(map[string]any)
	if !ok || loc["city"] != "Azor" {
		t.Errorf("LocationDetails (dynamic, from the _dynamic half) = %#v", first["LocationDetails"])
	}
	if tm, ok := first["TimeGenerated"].(time.Time); !ok || tm.Format(time.RFC3339) != "2021-04-28T14:08:45Z" {
		t.Errorf("TimeGenerated = %v", first["TimeGenerated"])
	}

	accts := run(t, s, facets.IPOfficeAccounts, q)
	want := map[string]int64{"adelev@m365x816222.onmicrosoft.com": 135, "johns@m365x816222.onmicrosoft.com": 35, "admin@m365x816222.onmicrosoft.com": 4, `sharepoint\system`: 2}
	if len(accts) != len(want) {
		t.Fatalf("office accounts = %d rows, want %d", len(accts), len(want))
	}
	for _, r := range accts {
		if want[r["AccountName"].(string)] != r["Count"] {
			t.Errorf("%v: count %v, want %d", r["AccountName"], r["Count"], want[r["AccountName"].(string)])
		}
	}

	// US-style portal times parse to the same instant.
	q.Keys = []string{"37.142.150.162"}
	az := run(t, s, facets.IPAzureActivity, q)
	oldest := az[len(az)-1]["TimeGenerated"].(time.Time)
	if oldest.Format(time.RFC3339Nano) != "2021-04-28T14:32:14.029Z" && oldest.Before(time.Date(2021, 4, 28, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("oldest AzureActivity time %v", oldest)
	}
}

// TestMsticnbHeartbeat: the notebook's test data for 40.76.43.124 has the
// Heartbeat of MSTICAlertsWin1.
func TestMsticnbHeartbeat(t *testing.T) {
	s := open(t, "testdata/msticnb")
	q := facets.Query{Keys: []string{"40.76.43.124"}, Start: time.Date(2019, 11, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2019, 11, 3, 0, 0, 0, 0, time.UTC)}
	rows := run(t, s, facets.IPHeartbeat, q)
	if len(rows) != 1 || rows[0]["Computer"] != "MSTICAlertsWin1" || rows[0]["OSType"] != "Windows" {
		t.Fatalf("heartbeat = %v", rows)
	}
	// Its NSG row is a msticpy projection (PublicIPAddresses without _s):
	// loaded, reported as unknown columns, but not matched as the real table.
	rep := s.Tables()["AzureNetworkAnalytics_CL"]
	if !contains(rep.Unknown, "PublicIPAddresses") {
		t.Errorf("unknown columns %v lack PublicIPAddresses", rep.Unknown)
	}
	if rows := run(t, s, facets.IPNetworkInterface, q); len(rows) != 0 {
		t.Errorf("networkInterface matched a projected row: %v", rows)
	}
}

func TestMissingTable(t *testing.T) {
	s := open(t, "testdata/msticnb")
	q := facets.Query{Keys: []string{"1.2.3.4"}, Start: time.Now().Add(-time.Hour), End: time.Now(), Limit: 10}
	_, err := s.Run(context.Background(), facets.IPSignins, q)
	var te *sources.TableError
	if !errors.Is(err, sources.ErrTableUnavailable) || !errors.As(err, &te) || te.Table != "SigninLogs" {
		t.Fatalf("err = %v, want table SigninLogs unavailable", err)
	}
}

// TestFormats loads every supported export format and checks typing.
func TestFormats(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// JSON lines, with a dynamic column given as an object and as JSON text.
	write("SigninLogs.jsonl", `{"TimeGenerated":"2026-11-29T10:00:00Z","IPAddress":"1.2.3.4","UserPrincipalName":"a@x.com","LocationDetails":{"city":"Oslo"},"IsInteractive":"True","Extra":"kept","XCount":"7","XWhen":"11/29/2026, 10:00:00 AM","XBag":{"a":1},"XRatio":"1"}
{"TimeGenerated":"2026-11-29T11:00:00.123Z","IPAddress":"1.2.3.4","UserPrincipalName":"b@x.com","LocationDetails":"{\"city\":\"Bergen\"}","IsInteractive":false,"Extra":"12","XCount":"","XWhen":"2026-11-29T10:00:00Z","XRatio":"0.5"}
`)
	// A JSON array of rows.
	write("AzureActivity.json", `[{"TimeGenerated":"2026-11-29T10:00:00Z","CallerIpAddress":"1.2.3.4","Caller":"a@x.com"}]`)
	// A gzipped portal CSV with BOM, CRLF, [UTC] header and US time.
	var gz []byte
	{
		p := filepath.Join(dir, "OfficeActivity.csv.gz")
		f, _ := os.Create(p)
		zw := gzip.NewWriter(f)
		zw.Write([]byte("\ufeff$table,TimeGenerated [UTC],ClientIP,UserId,Operation\r\nOfficeActivity,\"11/29/2026, 10:00:00.000 AM\",1.2.3.4:5555,a@x.com,FileAccessed\r\n"))
		zw.Close()
		f.Close()
		gz, _ = os.ReadFile(p)
	}
	if len(gz) == 0 {
		t.Fatal("gzip fixture not written")
	}
	// A folder of files for one table.
	write("Syslog/part1.jsonl", `{"TimeGenerated":"2026-11-29T10:00:00Z","Computer":"h1","Facility":"authpriv","ProcessName":"sshd","SyslogMessage":"Accepted password for bob from 1.2.3.4 port 22 ssh2"}`+"\n")
	write("Syslog/part2.csv", "TimeGenerated,Computer,Facility,ProcessName,SyslogMessage\n2026-11-29T10:05:00Z,h1,authpriv,sshd,Failed password for bob from 1.2.3.4 port 23 ssh2\n")
	// A query-API response.
	src, err := os.ReadFile("testdata/formats/Usage.json")
	if err != nil {
		t.Fatal(err)
	}
	write("Usage.json", string(src))
	write("notes.txt", "not a table")

	s := open(t, "")
	if err := s.DB().Ping(); err != nil {
		t.Fatal(err)
	}
	rep, err := s.LoadDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	// Parquet, written by DuckDB itself from the loaded sign-ins.
	pq := filepath.Join(t.TempDir(), "DnsEvents.parquet")
	if _, err := s.DB().Exec(`COPY (SELECT TIMESTAMP '2026-11-29 10:00:00' AS TimeGenerated, '1.2.3.4' AS ClientIP, 'LookupQuery' AS SubType, 'evil.example' AS Name, 0 AS ResultCode) TO '` + pq + `' (FORMAT parquet)`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoadTable(context.Background(), "DnsEvents", []string{pq}); err != nil {
		t.Fatal(err)
	}

	rows := map[string]int64{}
	for _, tr := range rep.Tables {
		rows[tr.Table] = tr.Rows
	}
	for table, want := range map[string]int64{"SigninLogs": 2, "AzureActivity": 1, "OfficeActivity": 1, "Syslog": 2, "Usage": 2} {
		if rows[table] != want {
			t.Errorf("%s: %d rows, want %d (report %+v)", table, rows[table], want, rep.Tables)
		}
	}
	if !contains(rep.Skipped, "notes.txt") {
		t.Errorf("skipped = %v", rep.Skipped)
	}
	if !contains(s.Tables()["SigninLogs"].Unknown, "Extra") {
		t.Errorf("unknown columns = %v", s.Tables()["SigninLogs"].Unknown)
	}
	// Unknown columns are typed by inference.
	types := map[string]string{}
	trows, err := s.query(context.Background(), `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'SigninLogs' AND column_name LIKE 'X%' OR column_name = 'Extra'`)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range trows {
		types[r["column_name"].(string)] = r["data_type"].(string)
	}
	for col, want := range map[string]string{"Extra": "VARCHAR", "XCount": "BIGINT", "XWhen": "TIMESTAMP", "XBag": "JSON", "XRatio": "DOUBLE"} {
		if types[col] != want {
			t.Errorf("inferred %s as %s, want %s (all: %v)", col, types[col], want, types)
		}
	}

	q := facets.Query{Keys: []string{"1.2.3.4"}, Start: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), Limit: 10, AllColumns: true}
	sig := run(t, s, facets.IPSignins, q)
	if len(sig) != 2 {
		t.Fatalf("signins = %d", len(sig))
	}
	for _, r := range sig {
		city := r["LocationDetails"].(map[string]any)["city"]
		if city != "Oslo" && city != "Bergen" {
			t.Errorf("LocationDetails = %v", r["LocationDetails"])
		}
		if _, ok := r["IsInteractive"].(bool); !ok {
			t.Errorf("IsInteractive = %#v, want bool", r["IsInteractive"])
		}
	}
	if n := len(run(t, s, facets.IPOfficeActivity, q)); n != 1 {
		t.Errorf("office rows = %d", n)
	}
	if n := len(run(t, s, facets.IPAzureActivity, q)); n != 1 {
		t.Errorf("azure rows = %d", n)
	}
	logons := run(t, s, facets.IPLinuxLogons, q)
	if len(logons) != 2 {
		t.Fatalf("linux logons = %v", logons)
	}
	if n := len(run(t, s, facets.IPDnsQueries, q)); n != 1 {
		t.Errorf("parquet dns rows = %d", n)
	}
}

// TestHostileKeys: injection attempts are bound as values and match nothing.
func TestHostileKeys(t *testing.T) {
	s := open(t, "testdata/traininglab")
	for _, key := range []string{`175.45.176.99' OR '1'='1`, `x'); DROP TABLE SigninLogs; --`, "175.45.176.99\x00", "ünï'\"; --", `\'`} {
		for _, f := range facets.All {
			if !s.HasTable(f.Table) {
				continue
			}
			q := span2021()
			q.Keys = []string{key}
			if rows := run(t, s, f, q); len(rows) != 0 {
				t.Errorf("%s with key %q returned %d rows", f.Name, key, len(rows))
			}
		}
	}
	if !s.HasTable("SigninLogs") {
		t.Fatal("SigninLogs dropped")
	}
	q := span2021()
	q.Keys = []string{"175.45.176.99"}
	if n := len(run(t, s, facets.IPSignins, q)); n != 56 {
		t.Errorf("after hostile keys: %d rows", n)
	}
}

// TestBatchSplitsPerKey: one query for several keys returns each key's page.
func TestBatchSplitsPerKey(t *testing.T) {
	s := open(t, "testdata/traininglab")
	q := span2021()
	q.Keys = []string{"175.45.176.99", "37.142.150.162", "9.9.9.9"}
	q.Limit = 5
	res, err := s.Run(context.Background(), facets.IPOfficeActivity, q)
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	for _, r := range res.Rows {
		per[r[facets.KeyColumn].(string)]++
	}
	if per["175.45.176.99"] != 5 || per["9.9.9.9"] != 0 {
		t.Errorf("rows per key = %v", per)
	}
}

// TestRepeatedKeysAnswerOnce: rows meet their keys by a plain join (no
// de-duplication step) for unaliased keys, so a key asked twice must not
// double its rows.
func TestRepeatedKeysAnswerOnce(t *testing.T) {
	s := open(t, "testdata/traininglab")
	q := span2021()
	q.Keys = []string{"175.45.176.99", "37.142.150.162"}
	once, err := s.Run(context.Background(), facets.IPOfficeAccounts, q)
	if err != nil {
		t.Fatal(err)
	}
	q.Keys = []string{"175.45.176.99", "37.142.150.162", "175.45.176.99"}
	twice, err := s.Run(context.Background(), facets.IPOfficeAccounts, q)
	if err != nil {
		t.Fatal(err)
	}
	count := func(rows []sources.Row) (n int64) {
		for _, r := range rows {
			n += r["Count"].(int64)
		}
		return n
	}
	if count(once.Rows) == 0 || count(twice.Rows) != count(once.Rows) {
		t.Errorf("%d rows counted for the keys once, %d with one repeated", count(once.Rows), count(twice.Rows))
	}
	if strings.Contains(twice.Statement, "DISTINCT") {
		t.Errorf("unaliased keys de-duplicated in the statement: %s", twice.Statement)
	}
}

// TestMalformedJSON: a row with broken Entities JSON matches nothing; the
// other rows still answer.
func TestMalformedJSON(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "SecurityAlert.jsonl"), []byte(
		`{"TimeGenerated":"2026-11-29T10:00:00Z","SystemAlertId":"good","Entities":"[{\"$id\":\"2\",\"Type\":\"ip\",\"Address\":\"1.2.3.4\"}]","ExtendedProperties":"{}"}
{"TimeGenerated":"2026-11-29T10:00:00Z","SystemAlertId":"bad","Entities":"[{\"Type\":\"ip\",\"Address\":\"1.2.3.4\"","ExtendedProperties":"{\"Source IPs\": \"1.2.3.4\""}
{"TimeGenerated":"2026-11-29T10:00:00Z","SystemAlertId":"props","Entities":"not json at all","ExtendedProperties":"{\"Source IPs\":\"9.9.9.9, 1.2.3.4\"}"}
`), 0o644)
	s := open(t, dir)
	q := facets.Query{Keys: []string{"1.2.3.4"}, Start: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), Limit: 10}
	rows := run(t, s, facets.IPAlerts, q)
	ids := map[string]bool{}
	for _, r := range rows {
		ids[r["SystemAlertId"].(string)] = true
	}
	if len(ids) != 2 || !ids["good"] || !ids["props"] {
		t.Errorf("alerts = %v, want good and props", ids)
	}
}

// openDemo loads the demo workspace generated for a fixed time, and
// returns that time.
func openDemo(t *testing.T) (*Store, time.Time) {
	t.Helper()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	if _, err := demo.Write(dir, demo.Options{Now: now}); err != nil {
		t.Fatal(err)
	}
	return open(t, dir), now
}

// TestEveryFacetRuns executes every facet on the demo workspace, for keys
// of each entity kind, and checks the stories' facets find their rows.
func TestEveryFacetRuns(t *testing.T) {
	s, now := openDemo(t)
	keys := map[string][]string{
		"ip":      {demo.SprayIP, demo.BeaconIP, demo.BruteIP},
		"account": {demo.SprayVictim, "megan.bowen", demo.BruteAccount, `contoso\administrator`},
		"host":    {demo.BeaconHost, demo.BruteHost, "win-fs01"},
		"alert":   {"no-such-alert"},
		"alerts":  {"*"},
	}
	found := map[string]int{}
	for _, f := range facets.All {
		kind := strings.SplitN(f.Name, ".", 2)[0]
		if strings.HasSuffix(f.Name, ".timeline") {
			found[f.Name] = 0
		}
		q := facets.Query{Keys: keys[kind], Start: now.Add(-48 * time.Hour), End: now, Limit: 20, Bucket: time.Hour}
		res, err := s.Run(context.Background(), f, q)
		if errors.Is(err, sources.ErrTableUnavailable) && f.Table == "ThreatIntelligenceIndicator" {
			continue // the demo has the current TI schema only
		}
		if err != nil {
			t.Errorf("%s: %v\n%s", f.Name, err, res.Statement)
			continue
		}
		found[f.Name] = len(res.Rows)
	}
	for _, name := range []string{"account.signins", "account.officeActivity", "account.alerts", "account.hostLogons.windows",
		"account.hostLogons.linux", "account.activity.signins", "account.profile", "host.logons.windows", "host.logons.linux",
		"host.alerts", "host.heartbeat", "host.vmComputer", "host.networkInterface", "host.deviceInfo", "host.netflows",
		"host.networkConnections", "host.eventSummary.windows", "host.eventSummary.linux", "alerts.queue", "host.bookmarks", "account.bookmarks"} {
		if found[name] == 0 {
			t.Errorf("%s found nothing on the demo", name)
		}
	}
}

// TestSummaryCap: a summary keeps the most frequent groups per key.
func TestSummaryCap(t *testing.T) {
	s := open(t, "testdata/traininglab")
	capped := *facets.IPOfficeAccounts
	capped.Summary.Limit = 2
	q := span2021()
	q.Keys = []string{"175.45.176.99"}
	rows := run(t, s, &capped, q)
	if len(rows) != 2 || rows[0]["AccountName"] != "adelev@m365x816222.onmicrosoft.com" || rows[1]["Count"] != int64(35) {
		t.Errorf("capped summary = %v", rows)
	}
}

// TestSpecialFilesNeverOpened: a FIFO (or socket, or device) in the
// workspace is reported and skipped; opening it would block start-up.
func TestSpecialFilesNeverOpened(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "SigninLogs.jsonl"), []byte(`{"TimeGenerated":"2026-11-29T10:00:00Z","IPAddress":"1.2.3.4"}`+"\n"), 0o644)
	if err := syscall.Mkfifo(filepath.Join(dir, "AuditLogs.jsonl"), 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	os.Mkdir(filepath.Join(dir, "Syslog"), 0o755)
	syscall.Mkfifo(filepath.Join(dir, "Syslog", "part1.jsonl"), 0o644)
	s, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	done := make(chan struct{})
	var rep LoadReport
	go func() {
		defer close(done)
		rep, err = s.LoadDir(context.Background(), dir)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute): // a hang detector, not a timing assertion
		t.Fatal("loading blocked on a FIFO")
	}
	if err != nil || len(rep.Tables) != 1 || rep.Tables[0].Table != "SigninLogs" || strings.Join(rep.Special, ",") != "AuditLogs.jsonl,Syslog/part1.jsonl" {
		t.Errorf("report %+v, err %v", rep, err)
	}
}

// TestMalformedExports: a malformed row fails the load naming the file,
// the row and the reason (with Lenient, it is skipped, counted and
// reported); the header is never taken from data; empty files and
// misspelt table names are warnings, never silence.
func TestMalformedExports(t *testing.T) {
	fixture := func(name string) string { return filepath.Join("testdata", "malformed", name) }
	cases := []struct {
		name     string
		file     string // fixture
		as       string // the name it gets in the workspace
		lenient  bool
		err      string // substring of the load error; "" for none
		rows     int64
		rejected int64
		warnings []string
		upns     int // distinct UserPrincipalName values loaded
	}{
		{"short row", "short_row.csv", "SigninLogs.csv", false, "SigninLogs.csv: row 3 (counting the header as row 1): Expected Number of Columns: 4 Found: 3; 1 malformed row(s)", 0, 0, nil, 0},
		{"short row, lenient", "short_row.csv", "SigninLogs.csv", true, "", 2, 1, []string{"SigninLogs.csv: 1 malformed row(s) skipped, the first at row 3"}, 2},
		{"short and long rows, lenient", "short_and_long.csv", "SigninLogs.csv", true, "", 2, 2, []string{"2 malformed row(s) skipped"}, 2},
		{"short and long rows", "short_and_long.csv", "SigninLogs.csv", false, "2 malformed row(s) in all", 0, 0, nil, 0},
		{"empty file", "empty.csv", "SigninLogs.csv", false, "", 0, 0, []string{"SigninLogs.csv: empty file"}, 0},
		{"misspelt table", "ok.csv", "SignInLogz.csv", false, "", 1, 0, []string{"SignInLogz is not a documented Sentinel table (did you mean SigninLogs?)"}, 1},
		{"custom table", "ok.csv", "Firewall_CL.csv", false, "", 1, 0, nil, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			b, err := os.ReadFile(fixture(c.file))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, c.as), b, 0o644)
			os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not an export"), 0o644)
			s, err := Open(Options{Lenient: c.lenient})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			rep, err := s.LoadDir(context.Background(), dir)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Tables) != 1 || rep.Tables[0].Rows != c.rows || rep.Tables[0].Rejected != c.rejected || (c.as == "SigninLogs.csv" && len(rep.Tables[0].Unknown) != 0) {
				t.Errorf("tables %+v", rep.Tables)
			}
			all := strings.Join(s.Warnings(), "\n")
			for _, w := range append(c.warnings, "notes.txt: not a table export") {
				if !strings.Contains(all, w) {
					t.Errorf("warnings lack %q:\n%s", w, all)
				}
			}
			if c.name == "custom table" && strings.Contains(all, "Firewall_CL") {
				t.Errorf("a custom table was warned about: %s", all)
			}
			if c.upns > 0 {
				table := rep.Tables[0].Table
				var n int
				if err := s.DB().QueryRow(`SELECT count(DISTINCT "UserPrincipalName") FROM ` + identSQL(table)).Scan(&n); err != nil || n != c.upns {
					t.Errorf("%d distinct accounts loaded (%v), want %d", n, err, c.upns)
				}
			}
		})
	}
}

// TestBucketsFromTheEpoch: timeline buckets count from 1970-01-01 (as the
// KQL's bin_at does), so widths that do not divide a day agree across
// engines: 2026-11-25 and 11-26 share one 2-day bucket starting 11-25.
func TestBucketsFromTheEpoch(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "SigninLogs.jsonl"), []byte(`{"TimeGenerated":"2026-11-25T10:00:00Z","IPAddress":"1.2.3.4"}
{"TimeGenerated":"2026-11-26T10:00:00Z","IPAddress":"1.2.3.4"}
`), 0o644)
	s := open(t, dir)
	var tl *facets.Facet
	for _, f := range facets.IPTimeline {
		if f.Table == "SigninLogs" {
			tl = f
		}
	}
	for _, c := range []struct {
		width time.Duration
		want  []string
	}{
		{48 * time.Hour, []string{"2026-11-25T00:00:00Z"}},
		{5 * time.Hour, []string{"2026-11-25T07:00:00Z", "2026-11-26T08:00:00Z"}},
	} {
		q := facets.Query{Keys: []string{"1.2.3.4"}, Start: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), Bucket: c.width}
		var got []string
		for _, r := range run(t, s, tl, q) {
			got = append(got, r["Bucket"].(time.Time).UTC().Format(time.RFC3339))
		}
		sort.Strings(got)
		for _, w := range c.want {
			epoch := time.Unix(0, 0).UTC()
			ts, _ := time.Parse(time.RFC3339, w)
			if ts.Sub(epoch)%c.width != 0 {
				t.Fatalf("test expectation %s is not epoch-aligned for %v", w, c.width)
			}
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%v buckets %v, want %v", c.width, got, c.want)
		}
	}
}

// TestSummaryTiesAtTheCap: groups tied at the cap are kept in group-column
// order (as the KQL's sort writes it), not in whatever order the engine
// meets them.
func TestSummaryTiesAtTheCap(t *testing.T) {
	dir := t.TempDir()
	var rows []string
	for _, u := range []string{"zed@contoso.com", "amy@contoso.com", "mia@contoso.com"} {
		rows = append(rows, `{"TimeGenerated":"2026-11-29T10:00:00Z","IPAddress":"1.2.3.4","UserPrincipalName":"`+u+`","ResultType":"0"}`)
	}
	os.WriteFile(filepath.Join(dir, "SigninLogs.jsonl"), []byte(strings.Join(rows, "\n")+"\n"), 0o644)
	s := open(t, dir)
	capped := *facets.IPSigninAccounts
	capped.Summary.Limit = 2
	q := facets.Query{Keys: []string{"1.2.3.4"}, Start: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)}
	var kept []string
	for _, r := range run(t, s, &capped, q) {
		kept = append(kept, fmt.Sprint(r[capped.Summary.By[0]]))
	}
	if strings.Join(kept, ",") != "amy@contoso.com,mia@contoso.com" {
		t.Errorf("kept %v", kept)
	}
}

// TestSshdNonASCIISpace: a user name holding a no-break space is taken
// whole (the classes are spelled out, as the KQL has them), not cut at it.
func TestSshdNonASCIISpace(t *testing.T) {
	dir := t.TempDir()
	row, _ := json.Marshal(map[string]any{"TimeGenerated": "2026-11-29T10:00:00Z", "Computer": "db-01", "Facility": "authpriv", "ProcessName": "sshd",
		"SyslogMessage": "Failed password for bob\u00a0x from 1.2.3.4 port 2222 ssh2"})
	os.WriteFile(filepath.Join(dir, "Syslog.jsonl"), append(row, '\n'), 0o644)
	s := open(t, dir)
	q := facets.Query{Keys: []string{"1.2.3.4"}, Start: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)}
	rows := run(t, s, facets.IPLinuxLogons, q)
	if len(rows) != 1 || rows[0]["LogonAccount"] != "bob\u00a0x" {
		t.Errorf("rows = %v", rows)
	}
}

// TestMalformedJSONLine: a broken JSON line fails the load naming its own
// line (DuckDB's message names the next one).
func TestMalformedJSONLine(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "SigninLogs.jsonl"), []byte(`{"TimeGenerated":"2026-11-29T10:00:00Z","IPAddress":"1.2.3.4"}
{"TimeGenerated": ,"IPAddress":"1.2.3.4"}
{"TimeGenerated":"2026-11-29T10:02:00Z","IPAddress":"1.2.3.5"}
`), 0o644)
	s, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.LoadDir(context.Background(), dir)
	if err == nil || !strings.Contains(err.Error(), "SigninLogs.jsonl: line 2 is not a JSON object") {
		t.Errorf("err = %v", err)
	}
}

// TestStringsAreNeverNull: as in Kusto, a string column holds the empty string where an
// export has an empty, null or missing value, in every format.
func TestStringsAreNeverNull(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("SigninLogs.jsonl", `{"TimeGenerated":"2026-11-25T10:00:00Z","IPAddress":"1.1.1.1","ResultType":null}
{"TimeGenerated":"2026-11-25T10:00:00Z","IPAddress":"1.1.1.1","ResultType":""}
{"TimeGenerated":"2026-11-25T10:00:00Z","IPAddress":"1.1.1.1"}
`)
	write("AzureActivity.csv", "TimeGenerated,CallerIpAddress,Caller\n2026-11-25T10:00:00Z,1.1.1.1,\n2026-11-25T10:00:00Z,,\"\"\n")
	s := open(t, dir)
	for _, table := range []string{"SigninLogs", "AzureActivity"} {
		rows, err := s.query(context.Background(), "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND data_type = 'VARCHAR'", table)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) < 10 {
			t.Fatalf("%s: %d string columns", table, len(rows))
		}
		for _, r := range rows {
			col := r["column_name"].(string)
			n, err := s.query(context.Background(), fmt.Sprintf("SELECT count(*) AS n FROM %s WHERE %s IS NULL", identSQL(table), identSQL(col)))
			if err != nil {
				t.Fatal(err)
			}
			if n[0]["n"] != int64(0) {
				t.Errorf("%s.%s: %v NULL values", table, col, n[0]["n"])
			}
		}
	}
	// A string column no file holds is read as '', not stored: writing ''
	// into every row of each took most of a large load's time.
	stored := func(table string) map[string]bool {
		rows, err := s.query(context.Background(), "SELECT DISTINCT column_name FROM pragma_storage_info(?)", table)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, r := range rows {
			out[r["column_name"].(string)] = true
		}
		return out
	}
	for _, c := range []struct {
		table, col string
		stored     bool
	}{
		{"SigninLogs", "IPAddress", true},
		{"SigninLogs", "ResultType", true}, // in the file, null or missing in rows
		{"SigninLogs", "DurationMs", true}, // a long: NULL is stored cheaply
		{"SigninLogs", "UserAgent", false}, // a string no row holds
		{"AzureActivity", "Caller", true},  // empty in every row, but in the file
		{"AzureActivity", "OperationNameValue", false},
	} {
		if got := stored(c.table)[c.col]; got != c.stored {
			t.Errorf("%s.%s stored = %v, want %v", c.table, c.col, got, c.stored)
		}
	}
	rows, err := s.query(context.Background(), "SELECT * FROM SigninLogs")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if v, ok := r["UserAgent"]; !ok || v != "" {
			t.Errorf("SELECT *: UserAgent = %#v (present %v), want ''", v, ok)
		}
	}
}

// TestAliasedKeys: a person's identifiers as one aliased key match a row by
// any of them and return it once, under the whole key, beside plain keys.
func TestAliasedKeys(t *testing.T) {
	dir := t.TempDir()
	rows := `{"TimeGenerated":"2026-11-25T10:00:00Z","EventID":4624,"Computer":"h1","Account":"CONTOSO\\megan.bowen","TargetUserName":"megan.bowen","TargetDomainName":"CONTOSO","TargetUserSid":"S-1-5-21-1-2-3-1105"}
{"TimeGenerated":"2026-11-25T11:00:00Z","EventID":4624,"Computer":"h2","Account":"CONTOSO\\megan.bowen","TargetUserName":"megan.bowen","TargetDomainName":"CONTOSO","TargetUserSid":"S-1-5-21-1-2-3-1105"}
{"TimeGenerated":"2026-11-25T12:00:00Z","EventID":4625,"Computer":"h1","Account":"FABRIKAM\\megan.bowen","TargetUserName":"megan.bowen","TargetDomainName":"FABRIKAM","TargetUserSid":"S-1-5-21-9-9-9-1200"}
{"TimeGenerated":"2026-11-25T13:00:00Z","EventID":4624,"Computer":"h3","Account":"CONTOSO\\adele","TargetUserName":"adele","TargetDomainName":"CONTOSO","TargetUserSid":"S-1-5-21-1-2-3-1106"}
`
	if err := os.WriteFile(filepath.Join(dir, "SecurityEvent.jsonl"), []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	s := open(t, dir)
	megan := facets.AliasKey([]string{"megan.bowen@contoso.com", `contoso\megan.bowen`, "s-1-5-21-1-2-3-1105"})
	q := facets.Query{Keys: []string{megan, `contoso\adele`}, Start: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)}
	got := map[string]int64{}
	for _, r := range run(t, s, facets.AccountWindowsLogons, q) {
		got[r[facets.KeyColumn].(string)+"|"+r["Host"].(string)] += r["Count"].(int64)
	}
	want := map[string]int64{megan + "|h1": 1, megan + "|h2": 1, `contoso\adele|h3`: 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("logons = %v, want %v", got, want)
	}
	// Each row once, though it matches three identifiers.
	q.Limit = 10
	if rows := run(t, s, facets.AccountWindowsLogons, q); len(rows) != 3 {
		t.Errorf("%d groups", len(rows))
	}
	// An identifier in two keys of one query is refused, not guessed.
	q.Keys = []string{megan, `contoso\megan.bowen`}
	if _, err := s.Run(context.Background(), facets.AccountWindowsLogons, q); err == nil {
		t.Error("overlapping keys rendered")
	}
}

// TestStatementsReusedAndBounded: facet statements are prepared once per
// shape, at most PreparedStatements are kept, eviction under concurrent
// use breaks no query, and answers equal those of unprepared queries.
func TestStatementsReusedAndBounded(t *testing.T) {
	prepared, err := Open(Options{PreparedStatements: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer prepared.Close()
	plain, err := Open(Options{PreparedStatements: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	for _, s := range []*Store{prepared, plain} {
		if _, err := s.LoadDir(context.Background(), "testdata/traininglab"); err != nil {
			t.Fatal(err)
		}
	}
	q := span2021()
	q.Keys = []string{"175.45.176.99"}
	fs := []*facets.Facet{facets.IPSignins, facets.IPOfficeActivity, facets.IPAzureActivity, facets.IPSigninAccounts, facets.IPOfficeAccounts}
	for _, f := range fs {
		a, b := run(t, prepared, f, q), run(t, plain, f, q)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%s: prepared and plain answers differ", f.Name)
		}
	}
	if n := prepared.stmts.len(); n != 3 {
		t.Errorf("%d statements kept, want the bound, 3", n)
	}
	run(t, prepared, fs[4], q) // the most recent shape: reused, nothing added
	if n := prepared.stmts.len(); n != 3 {
		t.Errorf("%d statements kept after a reuse", n)
	}
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		go func(i int) {
			qq := q
			qq.Keys = []string{"175.45.176.99", fmt.Sprintf("10.0.0.%d", i%7)} // 5 shapes over a bound of 3
			_, err := prepared.Run(context.Background(), fs[i%len(fs)], qq)
			errs <- err
		}(i)
	}
	for i := 0; i < 40; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestManyKeysAnswerAsFew: a joined facet meets rows on row ids and joins
// whole rows after when a key is aliased, and binds identifiers as lists
// past maxInlineSet; every facet's rows for its keys are the same whichever
// way the statement took (the demo's keys, alone and among 20 more plain
// keys and one aliased key that match nothing).
func TestManyKeysAnswerAsFew(t *testing.T) {
	s, now := openDemo(t)
	keys := map[string][]string{
		"ip":      {demo.SprayIP, demo.BeaconIP, demo.BruteIP},
		"account": {demo.SprayVictim, demo.BruteAccount, `contoso\administrator`},
		"host":    {demo.BeaconHost, demo.BruteHost, "win-fs01"},
	}
	compared := 0
	for _, f := range facets.All {
		few, ok := keys[strings.SplitN(f.Name, ".", 2)[0]]
		if !ok || f.Keys.All {
			continue
		}
		many := append([]string{}, few...)
		for i := 0; i < 20; i++ {
			many = append(many, fmt.Sprintf("203.0.113.%d", i))
		}
		many = append(many, facets.AliasKey([]string{"nobody@example.com", `example\nobody`}))
		for i, all := range []bool{false, true, false} {
			q := facets.Query{Keys: few, Start: now.Add(-48 * time.Hour), End: now, Limit: 7, Offset: 3 * (i / 2), Bucket: time.Hour, AllColumns: all}
			a, err := s.Run(context.Background(), f, q)
			if errors.Is(err, sources.ErrTableUnavailable) {
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			q.Keys = many
			b, err := s.Run(context.Background(), f, q)
			if err != nil {
				t.Fatalf("%s, %d keys: %v\n%s", f.Name, len(many), err, b.Statement)
			}
			if fmt.Sprint(a.Rows) != fmt.Sprint(b.Rows) {
				t.Errorf("%s (all columns %v, offset %d): %d rows for its keys, %d among %d keys", f.Name, all, q.Offset, len(a.Rows), len(b.Rows), len(many))
			}
			if len(a.Rows) > 0 {
				compared++
			}
		}
	}
	if compared < 30 {
		t.Errorf("only %d facet answers had rows to compare", compared)
	}
}

// TestCountsMatchPages: an Events facet asked for totals alone (Limit 0)
// answers one row per key that has rows, holding the key and the total a
// page reports — in every statement shape (a few plain keys, many keys,
// an aliased key).
func TestCountsMatchPages(t *testing.T) {
	s, now := openDemo(t)
	person := facets.AliasKey([]string{demo.SprayVictim, strings.SplitN(demo.SprayVictim, "@", 2)[0]})
	keys := map[string][]string{
		"ip":      {demo.SprayIP, demo.BeaconIP, demo.BruteIP, "203.0.113.250"},
		"account": {person, demo.BruteAccount, `contoso\administrator`},
		"host":    {demo.BeaconHost, demo.BruteHost, "win-fs01"},
	}
	counted := 0
	for _, f := range facets.All {
		few, ok := keys[strings.SplitN(f.Name, ".", 2)[0]]
		if !ok || f.Kind != facets.Events || f.Keys.All {
			continue
		}
		many := append([]string{}, few...)
		for i := 0; i < 20; i++ {
			many = append(many, fmt.Sprintf("198.51.100.%d", i))
		}
		for _, ks := range [][]string{few, many} {
			q := facets.Query{Keys: ks, Start: now.Add(-48 * time.Hour), End: now, Limit: 1}
			page, err := s.Run(context.Background(), f, q)
			if errors.Is(err, sources.ErrTableUnavailable) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			want := map[string]any{}
			for _, r := range page.Rows {
				want[r[facets.KeyColumn].(string)] = r[facets.TotalColumn]
			}
			q.Limit = 0
			counts, err := s.Run(context.Background(), f, q)
			if err != nil {
				t.Fatalf("%s, totals alone: %v\n%s", f.Name, err, counts.Statement)
			}
			got := map[string]any{}
			for _, r := range counts.Rows {
				if len(r) != 2 {
					t.Errorf("%s: a total's row holds %d columns: %v", f.Name, len(r), r)
				}
				got[r[facets.KeyColumn].(string)] = r[facets.TotalColumn]
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s, %d keys: totals %v, pages say %v", f.Name, len(ks), got, want)
			}
			if len(got) > 0 {
				counted++
			}
		}
	}
	t.Logf("%d answers had totals", counted)
	if counted < 40 {
		t.Errorf("only %d facet answers had totals to compare", counted)
	}
}
