package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/flotilla-gitops/flotilla/hub/store"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// panicky is a report handler with a bug.
type panicky struct{}

func (panicky) Ack(string, *pb.PlanAck)           {}
func (panicky) Progress(string, *pb.SyncProgress) {}
func (panicky) Drift(string, *pb.DriftReport)     {}
func (panicky) Health(string, *pb.HealthReport)   { var m map[string]int; m["x"]++ }

// A panic while handling a spoke's report ends that stream with Internal;
// the hub serves the next stream.
func TestPanicInReportEndsOnlyTheStream(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.AddCluster(&pb.Cluster{Name: "east"}, "tok"); err != nil {
		t.Fatal(err)
	}
	if err := st.PutApplication(&pb.Application{Name: "web"}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Assign("web", "east", &pb.Plan{Hash: "h1", Application: "web"}, "c1", "r1", "test", nil,
		func() *pb.HistoryEntry { return &pb.HistoryEntry{} }); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	spokes := NewSpokes(st, panicky{}, log)
	l := bufconn.Listen(1 << 20)
	gs := grpc.NewServer()
	pb.RegisterSpokeServiceServer(gs, spokes)
	go gs.Serve(l)
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient("passthrough:///buf", grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return l.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	stream := func() pb.SpokeService_ConnectClient {
		ctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer tok"), 30*time.Second)
		t.Cleanup(cancel)
		s, err := pb.NewSpokeServiceClient(conn).Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Send(&pb.ConnectRequest{Msg: &pb.ConnectRequest_Hello{Hello: &pb.Hello{}}}); err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := stream()
	if err := s.Send(&pb.ConnectRequest{Msg: &pb.ConnectRequest_Health{Health: &pb.HealthReport{Application: "web"}}}); err != nil {
		t.Fatal(err)
	}
	for {
		_, err := s.Recv()
		if err == nil {
			continue // welcome, plan
		}
		if status.Code(err) != codes.Internal || !strings.Contains(err.Error(), "SpokeService/Connect") {
			t.Fatalf("stream ended with %v, want Internal naming the method", err)
		}
		break
	}
	next := stream()
	m, err := next.Recv()
	if err != nil || m.GetWelcome() == nil {
		t.Fatalf("the next stream got %v, %v; want Welcome", m, err)
	}
}
