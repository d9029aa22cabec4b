package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flotilla-gitops/flotilla/hub/store"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Heartbeat is how often the hub and spokes exchange heartbeats.
const Heartbeat = 10 * time.Second

// Spokes serves SpokeService and keeps one outbox per connected spoke.
type Spokes struct {
	pb.UnimplementedSpokeServiceServer
	store   *store.Store
	log     *slog.Logger
	reports Reports

	mu    sync.Mutex
	conns map[string]*conn
}

// Reports handles what spokes send; the hub's report handler implements it.
type Reports interface {
	Ack(cluster string, a *pb.PlanAck)
	Progress(cluster string, p *pb.SyncProgress)
	Health(cluster string, h *pb.HealthReport)
	Drift(cluster string, d *pb.DriftReport)
}

// NewSpokes creates the spoke service.
func NewSpokes(st *store.Store, r Reports, log *slog.Logger) *Spokes {
	return &Spokes{store: st, reports: r, log: log, conns: map[string]*conn{}}
}

// Connected reports whether a cluster's spoke is connected.
func (s *Spokes) Connected(cluster string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.conns[cluster]
	return ok
}

// DesiredChanged queues the target's current plan for its spoke (latest
// wins). It never blocks.
func (s *Spokes) DesiredChanged(cluster, app string) {
	s.mu.Lock()
	c := s.conns[cluster]
	s.mu.Unlock()
	if c != nil {
		c.queuePlan(app)
	}
}

// TargetRemoved tells the spoke to stop managing (and with prune, delete)
// an application's objects.
func (s *Spokes) TargetRemoved(cluster, app string, prune bool) {
	// Remembered until the spoke says (in its Hello) it no longer runs the
	// app, so a disconnected spoke still gets it, prune flag and all.
	if err := s.store.PutRemoval(cluster, app, prune); err != nil {
		s.log.Warn("record removal", "cluster", cluster, "app", app, "err", err)
	}
	s.mu.Lock()
	c := s.conns[cluster]
	s.mu.Unlock()
	if c != nil {
		c.queue("removed/"+app, &pb.ConnectResponse{Msg: &pb.ConnectResponse_Removed{Removed: &pb.TargetRemoved{Application: app, Prune: prune}}})
	}
}

// Connect is one spoke's stream.
func (s *Spokes) Connect(stream pb.SpokeService_ConnectServer) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	p, err := principal(ctx, s.store)
	if err != nil {
		return err
	}
	if p.Kind != "cluster" {
		return status.Error(codes.PermissionDenied, "SpokeService needs a cluster token (flotilla cluster add)")
	}
	first, err := recvWithin(ctx, stream, 30*time.Second)
	if err != nil {
		return err
	}
	hello := first.GetHello()
	if hello == nil {
		return status.Error(codes.InvalidArgument, "the first message must be Hello")
	}
	c := &conn{cluster: p.Name, store: s.store, log: s.log.With("cluster", p.Name), wake: make(chan struct{}, 1),
		pending: map[string]*pb.ConnectResponse{}, unacked: map[string]*sent{}, done: ctx.Done(), hello: hello}
	s.mu.Lock()
	if old := s.conns[p.Name]; old != nil {
		old.cancel()
	}
	c.cancel = cancel
	s.conns[p.Name] = c
	s.mu.Unlock()
	connectedSpokes.Inc()
	defer func() {
		s.mu.Lock()
		if s.conns[p.Name] == c {
			delete(s.conns, p.Name)
		}
		s.mu.Unlock()
		connectedSpokes.Dec()
		s.setState(p.Name, pb.ConnectionState_CONNECTION_STATE_DISCONNECTED, nil)
		c.log.Info("spoke disconnected")
	}()
	s.setState(p.Name, pb.ConnectionState_CONNECTION_STATE_CONNECTED, hello)
	c.log.Info("spoke connected", "agent", hello.GetAgentVersion(), "kube", hello.GetKubeVersion())
	c.queue("welcome", &pb.ConnectResponse{Msg: &pb.ConnectResponse_Welcome{Welcome: &pb.Welcome{Cluster: p.Name, HeartbeatSeconds: int64(Heartbeat / time.Second)}}})
	if err := c.resync(hello); err != nil {
		return status.Errorf(codes.Internal, "resync: %v", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- c.writeLoop(ctx, stream) }()
	for {
		msg, err := stream.Recv()
		if err != nil {
			cancel()
			if werr := <-errc; werr != nil && !errors.Is(werr, context.Canceled) {
				c.log.Debug("writer stopped", "err", werr)
			}
			if status.Code(err) == codes.Canceled || errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}
		s.touch(p.Name)
		switch m := msg.GetMsg().(type) {
		case *pb.ConnectRequest_Ack:
			c.acked(m.Ack)
			s.reports.Ack(p.Name, m.Ack)
		case *pb.ConnectRequest_Progress:
			s.reports.Progress(p.Name, m.Progress)
		case *pb.ConnectRequest_Health:
			s.reports.Health(p.Name, m.Health)
		case *pb.ConnectRequest_Drift:
			s.reports.Drift(p.Name, m.Drift)
		case *pb.ConnectRequest_LiveDiff:
			c.diffs.answer(m.LiveDiff)
		case *pb.ConnectRequest_Heartbeat, *pb.ConnectRequest_Hello:
		}
	}
}

