package hub

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// simSpoke speaks the real protocol with no cluster: it acks each plan
// and, after a short while, reports the sync's result and health as
// decide says.
type simSpoke struct {
	name   string
	plans  chan *pb.Plan // every plan received, in order
	decide func(p *pb.Plan) pb.Health
	delay  time.Duration
}

// fleetStats record what the simulated spokes saw.
type fleetStats struct {
	inflight, maxInflight atomic.Int64
	mu                    sync.Mutex
	order                 []string // cluster of each plan received, in time order
}

func (e *env) runSpoke(ctx context.Context, s *simSpoke, token string, st *fleetStats) {
	e.t.Helper()
	mctx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	stream, err := pb.NewSpokeServiceClient(e.conn).Connect(mctx)
	if err != nil {
		e.t.Errorf("%s: connect: %v", s.name, err)
		return
	}
	if err := stream.Send(&pb.ConnectRequest{Msg: &pb.ConnectRequest_Hello{Hello: &pb.Hello{AgentVersion: "sim"}}}); err != nil {
		e.t.Errorf("%s: hello: %v", s.name, err)
		return
	}
	var send sync.Mutex // one writer at a time on the stream
	go func() {
		for {
			m, err := stream.Recv()
			if err != nil {
				return
			}
			pa := m.GetPlan()
			if pa == nil {
				continue
			}
			p := pa.GetPlan()
			st.mu.Lock()
			st.order = append(st.order, s.name)
			st.mu.Unlock()
			if n := st.inflight.Add(1); n > st.maxInflight.Load() {
				st.maxInflight.Store(n) // racy max is fine: only increments race, and each stores its own value
			}
			s.plans <- p
			send.Lock()
			err = stream.Send(&pb.ConnectRequest{Msg: &pb.ConnectRequest_Ack{Ack: &pb.PlanAck{Seq: pa.GetSeq(), Application: p.GetApplication(), PlanHash: p.GetHash()}}})
			send.Unlock()
			if err != nil {
				return
			}
			go func() {
				time.Sleep(s.delay) // the simulated sync takes a while
				h := s.decide(p)
				st.inflight.Add(-1)
				phase := pb.OperationPhase_OPERATION_PHASE_SUCCEEDED
				msgs := []*pb.ConnectRequest{
					{Msg: &pb.ConnectRequest_Progress{Progress: &pb.SyncProgress{Application: p.GetApplication(), PlanHash: p.GetHash(),
						Operation: &pb.Operation{Phase: phase, PlanHash: p.GetHash(), Revision: p.GetRevision()}}}},
					{Msg: &pb.ConnectRequest_Health{Health: &pb.HealthReport{Application: p.GetApplication(), Health: h,
						Resources: []*pb.ResourceStatus{{Ref: &pb.ObjectRef{ApiVersion: "apps/v1", Kind: "Deployment", Namespace: "app", Name: "web"}, Health: h, Message: "health " + h.String()}}}}},
					{Msg: &pb.ConnectRequest_Drift{Drift: &pb.DriftReport{Application: p.GetApplication(), Sync: pb.SyncStatus_SYNC_STATUS_SYNCED}}},
				}
				send.Lock()
				defer send.Unlock()
				for _, m := range msgs {
					if err := stream.Send(m); err != nil {
						return
					}
				}
			}()
		}
	}()
}

func healthy(*pb.Plan) pb.Health { return pb.Health_HEALTH_HEALTHY }

// fleet registers n clusters and starts a simulated spoke for each.
func (e *env) fleet(ctx context.Context, n int, labels func(i int) map[string]string, decide func(string, *pb.Plan) pb.Health, st *fleetStats) map[string]*simSpoke {
	e.t.Helper()
	out := map[string]*simSpoke{}
	for i := range n {
		name := fmt.Sprintf("c%03d", i)
		r, err := pb.NewClusterServiceClient(e.conn).AddCluster(e.admin, &pb.AddClusterRequest{Name: name, Labels: labels(i)})
		if err != nil {
			e.t.Fatal(err)
		}
		s := &simSpoke{name: name, plans: make(chan *pb.Plan, 16), delay: time.Duration(5+i%20) * time.Millisecond,
			decide: func(p *pb.Plan) pb.Health { return decide(name, p) }}
		e.runSpoke(ctx, s, r.GetToken(), st)
		out[name] = s
	}
	return out
}

