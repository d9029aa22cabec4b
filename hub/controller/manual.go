package controller

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// PlanAt computes (without assigning) the plan of one target at a revision
// ("" for the application's target revision).
func (c *Controller) PlanAt(ctx context.Context, app, cluster, revision string) (*pb.Plan, error) {
	a, err := c.store.GetApplication(app)
	if err != nil {
		return nil, err
	}
	cl, err := c.store.GetCluster(cluster)
	if err != nil {
		return nil, err
	}
	// Only a cluster the application targets: the plan goes to its spoke
	// for a live comparison, and holds what only its targets may see.
	if len(selectClusters(a, []*pb.Cluster{cl})) == 0 {
		return nil, status.Errorf(codes.NotFound, "application %s does not target cluster %q", app, cluster)
	}
	if revision == "" {
		revision = wire.TargetRevision(a)
	}
	commit, err := c.resolveRevision(a, revision)
	if err != nil {
		if ferr := c.fetchSource(ctx, a, 0); ferr != nil {
			return nil, fmt.Errorf("%w (fetch: %v)", err, ferr)
		}
		if commit, err = c.resolveRevision(a, revision); err != nil {
			return nil, err
		}
	}
	proj, err := c.project(a)
	if err != nil {
		return nil, err
	}
	p, _, _, err := c.planFor(ctx, a, proj, cl, commit, planMods{})
	return p, err
}

// Rollback assigns again the plan of history entry id on each cluster
// (all targets when clusters is empty). Like Argo CD, it refuses while
// automated sync would undo it at once.
func (c *Controller) Rollback(ctx context.Context, app string, id int64, clusters []string, by string) error {
	unlock := c.lockApp(app)
	defer unlock()
	a, err := c.store.GetApplication(app)
	if err != nil {
		return err
	}
	if a.GetSyncPolicy().GetAutomated() {
		return fmt.Errorf("application %s: rollback is not allowed while automated sync is enabled (disable it first)", app)
	}
	hist, err := c.store.ListHistory(app, "")
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, n := range clusters {
		want[n] = true
	}
	done := 0
	for _, h := range hist {
		if h.GetId() != id || (len(want) > 0 && !want[h.GetCluster()]) {
			continue
		}
		if err := c.checkManualWindow(a, h.GetCluster()); err != nil {
			return err
		}
		p, err := c.store.GetPlan(h.GetPlanHash())
		if err != nil {
			return fmt.Errorf("history #%d on %s: %w", id, h.GetCluster(), err)
		}
		if p, err = c.recheck(a, h.GetCluster(), p); err != nil {
			return fmt.Errorf("rollback to #%d on %s: %w", id, h.GetCluster(), err)
		}
		t := target{cluster: &pb.Cluster{Name: h.GetCluster()}, revision: h.GetRevision(), plan: p, content: "rollback:" + p.GetHash(), inventory: inventoryOf(p)}
		if err := c.assign(a, t, by+" (rollback to #"+fmt.Sprint(id)+")"); err != nil {
			return err
		}
		done++
	}
	if done == 0 {
		return fmt.Errorf("application %s: no history entry #%d for %v", app, id, clusters)
	}
	return nil
}

// inventoryOf lists the objects a stored plan applies.
func inventoryOf(p *pb.Plan) []store.InventoryItem {
	pl, err := wire.PlanFromProto(p)
	if err != nil {
		return nil // a stored plan always decodes; without it the next plan prunes nothing
	}
	var out []store.InventoryItem
	for _, a := range pl.Actions() {
		if a.Action == plan.Apply && !a.AutoCreated {
			out = append(out, inventoryItem(a.Object))
		}
	}
	return out
}

// recheck checks an earlier plan (rollback, revert) against today's rules
// of the application's project on the cluster, and returns it carrying
// those rules: a plan checked under rules since narrowed never runs, and
// the spoke enforces today's rules. A plan whose rules changed gets a new
// hash (plans are stored by hash).
func (c *Controller) recheck(a *pb.Application, cluster string, p *pb.Plan) (*pb.Plan, error) {
	proj, err := c.project(a)
	if err != nil {
		return nil, err
	}
	if err := checkSources(proj, a); err != nil {
		return nil, err
	}
	pl, err := wire.PlanFromProto(p)
	if err != nil {
		return nil, err
	}
	served, err := c.servedScope(cluster)
	if err != nil {
		return nil, err
	}
	var objs []*unstructured.Unstructured
	for _, act := range pl.Actions() {
		if act.Action != plan.Prune {
			objs = append(objs, act.Object)
		}
	}
	rules := wire.ProjectFromPB(proj).ForCluster(cluster)
	if err := checkPlan(rules, pl, plan.NewScope(objs, served)); err != nil {
		return nil, err
	}
	want := wire.RulesToPB(rules)
	if proto.Equal(p.GetRules(), want) {
		return p, nil
	}
	out := proto.Clone(p).(*pb.Plan)
	out.Rules = want
	out.Hash = planHash(p.GetHash()+"|rules", out)
	return out, nil
}
