package greynoise

import (
	"testing"

	"entitygraph/internal/sources/ti"
)

func TestVerdict(t *testing.T) {
	for _, c := range []struct {
		a    answer
		want ti.Verdict
	}{
		{answer{Classification: "malicious", Noise: true}, ti.High},
		{answer{Classification: "benign", Noise: true}, ti.None},
		{answer{RIOT: true}, ti.None},
		{answer{Classification: "unknown", Noise: true}, ti.Low},
		{answer{}, ti.None},
	} {
		if got := Verdict(c.a); got != c.want {
			t.Errorf("%+v: %s, want %s", c.a, got, c.want)
		}
	}
}
