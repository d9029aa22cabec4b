package renderworker

import (
	"bufio"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
)

// limitSelf caps this process before it reads any input: address space
// at its current size plus memory bytes (the Go runtime reserves about a
// gigabyte it never touches, so a flat RLIMIT_AS would count that), the
// Go heap at memory (the GC works harder before the hard limit), and CPU
// time at cpu seconds (SIGKILL one second later: Go ignores SIGXCPU).
func limitSelf(memory, cpu string) error {
	mem, err := parseUint(envMemory, memory)
	if err != nil {
		return err
	}
	secs, err := parseUint(envCPU, cpu)
	if err != nil {
		return err
	}
	base, err := vmSize()
	if err != nil {
		return err
	}
	debug.SetMemoryLimit(int64(mem))
	as := base + mem
	if err := syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: as, Max: as}); err != nil {
		return fmt.Errorf("RLIMIT_AS: %w", err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_CPU, &syscall.Rlimit{Cur: secs, Max: secs + 1}); err != nil {
		return fmt.Errorf("RLIMIT_CPU: %w", err)
	}
	return nil
}

// vmSize is this process's mapped address space in bytes.
func vmSize() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmSize:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/self/status: VmSize %q: %w", rest, err)
			}
			return kb << 10, nil
		}
	}
	if err := s.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("/proc/self/status: no VmSize")
}
