// Package executor runs a plan on the cluster: a server-side dry-run of
// every object, then the plan's steps in the order they were given (the
// plan is data; the executor decides no ordering), each step's objects
// applied (one kind at a time, objects of a kind concurrently), its hooks
// created and its prunes deleted, and the next step started only when all
// of them are healthy, finished or gone. When a step fails, the SyncFail
// steps run and the run is Failed with the object and the reason.
//
// The executor is re-entrant (gitops-engine's Sync/GetState): Step runs one
// piece of work from the saved run (dry-run, one step, or one SyncFail
// step), saves the run, reports progress and returns; Execute is the driver
// loop. Every decision is made again from the saved run and the live
// cluster, so a spoke killed mid-wave resumes at that wave, and a hook the
// run recorded as Succeeded is never run again by it.
package executor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/flotilla-gitops/flotilla/pkg/diff"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/apply"
	"github.com/flotilla-gitops/flotilla/spoke/guard"
	"github.com/flotilla-gitops/flotilla/spoke/store"
)

// Cluster is the subset of apply.Manager the executor uses.
type Cluster interface {
	Apply(ctx context.Context, u *unstructured.Unstructured, opts apply.ApplyOptions) (*unstructured.Unstructured, error)
	Create(ctx context.Context, u *unstructured.Unstructured, opts apply.WriteOptions) (*unstructured.Unstructured, error)
	Update(ctx context.Context, u *unstructured.Unstructured, opts apply.WriteOptions) (*unstructured.Unstructured, error)
	MigrateClientSideApply(ctx context.Context, ref apply.Ref) (bool, error)
	Get(ctx context.Context, ref apply.Ref) (*unstructured.Unstructured, error)
	Delete(ctx context.Context, ref apply.Ref, policy metav1.DeletionPropagation, uid types.UID) error
	Wait(ctx context.Context, ref apply.Ref, cond apply.Condition) (*unstructured.Unstructured, error)
	Namespaced(ctx context.Context, gvk schema.GroupVersionKind) (namespaced, known bool, err error)
	Names(ctx context.Context, gvk schema.GroupVersionKind, namespace, selector string) ([]string, error)
	ResourceVersions(ctx context.Context, gvk schema.GroupVersionKind, namespace string) (map[string]string, error)
}

// Store is the subset of store.Store the executor uses.
type Store interface {
	SaveRun(app, planHash string, generation uint64, run store.Run) error
	UpdateInventory(app string, add, remove []store.Ref) error
	Inventory(app string) ([]store.Ref, error)
}

// Options tune the executor.
type Options struct {
	// Concurrency bounds the objects of one kind applied at once, and the
	// waits of one step.
	Concurrency int
	// WaveTimeout applies when the plan sets none.
	WaveTimeout time.Duration
}

// DefaultOptions returns 8 concurrent applies and a 10 minute wave timeout.
func DefaultOptions() Options { return Options{Concurrency: 8, WaveTimeout: 10 * time.Minute} }

// Executor runs plans on one cluster.
type Executor struct {
	Cluster Cluster
	Store   Store
	Guard   guard.Rules
	Log     *slog.Logger
	Options Options
	// Report receives progress after every step, hook and the end of a run.
	Report func(*pb.SyncProgress)
}

// Target is one application's plan and the run being executed. Create it
// with NewTarget; the executor updates Run.
type Target struct {
	App        string
	Generation uint64
	Proto      *pb.Plan
	Plan       *plan.Plan
	ignore     []diff.IgnoreRule

	mu      sync.Mutex // guards Run (hooks finish concurrently), results and priors
	Run     store.Run
	results *results
	priors  map[apply.Ref]*unstructured.Unstructured // the dry-run's result per object (nil: it did not exist)
	applied map[apply.Ref]*store.Applied             // the inventory's last applies, loaded with the dry-run
	// inventory holds the objects the application applied before (keys of
	// inventoryKey), loaded with the dry-run.
	inventory map[string]bool
	saveMu    sync.Mutex // orders saves: each writes a snapshot at least as new
}

// NewTarget wraps a decoded plan and its saved run.
func NewTarget(app string, generation uint64, proto *pb.Plan, p *plan.Plan, run store.Run) *Target {
	return &Target{App: app, Generation: generation, Proto: proto, Plan: p, Run: run,
		ignore: wireIgnore(proto), results: newResults(), priors: map[apply.Ref]*unstructured.Unstructured{}}
}

// setPrior records the dry-run's result for ref: the object as applying
// would leave it, carrying the live resourceVersion ("": it did not exist);
// nil when the object cannot exist yet (its namespace or kind is new).
func (t *Target) setPrior(ref apply.Ref, out *unstructured.Unstructured) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.priors[ref] = out
}

// takePrior returns and forgets what setPrior recorded, and whether it did.
func (t *Target) takePrior(ref apply.Ref) (*unstructured.Unstructured, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out, ok := t.priors[ref]
	delete(t.priors, ref)
	return out, ok
}

// lastApplied returns the inventory's record of the last apply of ref.
func (t *Target) lastApplied(ref apply.Ref) *store.Applied {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.applied[ref]
}

// Snapshot returns a copy of the run.
func (t *Target) Snapshot() store.Run {
	t.mu.Lock()
	defer t.mu.Unlock()
	return copyRun(t.Run)
}

