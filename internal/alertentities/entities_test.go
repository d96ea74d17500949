package alertentities

import (
	"os"
	"strings"
	"testing"
)

// One Entities cell of msticpy's alert list export
// (docs/notebooks/data/alertlist.csv, MIT): a process whose image file,
// account and host are $ref references, and an account referring to its host.
const realEntities = `[{"$id":"4","HostName":"vm3","AzureID":"/subscriptions/212f9889-769e-45ae-ab43-6da33674bd26/resourcegroups/ASCDEMORG/providers/Microsoft.Compute/virtualMachines/vm3","Type":"host"},{"$id":"5","Name":"admin","NTDomain":"contoso","Host":{"$ref":"4"},"IsDomainJoined":true,"Type":"account"},{"$id":"6","Directory":"c:\\documents","Name":"budgetreport.pdf.exe","Type":"file"},{"$id":"7","CommandLine":"C:\\Documents\\BudgetReport.pdf.exe","ImageFile":{"$ref":"6"},"Account":{"$ref":"5"},"Host":{"$ref":"4"},"Type":"process"}]`

func TestParseResolvesRefs(t *testing.T) {
	ents, err := Parse(realEntities)
	if err != nil {
		t.Fatal(err)
	}
	types := []string{}
	for _, e := range ents {
		types = append(types, e.Type)
	}
	if got := strings.Join(types, ","); got != "host,account,file,process" {
		t.Fatalf("types = %s", got)
	}
	acct := ents[1]
	if AccountName(acct) != `contoso\admin` {
		t.Errorf("account name = %q", AccountName(acct))
	}
	if h, ok := acct.Object("Host"); !ok || HostName(h) != "vm3" {
		t.Errorf("account's host ref not resolved: %v", acct.Props["Host"])
	}
	proc := ents[3]
	if a, ok := proc.Object("Account"); !ok || a.String("Name") != "admin" {
		t.Errorf("process account ref not resolved: %v", proc.Props["Account"])
	}
	if f, ok := proc.Object("ImageFile"); !ok || f.String("Name") != "budgetreport.pdf.exe" || f.String("Directory") != `c:\documents` {
		t.Errorf("image file = %v", proc.Props["ImageFile"])
	}
}

func TestParseEdgeCases(t *testing.T) {
	cases := []struct {
		name  string
		in    any
		n     int
		isErr bool
	}{
		{"empty", "", 0, false},
		{"null", nil, 0, false},
		{"malformed", `[{"Type":"ip"`, 0, true},
		{"not an array", `{"Type":"ip"}`, 0, true},
		{"dangling ref", `[{"$ref":"99"},{"$id":"1","Type":"ip","Address":"1.1.1.1"}]`, 1, false},
		{"self cycle", `[{"$id":"1","Type":"account","Name":"a","Self":{"$ref":"1"}}]`, 1, false},
		{"decoded array", []any{map[string]any{"Type": "IP", "Address": "1.2.3.4"}}, 1, false},
		{"duplicate ref", `[{"$id":"1","Type":"ip","Address":"1.1.1.1"},{"$ref":"1"}]`, 1, false},
	}
	for _, c := range cases {
		ents, err := Parse(c.in)
		if (err != nil) != c.isErr || len(ents) != c.n {
			t.Errorf("%s: %d entities, err %v", c.name, len(ents), err)
		}
	}
}

// TestRealAlertList parses every Entities cell of msticpy's alert list
// export (real Defender for Cloud alerts).
func TestRealAlertList(t *testing.T) {
	b, err := os.ReadFile("testdata/alert_entities.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	hosts, accounts := 0, 0
	for i, line := range lines {
		ents, err := Parse(line)
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		for _, e := range ents {
			switch e.Type {
			case "host":
				if HostName(e) == "" {
					t.Errorf("line %d: host without a name: %v", i+1, e.Props)
				}
				hosts++
			case "account":
				if AccountName(e) == "" {
					t.Errorf("line %d: account without a name: %v", i+1, e.Props)
				}
				accounts++
			}
		}
	}
	if hosts == 0 || accounts == 0 {
		t.Errorf("%d hosts, %d accounts in %d alerts", hosts, accounts, len(lines))
	}
}
