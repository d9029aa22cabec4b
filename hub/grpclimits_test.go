package hub

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/flotilla-gitops/flotilla/hub/server"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func dialHub(t *testing.T, h *Hub) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(h.GRPCAddr.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func withGRPCLimits(edit func(*server.GRPCLimits)) func(*Config) {
	return func(c *Config) {
		c.GRPCLimits = server.DefaultGRPCLimits()
		edit(&c.GRPCLimits)
	}
}

func wantExhausted(t *testing.T, err error, what string, names ...string) {
	t.Helper()
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("%s: %v, want ResourceExhausted", what, err)
	}
	for _, n := range names {
		if !strings.Contains(err.Error(), n) {
			t.Errorf("%s: %v does not name %s", what, err, n)
		}
	}
}

// The admin API's request limit is its own: a large admin request is
// refused while a spoke may still send larger messages.
func TestAdminMessageLimit(t *testing.T) {
	e := startWith(t, withGRPCLimits(func(l *server.GRPCLimits) { l.AdminMaxMessageBytes = 1024 }))
	projects := pb.NewProjectServiceClient(e.conn)
	big := &pb.Project{Name: "big", Description: strings.Repeat("x", 2048)}
	_, err := projects.CreateProject(e.admin, &pb.CreateProjectRequest{Project: big})
	wantExhausted(t, err, "a 2 KiB admin request", "CreateProject", "--admin-max-message")
	if _, err := projects.CreateProject(e.admin, &pb.CreateProjectRequest{Project: &pb.Project{Name: "small"}}); err != nil {
		t.Fatal(err)
	}
	token, _ := e.webOnEast(t, &pb.SyncPolicy{Automated: true})
	sp, err := e.connect(token, &pb.Hello{})
	if err != nil {
		t.Fatal(err)
	}
	sp.nextPlan()
	if err := sp.stream.Send(healthReport("web", strings.Repeat("n", 2048))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		got, err := e.hub.Store.GetTarget("web", "east")
		return err == nil && len(got.GetResources()) == 1
	}, "a 2 KiB spoke report applied under a 1 KiB admin limit")
}

func TestSpokeMessageLimit(t *testing.T) {
	e := startWith(t, withGRPCLimits(func(l *server.GRPCLimits) { l.SpokeMaxMessageBytes = 1024 }))
	token, _ := e.webOnEast(t, nil)
	sp := e.dial(token)
	sp.send(t, healthReport("web", strings.Repeat("n", 2048)))
	st := sp.waitEnd(t, "a 2 KiB spoke message")
	wantExhausted(t, st.Err(), "a 2 KiB spoke message", "--spoke-max-message")
}

func TestSpokeStreamLimit(t *testing.T) {
	e := startWith(t, withGRPCLimits(func(l *server.GRPCLimits) { l.MaxSpokeStreams = 1 }))
	token, _ := e.webOnEast(t, nil)
	e.dial(token)
	_, err := e.connect(token, &pb.Hello{})
	wantExhausted(t, err, "a second spoke stream", "--max-spoke-streams")
}

func TestAdminCallLimit(t *testing.T) {
	e := startWith(t, withGRPCLimits(func(l *server.GRPCLimits) { l.MaxAdminCalls = 1 }))
	e.webOnEast(t, nil)
	ctx, cancel := context.WithCancel(e.admin)
	watch, err := pb.NewApplicationServiceClient(e.conn).WatchApplications(ctx, &pb.WatchApplicationsRequest{Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := watch.Recv(); err != nil { // the watch runs: it holds the one slot
		t.Fatal(err)
	}
	_, err = pb.NewClusterServiceClient(e.conn).ListClusters(e.admin, &pb.ListClustersRequest{})
	wantExhausted(t, err, "a call while a watch runs", "ListClusters", "--max-admin-calls")
	cancel()
	waitFor(t, func() bool {
		_, err := pb.NewClusterServiceClient(e.conn).ListClusters(e.admin, &pb.ListClustersRequest{})
		return err == nil
	}, "admin calls served again after the watch ended")
}
