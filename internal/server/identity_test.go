package server

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"entitygraph/internal/demo"
)

const accountFacts = `query($n: String!) { account(name: $n) {
	aliases { kind value sources } ambiguous candidates { name }
	sources signins { totalCount } alerts { totalCount } officeActivity { totalCount }
	hostLogons { host { name } logonType result count } hosts { host { name } count failures }
	ipAddresses { ipAddress { address } source count } } }`

// TestAccountResolution: one person asked for by UPN (any case),
// DOMAIN\user, SID, object id or bare name gives the same account; the
// UPN form finds her Windows logons (it found none before resolution); a
// bare name two directories hold is ambiguous, never merged.
func TestAccountResolution(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	base := post(t, ts, accountFacts, map[string]any{"n": demo.SprayVictim})
	noErrors(t, base)
	a := base.Data["account"]
	ids := map[string]string{}
	for _, al := range get(a, "aliases").([]any) {
		ids[get(al, "kind").(string)] = get(al, "value").(string)
	}
	if ids["UPN"] != demo.SprayVictim || ids["DOMAIN_USER"] != `contoso\megan.bowen` || !strings.HasPrefix(ids["SID"], "s-1-5-21-") || ids["OBJECT_ID"] == "" {
		t.Fatalf("aliases = %v", get(a, "aliases"))
	}
	if !strings.Contains(fmt.Sprint(get(a, "sources")), "WINDOWS_LOGON") || len(get(a, "hosts").([]any)) == 0 {
		t.Errorf("the UPN form does not reach her Windows logons: sources %v, hosts %v", get(a, "sources"), get(a, "hosts"))
	}
	for _, form := range []string{"MEGAN.BOWEN@contoso.com", `CONTOSO\megan.bowen`, ids["SID"], ids["OBJECT_ID"], "megan.bowen"} {
		r := post(t, ts, accountFacts, map[string]any{"n": form})
		noErrors(t, r)
		if !reflect.DeepEqual(r.Data["account"], a) {
			t.Errorf("%s: answers differ from the UPN's:\n%v\n%v", form, r.Data["account"], a)
		}
	}
	// One person's rows once: sign-ins equal those of her UPN alone.
	if num(get(a, "signins.totalCount")) == 0 {
		t.Error("no sign-ins")
	}

	amb := post(t, ts, `{ account(name: "alex.wilber") { ambiguous candidates { name } aliases { value } } }`, nil)
	var codes []string
	for _, e := range amb.Errors {
		codes = append(codes, fmt.Sprint(e.Extensions["code"]))
		if e.Extensions["code"] == "AMBIGUOUS_NAME" && !reflect.DeepEqual(e.Extensions["candidates"], []any{"alex.wilber@contoso.com", "alex.wilber@fabrikam.com"}) {
			t.Errorf("candidates in the error = %v", e.Extensions["candidates"])
		}
	}
	if get(amb.Data, "account.ambiguous") != true || fmt.Sprint(codes) != "[AMBIGUOUS_NAME]" {
		t.Errorf("alex.wilber: %v, errors %v", amb.Data, codes)
	}
	var cands []string
	for _, c := range get(amb.Data, "account.candidates").([]any) {
		cands = append(cands, get(c, "name").(string))
	}
	sort.Strings(cands)
	if !reflect.DeepEqual(cands, []string{"alex.wilber@contoso.com", "alex.wilber@fabrikam.com"}) {
		t.Errorf("candidates = %v", cands)
	}
	// Asked by UPN, each namesake is one person, not ambiguous.
	one := post(t, ts, `{ account(name: "alex.wilber@contoso.com") { ambiguous aliases { value } } }`, nil)
	noErrors(t, one)
	if get(one.Data, "account.ambiguous") != false || strings.Contains(fmt.Sprint(get(one.Data, "account.aliases")), "fabrikam") {
		t.Errorf("alex.wilber@contoso.com = %v", one.Data)
	}
}

