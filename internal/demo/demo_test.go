package demo

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestDeterministicAndComplete(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	a, b := t.TempDir(), t.TempDir()
	na, err := Write(a, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	nb, err := Write(b, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if na != nb || na < 10000 {
		t.Fatalf("rows: %d and %d, want equal and at least 10,000", na, nb)
	}
	want := []string{"SigninLogs", "AzureActivity", "OfficeActivity", "SecurityAlert", "SecurityEvent", "Syslog", "CommonSecurityLog",
		"Heartbeat", "VMComputer", "AzureNetworkAnalytics_CL", "DeviceInfo", "DeviceNetworkInfo", "DeviceNetworkEvents",
		"HuntingBookmark", "ThreatIntelIndicators", "DnsEvents"}
	for _, table := range want {
		x, err := os.ReadFile(filepath.Join(a, table+".jsonl"))
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		y, _ := os.ReadFile(filepath.Join(b, table+".jsonl"))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs", table)
		}
	}
	big, err := Write(t.TempDir(), Options{Now: now, Scale: 3})
	if err != nil || big < 3*na*8/10 {
		t.Errorf("scale 3 wrote %d rows (scale 1: %d), %v", big, na, err)
	}
}
