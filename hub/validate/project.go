package validate

import (
	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/rollout"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// validateProject refuses a project whose sync windows do not parse,
// naming the window and field.
func validateProject(p *pb.Project) error {
	if _, err := rollout.ParseWindows(wire.WindowSpecs(p)); err != nil {
		return invalid("project %s: %v", p.GetName(), err)
	}
	return nil
}
