package duckdb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Bounds of the memory limit chosen when none is set.
const (
	minDefaultMemory = 256 << 20
	maxDefaultMemory = 1 << 30
)

// DefaultMemoryLimit is DuckDB's buffer limit when the operator sets none:
// an eighth of the memory the process may use, between 256 MiB and 1 GiB.
// DuckDB's own default (80% of RAM) would leave nothing for the result
// cache and the rest of the server; data past the limit spills to the
// store's temporary directory instead of failing.
func DefaultMemoryLimit(machine int64) int64 {
	return min(max(machine/8, minDefaultMemory), maxDefaultMemory)
}

// machineMemory is the memory this process may use: the cgroup's limit
// when one is set (containers), else the machine's. 0: unknown.
func machineMemory() int64 {
	total := int64(0)
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				total = kb << 10
			}
		}
	}
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && (total == 0 || n < total) {
			total = n
		}
	}
	return total
}

// memoryLimit is the memory_limit setting: the operator's, or the default
// derived from the machine.
func memoryLimit(set string, p memoryPolicy) string {
	if set != "" {
		return set
	}
	return fmt.Sprintf("%dMB", p.bytes>>20)
}

// memoryPolicy is how a store's limit may move: a limit the operator set
// is a wall; a derived one grows, up to DuckDB's own default (80% of the
// machine), when the workspace needs it — loaded tables cannot spill.
type memoryPolicy struct {
	derived bool
	bytes   int64 // current limit
	ceiling int64
}

func newMemoryPolicy(set string) memoryPolicy {
	if set != "" {
		return memoryPolicy{}
	}
	m := machineMemory()
	if m == 0 {
		return memoryPolicy{derived: true, bytes: maxDefaultMemory, ceiling: maxDefaultMemory}
	}
	return memoryPolicy{derived: true, bytes: DefaultMemoryLimit(m), ceiling: max(m*8/10, DefaultMemoryLimit(m))}
}

// headroom is what queries need beyond the loaded tables.
const headroom = 256 << 20

func isOutOfMemory(err error) bool {
	return err != nil && strings.Contains(err.Error(), "Out of Memory Error")
}

// growMemory doubles a derived limit (up to its ceiling); false when it
// cannot grow.
func (s *Store) growMemory(ctx context.Context) bool {
	p := &s.memory
	if !p.derived || p.bytes >= p.ceiling {
		return false
	}
	return s.setMemory(ctx, min(2*p.bytes, p.ceiling)) == nil
}

// keepHeadroom raises a derived limit so that queries have room beside
// the loaded tables.
func (s *Store) keepHeadroom(ctx context.Context) {
	p := &s.memory
	if !p.derived {
		return
	}
	var used int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()`).Scan(&used); err != nil {
		return
	}
	if want := min(used+headroom, p.ceiling); want > p.bytes {
		s.setMemory(ctx, want)
	}
}

func (s *Store) setMemory(ctx context.Context, bytes int64) error {
	limit := fmt.Sprintf("%dMB", (bytes+(1<<20)-1)>>20)
	if _, err := s.db.ExecContext(ctx, "SET memory_limit = '"+limit+"'"); err != nil {
		return errors.Join(errors.New("duckdb: raise the memory limit"), err)
	}
	s.memory.bytes = bytes
	s.memoryLimit = limit
	s.memoryGrown = limit
	return nil
}