func copyRun(r store.Run) store.Run {
	c := r
	c.Hooks = make(map[string]store.Hook, len(r.Hooks))
	for k, v := range r.Hooks {
		c.Hooks[k] = v
	}
	return c
}

// Execute runs Step until the run is finished. It returns ctx's error when
// ctx ends first (the saved run then resumes later).
func (e *Executor) Execute(ctx context.Context, t *Target) error {
	for {
		done, err := e.Step(ctx, t)
		if err != nil || done {
			return err
		}
	}
}

// Step runs the next piece of the run (the dry-run, one step or one
// SyncFail step), saves the run and reports progress. done is true once
// the run is Succeeded or Failed. An error is returned only when the work
// was interrupted (ctx ended) or the run could not be saved; failures of
// the sync itself are recorded in the run.
func (e *Executor) Step(ctx context.Context, t *Target) (done bool, err error) {
	run := t.Snapshot()
	if run.Phase != store.Running {
		return true, nil
	}
	log := e.log(t)
	switch {
	case !run.DryRunDone:
		err := e.dryRun(ctx, t)
		if ctx.Err() != nil {
			return false, context.Cause(ctx)
		}
		t.mu.Lock()
		t.Run.DryRunDone = true
		if err != nil {
			log.Warn("dry-run failed", "err", err)
			failRun(&t.Run, err)
		}
		t.mu.Unlock()
	case run.Failing:
		idx := nextStep(t.Plan, run.FailStep, true)
		if idx < 0 {
			e.finish(t, store.Failed)
			break
		}
		err := e.runStep(ctx, t, idx)
		if ctx.Err() != nil {
			return false, context.Cause(ctx)
		}
		t.mu.Lock()
		if err != nil {
			log.Warn("SyncFail step failed", "wave", t.Plan.Steps[idx].Wave, "err", err)
			t.Run.Message += "; SyncFail: " + err.Error()
		}
		t.Run.FailStep = idx + 1
		t.mu.Unlock()
	default:
		idx := nextStep(t.Plan, run.Step, false)
		if idx < 0 {
			e.finish(t, store.Succeeded)
			break
		}
		st := t.Plan.Steps[idx]
		log.Info("step", "phase", st.Phase, "wave", st.Wave, "step", idx+1, "of", len(t.Plan.Steps))
		err := e.runStep(ctx, t, idx)
		if ctx.Err() != nil {
			return false, context.Cause(ctx)
		}
		t.mu.Lock()
		if err != nil {
			log.Warn("step failed", "phase", st.Phase, "wave", st.Wave, "err", err)
			failRun(&t.Run, fmt.Errorf("%s wave %d: %w", st.Phase, st.Wave, err))
		} else {
			t.Run.Step = idx + 1
		}
		t.mu.Unlock()
	}
	if err := e.save(t); err != nil {
		return false, err
	}
	e.report(t)
	return t.Snapshot().Phase != store.Running, nil
}

// failRun switches a run to its SyncFail steps.
func failRun(r *store.Run, err error) {
	r.Failing, r.FailStep, r.Message = true, 0, err.Error()
}

func (e *Executor) finish(t *Target, phase store.RunPhase) {
	t.mu.Lock()
	t.Run.Phase, t.Run.FinishedAt = phase, time.Now().UTC()
	if phase == store.Succeeded {
		t.Run.Message = "successfully synced (all steps ran)"
	}
	msg := t.Run.Message
	t.mu.Unlock()
	e.log(t).Info("sync finished", "phase", phase, "message", msg)
}

// nextStep returns the index of the first step at or after from that is
// (syncFail) or is not (!syncFail) a SyncFail step; -1 when none is left.
func nextStep(p *plan.Plan, from int, syncFail bool) int {
	for i := max(from, 0); i < len(p.Steps); i++ {
		if (p.Steps[i].Phase == plan.SyncFail) == syncFail {
			return i
		}
	}
	return -1
}

func (e *Executor) save(t *Target) error {
	t.saveMu.Lock()
	defer t.saveMu.Unlock()
	run := t.Snapshot()
	if err := e.Store.SaveRun(t.App, t.Proto.GetHash(), t.Generation, run); err != nil {
		if errors.Is(err, store.ErrSuperseded) {
			return fmt.Errorf("%w: %w", context.Canceled, err)
		}
		return err
	}
	return nil
}

func (e *Executor) log(t *Target) *slog.Logger {
	l := e.Log
	if l == nil {
		l = slog.Default()
	}
	return l.With("app", t.App, "plan", short(t.Proto.GetHash()), "revision", t.Proto.GetRevision())
}

func (e *Executor) waveTimeout(t *Target) time.Duration {
	if s := t.Proto.GetOptions().GetWaveTimeoutSeconds(); s > 0 {
		return time.Duration(s) * time.Second
	}
	if e.Options.WaveTimeout > 0 {
		return e.Options.WaveTimeout
	}
	return DefaultOptions().WaveTimeout
}

func (e *Executor) concurrency() int {
	if e.Options.Concurrency > 0 {
		return e.Options.Concurrency
	}
	return DefaultOptions().Concurrency
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// IgnoreRules returns the target's ignoreDifferences rules.
func IgnoreRules(t *Target) []diff.IgnoreRule { return t.ignore }
