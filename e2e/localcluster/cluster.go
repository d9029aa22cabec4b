package localcluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// stateFile holds a cluster's State, in its directory.
const stateFile = "cluster.json"

// markerFile marks a directory as a cluster's: only such directories are
// ever emptied or deleted.
const markerFile = ".flotilla-localcluster"

// Options configure one cluster.
type Options struct {
	Name   string // cluster name, used in its kubeconfig; default "local"
	Dir    string // its directory: must be empty, missing or a former cluster's
	BinDir string // binaries; default from Binaries(ctx, BuildIfNeeded, os.Stderr)
	Nodes  int    // fake Nodes; default 2
	// Detach lets the processes outlive the caller (own session, no
	// parent-death signal): for the dev command. Tests leave it false.
	Detach bool
	// ReadyTimeout bounds the whole start; default 90s.
	ReadyTimeout time.Duration
	// Attempts is how many times to try with fresh ports when one was taken
	// between allocation and bind; default 3.
	Attempts int
}

// DefaultOptions returns the defaults documented on Options.
func DefaultOptions() Options {
	return Options{Name: "local", Nodes: 2, ReadyTimeout: 90 * time.Second, Attempts: 3}
}

// State is what DIR/cluster.json records about a running cluster.
type State struct {
	Name       string               `json:"name"`
	Dir        string               `json:"dir"`
	Kubeconfig string               `json:"kubeconfig"`
	Server     string               `json:"server"`
	Ports      Ports                `json:"ports"`
	Versions   map[string]string    `json:"versions"`
	Processes  map[string]pidRecord `json:"processes"`
	Started    time.Time            `json:"started"`
}

// Cluster is a running local cluster.
type Cluster struct {
	State
	config *rest.Config
	procs  []*proc // set only in the process that started it
}

// Start starts a cluster and returns once its API server is ready, its
// fake Nodes are Ready and untainted and the controller-manager has created
// the default ServiceAccount. Whatever a previous cluster in opts.Dir left
// running is stopped first. On failure everything started is stopped and
// the logs are kept; the error names their directory.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	def := DefaultOptions()
	if opts.Name == "" {
		opts.Name = def.Name
	}
	if opts.Nodes <= 0 {
		opts.Nodes = def.Nodes
	}
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = def.ReadyTimeout
	}
	if opts.Attempts <= 0 {
		opts.Attempts = def.Attempts
	}
	if opts.Dir == "" {
		return nil, fmt.Errorf("cluster %s: no directory", opts.Name)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", opts.Name, err)
	}
	opts.Dir = dir
	if opts.BinDir == "" {
		if opts.BinDir, err = Binaries(ctx, BuildIfNeeded, os.Stderr); err != nil {
			return nil, fmt.Errorf("cluster %s: %w", opts.Name, err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, opts.ReadyTimeout)
	defer cancel()
	for attempt := 1; ; attempt++ {
		if err := reset(ctx, dir); err != nil {
			return nil, fmt.Errorf("cluster %s: %w", opts.Name, err)
		}
		c, err := start(ctx, opts)
		if err == nil {
			return c, nil
		}
		stopErr := c.Stop(context.WithoutCancel(ctx))
		if attempt < opts.Attempts && portTaken(dir) {
			continue
		}
		return nil, errors.Join(fmt.Errorf("cluster %s: %w; logs in %s", opts.Name, err, filepath.Join(dir, "logs")), stopErr)
	}
}

// reset stops what a previous cluster in dir left running and empties dir.
// It refuses to empty a directory that does not look like a cluster's.
func reset(ctx context.Context, dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("reset %s: %w", dir, err)
		}
	} else if err != nil {
		return fmt.Errorf("reset %s: %w", dir, err)
	}
	if len(entries) > 0 && !isClusterDir(dir) {
		return fmt.Errorf("reset %s: not empty and not a local cluster directory (no %s); refusing to delete it", dir, markerFile)
	}
	if err := Sweep(ctx, dir); err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("reset %s: %w", dir, err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, markerFile), nil, 0o644); err != nil {
		return fmt.Errorf("reset %s: %w", dir, err)
	}
	return nil
}

func isClusterDir(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, markerFile))
	return err == nil
}

// portTaken reports whether a component's log says a port was taken.
func portTaken(dir string) bool {
	logs, err := filepath.Glob(filepath.Join(dir, "logs", "*.log"))
	if err != nil {
		return false
	}
	for _, l := range logs {
		data, err := os.ReadFile(l)
		if err == nil && strings.Contains(string(data), "address already in use") {
			return true
		}
	}
	return false
}

