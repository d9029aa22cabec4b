// Package conn is the spoke's connection to the hub: it dials out (the hub
// never connects to a cluster), authenticates with the cluster's bearer
// token, keeps one SpokeService.Connect stream open with a fresh context
// per stream, and reconnects with jittered exponential backoff. Each stream
// has exactly one writer goroutine, which drains the coalescing Outbox and
// sends heartbeats; a reader hands the hub's messages to a Handler.
package conn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Handler is what the spoke does with the hub's messages. Calls come from
// the stream's reader goroutine, one at a time; they must not block long.
type Handler interface {
	// Hello returns the plans the spoke enforces, for the hub's resync.
	Hello(ctx context.Context) (*pb.Hello, error)
	// Welcome: the hub accepted the stream. The handler queues its full
	// status (the hub may have missed changes while disconnected).
	Welcome(ctx context.Context, w *pb.Welcome)
	// Plan handles an assignment and returns the ack to send.
	Plan(ctx context.Context, pa *pb.PlanAssignment) *pb.PlanAck
	Removed(ctx context.Context, r *pb.TargetRemoved)
	Sync(ctx context.Context, s *pb.SyncCommand)
	// LiveDiff compares a plan with the cluster. Unlike the others it may
	// take long: it runs in a goroutine of its own.
	LiveDiff(ctx context.Context, r *pb.LiveDiffRequest) *pb.LiveDiffResult
	// Terminate stops an application's running sync of a plan at once.
	Terminate(ctx context.Context, t *pb.TerminateOperation)
}

// Config configures a Client.
type Config struct {
	Addr string
	// Token returns the bearer token; it is called for every stream, so a
	// rotated token file is picked up on reconnect.
	Token       func() (string, error)
	DialOptions []grpc.DialOption
	// Backoff between attempts: jittered, doubling from BackoffBase up to
	// BackoffMax; reset once a stream has lasted StableAfter.
	BackoffBase, BackoffMax, StableAfter time.Duration
	// HelloTimeout bounds the wait for Welcome.
	HelloTimeout time.Duration
	Log          *slog.Logger
}

// DefaultConfig returns backoff from 500ms to 30s, stable after 10s, and a
// 30s Welcome timeout.
func DefaultConfig() Config {
	return Config{BackoffBase: 500 * time.Millisecond, BackoffMax: 30 * time.Second, StableAfter: 10 * time.Second, HelloTimeout: 30 * time.Second}
}

// Client keeps the spoke connected.
type Client struct {
	cfg       Config
	h         Handler
	Out       *Outbox
	connected atomic.Bool
}

// New returns a client; messages put in out are sent on whichever stream
// is open.
func New(cfg Config, h Handler, out *Outbox) *Client {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Client{cfg: cfg, h: h, Out: out}
}

// Connected reports whether a stream is open and welcomed.
func (c *Client) Connected() bool { return c.connected.Load() }

