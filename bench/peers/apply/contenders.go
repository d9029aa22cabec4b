package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/proto"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/fluxcd/cli-utils/pkg/kstatus/polling"
	"github.com/fluxcd/pkg/ssa"

	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/health"
	"github.com/flotilla-gitops/flotilla/pkg/object"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/apply"
	"github.com/flotilla-gitops/flotilla/spoke/executor"
	"github.com/flotilla-gitops/flotilla/spoke/guard"
	"github.com/flotilla-gitops/flotilla/spoke/store"
)

// job is what one contender process is asked to do.
type job struct {
	Contender   string
	Kubeconfig  string
	Namespace   string
	Files       []string // the manifests to apply: the CRD's file, then the rest's
	Prev        []string // the manifests applied before (Flotilla's plan prunes against them)
	DataDir     string   // Flotilla's spoke store
	Generation  uint64
	QPS         float64
	Burst       int
	Concurrency int
	Kubectl     string
	CPUProfile  string // write a CPU profile of the Go contender here
}

// child runs one contender in this process and prints the API requests it
// made. The parent measures the process (wall time, CPU, peak RSS).
func child(j job) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	if j.Contender == "kubectl" {
		return runKubectl(ctx, j)
	}
	if j.CPUProfile != "" {
		f, err := os.Create(j.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", j.Kubeconfig)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = float32(j.QPS), j.Burst
	var requests atomic.Int64
	var mu sync.Mutex
	byVerb := map[string]int{}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripper(func(r *http.Request) (*http.Response, error) {
			requests.Add(1)
			verb := r.Method
			if r.URL.Query().Get("dryRun") != "" {
				verb += " dry-run"
			}
			if r.URL.Query().Get("watch") != "" {
				verb += " watch"
			}
			mu.Lock()
			byVerb[verb]++
			mu.Unlock()
			return rt.RoundTrip(r)
		})
	})
	objs, err := read(j.Files, j.Namespace)
	if err != nil {
		return err
	}
	switch j.Contender {
	case "flotilla":
		err = runFlotilla(ctx, cfg, j, objs)
	case "flux-ssa":
		err = runFlux(ctx, cfg, j, objs)
	case "client-go":
		err = runClientGo(ctx, cfg, j, objs)
	default:
		err = fmt.Errorf("unknown contender %q", j.Contender)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s: requests by verb: %v\n", j.Contender, byVerb)
	fmt.Printf("{\"requests\": %d}\n", requests.Load())
	return nil
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// read decodes files as Flotilla does and puts namespaced objects in ns.
func read(files []string, ns string) ([]*unstructured.Unstructured, error) {
	var all []*unstructured.Unstructured
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		objs, err := object.Decode(file, b, object.DefaultLimits())
		if err != nil {
			return nil, err
		}
		all = append(all, objs...)
	}
	for _, u := range all {
		if u.GetKind() != "CustomResourceDefinition" {
			u.SetNamespace(ns)
		}
	}
	return all, nil
}

