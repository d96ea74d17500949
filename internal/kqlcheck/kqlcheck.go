// Package kqlcheck runs KQL through Microsoft's Kusto parser and semantic
// analyzer (tools/kqlcheck, a node script over @kusto/language-service-next)
// with the Sentinel table schemas loaded. Tests use it to prove the KQL
// the facets render is accepted as the service would accept it.
package kqlcheck

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// Diagnostic is one message of the analyzer.
type Diagnostic struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Start    int    `json:"start"`
	End      int    `json:"end"`
}

// Result is the analysis of one query.
type Result struct {
	Diagnostics []Diagnostic `json:"diagnostics"`
	Literals    []string     `json:"literals"` // every string literal's decoded value
	Error       string       `json:"error"`
}

// Errors returns the error-severity diagnostics.
func (r Result) Errors() []Diagnostic {
	var out []Diagnostic
	for _, d := range r.Diagnostics {
		if d.Severity == "Error" {
			out = append(out, d)
		}
	}
	return out
}

// Checker is one running analyzer process.
type Checker struct {
	mu    sync.Mutex
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Reader
	seq   int
	close func()
}

// Start launches `node tools/kqlcheck/check.js` from the module root.
func Start(root string) (*Checker, error) {
	dir := filepath.Join(root, "tools", "kqlcheck")
	if _, err := exec.LookPath("node"); err != nil {
		return nil, fmt.Errorf("node is not installed: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@kusto", "language-service-next")); err != nil {
		return nil, fmt.Errorf("the Kusto analyzer package is not installed (npm ci --prefix tools/kqlcheck): %w", err)
	}
	cmd := exec.Command("node", "check.js", filepath.Join(root, "internal", "schema", "sentinel-tables.json"))
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("kqlcheck: start node: %w", err)
	}
	c := &Checker{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}
	c.close = func() { in.Close(); cmd.Wait() }
	var hello struct {
		Ready  bool `json:"ready"`
		Tables int  `json:"tables"`
	}
	line, err := c.out.ReadBytes('\n')
	if err != nil || json.Unmarshal(line, &hello) != nil || !hello.Ready || hello.Tables == 0 {
		c.close()
		return nil, fmt.Errorf("kqlcheck: analyzer did not start: %q %v", line, err)
	}
	return c, nil
}

// Check analyzes one query.
func (c *Checker) Check(query string) (Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	id := strconv.Itoa(c.seq)
	req, err := json.Marshal(map[string]string{"id": id, "query": query})
	if err != nil {
		return Result{}, err
	}
	if _, err := c.in.Write(append(req, '\n')); err != nil {
		return Result{}, fmt.Errorf("kqlcheck: send: %w", err)
	}
	line, err := c.out.ReadBytes('\n')
	if err != nil {
		return Result{}, fmt.Errorf("kqlcheck: receive: %w", err)
	}
	var res struct {
		ID string `json:"id"`
		Result
	}
	if err := json.Unmarshal(line, &res); err != nil {
		return Result{}, fmt.Errorf("kqlcheck: decode %q: %w", line, err)
	}
	if res.ID != id {
		return Result{}, fmt.Errorf("kqlcheck: answer for %q, want %q", res.ID, id)
	}
	if res.Error != "" {
		return Result{}, errors.New("kqlcheck: " + res.Error)
	}
	return res.Result, nil
}

// Close stops the analyzer.
func (c *Checker) Close() { c.close() }

var (
	shared    *Checker
	sharedErr error
	once      sync.Once
)

// ForTest returns the test binary's shared analyzer. Without node or the
// npm package it skips the test, or fails it when EG_REQUIRE_KQLCHECK=1
// (set by .ci/run).
func ForTest(t testing.TB) *Checker {
	t.Helper()
	once.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			sharedErr = err
			return
		}
		shared, sharedErr = Start(root)
	})
	if sharedErr != nil {
		if os.Getenv("EG_REQUIRE_KQLCHECK") == "1" {
			t.Fatalf("KQL analyzer required but unavailable: %v", sharedErr)
		}
		t.Skipf("KQL analyzer unavailable (%v); enable with: npm ci --prefix tools/kqlcheck", sharedErr)
	}
	return shared
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("kqlcheck: go.mod not found above the working directory")
		}
		dir = parent
	}
}
