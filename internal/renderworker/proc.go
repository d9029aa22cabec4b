package renderworker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// proc is one started worker process, used for one job.
type proc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout io.ReadCloser
	stderr *head
	tmp    string // its TMPDIR, HOME and working directory
}

// start runs a worker that limits itself and waits for its job.
func start(opts Options, lim Limits) (*proc, error) {
	tmp, err := os.MkdirTemp("", "flotilla-render-")
	if err != nil {
		return nil, fmt.Errorf("render worker: %w", err)
	}
	// A test binary without the TestMain hook runs no test with this
	// argument; every other main calls RunIfWorker before parsing flags.
	cmd := exec.Command(opts.Command, "-test.run=^$")
	cmd.Dir = tmp
	cmd.Env = workerEnv(opts.Kind, tmp, lim)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = time.Second
	w := &proc{cmd: cmd, stderr: &head{max: 8 << 10}, tmp: tmp}
	cmd.Stderr = w.stderr
	if w.stdin, err = cmd.StdinPipe(); err == nil {
		w.stdout, err = cmd.StdoutPipe()
	}
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("render worker: start %s: %w", opts.Command, err), os.RemoveAll(tmp))
	}
	return w, nil
}

// workerEnv is all a worker gets: no PATH (no git, no helm, no plugins),
// no HOME of the hub, a private TMPDIR, proxies that go nowhere.
func workerEnv(kind, tmp string, lim Limits) []string {
	secs := int64((lim.CPU + time.Second - 1) / time.Second)
	return []string{
		envWorker + "=" + kind,
		envMemory + "=" + strconv.FormatInt(lim.Memory, 10),
		envCPU + "=" + strconv.FormatInt(secs, 10),
		"PATH=", "HOME=" + tmp, "TMPDIR=" + tmp, "XDG_CONFIG_HOME=" + tmp, "XDG_CACHE_HOME=" + tmp,
		"HTTP_PROXY=http://127.0.0.1:9", "HTTPS_PROXY=http://127.0.0.1:9", "ALL_PROXY=http://127.0.0.1:9", "NO_PROXY=",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
	}
}

// stop ends a worker that got no job.
func (w *proc) stop() {
	w.kill()
	_ = w.cmd.Wait() // killed: its exit status says nothing
	w.cleanup()
}

func (w *proc) kill() {
	if w.cmd.Process != nil {
		_ = syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL) // the group; ESRCH when gone
	}
}

func (w *proc) cleanup() {
	_ = os.RemoveAll(w.tmp) // best effort: a leftover is only disk, and named flotilla-render-*
}

// run sends job, reads the answer within the limits, and reaps the worker.
func (w *proc) run(ctx context.Context, job Job, lim Limits) (*Result, error) {
	defer w.cleanup()
	name := job.Name
	if name == "" {
		name = job.Source.Path
	}
	if err := absPaths(&job); err != nil {
		w.stop()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, lim.Wall, errWall)
	defer cancel()
	stopKill := context.AfterFunc(ctx, w.kill)
	defer stopKill()
	sendErr := json.NewEncoder(w.stdin).Encode(job)
	sendErr = errors.Join(sendErr, w.stdin.Close())
	out, over, readErr := readLimited(w.stdout, lim.MaxOutput)
	if over {
		w.kill()
	}
	waitErr := w.cmd.Wait()
	stopKill() // reaped: its pid may be reused
	switch {
	case over:
		return nil, fmt.Errorf("%s: %w: output limit %s exceeded", name, ErrKilled, FormatSize(lim.MaxOutput))
	case errors.Is(context.Cause(ctx), errWall):
		return nil, fmt.Errorf("%s: %w: time limit %s exceeded", name, ErrKilled, lim.Wall)
	case errors.Is(ctx.Err(), context.DeadlineExceeded): // the caller's deadline came first
		return nil, fmt.Errorf("%s: %w: time limit exceeded (%v)", name, ErrKilled, context.Cause(ctx))
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%s: render: %w", name, context.Cause(ctx))
	case waitErr != nil:
		return nil, w.died(name, waitErr, lim)
	case readErr != nil || sendErr != nil:
		return nil, fmt.Errorf("%s: render worker: %w", name, errors.Join(readErr, sendErr))
	}
	return decode(name, out)
}

// died explains a worker's abnormal exit by the limit it hit.
func (w *proc) died(name string, waitErr error, lim Limits) error {
	log := w.stderr.String()
	for _, s := range []string{"out of memory", "cannot allocate memory", "failed to reserve", "failed to create new OS thread"} {
		if strings.Contains(log, s) {
			return fmt.Errorf("%s: %w: memory limit %s exceeded", name, ErrKilled, FormatSize(lim.Memory))
		}
	}
	if st := w.cmd.ProcessState; st != nil && st.SystemTime()+st.UserTime() >= lim.CPU.Truncate(time.Second) {
		return fmt.Errorf("%s: %w: CPU time limit %s exceeded", name, ErrKilled, lim.CPU)
	}
	return fmt.Errorf("%s: render worker died (%v): %s", name, waitErr, lastLines(log, 3))
}

func decode(name string, out []byte) (*Result, error) {
	var r response
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, fmt.Errorf("%s: render worker answered no result: %w", name, err)
	}
	if r.Error != "" {
		return nil, &workerError{msg: r.Error, is: sentinelNamed(r.Sentinel)}
	}
	res := &Result{Kind: r.Kind, Reads: r.Reads, Objects: make([]*unstructured.Unstructured, 0, len(r.Objects))}
	for i, b := range r.Objects {
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(b); err != nil {
			return nil, fmt.Errorf("%s: render worker object %d: %w", name, i, err)
		}
		res.Objects = append(res.Objects, u)
	}
	return res, nil
}

// readLimited reads r to the end or to max bytes; over says it had more.
func readLimited(r io.Reader, max int64) ([]byte, bool, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if int64(len(b)) > max {
		return nil, true, err
	}
	return b, false, err
}

// head keeps the first max bytes written to it: a Go crash says what
// happened first, the goroutine stacks follow.
type head struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *head) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if room := t.max - len(t.b); room > 0 {
		t.b = append(t.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (t *head) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " / ")
}

// absPaths makes the job's paths absolute: a worker runs in its own
// directory (the hub's data directory may be relative).
func absPaths(job *Job) error {
	for _, p := range []*string{&job.Dir, &job.GitDir} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	return nil
}
