package suite

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/flotilla-gitops/flotilla/e2e/localcluster"
	"github.com/flotilla-gitops/flotilla/internal/gitserver"
)

// module is the repository's Go module, to find its root.
const module = "github.com/flotilla-gitops/flotilla"

// envKeep, when set, keeps the run directory (logs) of a passing run too.
const envKeep = "FLOTILLA_E2E_KEEP"

// clusterLabel is the label every cluster of the suite carries, for
// applications that select all of them.
const clusterLabel = "suite=e2e"

// env is everything the scenarios share: started once by the first test
// that asks for it, stopped by TestMain.
type env struct {
	root     string // run directory: binaries, logs, hub and spoke data
	bin      string
	clusters []*cluster
	git      *gitserver.Server
	gitSrv   *http.Server
	gitURL   string // http://127.0.0.1:PORT
	hub      *hubProc
	spokes   []*proc           // one per cluster, in order
	tokens   map[string]string // spoke token per cluster
	token    string            // admin token
}

// cluster is a local cluster with its clients and spoke.
type cluster struct {
	*localcluster.Cluster
	kube kubernetes.Interface
	dyn  dynamic.Interface
}

var shared struct {
	once sync.Once
	env  *env
	err  error
	took time.Duration // set-up time
}

func TestMain(m *testing.M) {
	start := time.Now()
	code := m.Run()
	if e := shared.env; e != nil {
		if err := e.stop(code != 0 || os.Getenv(envKeep) != ""); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: stop: %v\n", err)
			code = 1
		}
		fmt.Fprintf(os.Stderr, "e2e: suite ran in %s (set-up %s)\n", time.Since(start).Round(time.Second), shared.took.Round(time.Millisecond))
	}
	os.Exit(code)
}

// suite returns the shared environment, starting it on first use.
func suite(t testing.TB) *env {
	t.Helper()
	shared.once.Do(func() {
		begin := time.Now()
		shared.env, shared.err = setup(context.Background())
		shared.took = time.Since(begin)
		if shared.err == nil {
			fmt.Fprintf(os.Stderr, "e2e: hub, 2 spokes and 2 clusters ready in %s (%s)\n", shared.took.Round(time.Millisecond), shared.env.root)
		}
	})
	if shared.err != nil {
		t.Fatalf("e2e set-up: %v", shared.err)
	}
	return shared.env
}

// setup builds the binaries, starts the clusters, the Git server, the hub
// and a spoke per cluster. On failure it stops what it started.
func setup(ctx context.Context) (_ *env, err error) {
	e := &env{tokens: map[string]string{}}
	defer func() {
		if err != nil {
			if serr := e.stop(true); serr != nil {
				err = errors.Join(err, serr)
			}
		}
	}()
	if e.root, err = newRunDir(); err != nil {
		return nil, err
	}
	repo, err := repoRoot()
	if err != nil {
		return nil, err
	}
	e.bin = filepath.Join(e.root, "bin")
	builds := make(chan error, 1)
	go func() { builds <- buildBinaries(ctx, repo, e.bin) }()

	kbin, err := localcluster.Binaries(ctx, localcluster.BuildIfNeeded, os.Stderr)
	if err != nil {
		return nil, errors.Join(err, <-builds)
	}
	lcs, err := localcluster.StartFleet(ctx, localcluster.FleetOptions{Dir: e.root, Count: 2, Nodes: 2,
		BinDir: kbin, ReadyTimeout: 2 * time.Minute})
	if err != nil {
		return nil, errors.Join(err, <-builds)
	}
	for _, lc := range lcs {
		c := &cluster{Cluster: lc}
		if c.kube, err = lc.Clientset(); err != nil {
			return nil, err
		}
		if c.dyn, err = dynamic.NewForConfig(lc.Config()); err != nil {
			return nil, err
		}
		e.clusters = append(e.clusters, c)
	}
	if err := <-builds; err != nil {
		return nil, err
	}
	if err := e.startGit(); err != nil {
		return nil, err
	}
	e.hub, err = newHub(e.bin, e.root)
	if err != nil {
		return nil, err
	}
	if err := e.hub.start(ctx); err != nil {
		return nil, err
	}
	tok, err := os.ReadFile(filepath.Join(e.hub.dataDir, "admin-token"))
	if err != nil {
		return nil, fmt.Errorf("hub wrote no admin token: %w", err)
	}
	e.token = strings.TrimSpace(string(tok))
	for _, c := range e.clusters {
		token, err := e.addCluster(ctx, c.Name, clusterLabel, "name="+c.Name)
		if err != nil {
			return nil, err
		}
		e.tokens[c.Name] = token
		p, err := e.startSpoke(c.Name, c.Kubeconfig, token)
		if err != nil {
			return nil, err
		}
		e.spokes = append(e.spokes, p)
	}
	return e, e.waitConnected(ctx, 60*time.Second, e.clusterNames()...)
}

func (e *env) clusterNames() []string {
	var out []string
	for _, c := range e.clusters {
		out = append(out, c.Name)
	}
	return out
}

func (e *env) startGit() error {
	var err error
	if e.git, err = gitserver.New(filepath.Join(e.root, "git")); err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	e.gitSrv = &http.Server{Handler: e.git, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := e.gitSrv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(os.Stderr, "e2e: git server: %v\n", err)
		}
	}()
	e.gitURL = "http://" + l.Addr().String()
	return nil
}

// stop stops the spokes, the hub, the Git server and the clusters; it
// removes the run directory unless keep (a failed run keeps its logs).
func (e *env) stop(keep bool) error {
	var errs []error
	for _, p := range e.spokes {
		errs = append(errs, p.stop(10*time.Second))
	}
	if e.hub != nil {
		errs = append(errs, e.hub.stop())
	}
	if e.gitSrv != nil {
		errs = append(errs, e.gitSrv.Close())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, c := range e.clusters {
		errs = append(errs, c.Stop(ctx))
	}
	if err := errors.Join(errs...); err != nil {
		keep = true
		errs = []error{err}
	}
	if e.root == "" {
		return errors.Join(errs...)
	}
	if keep {
		fmt.Fprintf(os.Stderr, "e2e: logs kept in %s (hub.log, spoke-*.log, c*/logs/)\n", e.root)
		for _, c := range e.clusters {
			errs = append(errs, c.Remove(true))
		}
		return errors.Join(errs...)
	}
	return errors.Join(append(errs, os.RemoveAll(e.root))...)
}

// repoRoot finds the module's root above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(strings.TrimSpace(string(b)), "module "+module) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of %s above the working directory", module)
		}
		dir = parent
	}
}

// buildBinaries builds flotilla, flotilla-hub and flotilla-spoke into dir,
// as a user would.
func buildBinaries(ctx context.Context, repo, dir string) error {
	start := time.Now()
	goBin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", dir+string(filepath.Separator),
		"./cli/cmd/flotilla", "./hub/cmd/flotilla-hub", "./spoke/cmd/flotilla-spoke")
	cmd.Dir = repo
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	fmt.Fprintf(os.Stderr, "e2e: built flotilla, flotilla-hub, flotilla-spoke in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}