// Run connects and reconnects until ctx ends.
func (c *Client) Run(ctx context.Context) error {
	opts := append([]grpc.DialOption{
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 30 * time.Second, Timeout: 10 * time.Second, PermitWithoutStream: true}),
		// Plans carry every object: accept what the hub may send (256 MiB).
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256<<20), grpc.MaxCallSendMsgSize(64<<20)),
	}, c.cfg.DialOptions...)
	cc, err := grpc.NewClient(c.cfg.Addr, opts...)
	if err != nil {
		return fmt.Errorf("hub %s: %w", c.cfg.Addr, err)
	}
	defer cc.Close()
	client := pb.NewSpokeServiceClient(cc)
	bo := Backoff{Base: c.cfg.BackoffBase, Max: c.cfg.BackoffMax}
	for {
		start := time.Now()
		err := c.stream(ctx, client)
		c.connected.Store(false)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(start) >= c.cfg.StableAfter {
			bo.Reset()
		}
		d := bo.Next()
		c.cfg.Log.Warn("hub stream ended; reconnecting", "hub", c.cfg.Addr, "err", err, "after", d.Round(time.Millisecond), "queued", c.Out.Len())
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// stream runs one Connect stream until it fails or ctx ends.
func (c *Client) stream(ctx context.Context, client pb.SpokeServiceClient) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	token, err := c.cfg.Token()
	if err != nil {
		return err
	}
	st, err := client.Connect(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	hello, err := c.h.Hello(ctx)
	if err != nil {
		return err
	}
	// Before the writer starts, this goroutine is the stream's only writer.
	if err := st.Send(&pb.ConnectRequest{Msg: &pb.ConnectRequest_Hello{Hello: hello}}); err != nil {
		if errors.Is(err, io.EOF) {
			// The hub ended the stream (e.g. refused the token): Recv says why.
			if _, rerr := st.Recv(); rerr != nil {
				return fmt.Errorf("hello: %w", rerr)
			}
		}
		return fmt.Errorf("send hello: %w", err)
	}
	timer := time.AfterFunc(c.cfg.HelloTimeout, func() { cancel(ErrNoWelcome) })
	first, err := st.Recv()
	timer.Stop()
	if err != nil {
		if cause := context.Cause(ctx); errors.Is(cause, ErrNoWelcome) {
			return cause
		}
		return fmt.Errorf("hello: %w", err)
	}
	w := first.GetWelcome()
	if w == nil {
		return fmt.Errorf("%w, got %T", ErrNoWelcome, first.GetMsg())
	}
	beat := time.Duration(w.GetHeartbeatSeconds()) * time.Second
	if beat <= 0 {
		beat = 10 * time.Second
	}
	// Acks name the last stream's sequence numbers and live diffs its
	// requests: neither means anything on this one.
	c.Out.Drop("ack/")
	c.Out.Drop("diff/")
	c.h.Welcome(ctx, w)
	c.connected.Store(true)
	c.cfg.Log.Info("connected to hub", "hub", c.cfg.Addr, "heartbeat", beat)

	var lastRecv atomic.Int64
	lastRecv.Store(time.Now().UnixNano())
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	wg.Go(func() { errc <- c.write(ctx, st, beat, &lastRecv) })
	wg.Go(func() { errc <- c.read(ctx, st, &lastRecv) })
	err = <-errc
	cancel(err)
	wg.Wait()
	return err
}

// write is the stream's only writer: queued messages and heartbeats. It
// ends the stream when the hub has been silent for three heartbeats.
func (c *Client) write(ctx context.Context, st pb.SpokeService_ConnectClient, beat time.Duration, lastRecv *atomic.Int64) error {
	tick := time.NewTicker(beat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-c.Out.wake:
		case <-tick.C:
			if silent := time.Since(time.Unix(0, lastRecv.Load())); silent > 3*beat {
				return fmt.Errorf("%w for %s", ErrHubSilent, silent.Round(time.Second))
			}
			if err := st.Send(&pb.ConnectRequest{Msg: &pb.ConnectRequest_Heartbeat{Heartbeat: &pb.Heartbeat{Time: timestamppb.Now()}}}); err != nil {
				return fmt.Errorf("send heartbeat: %w", err)
			}
		}
		es := c.Out.take()
		for i, e := range es {
			if err := st.Send(e.msg); err != nil {
				if status.Code(err) == codes.ResourceExhausted {
					// Too large to ever send: dropped, or it would end every
					// stream ahead of what is queued behind it.
					c.cfg.Log.Error("message dropped: too large for the hub", "key", e.key, "err", err)
					i++
				}
				c.Out.putBack(es[i:])
				return fmt.Errorf("send %s: %w", e.key, err)
			}
		}
	}
}

// read hands the hub's messages to the handler; acks go to the outbox.
func (c *Client) read(ctx context.Context, st pb.SpokeService_ConnectClient, lastRecv *atomic.Int64) error {
	for {
		m, err := st.Recv()
		if err != nil {
			return fmt.Errorf("receive: %w", err)
		}
		lastRecv.Store(time.Now().UnixNano())
		switch msg := m.GetMsg().(type) {
		case *pb.ConnectResponse_Plan:
			ack := c.h.Plan(ctx, msg.Plan)
			c.Out.Put("ack/"+ack.GetApplication(), &pb.ConnectRequest{Msg: &pb.ConnectRequest_Ack{Ack: ack}})
		case *pb.ConnectResponse_Removed:
			c.h.Removed(ctx, msg.Removed)
		case *pb.ConnectResponse_Sync:
			c.h.Sync(ctx, msg.Sync)
		case *pb.ConnectResponse_Terminate:
			c.h.Terminate(ctx, msg.Terminate)
		case *pb.ConnectResponse_LiveDiff:
			go func() {
				res := c.h.LiveDiff(ctx, msg.LiveDiff)
				res.Id = msg.LiveDiff.GetId()
				if ctx.Err() == nil { // else the hub no longer waits for it
					c.Out.Put(fmt.Sprintf("diff/%d", res.Id), &pb.ConnectRequest{Msg: &pb.ConnectRequest_LiveDiff{LiveDiff: res}})
				}
			}()
		case *pb.ConnectResponse_Heartbeat, *pb.ConnectResponse_Welcome:
		}
	}
}
