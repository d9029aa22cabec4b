package controller

import (
	"google.golang.org/protobuf/proto"

	"github.com/flotilla-gitops/flotilla/hub/declare"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// ConfigAppName is the application that reads the hub's configuration
// repository (flotilla-hub --config-repo).
const ConfigAppName = "flotilla-config"

// Bootstrap makes the hub's configuration declarative: the application
// flotilla-config reads repoURL at revision, path, and declares what it
// holds (applications, projects, sets, cluster labels), deleting what Git
// no longer holds. It is itself declared by the configuration repository:
// the API changes it only when forced, and a restart with other flags
// replaces it.
func (c *Controller) Bootstrap(repoURL, revision, path string) error {
	if revision == "" {
		revision = "HEAD"
	}
	a := &pb.Application{Name: ConfigAppName,
		Source:      &pb.ApplicationSource{RepoUrl: repoURL, TargetRevision: revision, Path: path},
		Destination: &pb.Destination{InCluster: true},
		SyncPolicy:  &pb.SyncPolicy{Automated: true, Prune: true},
		ManagedBy:   &pb.ManagedBy{Kind: declare.OwnerConfigRepo, RepoUrl: repoURL, Path: path}}
	if old, err := c.store.GetApplication(ConfigAppName); err == nil {
		a.CreatedAt = old.GetCreatedAt()
		if proto.Equal(old, a) {
			c.ReconcileLater(ConfigAppName)
			return nil
		}
	}
	return c.decl.PutConfigApp(a)
}
