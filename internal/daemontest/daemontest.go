// Package daemontest checks that a daemon's main starts, logs and stops
// cleanly on SIGTERM, by re-running the test binary as the daemon.
package daemontest

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

const envRunMain = "FLOTILLA_DAEMONTEST_RUN_MAIN"

// MaybeRunMain runs main instead of the tests when the test binary was
// started by StopsOnSIGTERM. Call it first in TestMain.
func MaybeRunMain(main func()) {
	if os.Getenv(envRunMain) == "1" {
		main()
		os.Exit(0)
	}
}

// StopsOnSIGTERM starts the daemon with args, waits for its "starting" log
// line, sends SIGTERM and expects a "stopped" line and exit status 0.
func StopsOnSIGTERM(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$"}, args...)...)
	cmd.Env = append(os.Environ(), envRunMain+"=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	wait := func(word string) {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("daemon exited before logging %q", word)
				}
				if strings.Contains(l, "msg="+word) {
					return
				}
			case <-deadline:
				if err := cmd.Process.Kill(); err != nil {
					t.Logf("kill: %v", err)
				}
				t.Fatalf("no %q log line within 30s", word)
			}
		}
	}
	wait("starting")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wait("stopped")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("daemon exit: %v", err)
	}
}

// RunMain runs the daemon with args to its end (within a minute) and
// returns what it wrote to stderr and its exit error.
func RunMain(t *testing.T, args ...string) (string, error) {
	t.Helper()
	_, stderr, err := runMain(t, args...)
	return stderr, err
}

// Output runs the daemon with args to its end and returns its stdout.
func Output(t *testing.T, args ...string) (string, error) {
	t.Helper()
	stdout, _, err := runMain(t, args...)
	return stdout, err
}

func runMain(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$"}, args...)...)
	cmd.Env = append(os.Environ(), envRunMain+"=1")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(time.Minute, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	err := cmd.Wait()
	return stdout.String(), stderr.String(), err
}
