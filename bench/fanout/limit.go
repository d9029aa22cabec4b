package main

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/flotilla-gitops/flotilla/bench/internal/benchutil"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// bare is the limit: a gRPC server that holds the same plans, one set per
// stream built beforehand, and on go sends them down every stream and
// counts the acks. No Git, render, plan, store or outbox.
type bare struct {
	pb.UnimplementedSpokeServiceServer
	plans     []*pb.Plan // one per application, for any cluster
	streams   atomic.Int64
	acks      atomic.Int64
	start     chan struct{}
	allAcked  chan struct{}
	want      int64
	closeOnce sync.Once
}

func (b *bare) Connect(stream grpc.BidiStreamingServer[pb.ConnectRequest, pb.ConnectResponse]) error {
	if _, err := stream.Recv(); err != nil { // hello
		return err
	}
	cluster := fmt.Sprintf("c%05d", b.streams.Add(1)-1)
	msgs := make([]*pb.ConnectResponse, len(b.plans))
	for i, p := range b.plans {
		p = proto.Clone(p).(*pb.Plan)
		p.Cluster = cluster
		msgs[i] = &pb.ConnectResponse{Msg: &pb.ConnectResponse_Plan{Plan: &pb.PlanAssignment{Seq: uint64(i + 1), Plan: p, Generation: 1}}}
	}
	go func() {
		for {
			m, err := stream.Recv()
			if err != nil {
				return
			}
			if m.GetAck() != nil && b.acks.Add(1) == b.want {
				b.closeOnce.Do(func() { close(b.allAcked) })
			}
		}
	}()
	select {
	case <-b.start:
	case <-stream.Context().Done():
		return nil
	}
	for _, m := range msgs {
		if err := stream.Send(m); err != nil {
			return err
		}
	}
	<-stream.Context().Done()
	return nil
}

// limit serves plans to nSpokes simulated spokes as bare does and returns
// the time from go to every plan acknowledged.
func limit(ctx context.Context, plans []*pb.Plan, nSpokes int) (time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b := &bare{plans: plans, start: make(chan struct{}), allAcked: make(chan struct{}), want: int64(nSpokes * len(plans))}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	srv := grpc.NewServer()
	pb.RegisterSpokeServiceServer(srv, b)
	go srv.Serve(lis)
	defer srv.Stop()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	for range nSpokes {
		go benchutil.SimSpoke(ctx, conn, "bare", func(*pb.Plan) {})
	}
	for b.streams.Load() < int64(nSpokes) {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	start := time.Now()
	close(b.start)
	select {
	case <-b.allAcked:
		return time.Since(start), nil
	case <-ctx.Done():
		return 0, fmt.Errorf("limit: %d of %d acks", b.acks.Load(), b.want)
	}
}