// start runs one attempt. The returned Cluster is non-nil even on error so
// that the caller can stop what was started.
func start(ctx context.Context, opts Options) (*Cluster, error) {
	dir := opts.Dir
	c := &Cluster{State: State{
		Name:       opts.Name,
		Dir:        dir,
		Kubeconfig: kubeconfigPath(dir, "admin"),
		Versions:   map[string]string{"kubernetes": KubernetesVersion, "etcd": EtcdVersion, "kwok": KwokVersion},
		Processes:  map[string]pidRecord{},
	}}
	p, err := generatePKI(filepath.Join(dir, "pki"))
	if err != nil {
		return c, err
	}
	if c.Ports, err = allocatePorts(); err != nil {
		return c, err
	}
	c.Server = "https://" + loopback(c.Ports.APIServer)
	if err := writeKubeconfigs(dir, c.Name, c.Server, p); err != nil {
		return c, err
	}
	if err := writeKwokConfig(dir, c.Ports); err != nil {
		return c, err
	}
	if c.config, err = restConfig(dir); err != nil {
		return c, err
	}
	if err := c.run(opts, binEtcd, etcdArgs(dir, c.Ports)); err != nil {
		return c, err
	}
	if err := c.run(opts, binAPIServer, apiServerArgs(dir, c.Ports, p)); err != nil {
		return c, err
	}
	cs, err := kubernetes.NewForConfig(c.config)
	if err != nil {
		return c, fmt.Errorf("client: %w", err)
	}
	if err := c.waitAPIServer(ctx, cs); err != nil {
		return c, err
	}
	for name, args := range map[string][]string{
		binController: controllerManagerArgs(dir, p),
		binScheduler:  schedulerArgs(dir),
		binKwok:       kwokArgs(dir, c.Ports),
	} {
		if err := c.run(opts, name, args); err != nil {
			return c, err
		}
	}
	if err := c.bootstrap(ctx, cs, opts.Nodes); err != nil {
		return c, err
	}
	c.Started = time.Now()
	return c, c.save()
}

func (c *Cluster) run(opts Options, name string, args []string) error {
	var env []string
	if name == binKwok {
		// Keep kwok from reading ~/.kwok/kwok.yaml.
		env = []string{"KWOK_WORKDIR=" + filepath.Join(c.Dir, "kwok")}
	}
	p, err := startProc(c.Dir, name, filepath.Join(opts.BinDir, name), args, env, opts.Detach)
	if err != nil {
		return err
	}
	c.procs = append(c.procs, p)
	c.Processes[name] = p.pid
	return nil
}

// exited returns an error if any process started by this Cluster value
// has exited.
func (c *Cluster) exited() error {
	for _, p := range c.procs {
		if err := p.exited(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cluster) save() error {
	data, err := json.MarshalIndent(c.State, "", "  ")
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if err := os.WriteFile(filepath.Join(c.Dir, stateFile), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

// Load reads the state of a cluster started earlier, maybe by another
// process, from its directory.
func Load(dir string) (*Cluster, error) {
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", dir, ErrNoCluster)
	}
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	c := &Cluster{}
	if err := json.Unmarshal(data, &c.State); err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	if c.config, err = restConfig(c.Dir); err != nil {
		return nil, err
	}
	return c, nil
}

// Config returns a client configuration with the admin identity.
func (c *Cluster) Config() *rest.Config { return rest.CopyConfig(c.config) }

// Clientset returns a typed client with the admin identity.
func (c *Cluster) Clientset() (kubernetes.Interface, error) {
	cs, err := kubernetes.NewForConfig(c.config)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: client: %w", c.Name, err)
	}
	return cs, nil
}

// LogDir is where the processes' logs are.
func (c *Cluster) LogDir() string { return filepath.Join(c.Dir, "logs") }

// Stop stops every process of the cluster, etcd's clients first and etcd
// last (SIGTERM, then SIGKILL after a grace period), and waits for them to
// exit: about a second. The directory stays.
func (c *Cluster) Stop(ctx context.Context) error {
	if c == nil {
		return nil
	}
	err := stopProcesses(ctx, c.Processes)
	for _, p := range c.procs {
		select {
		case <-p.done:
		case <-ctx.Done():
			return errors.Join(err, fmt.Errorf("cluster %s: stop: %w", c.Name, ctx.Err()))
		}
	}
	if err != nil {
		return fmt.Errorf("cluster %s: stop: %w", c.Name, err)
	}
	if rmErr := os.RemoveAll(filepath.Join(c.Dir, "pids")); rmErr != nil {
		return fmt.Errorf("cluster %s: stop: %w", c.Name, rmErr)
	}
	return nil
}

// Remove deletes the cluster directory, or everything but its logs (and
// the marker that lets a later Start reuse the directory) when keepLogs is
// set. Call it after Stop.
func (c *Cluster) Remove(keepLogs bool) error {
	if !keepLogs {
		if err := os.RemoveAll(c.Dir); err != nil {
			return fmt.Errorf("cluster %s: remove: %w", c.Name, err)
		}
		return nil
	}
	entries, err := os.ReadDir(c.Dir)
	if err != nil {
		return fmt.Errorf("cluster %s: remove: %w", c.Name, err)
	}
	for _, e := range entries {
		if e.Name() == "logs" || e.Name() == markerFile {
			continue
		}
		if err := os.RemoveAll(filepath.Join(c.Dir, e.Name())); err != nil {
			return fmt.Errorf("cluster %s: remove: %w", c.Name, err)
		}
	}
	return nil
}
