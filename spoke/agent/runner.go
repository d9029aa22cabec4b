package agent

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/flotilla-gitops/flotilla/spoke/conn"
	"github.com/flotilla-gitops/flotilla/spoke/executor"
	"github.com/flotilla-gitops/flotilla/spoke/store"
	"github.com/flotilla-gitops/flotilla/spoke/watch"
)

// runner executes one application's current plan; a new assignment
// interrupts the run in progress (its saved state is superseded).
type runner struct {
	a    *Agent
	app  string
	kick chan struct{}
	stop context.CancelFunc
	done chan struct{}

	mu     sync.Mutex
	target *executor.Target
	// cancelRun cancels the run executing (nil when none is): a new
	// assignment supersedes it, a TerminateOperation terminates it.
	cancelRun context.CancelCauseFunc
}

// runner returns the application's runner, starting it if needed.
func (a *Agent) runner(ctx context.Context, app string) *runner {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r := a.runners[app]; r != nil {
		return r
	}
	rctx, stop := context.WithCancel(ctx)
	r := &runner{a: a, app: app, kick: make(chan struct{}, 1), stop: stop, done: make(chan struct{})}
	a.runners[app] = r
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer close(r.done)
		r.loop(rctx)
	}()
	return r
}

// assign makes t the runner's target and (re)starts its execution.
func (r *runner) assign(t *executor.Target) {
	r.mu.Lock()
	if r.cancelRun != nil {
		r.cancelRun(errSuperseded)
	}
	r.target = t
	r.mu.Unlock()
	r.poke()
}

func (r *runner) poke() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// current returns the runner's target.
func (r *runner) current() *executor.Target {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.target
}

// close stops the runner and waits for it.
func (r *runner) close() {
	r.stop()
	<-r.done
}

func (r *runner) loop(ctx context.Context) {
	bo := conn.Backoff{Base: time.Second, Max: time.Minute}
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
		}
		t := r.current()
		r.a.watchTarget(ctx, t)
		if t.Snapshot().Phase != store.Running {
			continue
		}
		r.a.reportProgress(t.Progress())
		term, interrupted, err := r.execute(ctx, t)
		switch {
		case term != nil:
			r.a.endTerminated(t, term.by)
			r.a.watchTarget(ctx, t)
		case err == nil:
			bo.Reset()
			// The watcher reports the application's drift again (queued
			// after the run's result, which the hub takes as Synced), so
			// real drift is not hidden.
			r.a.watchTarget(ctx, t)
			// A run may have created or deleted CRDs: the hub plans with
			// the kinds the cluster serves.
			r.a.reportDiscovery(ctx)
		case !interrupted:
			// The run could not be saved: try again later.
			d := bo.Next()
			r.a.log.Error("run interrupted; retrying", "app", r.app, "err", err, "after", d)
			timer := time.NewTimer(d)
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-timer.C:
			}
			r.poke()
		}
	}
}

// execute runs t until it ends or its run is cancelled: interrupted says
// it was (a new assignment, or term, a TerminateOperation).
func (r *runner) execute(ctx context.Context, t *executor.Target) (term *terminated, interrupted bool, err error) {
	r.mu.Lock()
	if r.target != t { // superseded since the loop read it: the new one is kicked
		r.mu.Unlock()
		return nil, true, errSuperseded
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	r.cancelRun = cancel
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.cancelRun = nil
		r.mu.Unlock()
		cancel(nil)
	}()
	err = r.a.exec.Execute(runCtx, t)
	if err != nil { // a run that ended before the cancel stays as it ended
		errors.As(context.Cause(runCtx), &term)
	}
	return term, runCtx.Err() != nil, err
}

// watchTarget hands the target's desired objects, and the objects its
// plan keeps although Git no longer has them, to the watcher; it enforces
// them (self-heal, when the plan enables it) only once the plan
// ran successfully.
func (a *Agent) watchTarget(ctx context.Context, t *executor.Target) {
	opts := t.Proto.GetOptions()
	spec := watch.Spec{
		Objects:        a.exec.Desired(ctx, t),
		Extraneous:     t.Plan.Extraneous,
		Ignore:         executor.IgnoreRules(t),
		Enforce:        t.Snapshot().Phase == store.Succeeded,
		SelfHeal:       opts.GetSelfHeal(),
		RespectIgnore:  opts.GetRespectIgnoreDifferences(),
		ForceConflicts: opts.GetForceConflicts(),
	}
	if err := a.watch.SetTarget(ctx, t.App, spec); err != nil {
		// Before a run, kinds whose CRD the plan brings are not served yet.
		level := slog.LevelWarn
		if !spec.Enforce {
			level = slog.LevelDebug
		}
		a.log.Log(ctx, level, "watch", "app", t.App, "err", err)
	}
}
