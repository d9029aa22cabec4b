package server

import (
	"errors"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/health"
	"github.com/flotilla-gitops/flotilla/pkg/object"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Core ties the controller, the spoke streams and the watchers together
// inside the hub daemon (hub.Hub): it
// is the controller's Notifier and the streams' Reports.
type Core struct {
	Store  *store.Store
	Spokes *Spokes
	Events *Events
	log    logger

	// Changed is called after a spoke's report changed a target of app (the
	// controller advances its gates, rollout and retries).
	Changed func(app string)
}

type logger interface {
	Info(msg string, args ...any)
	Warn(msg string, args ...any)
}

// NewCore wires the core; call SetSpokes before serving.
func NewCore(st *store.Store, ev *Events, log logger) *Core {
	return &Core{Store: st, Events: ev, log: log}
}

// DesiredChanged implements controller.Notifier.
func (h *Core) DesiredChanged(cluster, app string) { h.Spokes.DesiredChanged(cluster, app) }

// TargetRemoved implements controller.Notifier.
func (h *Core) TargetRemoved(cluster, app string, prune bool) {
	h.Spokes.TargetRemoved(cluster, app, prune)
}

// TargetUpdated implements controller.Notifier.
func (h *Core) TargetUpdated(t *pb.TargetStatus) { h.Events.Publish(t) }

// maxResources bounds a target's stored resource list.
func (h *Core) maxResources() int {
	if h.Spokes == nil {
		return DefaultSpokeLimits().MaxReportItems
	}
	return h.Spokes.Limits.MaxReportItems
}

func (h *Core) update(app, cluster string, fn func(*pb.TargetStatus, store.Desired)) {
	// Only for a target assigned to this cluster: reports for a deleted
	// application, a removed target or another cluster's are dropped.
	t, err := h.Store.UpdateAssignedTarget(app, cluster, func(t *pb.TargetStatus, d store.Desired) {
		fn(t, d)
		if len(t.Resources) > h.maxResources() {
			t.Resources = t.Resources[:h.maxResources()]
		}
	})
	if errors.Is(err, store.ErrNotFound) {
		return
	} else if err != nil {
		h.log.Warn("update target", "app", app, "cluster", cluster, "err", err)
		return
	}
	h.Events.Publish(t)
	if h.Changed != nil {
		h.Changed(app)
	}
}

// Ack implements Reports: a refused plan fails the operation.
func (h *Core) Ack(cluster string, a *pb.PlanAck) {
	if a.GetError() == "" {
		return
	}
	msg := "spoke refused the plan: " + a.GetError()
	// History first: whoever sees the status change also sees the history.
	d, current := h.desired(a.GetApplication(), cluster, a.GetPlanHash())
	h.finish(a.GetApplication(), cluster, d, current, pb.OperationPhase_OPERATION_PHASE_FAILED, msg)
	h.update(a.GetApplication(), cluster, func(t *pb.TargetStatus, _ store.Desired) {
		t.Operation = keepRetries(t.GetOperation(), &pb.Operation{Phase: pb.OperationPhase_OPERATION_PHASE_FAILED, PlanHash: a.GetPlanHash(),
			Message: msg, FinishedAt: timestamppb.Now()})
	})
}

// keepRetries carries the hub's retry count of a plan over to the
// operation a spoke reports for it: the spoke does not know it.
func keepRetries(old, op *pb.Operation) *pb.Operation {
	if old.GetPlanHash() == op.GetPlanHash() {
		op.RetryCount = old.GetRetryCount() // the hub counts retries (controller/retry.go)
	}
	return op
}

// Progress implements Reports.
func (h *Core) Progress(cluster string, p *pb.SyncProgress) {
	op := p.GetOperation()
	// History first: whoever waits for the status (app wait) then reads a
	// finished history entry.
	var d store.Desired
	current, keeps := false, false
	switch op.GetPhase() {
	case pb.OperationPhase_OPERATION_PHASE_SUCCEEDED, pb.OperationPhase_OPERATION_PHASE_FAILED:
		d, current = h.desired(p.GetApplication(), cluster, p.GetPlanHash())
		h.finish(p.GetApplication(), cluster, d, current, op.GetPhase(), op.GetMessage())
		keeps = current && h.keepsObjects(p.GetApplication(), cluster, d.PlanHash)
	}
	h.update(p.GetApplication(), cluster, func(t *pb.TargetStatus, now store.Desired) {
		t.Operation = keepRetries(t.GetOperation(), op)
		if op.GetRevision() != "" {
			t.Revision = op.GetRevision()
		}
		mergeResults(t, p.GetResults())
		if op.GetPhase() == pb.OperationPhase_OPERATION_PHASE_SUCCEEDED {
			// A plan that keeps objects Git no longer has leaves the sync
			// status to the spoke's drift report, which follows the run:
			// while one exists, it requires pruning and the target is
			// OutOfSync.
			// Judged by the desired state in the same transaction: an
			// assignment made meanwhile is not taken for synced.
			if current && now.PlanHash == op.GetPlanHash() && !now.BehindGit() && !keeps {
				t.Sync = pb.SyncStatus_SYNC_STATUS_SYNCED
			}
			// The last wave is not awaited: until the spoke's next health
			// report, the run's own results say how healthy it left things
			// (a Deployment just rolled out is Progressing, not the
			// Healthy of before the sync).
			if hs, ok := resultsHealth(p.GetResults()); ok {
				t.Health = hs
			}
		}
	})
}

// keepsObjects says whether a target's plan keeps objects Git no longer
// has (Plan.extraneous).
func (h *Core) keepsObjects(app, cluster, planHash string) bool {
	p, err := h.Store.GetPlan(planHash)
	if err != nil {
		h.log.Warn("plan", "app", app, "cluster", cluster, "plan", planHash, "err", err)
		return false
	}
	return len(p.GetExtraneous()) > 0
}

// resultsHealth is the worst health of the objects a run applied (hooks
// and prunes left out).
func resultsHealth(results []*pb.ResourceResult) (pb.Health, bool) {
	var hs []health.Status
	for _, r := range results {
		if r.GetAction() == pb.ActionType_ACTION_TYPE_APPLY && r.GetHealth() != pb.Health_HEALTH_UNSPECIFIED {
			hs = append(hs, wire.HealthFromPB(r.GetHealth()))
		}
	}
	return wire.HealthToPB(health.Worst(hs...)), len(hs) > 0
}

func mergeResults(t *pb.TargetStatus, results []*pb.ResourceResult) {
	idx := map[object.ID]int{}
	for i, r := range t.Resources {
		idx[refKey(r.GetRef())] = i
	}
	for _, r := range results {
		rs := &pb.ResourceStatus{Ref: r.GetRef(), Health: r.GetHealth(), Message: r.GetMessage(), Hook: r.GetAction() == pb.ActionType_ACTION_TYPE_HOOK}
		if i, ok := idx[refKey(r.GetRef())]; ok {
			old := t.Resources[i]
			rs.Sync, rs.Diff = old.GetSync(), old.GetDiff()
			if rs.Health == pb.Health_HEALTH_UNSPECIFIED {
				rs.Health = old.GetHealth()
			}
			t.Resources[i] = rs
			continue
		}
		idx[refKey(r.GetRef())] = len(t.Resources)
		t.Resources = append(t.Resources, rs)
	}
}

func refKey(r *pb.ObjectRef) object.ID {
	return object.IDFor(r.GetApiVersion(), r.GetKind(), r.GetNamespace(), r.GetName())
}

// Health implements Reports.
func (h *Core) Health(cluster string, r *pb.HealthReport) {
	h.update(r.GetApplication(), cluster, func(t *pb.TargetStatus, _ store.Desired) {
		t.Health = r.GetHealth()
		sync := map[object.ID]*pb.ResourceStatus{}
		for _, old := range t.Resources {
			sync[refKey(old.GetRef())] = old
		}
		t.Resources = nil
		for _, rs := range r.GetResources() {
			if old, ok := sync[refKey(rs.GetRef())]; ok && rs.GetSync() == pb.SyncStatus_SYNC_STATUS_UNSPECIFIED {
				rs.Sync, rs.Diff = old.GetSync(), old.GetDiff()
			}
			t.Resources = append(t.Resources, rs)
		}
	})
}

// Drift implements Reports.
func (h *Core) Drift(cluster string, d *pb.DriftReport) {
	h.update(d.GetApplication(), cluster, func(t *pb.TargetStatus, des store.Desired) {
		t.Sync = d.GetSync()
		// Judged by the desired state in the same transaction, so a report
		// racing a reconcile or an assignment cannot undo its OutOfSync.
		if des.BehindGit() { // no drift from the plan, but Git has moved on
			t.Sync = pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC
		}
		drifted := map[object.ID]*pb.DriftedResource{}
		for _, r := range d.GetResources() {
			drifted[refKey(r.GetRef())] = r
		}
		for _, rs := range t.Resources {
			if dr, ok := drifted[refKey(rs.GetRef())]; ok {
				rs.Sync, rs.Diff = pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC, dr.GetDiff()
				delete(drifted, refKey(rs.GetRef()))
			} else if !rs.GetHook() && !rs.GetRequiresPruning() {
				// An object requiring pruning stays OutOfSync even when it
				// does not make the target so (IgnoreExtraneous).
				rs.Sync, rs.Diff = pb.SyncStatus_SYNC_STATUS_SYNCED, ""
			}
		}
		for _, dr := range drifted {
			t.Resources = append(t.Resources, &pb.ResourceStatus{Ref: dr.GetRef(), Sync: pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC, Diff: dr.GetDiff()})
		}
	})
}

// desired reads a target's desired state and whether planHash is still
// its plan (a report about an older plan changes nothing).
func (h *Core) desired(app, cluster, planHash string) (store.Desired, bool) {
	d, err := h.Store.GetDesired(app, cluster)
	return d, err == nil && d.PlanHash == planHash
}

// finish records the end of an operation on d, the target's desired state
// (current: the operation ran its plan), in history; the controller
// retries a failure (controller/retry.go).
func (h *Core) finish(app, cluster string, d store.Desired, current bool, phase pb.OperationPhase, msg string) {
	syncResults.WithLabelValues(phase.String()).Inc()
	if !current {
		return
	}
	err := h.Store.FinishHistory(app, cluster, d.HistoryID, func(e *pb.HistoryEntry) {
		if e.GetResult() == pb.OperationPhase_OPERATION_PHASE_RUNNING {
			e.Result, e.Message, e.FinishedAt = phase, msg, timestamppb.Now()
		}
	})
	if err != nil {
		h.log.Warn("history", "app", app, "cluster", cluster, "err", err)
	}
}