func (e *env) rollout(app string) *pb.Rollout {
	e.t.Helper()
	r, err := pb.NewRolloutServiceClient(e.conn).GetRollout(e.admin, &pb.GetRolloutRequest{Name: app})
	if err != nil {
		e.t.Fatal(err)
	}
	return r.GetRollout()
}

func (e *env) waitRollout(app string, phase pb.RolloutPhase, revision string) *pb.Rollout {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := pb.NewRolloutServiceClient(e.conn).GetRollout(e.admin, &pb.GetRolloutRequest{Name: app})
		r := got.GetRollout()
		if err == nil && r.GetPhase() == phase && (revision == "" || r.GetRevision() == revision) {
			return r
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("rollout %s: want %v at %s; have %v (%v)", app, phase, revision, r, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRollout200TargetsRespectsMaxUnavailable drives a canary, a 10% step
// and the rest over 200 simulated spokes speaking the real protocol.
func TestRollout200TargetsRespectsMaxUnavailable(t *testing.T) {
	e := start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rev := e.commit("v1", map[string]string{"app/cm.yaml": fmt.Sprintf(cmYAML, "web", "1")})
	st := &fleetStats{}
	e.fleet(ctx, 200, func(i int) map[string]string {
		if i == 7 {
			return map[string]string{"tier": "canary"}
		}
		return map[string]string{"tier": "fleet"}
	}, func(string, *pb.Plan) pb.Health { return pb.Health_HEALTH_HEALTHY }, st)
	const maxUnavailable = 10
	_, err := pb.NewApplicationServiceClient(e.conn).CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{
		Name: "web", Source: &pb.ApplicationSource{RepoUrl: e.repoURL, Path: "app"},
		Destination: &pb.Destination{ClusterSelector: map[string]string{}, Clusters: nil},
		SyncPolicy:  &pb.SyncPolicy{Automated: true},
		Rollout: &pb.RolloutStrategy{MaxUnavailable: maxUnavailable, Steps: []*pb.RolloutStep{
			{Name: "canary", Selector: map[string]string{"tier": "canary"}},
			{Name: "ten-percent", Percent: 10},
		}},
	}})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("an app with no destination was accepted: %v", err)
	}
	_, err = pb.NewApplicationServiceClient(e.conn).CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{
		Name: "web", Source: &pb.ApplicationSource{RepoUrl: e.repoURL, Path: "app"},
		Destination: &pb.Destination{ClusterSelector: map[string]string{"tier": "fleet"}, Clusters: []string{"c007"}},
		SyncPolicy:  &pb.SyncPolicy{Automated: true},
		Rollout: &pb.RolloutStrategy{MaxUnavailable: maxUnavailable, Steps: []*pb.RolloutStep{
			{Name: "canary", Selector: map[string]string{"tier": "canary"}},
			{Name: "ten-percent", Percent: 10},
		}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	r := e.waitRollout("web", pb.RolloutPhase_ROLLOUT_PHASE_COMPLETED, rev)
	if got := st.maxInflight.Load(); got > maxUnavailable || got < 2 {
		t.Errorf("at most %d targets were syncing at once, want 2..%d", got, maxUnavailable)
	}
	st.mu.Lock()
	order := append([]string(nil), st.order...)
	st.mu.Unlock()
	if len(order) != 200 || order[0] != "c007" {
		t.Fatalf("%d plans; first to %s, want the canary c007", len(order), order[0])
	}
	sizes := []int{len(r.GetSteps()[0].GetTargets()), len(r.GetSteps()[1].GetTargets()), len(r.GetSteps()[2].GetTargets())}
	if fmt.Sprint(sizes) != "[1 20 179]" {
		t.Errorf("step sizes %v, want [1 20 179] (10%% of the 199 remaining, rounded up)", sizes)
	}
	// Every target of step 2 got its plan before any target of step 3.
	step := map[string]int{}
	for i, s := range r.GetSteps() {
		for _, tg := range s.GetTargets() {
			step[tg.GetCluster()] = i
		}
	}
	for i := 1; i < len(order); i++ {
		if step[order[i]] < step[order[i-1]] {
			t.Fatalf("plan %d went to %s (step %d) after %s (step %d)", i, order[i], step[order[i]], order[i-1], step[order[i-1]])
		}
	}
}

// TestRolloutHaltsAndReverts: a bad revision halts after the canary with
// the other clusters untouched, and revert brings the canary back.
func TestRolloutHaltsAndReverts(t *testing.T) {
	for _, onFailure := range []string{"halt", "revert"} {
		t.Run(onFailure, func(t *testing.T) {
			e := start(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			v1 := e.commit("v1", map[string]string{"app/cm.yaml": fmt.Sprintf(cmYAML, "web", "1")})
			var bad atomic.Value
			bad.Store("")
			st := &fleetStats{}
			spokes := e.fleet(ctx, 3, func(i int) map[string]string { return map[string]string{"env": "prod"} },
				func(_ string, p *pb.Plan) pb.Health {
					if p.GetRevision() == bad.Load().(string) {
						return pb.Health_HEALTH_DEGRADED
					}
					return pb.Health_HEALTH_HEALTHY
				}, st)
			_, err := pb.NewApplicationServiceClient(e.conn).CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{
				Name: "web", Source: &pb.ApplicationSource{RepoUrl: e.repoURL, Path: "app"},
				Destination: &pb.Destination{ClusterSelector: map[string]string{"env": "prod"}},
				SyncPolicy:  &pb.SyncPolicy{Automated: true},
				Rollout:     &pb.RolloutStrategy{OnFailure: onFailure, Steps: []*pb.RolloutStep{{Name: "canary", Count: 1, BakeSeconds: 2}}},
			}})
			if err != nil {
				t.Fatal(err)
			}
			e.waitRollout("web", pb.RolloutPhase_ROLLOUT_PHASE_COMPLETED, v1)
			for _, s := range spokes {
				<-s.plans // everyone runs v1
			}
			v2 := e.commit("v2", map[string]string{"app/cm.yaml": fmt.Sprintf(cmYAML, "web", "2")})
			bad.Store(v2)
			e.webhook(true)
			r := e.waitRollout("web", pb.RolloutPhase_ROLLOUT_PHASE_HALTED, v2)
			if !strings.Contains(r.GetMessage(), "c000") || !strings.Contains(r.GetMessage(), "Deployment web") {
				t.Errorf("halt message %q does not name the cluster and resource", r.GetMessage())
			}
			canary := <-spokes["c000"].plans
			if canary.GetRevision() != v2 {
				t.Fatalf("canary got %s", canary.GetRevision())
			}
			for _, name := range []string{"c001", "c002"} {
				select {
				case p := <-spokes[name].plans:
					t.Errorf("%s got plan %s after the canary failed", name, p.GetRevision())
				default:
				}
			}
			if onFailure == "halt" {
				// Resumed after the fix, the failed step runs the canary's
				// plan again (not "already at this revision").
				bad.Store("")
				if _, err := pb.NewRolloutServiceClient(e.conn).ResumeRollout(e.admin, &pb.ResumeRolloutRequest{Name: "web"}); err != nil {
					t.Fatal(err)
				}
				select {
				case again := <-spokes["c000"].plans:
					if again.GetHash() != canary.GetHash() {
						t.Errorf("resume sent plan %s, want the failed %s again", again.GetHash(), canary.GetHash())
					}
				case <-time.After(30 * time.Second):
					t.Fatal("resume sent the failed canary nothing")
				}
				e.waitRollout("web", pb.RolloutPhase_ROLLOUT_PHASE_COMPLETED, v2)
			}
			if onFailure == "revert" {
				back := <-spokes["c000"].plans
				if back.GetRevision() != v1 {
					t.Errorf("revert sent revision %s, want %s", back.GetRevision(), v1)
				}
				waitFor(t, func() bool { return strings.HasSuffix(e.rollout("web").GetMessage(), "revert done") }, "revert done")
				tg := e.rollout("web").GetSteps()[0].GetTargets()[0]
				if tg.GetState() != "Reverted" {
					t.Errorf("canary state %s: %s", tg.GetState(), tg.GetMessage())
				}
			}
		})
	}
}

func TestDependsOnAndApproval(t *testing.T) {
	e := start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.commit("apps", map[string]string{"db/cm.yaml": fmt.Sprintf(cmYAML, "db", "1"), "api/cm.yaml": fmt.Sprintf(cmYAML, "api", "1")})
	var dbHealthy atomic.Bool
	st := &fleetStats{}
	spokes := e.fleet(ctx, 1, func(int) map[string]string { return map[string]string{"env": "prod"} }, func(_ string, p *pb.Plan) pb.Health {
		if p.GetApplication() == "db" && !dbHealthy.Load() {
			return pb.Health_HEALTH_PROGRESSING
		}
		return pb.Health_HEALTH_HEALTHY
	}, st)
	apps := pb.NewApplicationServiceClient(e.conn)
	mk := func(name string, deps ...string) *pb.Application {
		return &pb.Application{Name: name, Source: &pb.ApplicationSource{RepoUrl: e.repoURL, Path: name}, DependsOn: deps,
			Destination: &pb.Destination{ClusterSelector: map[string]string{"env": "prod"}}, SyncPolicy: &pb.SyncPolicy{Automated: true}}
	}
	if _, err := apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: mk("api", "db")}); err != nil {
		t.Fatal(err)
	}
	if _, err := apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: mk("db", "api")}); status.Code(err) != codes.InvalidArgument ||
		!strings.Contains(err.Error(), "dependency cycle: db → api → db") {
		t.Fatalf("cycle: %v", err)
	}
	if _, err := apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: mk("db")}); err != nil {
		t.Fatal(err)
	}
	s := spokes["c000"]
	if p := <-s.plans; p.GetApplication() != "db" {
		t.Fatalf("first plan is %s, want db", p.GetApplication())
	}
	waitFor(t, func() bool {
		got, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "api"})
		return err == nil && len(got.GetTargets()) == 1 && strings.Contains(got.GetTargets()[0].GetWaiting(), "dependency db to be Synced and Healthy")
	}, "api waiting for db")
	select {
	case p := <-s.plans:
		t.Fatalf("%s assigned while db is not healthy", p.GetApplication())
	default:
	}
	dbHealthy.Store(true)
	// db reports healthy at its next sync: ask for one.
	if _, err := apps.SyncApplication(e.admin, &pb.SyncApplicationRequest{Name: "db"}); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for len(got) < 2 {
		got[(<-s.plans).GetApplication()] = true
	}
	if !got["api"] {
		t.Fatalf("api never assigned: %v", got)
	}

	// Approval: a new revision waits for `app approve`.
	a := mk("gated")
	a.Source.Path = "db"
	a.SyncPolicy.Approval = "required"
	if _, err := apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: a}); err != nil {
		t.Fatal(err)
	}
	var pending string
	waitFor(t, func() bool {
		r, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "gated"})
		if err != nil || len(r.GetTargets()) != 1 {
			return false
		}
		pending = r.GetTargets()[0].GetPendingPlanHash()
		return pending != "" && strings.Contains(r.GetTargets()[0].GetWaiting(), "approval of plan")
	}, "gated waiting for approval")
	if _, err := apps.ApproveApplication(e.admin, &pb.ApproveApplicationRequest{Name: "gated", PlanHashes: []string{"0123"}}); err == nil {
		t.Errorf("approving an unknown plan succeeded")
	}
	select {
	case p := <-s.plans:
		t.Fatalf("%s assigned before approval", p.GetApplication())
	default:
	}
	if _, err := apps.ApproveApplication(e.admin, &pb.ApproveApplicationRequest{Name: "gated", PlanHashes: []string{pending}}); err != nil {
		t.Fatal(err)
	}
	if p := <-s.plans; p.GetApplication() != "gated" || p.GetHash() != pending {
		t.Fatalf("after approval got %s %s, want gated %s", p.GetApplication(), p.GetHash(), pending)
	}
}
