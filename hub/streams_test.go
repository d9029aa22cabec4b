package hub

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// rawSpoke is a spoke stream whose end, and the status it ended with, the
// test waits for.
type rawSpoke struct {
	stream pb.SpokeService_ConnectClient
	msgs   chan *pb.ConnectResponse
	ended  chan error // receives the stream's final status once
}

func (e *env) dial(token string) *rawSpoke {
	e.t.Helper()
	ctx, cancel := context.WithCancel(metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token))
	e.t.Cleanup(cancel)
	stream, err := pb.NewSpokeServiceClient(e.conn).Connect(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := stream.Send(&pb.ConnectRequest{Msg: &pb.ConnectRequest_Hello{Hello: &pb.Hello{}}}); err != nil {
		e.t.Fatal(err)
	}
	s := &rawSpoke{stream: stream, msgs: make(chan *pb.ConnectResponse, 1000), ended: make(chan error, 1)}
	go func() {
		for {
			m, err := stream.Recv()
			if err != nil {
				s.ended <- err
				return
			}
			if m.GetHeartbeat() == nil {
				s.msgs <- m
			}
		}
	}()
	select {
	case m := <-s.msgs:
		if m.GetWelcome() == nil {
			e.t.Fatalf("first message %v, want Welcome", m)
		}
	case err := <-s.ended:
		e.t.Fatalf("stream ended before Welcome: %v", err)
	case <-time.After(30 * time.Second):
		e.t.Fatal("no Welcome within 30s")
	}
	return s
}

// waitEnd waits for the hub to end the stream and returns its status.
func (s *rawSpoke) waitEnd(t *testing.T, why string) *status.Status {
	t.Helper()
	select {
	case err := <-s.ended:
		return status.Convert(err)
	case <-time.After(10 * time.Second):
		t.Fatalf("the stream still runs 10s after %s", why)
	}
	return nil
}

func (s *rawSpoke) send(t *testing.T, m *pb.ConnectRequest) {
	t.Helper()
	if err := s.stream.Send(m); err != nil && err != io.EOF {
		t.Fatal(err)
	}
}

func (e *env) clusterState(name string) pb.ConnectionState {
	e.t.Helper()
	c, err := pb.NewClusterServiceClient(e.conn).GetCluster(e.admin, &pb.GetClusterRequest{Name: name})
	if err != nil {
		e.t.Fatal(err)
	}
	return c.GetCluster().GetState()
}

func TestRemovingClusterEndsItsStream(t *testing.T) {
	e := start(t)
	token, _ := e.webOnEast(t, &pb.SyncPolicy{Automated: true})
	sp := e.dial(token)
	if _, err := pb.NewClusterServiceClient(e.conn).RemoveCluster(e.admin, &pb.RemoveClusterRequest{Name: "east"}); err != nil {
		t.Fatal(err)
	}
	st := sp.waitEnd(t, "cluster east was removed")
	if st.Code() != codes.Unauthenticated || !strings.Contains(st.Message(), "cluster east was removed") {
		t.Errorf("stream ended with %v, want Unauthenticated naming cluster east", st)
	}
}

func TestRotatingTokenEndsTheOldStream(t *testing.T) {
	e := start(t)
	token, _ := e.webOnEast(t, &pb.SyncPolicy{Automated: true})
	old := e.dial(token)
	rot, err := pb.NewClusterServiceClient(e.conn).RotateClusterToken(e.admin, &pb.RotateClusterTokenRequest{Name: "east"})
	if err != nil {
		t.Fatal(err)
	}
	st := old.waitEnd(t, "the token of east was rotated")
	if st.Code() != codes.Unauthenticated || !strings.Contains(st.Message(), "token of cluster east was rotated") {
		t.Errorf("old stream ended with %v, want Unauthenticated naming cluster east", st)
	}
	if _, err := e.connect(token, &pb.Hello{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("connect with the old token: %v, want Unauthenticated", err)
	}
	sp, err := e.connect(rot.GetToken(), &pb.Hello{})
	if err != nil {
		t.Fatal(err)
	}
	if got := sp.nextPlan().GetPlan().GetApplication(); got != "web" {
		t.Errorf("new stream got a plan for %q, want web", got)
	}
}

// A stream replaced by a newer one ends at once, and its end leaves the
// cluster Connected (it is not the cluster's current stream).
func TestReplacedStreamLeavesClusterConnected(t *testing.T) {
	e := start(t)
	token, _ := e.webOnEast(t, nil)
	first := e.dial(token)
	second := e.dial(token)
	st := first.waitEnd(t, "a second stream of east connected")
	if st.Code() != codes.Aborted || !strings.Contains(st.Message(), "cluster east") {
		t.Errorf("replaced stream ended with %v, want Aborted naming cluster east", st)
	}
	if got := e.clusterState("east"); got != pb.ConnectionState_CONNECTION_STATE_CONNECTED {
		t.Errorf("east is %v after its old stream ended, want CONNECTED (its new stream runs)", got)
	}
	second.stream.CloseSend()
	second.waitEnd(t, "the spoke closed its stream")
	waitFor(t, func() bool { return e.clusterState("east") == pb.ConnectionState_CONNECTION_STATE_DISCONNECTED },
		"east Disconnected after its current stream ended")
}

// refused reads the hub's count of refused spoke reports.
func (e *env) refused() int {
	e.t.Helper()
	resp, err := http.Get("http://" + e.hub.HTTPAddr.String() + "/metrics")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "flotilla_hub_spoke_reports_refused_total "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				e.t.Fatal(err)
			}
			return int(n)
		}
	}
	return 0
}

