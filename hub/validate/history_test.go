package validate

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// revisionHistoryLimit is acted on (the store keeps that many entries per
// target): 0 and positive values are accepted, negative ones refused with
// the field named.
func TestValidateAppHistoryLimit(t *testing.T) {
	app := func(n int32) *pb.Application {
		return &pb.Application{Name: "web", RevisionHistoryLimit: n, Source: &pb.ApplicationSource{RepoUrl: "https://example.com/r.git"},
			Destination: &pb.Destination{Clusters: []string{"east"}}}
	}
	for _, n := range []int32{0, 1, 3, 100} {
		if err := App(app(n)); err != nil {
			t.Errorf("revisionHistoryLimit %d refused: %v", n, err)
		}
	}
	err := App(app(-1))
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "revisionHistoryLimit") {
		t.Errorf("revisionHistoryLimit -1: got %v, want InvalidArgument naming revisionHistoryLimit", err)
	}
}
