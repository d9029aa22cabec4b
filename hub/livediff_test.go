package hub

import (
	"strings"
	"testing"
	"time"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// webOnEast commits a ConfigMap under web/, adds cluster east and creates
// application web for it with policy; it returns east's spoke token and
// the application client.
func (e *env) webOnEast(t *testing.T, policy *pb.SyncPolicy) (string, pb.ApplicationServiceClient) {
	t.Helper()
	e.commit("first", map[string]string{"web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {v: '1'}\n"})
	added, err := pb.NewClusterServiceClient(e.conn).AddCluster(e.admin, &pb.AddClusterRequest{Name: "east"})
	if err != nil {
		t.Fatal(err)
	}
	apps := pb.NewApplicationServiceClient(e.conn)
	if _, err := apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{Name: "web",
		Source:      &pb.ApplicationSource{RepoUrl: e.repoURL, TargetRevision: "main", Path: "web"},
		Destination: &pb.Destination{Clusters: []string{"east"}, Namespace: "shop"}, SyncPolicy: policy}}); err != nil {
		t.Fatal(err)
	}
	return added.GetToken(), apps
}

// app plan asks the cluster's spoke to compare the plan with its live
// objects; when the spoke cannot answer, the diff from the current plan
// stands and the response says why.
func TestPlanDiffsAgainstLiveState(t *testing.T) {
	e := start(t)
	token, apps := e.webOnEast(t, nil)
	sp, err := e.connect(token, &pb.Hello{Features: []string{"live-diff"}})
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		r   *pb.GetPlanResponse
		err error
	}
	getPlan := func() chan result {
		ch := make(chan result, 1)
		go func() {
			r, err := apps.GetPlan(e.admin, &pb.GetPlanRequest{Name: "web", Cluster: "east"})
			ch <- result{r, err}
		}()
		return ch
	}
	// answer waits for the hub's LiveDiff request and answers it.
	answer := func(res *pb.LiveDiffResult) *pb.LiveDiffRequest {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for {
			select {
			case m, ok := <-sp.msgs:
				if !ok {
					t.Fatal("stream closed")
				}
				req := m.GetLiveDiff()
				if req == nil {
					continue
				}
				res.Id = req.GetId()
				if err := sp.stream.Send(&pb.ConnectRequest{Msg: &pb.ConnectRequest_LiveDiff{LiveDiff: res}}); err != nil {
					t.Fatal(err)
				}
				return req
			case <-deadline:
				t.Fatal("no LiveDiff request within 30s")
			}
		}
	}

	ch := getPlan()
	live := &pb.DriftedResource{Ref: &pb.ObjectRef{ApiVersion: "v1", Kind: "ConfigMap", Namespace: "shop", Name: "web"}, Diff: "-  v: by hand\n+  v: \"1\"\n"}
	req := answer(&pb.LiveDiffResult{Resources: []*pb.DriftedResource{live}})
	got := <-ch
	if got.err != nil {
		t.Fatal(got.err)
	}
	if req.GetPlan().GetHash() != got.r.GetPlan().GetHash() || req.GetPlan().GetCluster() != "east" {
		t.Errorf("the spoke was asked about plan %s, the response shows %s", req.GetPlan().GetHash(), got.r.GetPlan().GetHash())
	}
	if !got.r.GetLive() || got.r.GetLiveError() != "" || len(got.r.GetDiffs()) != 1 || got.r.GetDiffs()[0].GetDiff() != live.GetDiff() ||
		got.r.GetDiffs()[0].GetCluster() != "east" || got.r.GetDiffs()[0].GetRef().GetName() != "web" {
		t.Errorf("live plan diff: %v", got.r)
	}

	// The spoke fails to compare: its reason, and the diff from the current
	// plan (none yet: the whole object is new).
	ch = getPlan()
	answer(&pb.LiveDiffResult{Error: "ConfigMap shop/web: get: forbidden"})
	got = <-ch
	if got.err != nil {
		t.Fatal(got.err)
	}
	if got.r.GetLive() || !strings.Contains(got.r.GetLiveError(), "forbidden") || len(got.r.GetDiffs()) != 1 || !strings.Contains(got.r.GetDiffs()[0].GetDiff(), "+kind: ConfigMap") {
		t.Errorf("failed live diff: %v", got.r)
	}

	// No spoke: the same fallback, saying it is not connected.
	sp.close()
	waitFor(t, func() bool {
		c, err := pb.NewClusterServiceClient(e.conn).GetCluster(e.admin, &pb.GetClusterRequest{Name: "east"})
		return err == nil && c.GetCluster().GetState() == pb.ConnectionState_CONNECTION_STATE_DISCONNECTED
	}, "spoke disconnected")
	got = <-getPlan()
	if got.err != nil {
		t.Fatal(got.err)
	}
	if got.r.GetLive() || !strings.Contains(got.r.GetLiveError(), "not connected") || len(got.r.GetDiffs()) != 1 {
		t.Errorf("plan without a spoke: %v", got.r)
	}

	// An older spoke (no live-diff in its Hello) is not asked: the answer
	// comes at once, saying why.
	if _, err := e.connect(token, &pb.Hello{AgentVersion: "v0.1.0"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got = <-getPlan()
	if got.err != nil || got.r.GetLive() || !strings.Contains(got.r.GetLiveError(), "spoke v0.1.0 does not compare plans") || time.Since(start) > 5*time.Second {
		t.Errorf("plan with an older spoke, after %s: %v %v", time.Since(start), got.r, got.err)
	}
}

// A run's end sets the target's health from the objects it applied (the
// last wave is not awaited), until the spoke's next health report.
func TestSucceededRunHealthFromResults(t *testing.T) {
	e := start(t)
	token, apps := e.webOnEast(t, &pb.SyncPolicy{Automated: true})
	sp, err := e.connect(token, &pb.Hello{})
	if err != nil {
		t.Fatal(err)
	}
	p := sp.nextPlan().GetPlan()
	send := func(m *pb.ConnectRequest) {
		t.Helper()
		if err := sp.stream.Send(m); err != nil {
			t.Fatal(err)
		}
	}
	health := func() pb.Health {
		got, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "web"})
		if err != nil || len(got.GetTargets()) != 1 {
			return pb.Health_HEALTH_UNSPECIFIED
		}
		return got.GetTargets()[0].GetHealth()
	}
	send(&pb.ConnectRequest{Msg: &pb.ConnectRequest_Health{Health: &pb.HealthReport{Application: "web", Health: pb.Health_HEALTH_HEALTHY}}})
	waitFor(t, func() bool { return health() == pb.Health_HEALTH_HEALTHY }, "Healthy before the sync")
	ref := func(kind, name string) *pb.ObjectRef {
		return &pb.ObjectRef{ApiVersion: "v1", Kind: kind, Namespace: "shop", Name: name}
	}
	send(&pb.ConnectRequest{Msg: &pb.ConnectRequest_Progress{Progress: &pb.SyncProgress{Application: "web", PlanHash: p.GetHash(),
		Operation: &pb.Operation{Phase: pb.OperationPhase_OPERATION_PHASE_SUCCEEDED, PlanHash: p.GetHash()},
		Results: []*pb.ResourceResult{
			{Ref: ref("ConfigMap", "web"), Action: pb.ActionType_ACTION_TYPE_APPLY, Health: pb.Health_HEALTH_HEALTHY},
			{Ref: ref("Deployment", "web"), Action: pb.ActionType_ACTION_TYPE_APPLY, Health: pb.Health_HEALTH_PROGRESSING},
			{Ref: ref("ConfigMap", "old"), Action: pb.ActionType_ACTION_TYPE_PRUNE, Health: pb.Health_HEALTH_MISSING},
			{Ref: ref("Job", "migrate"), Action: pb.ActionType_ACTION_TYPE_HOOK, Health: pb.Health_HEALTH_DEGRADED},
		}}}})
	waitFor(t, func() bool { return health() == pb.Health_HEALTH_PROGRESSING }, "Progressing after the run (its Deployment was)")
	send(&pb.ConnectRequest{Msg: &pb.ConnectRequest_Health{Health: &pb.HealthReport{Application: "web", Health: pb.Health_HEALTH_HEALTHY}}})
	waitFor(t, func() bool { return health() == pb.Health_HEALTH_HEALTHY }, "Healthy after the spoke's report")
}