func recvWithin(ctx context.Context, stream pb.SpokeService_ConnectServer, d time.Duration) (*pb.ConnectRequest, error) {
	type res struct {
		m   *pb.ConnectRequest
		err error
	}
	ch := make(chan res, 1)
	go func() {
		m, err := stream.Recv()
		ch <- res{m, err}
	}()
	select {
	case r := <-ch:
		return r.m, r.err
	case <-time.After(d):
		return nil, status.Error(codes.DeadlineExceeded, "no Hello within "+d.String())
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *Spokes) setState(cluster string, st pb.ConnectionState, hello *pb.Hello) {
	err := s.store.UpdateCluster(cluster, func(c *pb.Cluster) {
		c.State = st
		c.LastSeen = timestamppb.Now()
		if hello != nil {
			c.AgentVersion, c.KubeVersion = hello.GetAgentVersion(), hello.GetKubeVersion()
		}
	})
	if err != nil {
		s.log.Warn("update cluster state", "cluster", cluster, "err", err)
	}
}

// touch records that a spoke was seen, at most every few seconds.
func (s *Spokes) touch(cluster string) {
	s.mu.Lock()
	c := s.conns[cluster]
	s.mu.Unlock()
	if c == nil {
		return
	}
	c.mu.Lock()
	stale := time.Since(c.lastTouch) >= 5*time.Second
	if stale {
		c.lastTouch = time.Now()
	}
	c.mu.Unlock()
	if !stale {
		return
	}
	if err := s.store.UpdateCluster(cluster, func(cl *pb.Cluster) { cl.LastSeen = timestamppb.Now() }); err != nil {
		s.log.Warn("update last seen", "cluster", cluster, "err", err)
	}
}

// conn is one connected spoke: a coalescing outbox (latest per key wins)
// drained by exactly one writer goroutine, and the plans not yet acked.
type conn struct {
	cluster   string
	store     *store.Store
	log       *slog.Logger
	cancel    context.CancelFunc
	wake      chan struct{}
	done      <-chan struct{} // closed when the stream ends
	hello     *pb.Hello
	lastTouch time.Time
	diffs     liveDiffs

	mu      sync.Mutex
	seq     uint64
	order   []string
	pending map[string]*pb.ConnectResponse
	unacked map[string]*sent // app → last plan sent
}

type sent struct {
	msg      *pb.ConnectResponse
	seq      uint64
	at       time.Time
	attempts int
}

func (c *conn) queue(key string, m *pb.ConnectResponse) {
	c.mu.Lock()
	if _, ok := c.pending[key]; !ok {
		c.order = append(c.order, key)
	}
	c.pending[key] = m
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// queuePlan loads a target's desired plan and queues it.
func (c *conn) queuePlan(app string) {
	d, err := c.store.GetDesired(app, c.cluster)
	if err != nil {
		c.log.Warn("desired state", "app", app, "err", err)
		return
	}
	p, err := c.store.GetPlan(d.PlanHash)
	if err != nil {
		c.log.Warn("plan", "app", app, "plan", d.PlanHash, "err", err)
		return
	}
	c.queue("plan/"+app, &pb.ConnectResponse{Msg: &pb.ConnectResponse_Plan{Plan: &pb.PlanAssignment{Plan: p, Generation: d.Generation}}})
}

// resync queues every target's plan the spoke does not already run, and
// removals for applications it runs that no longer target it.
func (c *conn) resync(h *pb.Hello) error {
	targets, err := c.store.ListTargets("")
	if err != nil {
		return err
	}
	mine := map[string]bool{}
	for _, t := range targets {
		if t.GetCluster() != c.cluster {
			continue
		}
		mine[t.GetApplication()] = true
		d, err := c.store.GetDesired(t.GetApplication(), c.cluster)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		if h.GetCurrentPlans()[t.GetApplication()] == d.PlanHash && h.GetCurrentGenerations()[t.GetApplication()] >= d.Generation {
			continue
		}
		c.queuePlan(t.GetApplication())
	}
	removals, err := c.store.Removals(c.cluster)
	if err != nil {
		return err
	}
	for app := range removals {
		if _, runs := h.GetCurrentPlans()[app]; !runs || mine[app] {
			if err := c.store.DeleteRemoval(c.cluster, app); err != nil { // done, or the app came back
				return err
			}
		}
	}
	for app := range h.GetCurrentPlans() {
		if !mine[app] {
			c.queue("removed/"+app, &pb.ConnectResponse{Msg: &pb.ConnectResponse_Removed{Removed: &pb.TargetRemoved{Application: app, Prune: removals[app]}}})
		}
	}
	return nil
}

func (c *conn) acked(a *pb.PlanAck) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.unacked[a.GetApplication()]; ok && s.seq == a.GetSeq() {
		delete(c.unacked, a.GetApplication())
	}
}

// writeLoop is the stream's only writer: queued messages, heartbeats and
// resends of unacked plans with backoff.
func (c *conn) writeLoop(ctx context.Context, stream pb.SpokeService_ConnectServer) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastBeat := time.Now()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.wake:
		case <-tick.C:
		}
		for _, m := range c.drain() {
			if err := stream.Send(m); err != nil {
				return fmt.Errorf("send: %w", err)
			}
			if m.GetPlan() != nil {
				plansSent.Inc()
			}
		}
		if time.Since(lastBeat) >= Heartbeat {
			lastBeat = time.Now()
			if err := stream.Send(&pb.ConnectResponse{Msg: &pb.ConnectResponse_Heartbeat{Heartbeat: &pb.Heartbeat{Time: timestamppb.Now()}}}); err != nil {
				return fmt.Errorf("send heartbeat: %w", err)
			}
		}
	}
}

// drain takes the pending messages in order, numbering plans and
// remembering them until acked; unacked plans are resent with backoff.
func (c *conn) drain() []*pb.ConnectResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*pb.ConnectResponse
	for _, k := range c.order {
		m := c.pending[k]
		if pa := m.GetPlan(); pa != nil {
			c.seq++
			pa.Seq = c.seq
			c.unacked[pa.GetPlan().GetApplication()] = &sent{msg: m, seq: c.seq, at: time.Now()}
		}
		out = append(out, m)
	}
	c.order, c.pending = nil, map[string]*pb.ConnectResponse{}
	for _, s := range c.unacked {
		backoff := min(5*time.Second<<s.attempts, time.Minute)
		if time.Since(s.at) >= backoff {
			s.attempts++
			s.at = time.Now()
			out = append(out, s.msg)
		}
	}
	return out
}
