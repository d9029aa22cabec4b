package hub

import (
	"context"
	"fmt"
	"testing"
	"time"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// A cluster that joins an application after its rollout of the revision
// completed gets that revision (in a step of its own) instead of waiting
// for the next commit.
func TestClusterJoiningACompletedRollout(t *testing.T) {
	e := start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v1 := e.commit("v1", map[string]string{"app/cm.yaml": fmt.Sprintf(cmYAML, "web", "1")})
	st := &fleetStats{}
	e.fleet(ctx, 1, func(int) map[string]string { return map[string]string{"env": "prod"} }, func(string, *pb.Plan) pb.Health { return pb.Health_HEALTH_HEALTHY }, st)
	_, err := pb.NewApplicationServiceClient(e.conn).CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{
		Name: "web", Source: &pb.ApplicationSource{RepoUrl: e.repoURL, Path: "app"}, SyncPolicy: &pb.SyncPolicy{Automated: true},
		Destination: &pb.Destination{ClusterSelector: map[string]string{"env": "prod"}},
		Rollout:     &pb.RolloutStrategy{Steps: []*pb.RolloutStep{{Name: "canary", Count: 1}}}}})
	if err != nil {
		t.Fatal(err)
	}
	e.waitRollout("web", pb.RolloutPhase_ROLLOUT_PHASE_COMPLETED, v1)

	added, err := pb.NewClusterServiceClient(e.conn).AddCluster(e.admin, &pb.AddClusterRequest{Name: "late", Labels: map[string]string{"env": "prod"}})
	if err != nil {
		t.Fatal(err)
	}
	late := &simSpoke{name: "late", plans: make(chan *pb.Plan, 4), delay: 5 * time.Millisecond, decide: func(*pb.Plan) pb.Health { return pb.Health_HEALTH_HEALTHY }}
	e.runSpoke(ctx, late, added.GetToken(), st)
	select {
	case p := <-late.plans:
		if p.GetRevision() != v1 {
			t.Fatalf("the joined cluster got %s, want %s", p.GetRevision(), v1)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the joined cluster got no plan; rollout %v", e.rollout("web"))
	}
	r := e.waitRollout("web", pb.RolloutPhase_ROLLOUT_PHASE_COMPLETED, v1)
	if last := r.GetSteps()[len(r.GetSteps())-1]; last.GetName() != "joined" || last.GetTargets()[0].GetCluster() != "late" {
		t.Errorf("last step %v, want the joined cluster", last)
	}
}