// TestDesignCardPivot: ipAddress → relatedAccounts → account reaches the
// account's Windows logons whichever table named it, and resolution costs
// one query per link table for the whole level.
func TestDesignCardPivot(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	r := post(t, ts, `{ ipAddress(address: "`+demo.SprayIP+`") { relatedAccounts { source account { name sources hosts { host { name } } } } } }`, nil)
	noErrors(t, r)
	found := false
	for _, ra := range get(r.Data, "ipAddress.relatedAccounts").([]any) {
		if get(ra, "account.name") == demo.SprayVictim {
			found = true
			if !strings.Contains(fmt.Sprint(get(ra, "account.sources")), "WINDOWS_LOGON") || len(get(ra, "account.hosts").([]any)) == 0 {
				t.Errorf("%s through the pivot: %v", demo.SprayVictim, ra)
			}
		}
	}
	if !found {
		t.Fatal("the spray victim is not among the related accounts")
	}
	// A Windows logon names the person by DOMAIN\user: the related account
	// is the person's Account, by its UPN, as a sign-in would name it.
	corp := post(t, ts, `{ ipAddress(address: "10.0.3.31") { relatedAccounts { source account { name } } } }`, nil)
	noErrors(t, corp)
	windows := 0
	for _, ra := range get(corp.Data, "ipAddress.relatedAccounts").([]any) {
		if get(ra, "source") == "WINDOWS_LOGON" {
			windows++
			if n := get(ra, "account.name").(string); !strings.HasSuffix(n, "@contoso.com") {
				t.Errorf("a Windows logon's account is %q, not the person's UPN", n)
			}
		}
	}
	if windows == 0 {
		t.Error("no Windows logon from 10.0.3.31 in the demo")
	}
	links := map[string]int{}
	for _, c := range r.Extensions.Trace {
		if strings.HasPrefix(c.Facet, "account.links.") && !c.Cached {
			links[c.Facet]++
		}
	}
	for facet, n := range links {
		if n != 1 {
			t.Errorf("%s: %d queries for one level of accounts", facet, n)
		}
	}
	if len(links) != 3 {
		t.Errorf("link queries: %v", links)
	}
	// Counts alone name no account: nothing is resolved.
	counts := post(t, ts, `{ ipAddress(address: "10.0.3.31") { relatedAccounts { source count } } }`, nil)
	noErrors(t, counts)
	for _, c := range counts.Extensions.Trace {
		if strings.HasPrefix(c.Facet, "account.links.") {
			t.Errorf("relatedAccounts without account resolved names: %+v", c)
		}
	}
}

// TestHostResolution: a host asked for by its FQDN, MDE device id, Azure
// resource id, agent id or VM id (any case) is the same Host as by its
// short name; an id no inventory knows is null.
func TestHostResolution(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	const q = `query($n: String!) { host(name: $n) { id name aliases { kind value sources } } }`
	base := post(t, ts, q, map[string]any{"n": demo.BeaconHost})
	noErrors(t, base)
	kinds := map[string]bool{}
	var forms []string
	for _, al := range get(base.Data, "host.aliases").([]any) {
		kinds[get(al, "kind").(string)] = true
		forms = append(forms, get(al, "value").(string))
	}
	for _, k := range []string{"SHORT_NAME", "FQDN", "MDE_DEVICE_ID", "AZURE_RESOURCE_ID", "AGENT_ID", "AZURE_VM_ID"} {
		if !kinds[k] {
			t.Errorf("no %s among %v", k, get(base.Data, "host.aliases"))
		}
	}
	id := get(base.Data, "host.id")
	for _, form := range forms {
		for _, f := range []string{form, strings.ToUpper(form)} {
			r := post(t, ts, q, map[string]any{"n": f})
			noErrors(t, r)
			if get(r.Data, "host.id") != id {
				t.Errorf("host(name: %q) = %v, want the host %s", f, r.Data["host"], demo.BeaconHost)
			}
		}
	}
	unknown := post(t, ts, q, map[string]any{"n": "00000000-1111-4222-a333-444444444444"})
	noErrors(t, unknown)
	if unknown.Data["host"] != nil {
		t.Errorf("an unknown agent id = %v", unknown.Data["host"])
	}
}

