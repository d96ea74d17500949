package virustotal

import (
	"testing"

	"entitygraph/internal/sources/ti"
)

func TestVerdict(t *testing.T) {
	for _, c := range []struct {
		s    stats
		want ti.Verdict
	}{
		{stats{Harmless: 80}, ti.None},
		{stats{Suspicious: 1}, ti.Low},
		{stats{Malicious: 1, Suspicious: 3}, ti.Medium},
		{stats{Malicious: 2}, ti.High},
	} {
		if got := Verdict(c.s); got != c.want {
			t.Errorf("%+v: %s, want %s", c.s, got, c.want)
		}
	}
}
