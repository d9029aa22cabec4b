package localcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
)

// FleetOptions configure StartFleet: Count clusters named c1..cN in
// Dir/c1..Dir/cN. The other fields are as in Options.
type FleetOptions struct {
	Dir          string
	Count        int
	Nodes        int
	BinDir       string
	Detach       bool
	ReadyTimeout time.Duration
}

// ClusterName is the name of the i-th cluster of a fleet (from 0).
func ClusterName(i int) string { return fmt.Sprintf("c%d", i+1) }

// StartFleet stops and removes every cluster already in opts.Dir, then starts
// opts.Count clusters side by side and returns them in order once all are
// ready. If one fails, all are stopped (logs kept) and the errors joined.
func StartFleet(ctx context.Context, opts FleetOptions) ([]*Cluster, error) {
	if opts.Count <= 0 {
		return nil, fmt.Errorf("fleet %s: count must be positive, got %d", opts.Dir, opts.Count)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("fleet %s: %w", opts.Dir, err)
	}
	if err := StopFleet(ctx, dir, RemoveData); err != nil {
		return nil, err
	}
	if opts.BinDir == "" {
		if opts.BinDir, err = Binaries(ctx, BuildIfNeeded, os.Stderr); err != nil {
			return nil, fmt.Errorf("fleet %s: %w", dir, err)
		}
	}
	clusters := make([]*Cluster, opts.Count)
	errs := make([]error, opts.Count)
	var wg sync.WaitGroup
	for i := range opts.Count {
		wg.Go(func() {
			clusters[i], errs[i] = Start(ctx, Options{
				Name:         ClusterName(i),
				Dir:          filepath.Join(dir, ClusterName(i)),
				BinDir:       opts.BinDir,
				Nodes:        opts.Nodes,
				Detach:       opts.Detach,
				ReadyTimeout: opts.ReadyTimeout,
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, c := range clusters {
			if stopErr := c.Stop(ctx); stopErr != nil {
				err = errors.Join(err, stopErr)
			}
		}
		return nil, err
	}
	return clusters, nil
}

// fleetDirs lists the cluster directories under dir, sorted.
func fleetDirs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fleet %s: %w", dir, err)
	}
	var dirs []string
	for _, e := range entries {
		sub := filepath.Join(dir, e.Name())
		if e.IsDir() && isClusterDir(sub) {
			dirs = append(dirs, sub)
		}
	}
	// c2 before c10.
	sort.Slice(dirs, func(i, j int) bool {
		if len(dirs[i]) != len(dirs[j]) {
			return len(dirs[i]) < len(dirs[j])
		}
		return dirs[i] < dirs[j]
	})
	return dirs, nil
}

// Removal says what StopFleet deletes after stopping the processes.
type Removal int

const (
	KeepAll    Removal = iota // delete nothing
	KeepLogs                  // delete everything but each cluster's logs/
	RemoveData                // delete the cluster directories
)

// StopFleet stops the processes of every cluster under dir, by the PIDs
// they recorded, then deletes what removal says.
func StopFleet(ctx context.Context, dir string, removal Removal) error {
	dirs, err := fleetDirs(dir)
	if err != nil {
		return err
	}
	errs := make([]error, len(dirs))
	var wg sync.WaitGroup
	for i, d := range dirs {
		wg.Go(func() {
			if errs[i] = Sweep(ctx, d); errs[i] != nil || removal == KeepAll {
				return
			}
			c := &Cluster{State: State{Name: filepath.Base(d), Dir: d}}
			errs[i] = c.Remove(removal == KeepLogs)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// ClusterStatus is what Status reports about one cluster.
type ClusterStatus struct {
	Name       string
	Dir        string
	Kubeconfig string
	Server     string
	Ready      bool            // every process alive and /readyz answered "ok"
	Running    map[string]bool // process name -> alive
	Err        error           // why it is not ready, if it is not
}

// Status reports on every cluster under dir: which processes are alive
// and whether the API server is ready.
func Status(ctx context.Context, dir string) ([]ClusterStatus, error) {
	dirs, err := fleetDirs(dir)
	if err != nil {
		return nil, err
	}
	out := make([]ClusterStatus, 0, len(dirs))
	for _, d := range dirs {
		c, err := Load(d)
		if err != nil {
			out = append(out, ClusterStatus{Name: filepath.Base(d), Dir: d, Err: err})
			continue
		}
		s := ClusterStatus{Name: c.Name, Dir: c.Dir, Kubeconfig: c.Kubeconfig, Server: c.Server,
			Running: map[string]bool{}}
		var down []string
		for name, r := range c.Processes {
			s.Running[name] = r.alive()
			if !s.Running[name] {
				down = append(down, name)
			}
		}
		s.Ready, s.Err = c.ready(ctx)
		if len(down) > 0 {
			sort.Strings(down)
			s.Ready = false
			s.Err = errors.Join(s.Err, fmt.Errorf("cluster %s: not running: %s", c.Name, strings.Join(down, ", ")))
		}
		out = append(out, s)
	}
	return out, nil
}

// ready asks /readyz, with a short deadline.
func (c *Cluster) ready(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	cs, err := kubernetes.NewForConfig(c.config)
	if err != nil {
		return false, fmt.Errorf("cluster %s: client: %w", c.Name, err)
	}
	body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).Raw()
	if err != nil {
		return false, fmt.Errorf("cluster %s: readyz: %w", c.Name, err)
	}
	return string(body) == "ok", nil
}
