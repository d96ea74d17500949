package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"
)

// TestRefusesOpenNonLoopback: without an access section the server starts
// only on loopback; the refusal comes before the workspace is loaded.
func TestRefusesOpenNonLoopback(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, listen := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		err := run(log, []string{"--listen", listen})
		if err == nil || !strings.Contains(err.Error(), "without authentication") || !strings.Contains(err.Error(), "--insecure-no-auth") {
			t.Errorf("--listen %s: %v", listen, err)
		}
	}
}
