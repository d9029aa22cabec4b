package suite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a daemon subprocess (hub or spoke) writing to a log file. It
// dies with the test process (parent-death signal).
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // Wait's result, once done is closed
}

func startProc(name, logPath, bin string, args ...string) (*proc, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(f, "\n===== e2e: %s start %s: %s %s\n", name, time.Now().Format(time.RFC3339Nano), bin, strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, errors.Join(fmt.Errorf("start %s: %w", name, err), f.Close())
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		if err := f.Close(); err != nil && p.err == nil {
			p.err = err
		}
		close(p.done)
	}()
	return p, nil
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() error {
	if p.exited() {
		return fmt.Errorf("%s already exited: %v", p.name, p.err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill %s: %w", p.name, err)
	}
	<-p.done
	return nil
}

// stop sends SIGTERM and waits up to grace for a clean exit (status 0),
// then kills. Not exiting cleanly in time is an error.
func (p *proc) stop(grace time.Duration) error {
	if p == nil {
		return nil
	}
	if p.exited() {
		return nil // killed by a test, or reported when it died
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop %s: %w", p.name, err)
	}
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("%s exited after SIGTERM with %v (log %s)", p.name, p.err, p.log)
		}
		return nil
	case <-time.After(grace):
		if err := p.kill(); err != nil {
			return err
		}
		return fmt.Errorf("%s did not stop within %s of SIGTERM (log %s)", p.name, grace, p.log)
	}
}

// logTail returns the end of the process's log.
func (p *proc) logTail(n int) string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// logHas reports whether a line of the log contains every part.
func (p *proc) logHas(parts ...string) bool {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n") {
		all := true
		for _, part := range parts {
			all = all && strings.Contains(l, part)
		}
		if all {
			return true
		}
	}
	return false
}

// hubProc is the flotilla-hub subprocess; it keeps its ports and data
// directory across restarts.
type hubProc struct {
	bin, dataDir, logPath string
	grpcAddr, httpAddr    string
	extra                 []string // more flags
	p                     *proc
}

func newHub(bin, root string) (*hubProc, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	h := &hubProc{bin: filepath.Join(bin, "flotilla-hub"), dataDir: filepath.Join(root, "hub"), logPath: filepath.Join(root, "hub.log"),
		grpcAddr: "127.0.0.1:" + strconv.Itoa(ports[0]), httpAddr: "127.0.0.1:" + strconv.Itoa(ports[1])}
	return h, os.MkdirAll(h.dataDir, 0o700)
}

// start runs the hub and returns once /healthz answers.
func (h *hubProc) start(ctx context.Context) error {
	p, err := startProc("flotilla-hub", h.logPath, h.bin, append([]string{"--listen", h.grpcAddr, "--http-listen", h.httpAddr,
		"--data-dir", h.dataDir, "--poll-interval", "2s"}, h.extra...)...)
	if err != nil {
		return err
	}
	h.p = p
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+h.httpAddr+"/healthz", nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("flotilla-hub exited at start (%v):\n%s", p.err, p.logTail(20))
		case <-ctx.Done():
			return fmt.Errorf("flotilla-hub not healthy after 30s:\n%s", p.logTail(20))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (h *hubProc) kill() error { return h.p.kill() }

func (h *hubProc) stop() error { return h.p.stop(15 * time.Second) }

// freePorts returns n loopback ports free right now.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// addCluster registers a cluster with the CLI and returns its spoke token.
func (e *env) addCluster(ctx context.Context, name string, labels ...string) (string, error) {
	args := []string{"cluster", "add", name, "-o", "json"}
	for _, l := range labels {
		args = append(args, "--label", l)
	}
	r := e.run(ctx, e.token, args...)
	if r.code != 0 {
		return "", fmt.Errorf("%s", r)
	}
	var out struct{ Name, Token string }
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Token == "" || out.Name != name {
		return "", fmt.Errorf("cluster add %s -o json: want {\"name\",\"token\"}, got %q (%v)", name, r.stdout, err)
	}
	return out.Token, nil
}

// startSpoke runs flotilla-spoke for a cluster with a token file.
func (e *env) startSpoke(name, kubeconfig, token string) (*proc, error) {
	tokenFile := filepath.Join(e.root, name+".token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		return nil, err
	}
	return startProc("flotilla-spoke "+name, filepath.Join(e.root, "spoke-"+name+".log"), filepath.Join(e.bin, "flotilla-spoke"),
		"--hub", e.hub.grpcAddr, "--insecure", "--token-file", tokenFile, "--kubeconfig", kubeconfig,
		"--data-dir", filepath.Join(e.root, "spoke-"+name))
}

type clusterView struct {
	Name     string `json:"name"`
	State    string `json:"state"`
	LastSeen string `json:"lastSeen"`
}

func (e *env) clusterList(ctx context.Context) ([]clusterView, error) {
	r := e.run(ctx, e.token, "cluster", "list", "-o", "json")
	if r.code != 0 {
		return nil, fmt.Errorf("%s", r)
	}
	var cs []clusterView
	if err := json.Unmarshal([]byte(r.stdout), &cs); err != nil {
		return nil, fmt.Errorf("cluster list -o json: %w: %s", err, r.stdout)
	}
	return cs, nil
}

// waitConnected waits until the hub reports the clusters Connected.
func (e *env) waitConnected(ctx context.Context, timeout time.Duration, names ...string) error {
	deadline := time.Now().Add(timeout)
	for {
		cs, err := e.clusterList(ctx)
		state := map[string]string{}
		for _, c := range cs {
			state[c.Name] = c.State
		}
		var waiting []string
		for _, n := range names {
			if state[n] != "Connected" {
				waiting = append(waiting, fmt.Sprintf("%s is %q", n, state[n]))
			}
		}
		if err == nil && len(waiting) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("spokes not connected after %s: %v %v", timeout, waiting, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// newRunDir creates the run directory under the directory e2e/localcluster
// sweeps, with the owner file it reads ("PID STARTTIME"): if this process
// dies without cleaning up, the next localcluster.Main stops the clusters.
func newRunDir() (string, error) {
	base := filepath.Join(os.TempDir(), "flotilla-localcluster")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(base, "e2e-suite-")
	if err != nil {
		return "", err
	}
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return "", err
	}
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 20 {
		return "", fmt.Errorf("/proc/self/stat: malformed")
	}
	owner := fmt.Sprintf("%d %s\n", os.Getpid(), fields[19])
	return dir, os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(owner), 0o644)
}
