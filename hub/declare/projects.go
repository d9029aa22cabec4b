package declare

import (
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/hub/validate"
	"github.com/flotilla-gitops/flotilla/internal/manifest"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func (e *Engine) applyProject(obj manifest.Object, o Options) (string, string, error) {
	p := proto.Clone(obj.Project).(*pb.Project)
	p.Warnings = obj.Warnings
	return e.putProject(p, o, true)
}

// PutProject creates or replaces a project through the API.
func (e *Engine) PutProject(p *pb.Project, upsert, force bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, _, err := e.putProject(p, Options{Force: force}, upsert)
	return err
}

func (e *Engine) putProject(p *pb.Project, o Options, upsert bool) (string, string, error) {
	if err := validate.Project(p); err != nil {
		return "", "", err
	}
	old, err := e.store.GetProject(p.GetName())
	found := err == nil
	switch {
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return "", "", err
	case found && !upsert:
		return "", "", status.Errorf(codes.AlreadyExists, "project %q already exists", p.GetName())
	case found:
		if err := CheckOwner("project", p.GetName(), old.GetManagedBy(), o); err != nil {
			return "", "", err
		}
	}
	p.ManagedBy = keepOwner(old.GetManagedBy(), o)
	action, diff := change(old, p, found, manifest.ProjectDocument, (*pb.Project).GetManagedBy, "project "+p.GetName())
	if action == Unchanged || o.DryRun {
		return action, diff, nil
	}
	if err := e.store.PutProject(p, true); err != nil {
		return "", "", err
	}
	// Applications of the project are planned again under its new rules.
	apps, err := e.store.ListApplications()
	if err != nil {
		return "", "", err
	}
	for _, a := range apps {
		if a.GetProject() == p.GetName() {
			e.hooks.Reconcile(a.GetName())
		}
	}
	return action, diff, nil
}

// DeleteProject deletes a project no application uses (refused when Git
// declares it, unless forced).
func (e *Engine) DeleteProject(name string, force bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, err := e.store.GetProject(name)
	if err != nil {
		return err
	}
	if err := CheckOwner("project", name, p.GetManagedBy(), Options{Force: force}); err != nil {
		return err
	}
	return e.deleteProject(name)
}

func (e *Engine) deleteProject(name string) error {
	apps, err := e.store.ListApplications()
	if err != nil {
		return err
	}
	for _, a := range apps {
		if a.GetProject() == name {
			return status.Errorf(codes.FailedPrecondition, "project %s is used by application %s", name, a.GetName())
		}
	}
	return e.store.DeleteProject(name)
}

// applyCluster sets a registered cluster's labels to exactly the declared
// ones (clusters are registered with `flotilla cluster add`, which makes
// their token; a declaration cannot make one).
func (e *Engine) applyCluster(obj manifest.Object, o Options) (string, string, error) {
	cl, err := e.store.GetCluster(obj.Name)
	if err != nil {
		return "", "", status.Errorf(codes.NotFound, "cluster %s is not registered (flotilla cluster add %s makes its token)", obj.Name, obj.Name)
	}
	if err := validate.Labels("cluster "+obj.Name, obj.Cluster.Labels); err != nil {
		return "", "", err
	}
	before := map[string]any{"labels": cl.GetLabels()}
	after := map[string]any{"labels": obj.Cluster.Labels}
	if equalLabels(cl.GetLabels(), obj.Cluster.Labels) {
		return Unchanged, "", nil
	}
	diff := yamlDiff(before, after, "cluster "+obj.Name)
	if o.DryRun {
		return Updated, diff, nil
	}
	if err := e.store.UpdateCluster(obj.Name, func(c *pb.Cluster) { c.Labels = obj.Cluster.Labels }); err != nil {
		return "", "", err
	}
	e.hooks.ClustersChanged()
	return Updated, diff, nil
}

func equalLabels(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
