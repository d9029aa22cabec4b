package agent_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/flotilla-gitops/flotilla/e2e/localcluster"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/agent"
	"github.com/flotilla-gitops/flotilla/spoke/internal/fakehub"
)

// envSpokeArgs, when set (JSON list of flags), makes the test binary run
// the spoke instead of the tests: for kill -9 and RSS tests.
const envSpokeArgs = "FLOTILLA_TEST_SPOKE_ARGS"

func TestMain(m *testing.M) {
	if raw := os.Getenv(envSpokeArgs); raw != "" {
		var args []string
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(agent.Main(flag.NewFlagSet("flotilla-spoke", flag.ContinueOnError), args))
	}
	localcluster.Main(m)
}

const (
	token   = "s3cret-cluster-token"
	cluster = "local"
)

var (
	gvrCM     = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	gvrDeploy = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	gvrJob    = schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}
	gvrSvc    = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	gvrPVC    = schema.GroupVersionResource{Version: "v1", Resource: "persistentvolumeclaims"}
	gvrEvent  = schema.GroupVersionResource{Version: "v1", Resource: "events"}
)

// env is one test's namespace in the package's cluster, a fake hub and
// clients to check the cluster with.
type env struct {
	t          *testing.T
	ns         string
	hub        *fakehub.Hub
	dyn        dynamic.Interface
	cs         kubernetes.Interface
	kubeconfig string
	tokenFile  string
	dataDir    string
}

func setup(t *testing.T) *env {
	t.Helper()
	c, ns := localcluster.NewNamespace(t)
	dyn, err := dynamic.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	cs, err := c.Clientset()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	e := &env{t: t, ns: ns, hub: fakehub.Start(t, token, cluster), dyn: dyn, cs: cs, kubeconfig: c.Kubeconfig,
		tokenFile: filepath.Join(dir, "token"), dataDir: filepath.Join(dir, "data")}
	if err := os.WriteFile(e.tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// args are the spoke's flags for this env: limited to the test's
// namespace, cluster-scoped kinds allowed (tests of CRDs, Namespaces).
func (e *env) args(extra ...string) []string {
	return append([]string{"-hub", e.hub.Addr(), "-insecure", "-token-file", e.tokenFile, "-kubeconfig", e.kubeconfig,
		"-data-dir", e.dataDir, "-allowed-namespaces", e.ns, "-allow-cluster-scoped"}, extra...)
}

// startSpoke runs a spoke in this process until the test ends.
func (e *env) startSpoke(extra ...string) {
	e.t.Helper()
	cfg, err := agent.ParseFlags(e.args(extra...), os.Stderr)
	if err != nil {
		e.t.Fatal(err)
	}
	kube, err := cfg.KubeConfig()
	if err != nil {
		e.t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(e.t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := agent.New(cfg, kube, log)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	e.t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				e.t.Errorf("spoke: %v", err)
			}
		case <-time.After(30 * time.Second):
			e.t.Errorf("spoke did not stop within 30s")
		}
	})
}

// spokeProcess runs the spoke as a child process (the test binary).
func (e *env) spokeProcess(extra ...string) *exec.Cmd {
	e.t.Helper()
	return e.spokeProcessEnv(nil, extra...)
}

// spokeProcessEnv runs the spoke as a child process with more environment
// (e.g. a fault point).
func (e *env) spokeProcessEnv(env []string, extra ...string) *exec.Cmd {
	e.t.Helper()
	raw, err := json.Marshal(e.args(extra...))
	if err != nil {
		e.t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), env...), envSpokeArgs+"="+string(raw))
	cmd.Stderr = e.t.Output()
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			if err := cmd.Process.Kill(); err != nil {
				e.t.Logf("kill spoke: %v", err)
			}
			if err := cmd.Wait(); err == nil {
				e.t.Log("spoke exited cleanly despite SIGKILL")
			}
		}
	})
	return cmd
}

// plan builds a plan for this env's namespace.
func (e *env) plan(app, yaml string, opts *pb.PlanOptions, live string, ignore ...*pb.IgnoreDifference) *pb.Plan {
	e.t.Helper()
	if opts == nil {
		opts = &pb.PlanOptions{}
	}
	opts.DefaultNamespace = e.ns
	return fakehub.Plan(e.t, fakehub.PlanSpec{App: app, Cluster: cluster, Revision: "rev-" + strconv.Itoa(len(yaml)), YAML: yaml,
		Live: live, Options: opts, Ignore: ignore})
}

