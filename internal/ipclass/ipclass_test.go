package ipclass

import "testing"

func TestClassify(t *testing.T) {
	cases := []struct {
		in   string
		want Type
	}{
		{"8.8.8.8", Public}, {"193.27.228.147", Public}, {"2606:4700:4700::1111", Public},
		{"10.0.1.4", Private}, {"172.16.5.4", Private}, {"172.32.0.1", Public}, {"192.168.1.1", Private},
		{"100.64.0.1", Shared}, {"100.128.0.1", Public},
		{"127.0.0.1", Loopback}, {"::1", Loopback},
		{"169.254.169.254", LinkLocal}, {"fe80::1", LinkLocal},
		{"224.0.0.251", Multicast}, {"ff02::1", Multicast},
		{"0.0.0.0", Unspecified}, {"::", Unspecified}, {"0.1.2.3", ThisNetwork},
		{"255.255.255.255", Broadcast}, {"240.0.0.1", Reserved},
		{"192.0.2.10", Documentation}, {"198.51.100.1", Documentation}, {"203.0.113.7", Documentation}, {"2001:db8::1", Documentation},
		{"198.18.0.1", Benchmarking}, {"2001:2::1", Benchmarking},
		{"192.0.0.8", ProtocolAssignments}, {"192.0.0.9", Public},
		{"fd12:3456::1", UniqueLocal}, {"fec0::1", SiteLocal}, {"64:ff9b::808:808", Translation}, {"100::1", DiscardOnly},
		{"4000::1", Reserved},
	}
	for _, c := range cases {
		a, err := Parse(c.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.in, err)
		}
		if got := Classify(a); got != c.want {
			t.Errorf("Classify(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"1.2.3.4", "1.2.3.4", true},
		{" 1.2.3.4 ", "1.2.3.4", true},
		{"::ffff:1.2.3.4", "1.2.3.4", true},
		{"2001:DB8::1", "2001:db8::1", true},
		{"fe80::1%eth0", "", false},
		{"1.2.3", "", false},
		{"01.2.3.4", "", false},
		{"1.2.3.4/24", "", false},
		{"1.2.3.4' OR '1'='1", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		a, err := Parse(c.in)
		if (err == nil) != c.ok {
			t.Errorf("Parse(%q) err = %v", c.in, err)
			continue
		}
		if c.ok && a.String() != c.want {
			t.Errorf("Parse(%q) = %s, want %s", c.in, a, c.want)
		}
	}
}
