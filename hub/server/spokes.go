package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/internal/keylock"
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
	// Limits bound what one spoke may send; set before serving.
	Limits SpokeLimits
	// DiscoveryChanged is told when a cluster's served kinds changed.
	DiscoveryChanged func(cluster string)

	mu     sync.Mutex
	conns  map[string]*conn
	states keylock.Locks // cluster → serialises its state changes
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
	return &Spokes{store: st, reports: r, log: log, Limits: DefaultSpokeLimits(), conns: map[string]*conn{}}
}

// Connected reports whether a cluster's spoke is connected.
func (s *Spokes) Connected(cluster string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.conns[cluster]
	return ok
}

// Disconnect ends a cluster's live stream at once (the cluster was removed
// or its token rotated); the spoke gets err as the stream's status.
func (s *Spokes) Disconnect(cluster string, err error) {
	s.mu.Lock()
	c := s.conns[cluster]
	s.mu.Unlock()
	if c != nil {
		c.cancel(err)
	}
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
	ctx, cancel := context.WithCancelCause(stream.Context())
	defer cancel(nil)
	auth := &Auth{Store: s.store}
	p, err := auth.principal(ctx)
	if err != nil {
		return err
	}
	if p.Kind != store.KindCluster {
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
	c := newConn(p.Name, s.store, s.log.With("cluster", p.Name), hello, ctx, cancel, s.Limits)
	// Welcome is queued before the stream is registered: a plan assigned
	// meanwhile (DesiredChanged) must come after it.
	c.queue("welcome", &pb.ConnectResponse{Msg: &pb.ConnectResponse_Welcome{Welcome: &pb.Welcome{Cluster: p.Name, HeartbeatSeconds: int64(Heartbeat / time.Second)}}})
	s.register(c)
	defer s.unregister(c)
	// The token may have been revoked between the check above and the
	// registration (Disconnect found no stream to end): check it again.
	if _, err := auth.principal(ctx); err != nil {
		return err
	}
	c.log.Info("spoke connected", "agent", hello.GetAgentVersion(), "kube", hello.GetKubeVersion())
	if err := c.resync(hello); err != nil {
		return status.Errorf(codes.Internal, "resync: %v", err)
	}
	werr := make(chan error, 1)
	go func() { werr <- c.writeLoop(ctx, stream) }()
	rerr := make(chan error, 1)
	go func() { rerr <- s.readLoop(ctx, c, stream) }()
	var writeErr error
	select {
	case err = <-rerr:
		cancel(err)
		writeErr = <-werr
	case writeErr = <-werr: // the writer failed (send error, panic): end the stream
		err = writeErr
		cancel(err)
	case <-ctx.Done():
		writeErr = <-werr
	}
	if writeErr != nil && !errors.Is(writeErr, context.Canceled) {
		c.log.Debug("writer stopped", "err", writeErr)
	}
	// Ended by the hub (cluster removed, token rotated, replaced by a
	// newer stream): the spoke hears why.
	if cause := context.Cause(ctx); status.Code(cause) != codes.Unknown && status.Code(cause) != codes.Canceled {
		return cause
	}
	if status.Code(err) == codes.Canceled || errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// register makes c its cluster's current stream, ending the one before.
func (s *Spokes) register(c *conn) {
	defer s.states.Lock(c.cluster)()
	s.mu.Lock()
	if old := s.conns[c.cluster]; old != nil {
		old.cancel(status.Errorf(codes.Aborted, "cluster %s: replaced by a newer stream", c.cluster))
	}
	s.conns[c.cluster] = c
	s.mu.Unlock()
	connectedSpokes.Inc()
	s.setState(c.cluster, pb.ConnectionState_CONNECTION_STATE_CONNECTED, c.hello)
	s.discovered(c.cluster, c.hello.GetKinds())
}

// unregister forgets c; only a cluster's current stream marks it
// Disconnected (an old stream ending late leaves the new one's state).
func (s *Spokes) unregister(c *conn) {
	defer s.states.Lock(c.cluster)()
	s.mu.Lock()
	current := s.conns[c.cluster] == c
	if current {
		delete(s.conns, c.cluster)
	}
	s.mu.Unlock()
	connectedSpokes.Dec()
	if current {
		s.setState(c.cluster, pb.ConnectionState_CONNECTION_STATE_DISCONNECTED, nil)
	}
	c.log.Info("spoke disconnected", "current", current)
}

const connectMethod = "/flotilla.v1.SpokeService/Connect"

// readLoop handles what the spoke sends until the stream or ctx ends.
// A panic while handling a message ends this stream with Internal, not
// the hub (the gRPC recovery interceptor does not see this goroutine).
func (s *Spokes) readLoop(ctx context.Context, c *conn, stream pb.SpokeService_ConnectServer) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicked(c.log, connectMethod, v)
		}
	}()
	for {
		msg, err := stream.Recv()
		if err != nil {
			return err
		}
		if err := c.limit.Wait(ctx); err != nil {
			return err // ended while throttled
		}
		if ctx.Err() != nil {
			return ctx.Err() // nothing more from a stream the hub ended
		}
		s.touch(c)
		s.dispatch(c, msg)
	}
}

// dispatch hands one message to its handler; reports must name a target
// assigned to this cluster and stay within the size limits.
func (s *Spokes) dispatch(c *conn, msg *pb.ConnectRequest) {
	if err := c.admit(msg); err != nil {
		reportsRefused.Inc()
		c.log.Warn("report refused", "err", err)
		return
	}
	switch m := msg.GetMsg().(type) {
	case *pb.ConnectRequest_Ack:
		c.acked(m.Ack)
		s.reports.Ack(c.cluster, m.Ack)
	case *pb.ConnectRequest_Progress:
		s.reports.Progress(c.cluster, m.Progress)
	case *pb.ConnectRequest_Health:
		s.reports.Health(c.cluster, m.Health)
	case *pb.ConnectRequest_Drift:
		s.reports.Drift(c.cluster, m.Drift)
	case *pb.ConnectRequest_LiveDiff:
		c.diffs.answer(m.LiveDiff)
	case *pb.ConnectRequest_Discovery:
		s.discovered(c.cluster, m.Discovery.GetKinds())
	case *pb.ConnectRequest_Heartbeat, *pb.ConnectRequest_Hello:
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
	if err != nil && !errors.Is(err, store.ErrNotFound) { // a removed cluster has no state
		s.log.Warn("update cluster state", "cluster", cluster, "err", err)
	}
}

// touch records that a spoke was seen, at most every few seconds, while
// its stream is the cluster's current one.
func (s *Spokes) touch(c *conn) {
	c.mu.Lock()
	stale := time.Since(c.lastTouch) >= 5*time.Second
	if stale {
		c.lastTouch = time.Now()
	}
	c.mu.Unlock()
	s.mu.Lock()
	current := s.conns[c.cluster] == c
	s.mu.Unlock()
	if !stale || !current {
		return
	}
	if err := s.store.UpdateCluster(c.cluster, func(cl *pb.Cluster) { cl.LastSeen = timestamppb.Now() }); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("update last seen", "cluster", c.cluster, "err", err)
	}
}
