package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/flotilla-gitops/flotilla/internal/version"
	"github.com/flotilla-gitops/flotilla/internal/wire"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/conn"
	"github.com/flotilla-gitops/flotilla/spoke/executor"
	"github.com/flotilla-gitops/flotilla/spoke/store"
)

var _ conn.Handler = (*Agent)(nil)

// Hello tells the hub which plans (and generations) the spoke enforces.
func (a *Agent) Hello(ctx context.Context) (*pb.Hello, error) {
	targets, err := a.store.Targets()
	if err != nil {
		return nil, err
	}
	h := &pb.Hello{AgentVersion: version.Version, CurrentPlans: map[string]string{}, CurrentGenerations: map[string]uint64{},
		Features: []string{FeatureLiveDiff, FeatureTerminate}}
	for _, t := range targets {
		h.CurrentPlans[t.App], h.CurrentGenerations[t.App] = t.PlanHash, t.Generation
	}
	vctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if v, err := a.cluster.ServerVersion(vctx); err == nil {
		h.KubeVersion = v
	} else {
		a.log.Warn("kube version", "err", err)
	}
	// The Hello carries discovery: an older report still queued is stale.
	a.out.Remove(outboxDiscovery)
	if kinds, _, err := a.servedKinds(vctx, false); err == nil {
		h.Kinds = kinds
	} else {
		a.log.Warn("served kinds", "err", err)
	}
	return h, nil
}

// Welcome records the cluster's name and queues the full status of every
// target: the hub may have missed changes while the spoke was away.
func (a *Agent) Welcome(_ context.Context, w *pb.Welcome) {
	a.mu.Lock()
	a.clusterName = w.GetCluster()
	a.setCluster(w.GetCluster())
	runners := make([]*runner, 0, len(a.runners))
	for _, r := range a.runners {
		runners = append(runners, r)
	}
	a.mu.Unlock()
	for _, r := range runners {
		if t := r.current(); t != nil {
			a.reportProgress(t.Progress())
		}
		a.reportStatus(r.app)
	}
}

// Plan accepts or refuses an assignment. An accepted plan is saved before
// the ack, so an acked plan survives a crash. The same plan at a
// generation already run is acked and not run again.
func (a *Agent) Plan(ctx context.Context, pa *pb.PlanAssignment) *pb.PlanAck {
	msg := pa.GetPlan()
	app := msg.GetApplication()
	ack := &pb.PlanAck{Seq: pa.GetSeq(), Application: app, PlanHash: msg.GetHash()}
	log := a.log.With("app", app, "plan", short(msg.GetHash()), "revision", msg.GetRevision())
	if err := a.accept(ctx, pa); err != nil {
		log.Warn("plan refused", "err", err)
		ack.Error = err.Error()
		return ack
	}
	return ack
}

func (a *Agent) accept(ctx context.Context, pa *pb.PlanAssignment) error {
	msg := pa.GetPlan()
	app := msg.GetApplication()
	if app == "" || msg.GetHash() == "" {
		return errors.New("plan without application or hash")
	}
	if err := a.forThisCluster(msg); err != nil {
		return err
	}
	a.mu.Lock()
	runCtx := a.ctx
	a.mu.Unlock()
	p, err := wire.PlanFromProto(msg)
	if err != nil {
		return err
	}
	if err := a.exec.Check(ctx, p, msg); err != nil {
		return err
	}
	cur, _, err := a.store.Target(app)
	switch {
	case err == nil && cur.PlanHash == msg.GetHash() && cur.Generation >= pa.GetGeneration():
		return nil // already running or ran it
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return err
	}
	raw, err := proto.Marshal(msg)
	if err != nil {
		return fmt.Errorf("plan %s: encode: %w", short(msg.GetHash()), err)
	}
	run := store.Run{Phase: store.Running, StartedAt: time.Now().UTC()}
	t := store.Target{App: app, PlanHash: msg.GetHash(), Generation: pa.GetGeneration(), Run: run}
	if err := a.store.PutTarget(t, raw); err != nil {
		return err
	}
	a.log.Info("plan accepted", "app", app, "plan", short(msg.GetHash()), "revision", msg.GetRevision(), "generation", pa.GetGeneration())
	a.runner(runCtx, app).assign(executor.NewTarget(app, pa.GetGeneration(), msg, p, run))
	return nil
}

