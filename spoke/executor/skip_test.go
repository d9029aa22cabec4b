package executor_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/flotilla-gitops/flotilla/e2e/localcluster"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/apply"
	"github.com/flotilla-gitops/flotilla/spoke/executor"
	"github.com/flotilla-gitops/flotilla/spoke/guard"
	"github.com/flotilla-gitops/flotilla/spoke/store"
)

func TestMain(m *testing.M) { localcluster.Main(m) }

// counting sends everything to a real cluster and counts the applies that
// are not dry-runs.
type counting struct {
	*apply.Manager
	applies, dryRuns, gets atomic.Int64
}

func (c *counting) Get(ctx context.Context, ref apply.Ref) (*unstructured.Unstructured, error) {
	c.gets.Add(1)
	return c.Manager.Get(ctx, ref)
}

func (c *counting) Apply(ctx context.Context, u *unstructured.Unstructured, opts apply.ApplyOptions) (*unstructured.Unstructured, error) {
	if opts.DryRun {
		c.dryRuns.Add(1)
	} else {
		c.applies.Add(1)
	}
	return c.Manager.Apply(ctx, u, opts)
}

// newExecutor returns an executor (with a store) on a new namespace of the
// shared cluster, its requests counted.
func newExecutor(t *testing.T) (*localcluster.Cluster, string, *executor.Executor, *counting, *store.Store) {
	t.Helper()
	c, ns := localcluster.NewNamespace(t)
	m, err := apply.New(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.TempDir(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cluster := &counting{Manager: m}
	ex := &executor.Executor{Cluster: cluster, Store: st, Guard: guard.DefaultRules(), Options: executor.DefaultOptions(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return c, ns, ex, cluster, st
}

// editByHand sets data.v of ConfigMap ns/name as `kubectl edit` would and
// returns the clientset it used.
func editByHand(t *testing.T, c *localcluster.Cluster, ns, name, v string) kubernetes.Interface {
	t.Helper()
	cs, err := c.Clientset()
	if err != nil {
		t.Fatal(err)
	}
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["v"] = v
	if _, err := cs.CoreV1().ConfigMaps(ns).Update(t.Context(), cm, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	return cs
}

// An object nothing wrote since the spoke applied it is not sent again;
// one written by anyone else, or changed in Git, is.
func TestUnchangedObjectsAreNotReapplied(t *testing.T) {
	c, ns, ex, cluster, st := newExecutor(t)
	// Ten ConfigMaps, a to j: enough for the executor to list their
	// resourceVersions instead of a dry-run each.
	cms := func(b string) string {
		var y strings.Builder
		for _, name := range "abcdefghij" {
			v := "1"
			if name == 'b' {
				v = b
			}
			fmt.Fprintf(&y, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: %c}\ndata: {v: '%s'}\n", name, v)
		}
		return y.String()
	}
	gen := uint64(0)
	// sync runs y and checks how many objects were applied and dry-run,
	// and each one's result (default: unchanged).
	sync := func(y string, wantApplies, wantDryRuns int64, results map[string]string) {
		t.Helper()
		gen++
		applies, dryRuns := cluster.applies.Load(), cluster.dryRuns.Load()
		tgt := execute(t, ex, st, y, &pb.PlanOptions{DefaultNamespace: ns, ForceConflicts: true}, gen)
		if got := cluster.applies.Load() - applies; got != wantApplies {
			t.Errorf("sync %d: %d objects applied, want %d", gen, got, wantApplies)
		}
		if got := cluster.dryRuns.Load() - dryRuns; got != wantDryRuns {
			t.Errorf("sync %d: %d objects dry-run, want %d", gen, got, wantDryRuns)
		}
		for _, r := range tgt.Progress().GetResults() {
			want := results[r.GetRef().GetName()]
			if want == "" {
				want = "unchanged"
			}
			if r.GetResult() != want {
				t.Errorf("sync %d: %s %q, want %q", gen, r.GetRef().GetName(), r.GetResult(), want)
			}
		}
	}
	created := map[string]string{}
	for _, name := range "abcdefghij" {
		created[string(name)] = "created"
	}
	sync(cms("1"), 10, 10, created)
	sync(cms("1"), 0, 0, nil) // one list, nothing dry-run or applied

	// Someone else writes b: it is dry-run and applied again (taking the
	// field back).
	cs := editByHand(t, c, ns, "b", "edited")
	sync(cms("1"), 1, 1, map[string]string{"b": "configured"})
	if cm, err := cs.CoreV1().ConfigMaps(ns).Get(t.Context(), "b", metav1.GetOptions{}); err != nil || cm.Data["v"] != "1" {
		t.Fatalf("b after the sync: %v %v, want v=1", cm.Data, err)
	}
	// A change in Git is applied.
	sync(cms("2"), 1, 1, map[string]string{"b": "configured"})
	sync(cms("2"), 0, 0, nil)
	if n := cluster.gets.Load(); n != 0 {
		t.Errorf("%d GETs: the dry-run or the list tells every object's state", n)
	}

	// Into a namespace the plan creates: the dry-run passes the objects
	// over, and they cannot exist yet, so none is read before it is applied.
	before := cluster.gets.Load()
	tgt := execute(t, ex, st, cms("1"), &pb.PlanOptions{DefaultNamespace: ns + "-new", CreateNamespace: true}, gen+1)
	for _, r := range tgt.Progress().GetResults() {
		if r.GetRef().GetKind() == "ConfigMap" && r.GetResult() != "created" {
			t.Errorf("new namespace: %s %q, want created", r.GetRef().GetName(), r.GetResult())
		}
	}
	if n := cluster.gets.Load() - before; n != 1 { // the Namespace's own
		t.Errorf("new namespace: %d GETs, want 1 (the Namespace)", n)
	}
}

// execute plans y as the hub does and runs it to the end, which must be
// Succeeded.
func execute(t *testing.T, ex *executor.Executor, st *store.Store, y string, opts *pb.PlanOptions, gen uint64) *executor.Target {
	t.Helper()
	tgt := run(t, ex, st, "skip", y, opts, gen)
	if r := tgt.Snapshot(); r.Phase != store.Succeeded {
		t.Fatalf("sync %d: %s: %s", gen, r.Phase, r.Message)
	}
	return tgt
}