// runFlotilla plans as the hub does (pkg/plan, against what was applied
// before) and executes the plan with the spoke's executor and store: a
// server-side dry-run of everything, then apply in order, waiting for
// health (CRDs established, Deployments available) as a sync does.
func runFlotilla(ctx context.Context, cfg *rest.Config, j job, objs []*unstructured.Unstructured) error {
	live, err := read(j.Prev, j.Namespace)
	if err != nil {
		return err
	}
	p, err := plan.Compute(objs, live, plan.Options{Prune: true, Namespace: j.Namespace})
	if err != nil {
		return err
	}
	msg, err := wire.PlanToProto(p)
	if err != nil {
		return err
	}
	msg.Application, msg.Cluster, msg.Revision = "bench", "bench", fmt.Sprint(j.Generation)
	msg.Options = &pb.PlanOptions{DefaultNamespace: j.Namespace, Prune: true}
	raw, err := proto.Marshal(msg)
	if err != nil {
		return err
	}
	st, err := store.Open(j.DataDir, 10*time.Second)
	if err != nil {
		return err
	}
	defer st.Close()
	run := store.Run{Phase: store.Running, StartedAt: time.Now().UTC()}
	if err := st.PutTarget(store.Target{App: "bench", PlanHash: msg.GetHash(), Generation: j.Generation, Run: run}, raw); err != nil {
		return err
	}
	m, err := apply.New(cfg)
	if err != nil {
		return err
	}
	opts := executor.DefaultOptions()
	opts.Concurrency = j.Concurrency
	ex := &executor.Executor{Cluster: m, Store: st, Guard: guard.DefaultRules(), Options: opts, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	t := executor.NewTarget("bench", j.Generation, msg, p, run)
	if err := ex.Execute(ctx, t); err != nil {
		return err
	}
	if r := t.Snapshot(); r.Phase != store.Succeeded {
		return fmt.Errorf("flotilla sync %s: %s", r.Phase, r.Message)
	}
	return nil
}

// runFlux applies with fluxcd/pkg/ssa as kustomize-controller does:
// ApplyAllStaged (CRDs first and waited for, then the rest), drift checked
// by a dry-run per object and only changed objects applied.
func runFlux(ctx context.Context, cfg *rest.Config, j job, objs []*unstructured.Unstructured) error {
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return err
	}
	poller := polling.NewStatusPoller(c, c.RESTMapper(), polling.Options{})
	m := ssa.NewResourceManager(c, poller, ssa.Owner{Field: "flux-bench", Group: "bench.flotilla.dev"})
	m.SetConcurrency(j.Concurrency)
	opts := ssa.DefaultApplyOptions()
	opts.WaitTimeout = 2 * time.Minute
	_, err = m.ApplyAllStaged(ctx, objs, opts)
	return err
}

// runClientGo is the practical limit: one server-side apply per object
// with the dynamic client, Concurrency at once, at the same client QPS;
// CRDs first, waited for until established.
func runClientGo(ctx context.Context, cfg *rest.Config, j job, objs []*unstructured.Unstructured) error {
	m, err := apply.New(cfg)
	if err != nil {
		return err
	}
	var crds, rest []*unstructured.Unstructured
	for _, u := range objs {
		if u.GetKind() == "CustomResourceDefinition" {
			crds = append(crds, u)
		} else {
			rest = append(rest, u)
		}
	}
	for _, batch := range [][]*unstructured.Unstructured{crds, rest} {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(j.Concurrency)
		for _, u := range batch {
			g.Go(func() error {
				mapping, err := m.Mapping(gctx, u.GroupVersionKind())
				if err != nil {
					return err
				}
				data, err := u.MarshalJSON()
				if err != nil {
					return err
				}
				_, err = m.Dynamic().Resource(mapping.Resource).Namespace(u.GetNamespace()).Patch(gctx, u.GetName(),
					types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: "client-go-bench", Force: ptr.To(true)})
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		for _, u := range crds {
			if err := established(ctx, m, u.GetName()); err != nil {
				return err
			}
		}
		crds = nil
	}
	return nil
}

// established polls the CRD until it is Healthy by the project's health
// rules (Established).
func established(ctx context.Context, m *apply.Manager, name string) error {
	ref := apply.Ref{GVK: schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}, Name: name}
	return wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		u, err := m.Get(ctx, ref)
		if err != nil || u == nil {
			return false, err
		}
		h, err := health.Compute(u)
		return err == nil && h.Status == health.Healthy, err
	})
}

// runKubectl does what a person does: apply the CRD, wait for it to be
// established, then apply the rest, each with kubectl apply --server-side.
func runKubectl(ctx context.Context, j job) error {
	crd, rest := j.Files[0], j.Files[1]
	kc := func(args ...string) error {
		cmd := exec.CommandContext(ctx, j.Kubectl, append([]string{"--kubeconfig", j.Kubeconfig}, args...)...)
		cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("kubectl %v: %w", args, err)
		}
		return nil
	}
	if err := kc("apply", "--server-side", "--field-manager", "kubectl-bench", "--force-conflicts", "-f", crd); err != nil {
		return err
	}
	if err := kc("wait", "--for", "condition=Established", "-f", crd, "--timeout", "1m"); err != nil {
		return err
	}
	return kc("apply", "--server-side", "--field-manager", "kubectl-bench", "--force-conflicts", "-n", j.Namespace, "-f", rest)
}
