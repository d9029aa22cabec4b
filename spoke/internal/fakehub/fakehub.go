// Package fakehub is a minimal SpokeService server for the spoke's tests:
// real gRPC over loopback, bearer-token check, Welcome, the hub's resync
// rule (resend what the spoke's Hello does not already run), and a record
// of everything the spoke reported, with waits that poll nothing: they
// block on the next report until a deadline.
package fakehub

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Hub is a fake hub.
type Hub struct {
	pb.UnimplementedSpokeServiceServer
	Token   string
	Cluster string
	t       testing.TB

	mu       sync.Mutex
	addr     string
	srv      *grpc.Server
	desired  map[string]assignment
	stream   *peer
	seq      uint64
	changed  chan struct{} // closed and replaced on every report
	refused  int           // streams refused for a bad token
	acks     []*pb.PlanAck
	hellos   []*pb.Hello
	kinds    []*pb.DiscoveryReport
	progress map[string][]*pb.SyncProgress
	health   map[string]*pb.HealthReport
	drift    map[string][]*pb.DriftReport
}

type assignment struct {
	plan *pb.Plan
	gen  uint64
}

// peer is one connected stream; out is drained by its only writer.
type peer struct{ out chan *pb.ConnectResponse }

// Start serves a fake hub on a loopback port until the test ends.
func Start(t testing.TB, token, cluster string) *Hub {
	t.Helper()
	h := &Hub{Token: token, Cluster: cluster, t: t, desired: map[string]assignment{}, changed: make(chan struct{}),
		progress: map[string][]*pb.SyncProgress{}, health: map[string]*pb.HealthReport{}, drift: map[string][]*pb.DriftReport{}}
	if err := h.listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Stop)
	return h
}

// Addr is the hub's address (stable across Stop and Restart).
func (h *Hub) Addr() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.addr
}

func (h *Hub) listen(addr string) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("fake hub: listen %s: %w", addr, err)
	}
	srv := grpc.NewServer()
	pb.RegisterSpokeServiceServer(srv, h)
	h.mu.Lock()
	h.addr, h.srv = lis.Addr().String(), srv
	h.mu.Unlock()
	go func() {
		if err := srv.Serve(lis); err != nil {
			h.t.Logf("fake hub: serve: %v", err)
		}
	}()
	return nil
}

// Stop stops serving (the hub is down); the desired state is kept.
func (h *Hub) Stop() {
	h.mu.Lock()
	srv := h.srv
	h.srv, h.stream = nil, nil
	h.mu.Unlock()
	if srv != nil {
		srv.Stop()
	}
}

// Restart serves again on the same address.
func (h *Hub) Restart() {
	h.t.Helper()
	if err := h.listen(h.Addr()); err != nil {
		h.t.Fatal(err)
	}
}

// Assign makes p (generation gen) the application's desired plan and
// sends it to the connected spoke, if any.
func (h *Hub) Assign(p *pb.Plan, gen uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.desired[p.GetApplication()] = assignment{p, gen}
	h.sendLocked(h.planMsg(p, gen))
}

// Remove stops the application on the spoke (with prune, deleting its
// objects).
func (h *Hub) Remove(app string, prune bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.desired, app)
	h.sendLocked(&pb.ConnectResponse{Msg: &pb.ConnectResponse_Removed{Removed: &pb.TargetRemoved{Application: app, Prune: prune}}})
}

// SyncNow asks the spoke to run the application's plan again (a manual
// sync).
func (h *Hub) SyncNow(app, planHash string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sendLocked(&pb.ConnectResponse{Msg: &pb.ConnectResponse_Sync{Sync: &pb.SyncCommand{Application: app, PlanHash: planHash, InitiatedBy: "test"}}})
}

// Send sends any message to the connected spoke.
func (h *Hub) Send(m *pb.ConnectResponse) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sendLocked(m)
}

func (h *Hub) planMsg(p *pb.Plan, gen uint64) *pb.ConnectResponse {
	h.seq++
	return &pb.ConnectResponse{Msg: &pb.ConnectResponse_Plan{Plan: &pb.PlanAssignment{Seq: h.seq, Plan: p, Generation: gen}}}
}

func (h *Hub) sendLocked(m *pb.ConnectResponse) {
	if h.stream != nil {
		h.stream.out <- m
	}
}

// Connect serves one spoke stream.
func (h *Hub) Connect(stream pb.SpokeService_ConnectServer) error {
	md, _ := metadata.FromIncomingContext(stream.Context())
	if got := md.Get("authorization"); len(got) != 1 || strings.TrimPrefix(got[0], "Bearer ") != h.Token {
		h.mu.Lock()
		h.refused++
		h.notifyLocked()
		h.mu.Unlock()
		return status.Error(codes.Unauthenticated, "invalid token")
	}
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	hello := first.GetHello()
	if hello == nil {
		return status.Error(codes.InvalidArgument, "the first message must be Hello")
	}
	p := &peer{out: make(chan *pb.ConnectResponse, 1024)}
	h.mu.Lock()
	h.hellos = append(h.hellos, proto.Clone(hello).(*pb.Hello))
	h.stream = p
	p.out <- &pb.ConnectResponse{Msg: &pb.ConnectResponse_Welcome{Welcome: &pb.Welcome{Cluster: h.Cluster, HeartbeatSeconds: 1}}}
	for app, a := range h.desired {
		if hello.GetCurrentPlans()[app] == a.plan.GetHash() && hello.GetCurrentGenerations()[app] >= a.gen {
			continue
		}
		p.out <- h.planMsg(a.plan, a.gen)
	}
	for app := range hello.GetCurrentPlans() {
		if _, ok := h.desired[app]; !ok {
			p.out <- &pb.ConnectResponse{Msg: &pb.ConnectResponse_Removed{Removed: &pb.TargetRemoved{Application: app}}}
		}
	}
	h.notifyLocked()
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		if h.stream == p {
			h.stream = nil
		}
		h.mu.Unlock()
	}()
	ctx := stream.Context()
	errc := make(chan error, 1)
	go func() { // the stream's only writer
		beat := time.NewTicker(time.Second)
		defer beat.Stop()
		for {
			select {
			case <-ctx.Done():
				errc <- ctx.Err()
				return
			case m := <-p.out:
				if err := stream.Send(m); err != nil {
					errc <- err
					return
				}
			case <-beat.C:
				if err := stream.Send(&pb.ConnectResponse{Msg: &pb.ConnectResponse_Heartbeat{Heartbeat: &pb.Heartbeat{}}}); err != nil {
					errc <- err
					return
				}
			}
		}
	}()
	for {
		m, err := stream.Recv()
		if err != nil {
			return nil
		}
		h.record(m)
		select {
		case err := <-errc:
			return err
		default:
		}
	}
}

func (h *Hub) record(m *pb.ConnectRequest) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch msg := m.GetMsg().(type) {
	case *pb.ConnectRequest_Ack:
		h.acks = append(h.acks, msg.Ack)
	case *pb.ConnectRequest_Progress:
		app := msg.Progress.GetApplication()
		h.progress[app] = append(h.progress[app], msg.Progress)
	case *pb.ConnectRequest_Health:
		h.health[msg.Health.GetApplication()] = msg.Health
	case *pb.ConnectRequest_Drift:
		app := msg.Drift.GetApplication()
		h.drift[app] = append(h.drift[app], msg.Drift)
	case *pb.ConnectRequest_Discovery:
		h.kinds = append(h.kinds, msg.Discovery)
	default:
		return
	}
	h.notifyLocked()
}

func (h *Hub) notifyLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
}
