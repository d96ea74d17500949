package access

import (
	"fmt"
	"testing"
	"time"

	"entitygraph/internal/redisstate"
	"entitygraph/internal/redisstate/redistest"
)

// TestMeterSharedAcrossReplicas: a caller's budgets are counted once for
// three replicas; another caller's are untouched; with Redis gone each
// replica keeps to a third.
func TestMeterSharedAcrossReplicas(t *testing.T) {
	srv := redistest.Start(t)
	prefix := fmt.Sprintf("eg-meter-%d:", time.Now().UnixNano())
	var meters []*Meter
	for i := 0; i < 3; i++ {
		c, err := redisstate.Open(redisstate.Options{URL: srv.URL(), Replicas: 3, Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		m := NewMeter(Budgets{QueriesPerMinute: 10, TIShare: 0.5}, nil)
		m.SetShared(c)
		meters = append(meters, m)
	}
	count := func(caller string, take func(m *Meter) bool) int {
		n := 0
		for i := 0; i < 30; i++ {
			if take(meters[i%3]) {
				n++
			}
		}
		return n
	}
	query := func(caller string) func(m *Meter) bool {
		return func(m *Meter) bool { ok, _ := m.TakeQuery(caller); return ok }
	}
	ti := func(caller string) func(m *Meter) bool {
		return func(m *Meter) bool { ok, _ := m.TakeTI(caller, "VirusTotal", 20); return ok }
	}
	if n := count("alice", query("alice")); n != 10 {
		t.Errorf("alice: %d queries granted by 3 replicas, budget 10 a minute", n)
	}
	if n := count("bob", query("bob")); n != 10 {
		t.Errorf("bob after alice: %d queries granted", n)
	}
	if n := count("alice", ti("alice")); n != 10 {
		t.Errorf("alice's TI share (half of 20 a day): %d granted", n)
	}
	report := meters[2].Report(&Principal{ID: "alice"}, map[string]int{"VirusTotal": 20}, []string{"VirusTotal"})
	for _, r := range report {
		if r.Name == "VirusTotal calls today" && r.Remaining != 0 {
			t.Errorf("replica 3 reports %d of alice's TI share left", r.Remaining)
		}
	}
	srv.Stop()
	if n := count("carol", query("carol")); n != 9 {
		t.Errorf("Redis down: %d granted by 3 replicas, want 3 each", n)
	}
}