// forThisCluster refuses a plan made for another cluster.
func (a *Agent) forThisCluster(msg *pb.Plan) error {
	a.mu.Lock()
	name := a.clusterName
	a.mu.Unlock()
	if msg.GetCluster() != "" && name != "" && msg.GetCluster() != name {
		return fmt.Errorf("plan for cluster %q sent to cluster %q", msg.GetCluster(), name)
	}
	return nil
}

// Removed stops managing an application; with prune, its inventory is
// deleted first (in the background: the stream is not held up).
func (a *Agent) Removed(_ context.Context, r *pb.TargetRemoved) {
	app := r.GetApplication()
	a.mu.Lock()
	rn, ctx := a.runners[app], a.ctx
	delete(a.runners, app)
	a.mu.Unlock()
	if rn != nil {
		rn.close()
	}
	a.watch.RemoveTarget(app)
	a.wg.Go(func() {
		log := a.log.With("app", app)
		if r.GetPrune() {
			refs, err := a.store.Inventory(app)
			if err != nil {
				log.Error("prune removed target", "err", err)
				return
			}
			policy := ""
			if t, err := a.load(app); err == nil {
				policy = t.Proto.GetOptions().GetPrunePropagationPolicy()
			}
			if err := a.exec.PruneAll(ctx, app, refs, policy); err != nil {
				log.Error("prune removed target", "err", err)
				return // kept: the hub resends the removal after a reconnect
			}
		}
		if err := a.store.DeleteTarget(app); err != nil {
			log.Error("forget removed target", "err", err)
			return
		}
		a.out.Remove("progress/"+app, "health/"+app, "drift/"+app) // not web-api's, for web
		log.Info("target removed", "pruned", r.GetPrune())
	})
}

// Sync runs the application's current plan again.
func (a *Agent) Sync(_ context.Context, s *pb.SyncCommand) {
	app := s.GetApplication()
	cur, _, err := a.store.Target(app)
	if err != nil || (s.GetPlanHash() != "" && s.GetPlanHash() != cur.PlanHash) {
		a.log.Warn("sync command for a plan not enforced", "app", app, "plan", short(s.GetPlanHash()), "err", err)
		return
	}
	run := store.Run{Phase: store.Running, StartedAt: time.Now().UTC()}
	if err := a.store.StartRun(app, cur.PlanHash, cur.Generation, run); err != nil {
		a.log.Error("sync command", "app", app, "err", err)
		return
	}
	t, err := a.load(app)
	if err != nil {
		a.log.Error("sync command", "app", app, "err", err)
		return
	}
	a.log.Info("sync requested", "app", app, "by", s.GetInitiatedBy())
	a.mu.Lock()
	ctx := a.ctx
	a.mu.Unlock()
	a.runner(ctx, app).assign(t)
}

// LiveDiff compares a plan with the live cluster, for the hub's plan
// preview; nothing is changed or stored.
func (a *Agent) LiveDiff(ctx context.Context, r *pb.LiveDiffRequest) *pb.LiveDiffResult {
	ctx, cancel := context.WithTimeout(ctx, liveDiffTimeout)
	defer cancel()
	msg := r.GetPlan()
	if err := a.forThisCluster(msg); err != nil {
		return &pb.LiveDiffResult{Error: err.Error()}
	}
	p, err := wire.PlanFromProto(msg)
	if err != nil {
		return &pb.LiveDiffResult{Error: err.Error()}
	}
	res, err := a.exec.LiveDiff(ctx, msg.GetApplication(), msg, p)
	if err != nil {
		a.log.Warn("live diff", "app", msg.GetApplication(), "err", err)
		return &pb.LiveDiffResult{Error: err.Error()}
	}
	size := 0
	for _, r := range res {
		size += len(r.GetDiff())
	}
	if size > maxLiveDiff {
		return &pb.LiveDiffResult{Error: fmt.Sprintf("the diff of %d objects is %d MiB, over the %d MiB a plan preview carries", len(res), size>>20, maxLiveDiff>>20)}
	}
	return &pb.LiveDiffResult{Resources: res}
}

// FeatureLiveDiff says, in Hello, that the spoke answers LiveDiffRequest.
const FeatureLiveDiff = "live-diff"

// FeatureTerminate says, in Hello, that the spoke acts on
// TerminateOperation.
const FeatureTerminate = "terminate"

const (
	// liveDiffTimeout is under the hub's wait, so the hub gets the reason.
	liveDiffTimeout = 25 * time.Second
	// maxLiveDiff bounds a live diff's text (the stream carries 64 MiB).
	maxLiveDiff = 32 << 20
)