// finished waits for the plan's run to end and returns its last progress.
func (e *env) finished(app string, p *pb.Plan, timeout time.Duration) *pb.SyncProgress {
	e.t.Helper()
	var out *pb.SyncProgress
	e.hub.Wait(e.t, "end of the sync of "+app, timeout, func(v fakehub.View) bool {
		out = v.Finished(app, p.GetHash())
		return out != nil
	})
	return out
}

func (e *env) succeeded(app string, p *pb.Plan, timeout time.Duration) *pb.SyncProgress {
	e.t.Helper()
	pr := e.finished(app, p, timeout)
	if pr.GetOperation().GetPhase() != pb.OperationPhase_OPERATION_PHASE_SUCCEEDED {
		e.t.Fatalf("sync of %s: %v: %s", app, pr.GetOperation().GetPhase(), pr.GetOperation().GetMessage())
	}
	return pr
}

func (e *env) get(gvr schema.GroupVersionResource, name string) *unstructured.Unstructured {
	e.t.Helper()
	u, err := e.dyn.Resource(gvr).Namespace(e.ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatalf("get %s %s: %v", gvr.Resource, name, err)
	}
	return u
}

func (e *env) exists(gvr schema.GroupVersionResource, name string) bool {
	e.t.Helper()
	_, err := e.dyn.Resource(gvr).Namespace(e.ns).Get(context.Background(), name, metav1.GetOptions{})
	return err == nil
}

// event is one watch event from the API server.
type event struct {
	typ  watch.EventType
	kind string
	name string
	rv   int64
	obj  *unstructured.Unstructured
}

// recorder keeps the API server's watch events for some resources of the
// namespace, in the order they happened: resourceVersions are the single
// etcd's revisions, so they order events across resources in this cluster.
type recorder struct {
	mu      sync.Mutex
	events  []event
	changed chan struct{}
}

func (e *env) record(gvrs ...schema.GroupVersionResource) *recorder {
	e.t.Helper()
	r := &recorder{changed: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	e.t.Cleanup(cancel)
	for _, gvr := range gvrs {
		ri := e.dyn.Resource(gvr).Namespace(e.ns)
		list, err := ri.List(ctx, metav1.ListOptions{})
		if err != nil {
			e.t.Fatal(err)
		}
		w, err := ri.Watch(ctx, metav1.ListOptions{ResourceVersion: list.GetResourceVersion()})
		if err != nil {
			e.t.Fatal(err)
		}
		go func() {
			for ev := range w.ResultChan() {
				u, ok := ev.Object.(*unstructured.Unstructured)
				if !ok {
					continue
				}
				rv, _ := strconv.ParseInt(u.GetResourceVersion(), 10, 64)
				r.mu.Lock()
				r.events = append(r.events, event{ev.Type, u.GetKind(), u.GetName(), rv, u})
				close(r.changed)
				r.changed = make(chan struct{})
				r.mu.Unlock()
			}
		}()
	}
	return r
}

// first returns the resourceVersion of the first event matching.
func (r *recorder) first(match func(event) bool) (int64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range r.events {
		if match(ev) {
			return ev.rv, true
		}
	}
	return 0, false
}

// count returns how many events match.
func (r *recorder) count(match func(event) bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, ev := range r.events {
		if match(ev) {
			n++
		}
	}
	return n
}

// wait blocks until an event matching arrives (or arrived) and returns it.
func (r *recorder) wait(t *testing.T, what string, timeout time.Duration, match func(event) bool) event {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	seen := 0
	for {
		r.mu.Lock()
		for ; seen < len(r.events); seen++ {
			if match(r.events[seen]) {
				ev := r.events[seen]
				r.mu.Unlock()
				return ev
			}
		}
		ch := r.changed
		r.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("no %s within %s", what, timeout)
		}
	}
}

func added(kind, name string) func(event) bool {
	return func(ev event) bool { return ev.typ == watch.Added && ev.kind == kind && ev.name == name }
}

func deleted(kind, name string) func(event) bool {
	return func(ev event) bool { return ev.typ == watch.Deleted && ev.kind == kind && ev.name == name }
}

// mustFirst returns the resourceVersion of the first matching event,
// waiting for the watch to deliver it.
func (r *recorder) mustFirst(t *testing.T, what string, match func(event) bool) int64 {
	t.Helper()
	return r.wait(t, what, 10*time.Second, match).rv
}
