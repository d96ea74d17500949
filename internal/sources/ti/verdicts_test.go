package ti_test

import (
	"testing"

	"entitygraph/internal/sources/ti"
	"entitygraph/internal/sources/ti/abuseipdb"
	"entitygraph/internal/sources/ti/crowdsec"
	"entitygraph/internal/sources/ti/otx"
	"entitygraph/internal/sources/ti/xforce"
)

// The verdict mappings at each threshold (msticpy's, see each package).
func TestVerdictThresholds(t *testing.T) {
	cases := []struct {
		name string
		got  ti.Verdict
		want ti.Verdict
	}{
		{"OTX 0 pulses", otx.Verdict(0), ti.None},
		{"OTX 1 pulse", otx.Verdict(1), ti.Medium},
		{"OTX 2 pulses", otx.Verdict(2), ti.High},
		{"X-Force 1.9", xforce.Verdict(1.9), ti.None},
		{"X-Force 2", xforce.Verdict(2), ti.Medium},
		{"X-Force 4.9", xforce.Verdict(4.9), ti.Medium},
		{"X-Force 5", xforce.Verdict(5), ti.High},
		{"AbuseIPDB 0", abuseipdb.Verdict(0), ti.None},
		{"AbuseIPDB 1", abuseipdb.Verdict(1), ti.Medium},
		{"AbuseIPDB 50", abuseipdb.Verdict(50), ti.Medium},
		{"AbuseIPDB 51", abuseipdb.Verdict(51), ti.High},
		{"CrowdSec 0", crowdsec.Verdict(0), ti.None},
		{"CrowdSec 2", crowdsec.Verdict(2), ti.Low},
		{"CrowdSec 3", crowdsec.Verdict(3), ti.Medium},
		{"CrowdSec 4", crowdsec.Verdict(4), ti.High},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: %s, want %s", c.name, c.got, c.want)
		}
	}
	if ti.Worst([]ti.Result{{Verdict: ti.None}, {Verdict: ti.High}, {Verdict: ti.Unknown}}) != ti.High || ti.Worst(nil) != ti.Unknown {
		t.Error("Worst")
	}
}
