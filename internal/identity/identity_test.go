package identity

import (
	"reflect"
	"regexp"
	"testing"
)

var links = []Link{
	{"SigninLogs", []string{"megan.bowen@contoso.com", "6b8f4a1e-1f2a-4c3b-9d4e-5f6a7b8c9d0e"}},
	{"SecurityEvent", []string{`contoso\megan.bowen`, "s-1-5-21-1004336348-1177238915-682003330-1105"}},
	{"SecurityEvent", []string{`fabrikam\megan.bowen`, "s-1-5-21-2000000000-2000000000-2000000000-1200"}},
	{"SecurityEvent", []string{`contoso\svc`, "s-1-5-18"}}, // well-known SID: links nothing
	{"SecurityEvent", []string{`nt authority\system`, "s-1-5-18"}},
	{"IdentityInfo", []string{"nestor.wilke@contoso.com", "11111111-2222-3333-4444-555555555555", "s-1-5-21-1-2-3-4444", `contoso\nwilke`}},
}

func TestResolve(t *testing.T) {
	for _, c := range []struct {
		name string
		want [][]string // each person's identifiers
	}{
		{"megan.bowen@contoso.com", [][]string{{"megan.bowen@contoso.com", `contoso\megan.bowen`, "s-1-5-21-1004336348-1177238915-682003330-1105", "6b8f4a1e-1f2a-4c3b-9d4e-5f6a7b8c9d0e"}}},
		{"MEGAN.BOWEN@contoso.com ", [][]string{{"megan.bowen@contoso.com", `contoso\megan.bowen`, "s-1-5-21-1004336348-1177238915-682003330-1105", "6b8f4a1e-1f2a-4c3b-9d4e-5f6a7b8c9d0e"}}},
		{`contoso\megan.bowen`, [][]string{{"megan.bowen@contoso.com", `contoso\megan.bowen`, "s-1-5-21-1004336348-1177238915-682003330-1105", "6b8f4a1e-1f2a-4c3b-9d4e-5f6a7b8c9d0e"}}},
		{"s-1-5-21-1004336348-1177238915-682003330-1105", [][]string{{"megan.bowen@contoso.com", `contoso\megan.bowen`, "s-1-5-21-1004336348-1177238915-682003330-1105", "6b8f4a1e-1f2a-4c3b-9d4e-5f6a7b8c9d0e"}}},
		// a bare name two domains hold: two people, never merged
		{"megan.bowen", [][]string{
			{`fabrikam\megan.bowen`, "s-1-5-21-2000000000-2000000000-2000000000-1200"},
			{"megan.bowen@contoso.com", `contoso\megan.bowen`, "s-1-5-21-1004336348-1177238915-682003330-1105", "6b8f4a1e-1f2a-4c3b-9d4e-5f6a7b8c9d0e"},
		}},
		{"svc", [][]string{{`contoso\svc`}}},
		{"nwilke", [][]string{{"nestor.wilke@contoso.com", `contoso\nwilke`, "s-1-5-21-1-2-3-4444", "11111111-2222-3333-4444-555555555555"}}},
		{"11111111-2222-3333-4444-555555555555", [][]string{{"nestor.wilke@contoso.com", `contoso\nwilke`, "s-1-5-21-1-2-3-4444", "11111111-2222-3333-4444-555555555555"}}},
		{"nobody@contoso.com", [][]string{}},
		{"s-1-5-18", [][]string{}},
	} {
		got := [][]string{}
		for _, p := range Resolve(c.name, links) {
			got = append(got, p.IDs())
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Resolve(%q) = %q, want %q", c.name, got, c.want)
		}
	}
	p := Resolve("megan.bowen@contoso.com", links)[0]
	if p.Best() != "megan.bowen@contoso.com" || p.Aliases[1].Kind != DomainUser || !reflect.DeepEqual(p.Aliases[1].Sources, []string{"SecurityEvent"}) {
		t.Errorf("person = %+v", p)
	}
}

func TestKindOf(t *testing.T) {
	for id, want := range map[string]Kind{
		"a@b.com": UPN, `dom\a`: DomainUser, "s-1-5-21-1-2-3-500": SID, "s-1-5-18": Name,
		"6b8f4a1e-1f2a-4c3b-9d4e-5f6a7b8c9d0e": ObjectID, "dbadmin": Name,
	} {
		if got := KindOf(id); got != want {
			t.Errorf("KindOf(%q) = %s, want %s", id, got, want)
		}
	}
}

// TestClassifiersMatchTheirPatterns holds the written-out SID and GUID
// checks to the patterns they replace.
func TestClassifiersMatchTheirPatterns(t *testing.T) {
	sid := regexp.MustCompile(`^s-1-5-21-\d+-\d+-\d+-\d+$`)
	guid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	for _, id := range []string{
		"s-1-5-21-1-2-3-4", "s-1-5-21-1004336348-1177238915-682003330-1105", "s-1-5-21-1-2-3", "s-1-5-21-1-2-3-4-5",
		"s-1-5-21-1-2-3-", "s-1-5-21--2-3-4", "s-1-5-21-1-2-3-4x", "s-1-5-21-1-2-3-4\n", "s-1-5-21-", "s-1-5-21",
		"s-1-5-18", "S-1-5-21-1-2-3-4", "s-1-5-21-1-2-3-٣", " s-1-5-21-1-2-3-4", "s-1-5-21-1--2-3",
		"6b8f4a1e-1f2a-4c3b-9d4e-5f6a7b8c9d0e", "6B8F4A1E-1F2A-4C3B-9D4E-5F6A7B8C9D0E", "6b8f4a1e-1f2a-4c3b-9d4e-5f6a7b8c9d0",
		"6b8f4a1e-1f2a-4c3b-9d4e-5f6a7b8c9d0e0", "6b8f4a1e1f2a-4c3b-9d4e-5f6a7b8c9d0e0", "6b8f4a1e-1f2a-4c3b-9d4e-5f6a7b8c9d0g",
		"6b8f4a1e-1f2a-4c3b-9d4e_5f6a7b8c9d0e", "------------------------------------", "", "dbadmin",
	} {
		if got, want := isAccountSID(id), sid.MatchString(id); got != want {
			t.Errorf("isAccountSID(%q) = %v, the pattern says %v", id, got, want)
		}
		if got, want := isGUID(id), guid.MatchString(id); got != want {
			t.Errorf("isGUID(%q) = %v, the pattern says %v", id, got, want)
		}
	}
}
