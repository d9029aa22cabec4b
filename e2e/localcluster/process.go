package localcluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// stopGrace is how long a process gets between SIGTERM and SIGKILL (a
// variable for tests).
var stopGrace = 5 * time.Second

// proc is one running component.
type proc struct {
	name string
	log  string
	pid  pidRecord
	done chan struct{} // closed when the process has exited (attached only)
	err  error         // Wait's result, valid after done
}

// pidRecord identifies a process across PID reuse: the PID and its start
// time in clock ticks since boot (/proc/PID/stat field 22).
type pidRecord struct {
	PID   int    `json:"pid"`
	Start uint64 `json:"start"`
}

// startProc starts bin in its own process group, logging to
// DIR/logs/NAME.log and recording DIR/pids/NAME.pid; env is added to the
// caller's environment (minus KUBECONFIG). When detach is false
// the process is killed if the calling thread dies (Pdeathsig); when true it
// gets its own session and outlives the caller.
func startProc(dir, name, bin string, args, env []string, detach bool) (*proc, error) {
	logPath := filepath.Join(dir, "logs", name+".log")
	for _, d := range []string{filepath.Dir(logPath), filepath.Join(dir, "pids")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: open log: %w", name, err)
	}
	defer logFile.Close() // the child holds its own descriptor

	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Env = append(withoutEnv(os.Environ(), "KUBECONFIG"), env...)
	if detach {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	} else {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start %s: %w", name, bin, err)
	}
	p := &proc{name: name, log: logPath, done: make(chan struct{})}
	p.pid = pidRecord{PID: cmd.Process.Pid}
	if st, err := procStart(p.pid.PID); err == nil {
		p.pid.Start = st
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := writePidFile(filepath.Join(dir, "pids", name+".pid"), p.pid); err != nil {
		return nil, fmt.Errorf("%s: %w", name, errors.Join(err, killGroup(p.pid, syscall.SIGKILL)))
	}
	return p, nil
}

// exited reports an error if the process is no longer running.
func (p *proc) exited() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s: %w (%v); see %s, which ends:\n%s", p.name, ErrExited, p.err, p.log, tail(p.log, 5))
	default:
		return nil
	}
}

// tail returns the last n lines of a log, each cut to 300 bytes.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	lines = lines[max(0, len(lines)-n):]
	for i, l := range lines {
		if len(l) > 300 {
			lines[i] = l[:300] + "…"
		}
		lines[i] = "\t" + lines[i]
	}
	return strings.Join(lines, "\n")
}

func withoutEnv(env []string, key string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}

func writePidFile(path string, r pidRecord) error {
	data := fmt.Sprintf("%d %d\n", r.PID, r.Start)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		return fmt.Errorf("write pid file: %w", err)
	}
	return nil
}

func readPidFile(path string) (pidRecord, error) {
	var r pidRecord
	data, err := os.ReadFile(path)
	if err != nil {
		return r, fmt.Errorf("read pid file: %w", err)
	}
	if _, err := fmt.Sscanf(string(data), "%d %d", &r.PID, &r.Start); err != nil {
		return r, fmt.Errorf("pid file %s: %w", path, err)
	}
	return r, nil
}

// procStart returns the start time of pid (field 22 of /proc/PID/stat).
func procStart(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("stat pid %d: %w", pid, err)
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat pid %d: malformed", pid)
	}
	// Fields after "(comm)": state is field 3, starttime field 22.
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return 0, fmt.Errorf("stat pid %d: malformed", pid)
	}
	if fields[0] == "Z" {
		return 0, fmt.Errorf("stat pid %d: zombie", pid)
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

// alive reports whether the recorded process still runs (same PID, same
// start time, not a zombie).
func (r pidRecord) alive() bool {
	if r.PID <= 0 {
		return false
	}
	st, err := procStart(r.PID)
	return err == nil && (r.Start == 0 || st == r.Start)
}

// killGroup signals the process group the recorded process leads (it was
// started with Setpgid or Setsid), so that anything it spawned goes too.
// A group already gone is not an error.
func killGroup(r pidRecord, sig syscall.Signal) error {
	if r.PID <= 1 {
		return fmt.Errorf("kill: refusing pid %d", r.PID)
	}
	err := syscall.Kill(-r.PID, sig)
	if err == nil || errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return fmt.Errorf("kill -%d -%d: %w", sig, r.PID, err)
}

// stopOrder is the order in which a cluster's processes are stopped: the
// API server's clients first, etcd last. The API server takes about a
// second to stop while etcd runs, and minutes once etcd is gone.
var stopOrder = map[string]int{binAPIServer: 1, binEtcd: 2}

// stopProcesses stops the recorded processes (name -> record) stage by
// stage in stopOrder (unknown names first).
func stopProcesses(ctx context.Context, procs map[string]pidRecord) error {
	stages := make([][]pidRecord, 3)
	for name, r := range procs {
		stages[stopOrder[name]] = append(stages[stopOrder[name]], r)
	}
	var errs []error
	for _, recs := range stages {
		if err := stopRecords(ctx, recs); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// stopRecords sends SIGTERM to every live record, waits up to stopGrace
// (or ctx) for them to exit, then SIGKILLs what is left and waits again.
func stopRecords(ctx context.Context, recs []pidRecord) error {
	var live []pidRecord
	var errs []error
	for _, r := range recs {
		if r.alive() {
			if err := killGroup(r, syscall.SIGTERM); err != nil {
				errs = append(errs, err)
			}
			live = append(live, r)
		}
	}
	if waitGone(ctx, live, stopGrace) {
		return nil
	}
	for _, r := range live {
		if r.alive() {
			if err := killGroup(r, syscall.SIGKILL); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if waitGone(ctx, live, stopGrace) {
		return nil
	}
	return errors.Join(append(errs, fmt.Errorf("processes still running after SIGKILL: %v", live))...)
}

func waitGone(ctx context.Context, recs []pidRecord, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		gone := true
		for _, r := range recs {
			if r.alive() {
				gone = false
				break
			}
		}
		if gone {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Sweep stops every process recorded under dir/pids that is still running
// (for instance left behind by a crashed run) and removes the pid files.
func Sweep(ctx context.Context, dir string) error {
	pidDir := filepath.Join(dir, "pids")
	entries, err := os.ReadDir(pidDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sweep %s: %w", dir, err)
	}
	recs := map[string]pidRecord{}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".pid")
		if !ok {
			continue
		}
		r, err := readPidFile(filepath.Join(pidDir, e.Name()))
		if err != nil {
			continue // a torn write from a crash: nothing to kill
		}
		recs[name] = r
	}
	if err := stopProcesses(ctx, recs); err != nil {
		return fmt.Errorf("sweep %s: %w", dir, err)
	}
	if err := os.RemoveAll(pidDir); err != nil {
		return fmt.Errorf("sweep %s: %w", dir, err)
	}
	return nil
}
