package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flotilla-gitops/flotilla/hub/store"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// conn is one connected spoke: a coalescing outbox (latest per key wins)
// drained by exactly one writer goroutine, and the plans not yet acked.
type conn struct {
	cluster   string
	store     *store.Store
	log       *slog.Logger
	cancel    context.CancelCauseFunc
	limit     *rate.Limiter
	maxItems  int
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

func newConn(cluster string, st *store.Store, log *slog.Logger, hello *pb.Hello, ctx context.Context, cancel context.CancelCauseFunc, l SpokeLimits) *conn {
	return &conn{cluster: cluster, store: st, log: log, hello: hello, done: ctx.Done(), cancel: cancel,
		limit: rate.NewLimiter(rate.Limit(l.MessagesPerSecond), l.MessageBurst), maxItems: l.MaxReportItems,
		wake: make(chan struct{}, 1), pending: map[string]*pb.ConnectResponse{}, unacked: map[string]*sent{}}
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
func (c *conn) writeLoop(ctx context.Context, stream pb.SpokeService_ConnectServer) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicked(c.log, connectMethod, v)
		}
	}()
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
