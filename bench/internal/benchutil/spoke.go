package benchutil

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// SimSpoke is a simulated spoke: it connects with the cluster's token,
// acks every plan, calls onPlan and reports the sync succeeded. It returns
// when the stream ends.
func SimSpoke(ctx context.Context, conn *grpc.ClientConn, token string, onPlan func(*pb.Plan)) {
	mctx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	stream, err := pb.NewSpokeServiceClient(conn).Connect(mctx)
	if err != nil {
		return
	}
	if err := stream.Send(&pb.ConnectRequest{Msg: &pb.ConnectRequest_Hello{Hello: &pb.Hello{AgentVersion: "bench"}}}); err != nil {
		return
	}
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
		if err := stream.Send(&pb.ConnectRequest{Msg: &pb.ConnectRequest_Ack{Ack: &pb.PlanAck{Seq: pa.GetSeq(), Application: p.GetApplication(), PlanHash: p.GetHash()}}}); err != nil {
			return
		}
		onPlan(p)
		if err := stream.Send(&pb.ConnectRequest{Msg: &pb.ConnectRequest_Progress{Progress: &pb.SyncProgress{Application: p.GetApplication(), PlanHash: p.GetHash(),
			Operation: &pb.Operation{Phase: pb.OperationPhase_OPERATION_PHASE_SUCCEEDED, PlanHash: p.GetHash(), Revision: p.GetRevision()}}}}); err != nil {
			return
		}
	}
}
