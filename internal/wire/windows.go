package wire

import (
	"github.com/flotilla-gitops/flotilla/pkg/rollout"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// WindowSpecs converts a project's sync windows.
func WindowSpecs(p *pb.Project) []rollout.WindowSpec {
	out := make([]rollout.WindowSpec, 0, len(p.GetSyncWindows()))
	for _, w := range p.GetSyncWindows() {
		out = append(out, rollout.WindowSpec{Kind: w.GetKind(), Schedule: w.GetSchedule(), Duration: w.GetDuration(),
			Applications: w.GetApplications(), Namespaces: w.GetNamespaces(), Clusters: w.GetClusters(),
			ManualSync: w.GetManualSync(), TimeZone: w.GetTimeZone()})
	}
	return out
}
