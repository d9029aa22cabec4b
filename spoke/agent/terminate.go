package agent

import (
	"context"
	"errors"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/executor"
	"github.com/flotilla-gitops/flotilla/spoke/store"
)

// terminated is the cause a terminated run's context is cancelled with.
type terminated struct{ by string }

func (t *terminated) Error() string { return executor.TerminatedPrefix + t.by }

// errSuperseded cancels a run a new assignment replaces.
var errSuperseded = errors.New("superseded by a new assignment")

// Terminate stops the application's running sync of the plan named, at
// once: the run is cancelled and recorded Failed, "terminated by WHO".
// A plan not running (finished, or replaced by another) is left alone.
func (a *Agent) Terminate(_ context.Context, m *pb.TerminateOperation) {
	app, by := m.GetApplication(), m.GetInitiatedBy()
	if by == "" {
		by = "the hub"
	}
	a.mu.Lock()
	r := a.runners[app]
	a.mu.Unlock()
	if r == nil || !r.terminate(m.GetPlanHash(), by) {
		a.log.Warn("terminate: no running sync of the plan", "app", app, "plan", short(m.GetPlanHash()), "by", by)
	}
}

// terminate cancels the run of plan hash, or, when none is executing
// (between steps of the loop, or backing off), ends it here. It reports
// whether the plan was running.
func (r *runner) terminate(hash, by string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.target
	if t == nil || t.Proto.GetHash() != hash || t.Snapshot().Phase != store.Running {
		return false
	}
	if r.cancelRun != nil {
		r.cancelRun(&terminated{by: by}) // the loop ends it once Execute returns
		return true
	}
	// Holding r.mu: the loop cannot start executing t meanwhile, and once
	// it does it finds the run Failed.
	r.a.endTerminated(t, by)
	return true
}

// endTerminated records a stopped run as terminated.
func (a *Agent) endTerminated(t *executor.Target, by string) {
	if err := a.exec.Terminate(t, by); err != nil {
		a.log.Error("terminate", "app", t.App, "err", err)
	}
}
