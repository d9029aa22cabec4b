package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/e2e/localcluster"
)

func runCmd(ctx context.Context, args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	code := run(ctx, args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// The scriptable interface: up prints NAME<TAB>KUBECONFIG per ready
// cluster and leaves them running; status reports them; down stops them by
// PID and removes them.
func TestClusterUpStatusDown(t *testing.T) {
	if _, err := localcluster.Binaries(t.Context(), localcluster.FailIfMissing, os.Stderr); err != nil {
		t.Fatal(err)
	}
	// A fixed directory: if this test crashes, the detached clusters it
	// left are stopped by the next run's "up" on the same directory.
	dir := filepath.Join(os.TempDir(), "flotilla-dev-test")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	t.Cleanup(func() {
		if _, errOut, code := runCmd(context.Background(), "cluster", "down", "--dir", dir); code != 0 {
			t.Errorf("cleanup down: exit %d: %s", code, errOut)
		}
		if err := os.Remove(dir); err != nil && !os.IsNotExist(err) {
			t.Error(err)
		}
	})

	out, errOut, code := runCmd(ctx, "cluster", "up", "--dir", dir, "--count", "2")
	if code != 0 {
		t.Fatalf("up: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("up printed %d lines, want 2:\n%s", len(lines), out)
	}
	var pids []int
	for i, line := range lines {
		name, kubeconfig, ok := strings.Cut(line, "\t")
		if !ok || name != localcluster.ClusterName(i) || kubeconfig != filepath.Join(dir, name, "kubeconfig") {
			t.Fatalf("up line %d = %q", i, line)
		}
		if _, err := os.Stat(kubeconfig); err != nil {
			t.Fatal(err)
		}
		files, err := filepath.Glob(filepath.Join(dir, name, "pids", "*.pid"))
		if err != nil || len(files) != 5 {
			t.Fatalf("%s: pid files %v (%v), want 5", name, files, err)
		}
		for _, f := range files {
			var pid int
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fmt.Sscan(string(data), &pid); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			pids = append(pids, pid)
		}
	}

	out, errOut, code = runCmd(ctx, "cluster", "status", "--dir", dir)
	if code != 0 || strings.Count(out, "true") != 2 || strings.Contains(out, "=down") {
		t.Fatalf("status: exit %d:\n%s\n%s", code, out, errOut)
	}

	if _, errOut, code = runCmd(ctx, "cluster", "down", "--dir", dir); code != 0 {
		t.Fatalf("down: exit %d: %s", code, errOut)
	}
	// The processes are this test's children: they vanish once reaped.
	for _, pid := range pids {
		deadline := time.Now().Add(5 * time.Second)
		for err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH); err = syscall.Kill(pid, 0) {
			if time.Now().After(deadline) {
				t.Fatalf("pid %d still exists after down: %v", pid, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Fatalf("after down, %s holds %v (%v)", dir, entries, err)
	}
	if _, _, code = runCmd(ctx, "cluster", "status", "--dir", dir); code == 0 {
		t.Fatal("status succeeded after down")
	}
}

func TestUsage(t *testing.T) {
	for name, args := range map[string][]string{
		"no args":     nil,
		"unknown":     {"cluster", "sideways"},
		"bad flag":    {"cluster", "up", "--bogus"},
		"bad count":   {"cluster", "up", "--count", "0"},
		"extra words": {"cluster", "down", "now"},
	} {
		t.Run(name, func(t *testing.T) {
			_, errOut, code := runCmd(context.Background(), args...)
			if code != exitUsage || !strings.Contains(errOut, "usage:") {
				t.Errorf("exit %d, stderr:\n%s", code, errOut)
			}
		})
	}
}
