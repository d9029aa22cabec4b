package hub

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// A parent without automated sync declares its children when synced, as
// Argo CD creates child Applications by syncing the parent; until then,
// reconciles declare nothing.
func TestManualParentDeclaresOnSync(t *testing.T) {
	e := start(t)
	e.commit("children", map[string]string{"apps/child.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: child.web}
spec:
  source: {repoURL: https://git.example.com/web.git, path: web}
  destination: {server: https://kubernetes.default.svc, namespace: web}
`})
	if _, err := pb.NewClusterServiceClient(e.conn).AddCluster(e.admin, &pb.AddClusterRequest{Name: "east"}); err != nil {
		t.Fatal(err)
	}
	apps := pb.NewApplicationServiceClient(e.conn)
	if _, err := apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{Name: "root",
		Source: &pb.ApplicationSource{RepoUrl: e.repoURL, Path: "apps"}, Destination: &pb.Destination{Clusters: []string{"east"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "root", Refresh: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "child.web"}); status.Code(err) != codes.NotFound {
		t.Fatalf("a manual parent declared its child before any sync: %v", err)
	}
	if _, err := apps.SyncApplication(e.admin, &pb.SyncApplicationRequest{Name: "root"}); err != nil {
		t.Fatal(err)
	}
	r, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "child.web"})
	if err != nil {
		t.Fatalf("the child after syncing its parent: %v", err)
	}
	if d := r.GetApplication().GetDestination(); !d.GetInCluster() || len(d.GetClusters()) != 1 || d.GetClusters()[0] != "east" {
		t.Errorf("child destination %v: want in-cluster, the parent's cluster east", d)
	}
}
