package hub

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/hub/controller"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func TestRetryDelay(t *testing.T) {
	for _, tc := range []struct {
		r       *pb.RetryPolicy
		attempt int
		want    time.Duration
	}{
		{&pb.RetryPolicy{}, 0, 5 * time.Second},
		{&pb.RetryPolicy{}, 1, 10 * time.Second},
		{&pb.RetryPolicy{}, 10, 3 * time.Minute},
		{&pb.RetryPolicy{BackoffSeconds: 1, Factor: 3, MaxBackoffSeconds: 20}, 2, 9 * time.Second},
		{&pb.RetryPolicy{BackoffSeconds: 1, Factor: 3, MaxBackoffSeconds: 20}, 3, 20 * time.Second},
	} {
		if got := controller.RetryDelay(tc.r, tc.attempt); got != tc.want {
			t.Errorf("%v attempt %d: %s, want %s", tc.r, tc.attempt, got, tc.want)
		}
	}
}

// Argo CD's retry.limit -1 retries without end; 0 never; N N times.
func TestRetryLeft(t *testing.T) {
	for _, tc := range []struct {
		limit, count int32
		want         bool
	}{{-1, 0, true}, {-1, 1000, true}, {0, 0, false}, {2, 1, true}, {2, 2, false}} {
		if got := controller.RetryLeft(&pb.RetryPolicy{Limit: tc.limit}, tc.count); got != tc.want {
			t.Errorf("limit %d after %d retries: %v, want %v", tc.limit, tc.count, got, tc.want)
		}
	}
}

// A failed sync is retried as syncPolicy.retry says, through the one
// assign path (history, status, a new generation), and the retry waiting
// in its backoff survives a hub restart; after the last retry nothing
// more is scheduled.
func TestRetriesSurviveRestart(t *testing.T) {
	gs, url := gitRepo(t)
	cfg := testConfig(t)
	e, stop := launch(t, cfg, gs, url)
	t.Cleanup(func() { stop() })
	e.commit("first", map[string]string{"web/cm.yaml": fmt.Sprintf(cmYAML, "web", "1")})
	added, err := pb.NewClusterServiceClient(e.conn).AddCluster(e.admin, &pb.AddClusterRequest{Name: "east"})
	if err != nil {
		t.Fatal(err)
	}
	apps := pb.NewApplicationServiceClient(e.conn)
	_, err = apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{Name: "web",
		Source: &pb.ApplicationSource{RepoUrl: e.repoURL, Path: "web"}, Destination: &pb.Destination{Clusters: []string{"east"}, Namespace: "web"},
		SyncPolicy: &pb.SyncPolicy{Automated: true, Retry: &pb.RetryPolicy{Limit: 2, BackoffSeconds: 2, Factor: 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := e.connect(added.GetToken(), &pb.Hello{AgentVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	first := sp.nextPlan()
	fail(t, sp, first)
	op := e.waitOperation("web", "east", func(op *pb.Operation) bool { return op.GetNextRetryAt() != nil })
	if op.GetRetryCount() != 0 || op.GetPhase() != pb.OperationPhase_OPERATION_PHASE_FAILED {
		t.Fatalf("after the first failure: %v", op)
	}

	// The hub stops during the backoff and starts again on the same store.
	sp.close()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	e, stop = launch(t, cfg, gs, url)
	sp, err = e.connect(added.GetToken(), &pb.Hello{AgentVersion: "test", CurrentPlans: map[string]string{"web": first.GetPlan().GetHash()},
		CurrentGenerations: map[string]uint64{"web": first.GetGeneration()}})
	if err != nil {
		t.Fatal(err)
	}
	retry := sp.nextPlan()
	if retry.GetPlan().GetHash() != first.GetPlan().GetHash() || retry.GetGeneration() <= first.GetGeneration() {
		t.Fatalf("retry: plan %s generation %d, want plan %s at a generation after %d", retry.GetPlan().GetHash(), retry.GetGeneration(),
			first.GetPlan().GetHash(), first.GetGeneration())
	}
	if op := e.target("web", "east").GetOperation(); op.GetRetryCount() != 1 {
		t.Errorf("after the restart's retry: %v, want retry 1", op)
	}
	fail(t, sp, retry)
	last := sp.nextPlan()
	fail(t, sp, last)
	op = e.waitOperation("web", "east", func(op *pb.Operation) bool {
		return op.GetRetryCount() == 2 && op.GetPhase() == pb.OperationPhase_OPERATION_PHASE_FAILED
	})
	if op.GetNextRetryAt() != nil {
		t.Errorf("a retry scheduled past the limit: %v", op)
	}
	hist, err := pb.NewApplicationServiceClient(e.conn).ListHistory(e.admin, &pb.ListHistoryRequest{Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	var by []string
	for _, h := range hist.GetEntries() {
		by = append(by, h.GetInitiatedBy())
	}
	if got := strings.Join(by, ","); got != "automated,retry 1,retry 2" {
		t.Errorf("history initiated by %s, want automated,retry 1,retry 2", got)
	}
}

// fail reports the plan's sync as failed.
func fail(t *testing.T, sp *spoke, pa *pb.PlanAssignment) {
	t.Helper()
	p := pa.GetPlan()
	err := sp.stream.Send(&pb.ConnectRequest{Msg: &pb.ConnectRequest_Progress{Progress: &pb.SyncProgress{Application: p.GetApplication(), PlanHash: p.GetHash(),
		Operation: &pb.Operation{Phase: pb.OperationPhase_OPERATION_PHASE_FAILED, PlanHash: p.GetHash(), Message: "apply failed (test)"}}}})
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) target(app, cluster string) *pb.TargetStatus {
	e.t.Helper()
	r, err := pb.NewApplicationServiceClient(e.conn).GetApplication(e.admin, &pb.GetApplicationRequest{Name: app})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, t := range r.GetTargets() {
		if t.GetCluster() == cluster {
			return t
		}
	}
	return nil
}

// watchUntil follows the targets of app ("" for every application) on
// WatchApplications, which starts with their current state, until done
// says the wait is over; it fails the test after timeout. last is the
// newest status of each target, by "app/cluster".
func (e *env) watchUntil(app string, timeout time.Duration, what string, done func(last map[string]*pb.TargetStatus) bool) map[string]*pb.TargetStatus {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.admin, timeout)
	defer cancel()
	stream, err := pb.NewApplicationServiceClient(e.conn).WatchApplications(ctx, &pb.WatchApplicationsRequest{Name: app})
	if err != nil {
		e.t.Fatal(err)
	}
	last := map[string]*pb.TargetStatus{}
	for !done(last) {
		m, err := stream.Recv()
		if err != nil {
			e.t.Fatalf("waiting for %s: %v (last %v)", what, err, last)
		}
		last[m.GetTarget().GetApplication()+"/"+m.GetTarget().GetCluster()] = m.GetTarget()
	}
	return last
}

// waitOperation waits until the target's operation satisfies ok.
func (e *env) waitOperation(app, cluster string, ok func(*pb.Operation) bool) *pb.Operation {
	e.t.Helper()
	key := app + "/" + cluster
	last := e.watchUntil(app, 30*time.Second, "the operation of "+key, func(last map[string]*pb.TargetStatus) bool {
		t, seen := last[key]
		return seen && ok(t.GetOperation())
	})
	return last[key].GetOperation()
}
