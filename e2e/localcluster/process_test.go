package localcluster

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// What a crashed run leaves (a detached process and its pid file) must be
// stopped by the next Sweep, group and all.
func TestSweepStopsLeftovers(t *testing.T) {
	defer func(d time.Duration) { stopGrace = d }(stopGrace)
	stopGrace = 200 * time.Millisecond
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// A shell that ignores SIGTERM and has a child: only the group SIGKILL
	// after the grace period stops both.
	p, err := startProc(dir, "stubborn", "/bin/sh", []string{"-c", "trap '' TERM; sleep 1000 & wait"}, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if !p.pid.alive() {
		t.Fatal("process not running after start")
	}
	if err := Sweep(ctx, dir); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		t.Fatal("process still running after Sweep")
	}
	if p.pid.alive() {
		t.Error("process alive after Sweep")
	}
	if _, err := os.Stat(filepath.Join(dir, "pids")); !os.IsNotExist(err) {
		t.Errorf("pids dir not removed: %v", err)
	}
}

// A pid file whose PID now belongs to another process (different start
// time) must not get that process killed.
func TestSweepSparesReusedPID(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "pids"), 0o755); err != nil {
		t.Fatal(err)
	}
	self := pidRecord{PID: os.Getpid(), Start: 1}
	if err := writePidFile(filepath.Join(dir, "pids", "old.pid"), self); err != nil {
		t.Fatal(err)
	}
	if self.alive() {
		t.Fatal("record with a wrong start time reported alive")
	}
	if err := Sweep(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	// Still here: the test process was not signalled.
}
