package rbac

import "fmt"

// ApplyChange is what applying one document of ConfigService.Apply does
// (or, in a dry run, would do): its ApplyResult and the object's projects.
type ApplyChange struct {
	// Kind: Application, AppProject (or Project), ApplicationSet or Cluster.
	Kind string
	Name string
	// Project of an Application or ApplicationSet as the document declares
	// it, or had when pruned (an ApplicationSet's template's project;
	// AnyProject when it is templated); "" is the default project.
	Project string
	// PreviousProject, for an update or a prune, is the project the object
	// had; "" when unchanged.
	PreviousProject string
	// Action as ApplyResult says: created, updated, unchanged or deleted
	// (pruned). A refused document needs nothing more.
	Action string
	// Forced: the document changes an object declared in Git (the
	// request's force).
	Forced bool
}

var applyResources = map[string]string{
	"Application": "applications", "ApplicationSet": "applicationsets",
	"AppProject": "projects", "Project": "projects", "Cluster": "clusters",
}

var applyActions = map[string]string{
	"created": "create", "updated": "update", "unchanged": "get", "deleted": "delete",
}

// ApplyPermissions is what applying one document needs: the action of its
// kind's resource (created: create, updated: update, unchanged: get,
// deleted: delete), on both projects when an update moves it, plus
// override for a forced change of an Application. A dry run needs what
// the apply would.
func ApplyPermissions(c ApplyChange) ([]Permission, error) {
	if c.Action == "refused" {
		return nil, nil
	}
	res, ok := applyResources[c.Kind]
	if !ok {
		return nil, fmt.Errorf("apply: kind %q has no RBAC resource", c.Kind)
	}
	act, ok := applyActions[c.Action]
	if !ok {
		return nil, fmt.Errorf("apply: %s %s: unknown action %q", c.Kind, c.Name, c.Action)
	}
	var objs []string
	if projectScoped[res] {
		objs = append(objs, ProjectObject(c.Project, c.Name))
		if c.PreviousProject != "" && ProjectObject(c.PreviousProject, c.Name) != objs[0] {
			objs = append(objs, ProjectObject(c.PreviousProject, c.Name))
		}
	} else {
		objs = append(objs, c.Name)
	}
	var out []Permission
	for _, o := range objs {
		out = append(out, perm(res, act, o))
	}
	if c.Forced && res == "applications" && act != "get" {
		for _, o := range objs {
			out = append(out, perm(res, "override", o))
		}
	}
	return out, nil
}