func healthReport(app string, names ...string) *pb.ConnectRequest {
	h := &pb.HealthReport{Application: app, Health: pb.Health_HEALTH_HEALTHY}
	for _, n := range names {
		h.Resources = append(h.Resources, &pb.ResourceStatus{Ref: &pb.ObjectRef{ApiVersion: "v1", Kind: "ConfigMap", Namespace: "shop", Name: n}})
	}
	return &pb.ConnectRequest{Msg: &pb.ConnectRequest_Health{Health: h}}
}

// A spoke reports only on targets assigned to its cluster: a report on
// another cluster's application creates and changes nothing.
func TestReportsOnlyForAssignedTargets(t *testing.T) {
	e := start(t)
	e.webOnEast(t, &pb.SyncPolicy{Automated: true})
	west, err := pb.NewClusterServiceClient(e.conn).AddCluster(e.admin, &pb.AddClusterRequest{Name: "west"})
	if err != nil {
		t.Fatal(err)
	}
	sp := e.dial(west.GetToken())
	before := e.refused()
	sp.send(t, healthReport("web", "forged"))
	sp.send(t, &pb.ConnectRequest{Msg: &pb.ConnectRequest_Progress{Progress: &pb.SyncProgress{Application: "ghost",
		Operation: &pb.Operation{Phase: pb.OperationPhase_OPERATION_PHASE_SUCCEEDED}}}})
	waitFor(t, func() bool { return e.refused() >= before+2 }, "both reports of west refused")
	ts, err := e.hub.Store.ListTargets("")
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range ts {
		if tg.GetCluster() == "west" {
			t.Errorf("west's forged report made target %s/%s", tg.GetApplication(), tg.GetCluster())
		}
	}
}

// A report listing more resources than the limit is refused whole; one
// within the limit is applied.
func TestReportSizeIsBounded(t *testing.T) {
	e := startWith(t, func(c *Config) {
		c.SpokeLimits = DefaultConfig().SpokeLimits
		c.SpokeLimits.MaxReportItems = 3
	})
	token, apps := e.webOnEast(t, &pb.SyncPolicy{Automated: true})
	sp, err := e.connect(token, &pb.Hello{})
	if err != nil {
		t.Fatal(err)
	}
	sp.nextPlan()
	before := e.refused()
	if err := sp.stream.Send(healthReport("web", "a", "b", "c", "d")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return e.refused() >= before+1 }, "the report of 4 resources refused")
	if err := sp.stream.Send(healthReport("web", "a", "b", "c")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		got, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "web"})
		return err == nil && len(got.GetTargets()) == 1 && len(got.GetTargets()[0].GetResources()) == 3
	}, "the report of 3 resources applied")
}

// A flooding spoke is slowed to its rate; another cluster's report goes
// through while the flood is still being read.
func TestFloodingSpokeIsRateLimited(t *testing.T) {
	const rate, flood = 20, 21 // burst 1: the last of the flood waits ≥ 1s
	e := startWith(t, func(c *Config) {
		c.SpokeLimits = DefaultConfig().SpokeLimits
		c.SpokeLimits.MessagesPerSecond, c.SpokeLimits.MessageBurst = rate, 1
	})
	e.commit("first", map[string]string{"web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {v: '1'}\n"})
	tokens := map[string]string{}
	for _, name := range []string{"east", "west"} {
		added, err := pb.NewClusterServiceClient(e.conn).AddCluster(e.admin, &pb.AddClusterRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		tokens[name] = added.GetToken()
	}
	apps := pb.NewApplicationServiceClient(e.conn)
	if _, err := apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{Name: "web",
		Source:      &pb.ApplicationSource{RepoUrl: e.repoURL, TargetRevision: "main", Path: "web"},
		Destination: &pb.Destination{Clusters: []string{"east", "west"}, Namespace: "shop"}, SyncPolicy: &pb.SyncPolicy{Automated: true}}}); err != nil {
		t.Fatal(err)
	}
	spokes := map[string]*spoke{}
	for name, tok := range tokens {
		sp, err := e.connect(tok, &pb.Hello{})
		if err != nil {
			t.Fatal(err)
		}
		sp.nextPlan()
		spokes[name] = sp
	}
	watch, err := apps.WatchApplications(e.admin, &pb.WatchApplicationsRequest{Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	for i := range flood {
		if err := spokes["west"].stream.Send(healthReport("web", fmt.Sprintf("flood-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := spokes["east"].stream.Send(healthReport("web", "east-report")); err != nil {
		t.Fatal(err)
	}
	var eastAt, lastAt time.Duration
	for lastAt == 0 {
		m, err := watch.Recv()
		if err != nil {
			t.Fatalf("watch ended before the flood's last report was applied: %v", err)
		}
		tg := m.GetTarget()
		if len(tg.GetResources()) != 1 {
			continue
		}
		switch tg.GetResources()[0].GetRef().GetName() {
		case "east-report":
			eastAt = time.Since(t0)
		case fmt.Sprintf("flood-%d", flood-1):
			lastAt = time.Since(t0)
		}
	}
	t.Logf("west's flood of %d applied after %v; east's one report after %v", flood, lastAt, eastAt)
	if min := time.Duration(flood-1) * time.Second / rate; lastAt < min {
		t.Errorf("the flood's last report was applied after %v, want ≥ %v at %d/s", lastAt, min, rate)
	}
	if eastAt == 0 {
		t.Errorf("east's report was not applied before west's flood (%v) ended", lastAt)
	}
}