// TestNewLogonTables: Entra non-interactive sign-ins, Defender for
// Identity and Defender for Endpoint logons through the real handler, on
// IpAddress, Account (by any of the person's names) and Host.
func TestNewLogonTables(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	r := post(t, ts, `{
	  spray: ipAddress(address: "`+demo.SprayIP+`") { nonInteractiveSignins(first: 1) { totalCount nodes { account { name } success } } }
	  brute: ipAddress(address: "`+demo.BruteIP+`") {
	    identityLogons { totalCount nodes { actionType protocol account { name } destinationHost { name } } }
	    deviceLogons { totalCount nodes { actionType host { name } account { name } } } }
	  megan: account(name: "CONTOSO\\megan.bowen") {
	    nonInteractiveSignins { totalCount }
	    identityLogons { totalCount nodes { protocol host { name } destinationHost { name } } }
	    deviceLogons { totalCount nodes { logonType remoteIp { address } } } }
	  db: host(name: "`+demo.BruteHost+`") { deviceLogons { totalCount nodes { actionType account { name } remoteIp { address } } } }
	  dc: host(name: "win-dc01.contoso.local") { identityLogons { totalCount } }
	}`, nil)
	noErrors(t, r)
	for path, want := range map[string]any{
		"spray.nonInteractiveSignins.totalCount":            12.0,
		"spray.nonInteractiveSignins.nodes.0.account.name":  demo.SprayVictim,
		"spray.nonInteractiveSignins.nodes.0.success":       true,
		"brute.identityLogons.totalCount":                   6.0,
		"brute.identityLogons.nodes.0.protocol":             "Ntlm",
		"brute.identityLogons.nodes.0.destinationHost.name": "win-dc01",
		"brute.deviceLogons.totalCount":                     6.0,
		"megan.nonInteractiveSignins.totalCount":            13.0, // 12 from the spray IP, 1 from the office
		"megan.identityLogons.totalCount":                   4.0,
		"megan.identityLogons.nodes.0.destinationHost.name": "win-dc01",
		"megan.deviceLogons.totalCount":                     1.0,
		"megan.deviceLogons.nodes.0.logonType":              "RemoteInteractive",
		"db.deviceLogons.totalCount":                        1.0,
		"db.deviceLogons.nodes.0.account.name":              `linux-db-02\dbadmin`,
		"db.deviceLogons.nodes.0.remoteIp.address":          demo.BruteIP,
		"dc.identityLogons.totalCount":                      10.0,
	} {
		if got := get(r.Data, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
}

// TestAliasSeparatorRefused: a name holding the separator of aliased keys
// would be read as several identifiers (and could collide with another
// key of the batch): it is bad input, and nothing is queried.
func TestAliasSeparatorRefused(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	r := post(t, ts, `{ account(name: "megan.bowen@contoso.com\u241fadele.vance@contoso.com") { name signins { totalCount } } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" || r.Data["account"] != nil {
		t.Errorf("errors %+v, data %v", r.Errors, r.Data)
	}
	if len(r.Extensions.Trace) != 0 {
		t.Errorf("%d backend calls for refused input", len(r.Extensions.Trace))
	}
}

// TestHostIDInputBounded: host ids are validated like names (a long or
// spaced id is bad input, nothing queried); an id no inventory knows
// costs the three link queries and nothing more.
func TestHostIDInputBounded(t *testing.T) {
	store := demoWorkspace(t)
	ts := newServer(t, store, store)
	const q = `query($n: String!) { host(name: $n) { name } }`
	for _, bad := range []string{"/subscriptions/" + strings.Repeat("a", 10000), "/subscriptions/x y/resourceGroups/z"} {
		r := post(t, ts, q, map[string]any{"n": bad})
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" || len(r.Extensions.Trace) != 0 {
			t.Errorf("%.30q: errors %+v, %d backend calls", bad, r.Errors, len(r.Extensions.Trace))
		}
	}
	r := post(t, ts, q, map[string]any{"n": "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/none/providers/microsoft.compute/virtualmachines/ghost"})
	noErrors(t, r)
	if r.Data["host"] != nil {
		t.Errorf("host = %v", r.Data["host"])
	}
	for _, c := range r.Extensions.Trace {
		if !strings.HasPrefix(c.Facet, "host.links.") {
			t.Errorf("an unknown id ran %s", c.Facet)
		}
	}
	if len(r.Extensions.Trace) != 3 {
		t.Errorf("%d backend calls for an unknown id, want the 3 link queries", len(r.Extensions.Trace))
	}
}
