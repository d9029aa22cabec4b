package executor

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/diff"
	"github.com/flotilla-gitops/flotilla/pkg/health"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/store"
)

// Result words, as flotilla.v1.ResourceResult documents them.
const (
	resCreated    = "created"
	resConfigured = "configured"
	resUnchanged  = "unchanged"
	resPruned     = "pruned"
	resFailed     = "failed"
	resRunning    = "running"
	resSucceeded  = "succeeded"
	resSkipped    = "skipped"
)

// results are the per-object outcomes of a run, in the order first seen.
type results struct {
	order []string
	byKey map[string]*pb.ResourceResult
}

func newResults() *results { return &results{byKey: map[string]*pb.ResourceResult{}} }

func (r *results) set(res *pb.ResourceResult) {
	ref := res.GetRef()
	k := ref.GetApiVersion() + "|" + ref.GetKind() + "|" + ref.GetNamespace() + "|" + ref.GetName()
	if _, ok := r.byKey[k]; !ok {
		r.order = append(r.order, k)
	}
	r.byKey[k] = res
}

func (r *results) list() []*pb.ResourceResult {
	out := make([]*pb.ResourceResult, 0, len(r.order))
	for _, k := range r.order {
		out = append(out, r.byKey[k])
	}
	return out
}

// record stores an object's outcome in the run's results.
func (t *Target) record(st plan.Step, a plan.Action, name, result string, h health.Status, msg string) {
	if name == "" {
		name = a.Name
	}
	res := &pb.ResourceResult{
		Ref:    &pb.ObjectRef{ApiVersion: a.APIVersion, Kind: a.Kind, Namespace: a.Namespace, Name: name},
		Phase:  wire.PhaseToPB(st.Phase),
		Wave:   int32(st.Wave),
		Action: wire.ActionToPB(a.Action),
		Result: result, Health: wire.HealthToPB(h), Message: msg,
	}
	t.mu.Lock()
	t.results.set(res)
	t.mu.Unlock()
}

// Progress returns the run as a SyncProgress report.
func (t *Target) Progress() *pb.SyncProgress {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.Run
	op := &pb.Operation{Phase: opPhase(r.Phase), Message: r.Message, PlanHash: t.Proto.GetHash(), Revision: t.Proto.GetRevision(),
		Step: int32(min(r.Step, len(t.Plan.Steps))), TotalSteps: int32(len(t.Plan.Steps)), StartedAt: ts(r.StartedAt), FinishedAt: ts(r.FinishedAt)}
	if r.Failing {
		op.Step = int32(min(r.FailStep, len(t.Plan.Steps)))
	}
	return &pb.SyncProgress{Application: t.App, PlanHash: t.Proto.GetHash(), Operation: op, Results: t.results.list()}
}

func (e *Executor) report(t *Target) {
	if e.Report != nil {
		e.Report(t.Progress())
	}
}

func opPhase(p store.RunPhase) pb.OperationPhase {
	switch p {
	case store.Succeeded:
		return pb.OperationPhase_OPERATION_PHASE_SUCCEEDED
	case store.Failed:
		return pb.OperationPhase_OPERATION_PHASE_FAILED
	}
	return pb.OperationPhase_OPERATION_PHASE_RUNNING
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func wireIgnore(p *pb.Plan) []diff.IgnoreRule { return wire.IgnoreFromPB(p.GetIgnore()) }
