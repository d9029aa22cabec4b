package rbac

import (
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// changeApp is what creating (create) or replacing (update) application
// name with one in project to needs. Creating needs create on TO/NAME;
// with upsert, when the application exists, update on it as well as on
// FROM/NAME where it is now. Replacing needs update on FROM/NAME and, when
// it moves, on TO/NAME (Argo CD asks the same). With force (replacing an
// application declared in Git), override on each of those objects too.
func changeApp(look Lookup, name, to string, create, upsert, force bool) (Need, error) {
	from, err := appProject(look, name)
	if err != nil {
		return Need{}, err
	}
	exists := from != AnyProject
	toObj, fromObj := ProjectObject(to, name), ProjectObject(from, name)
	var n Need
	var objs []string
	switch {
	case create:
		n = check(perm("applications", "create", toObj))
		objs = []string{toObj}
		if upsert && exists {
			n.Permissions = append(n.Permissions, perm("applications", "update", toObj))
			if fromObj != toObj {
				objs = append(objs, fromObj)
				n.Permissions = append(n.Permissions, perm("applications", "update", fromObj))
			}
		}
	default:
		n = check(perm("applications", "update", fromObj))
		objs = []string{fromObj}
		if exists && toObj != fromObj {
			objs = append(objs, toObj)
			n.Permissions = append(n.Permissions, perm("applications", "update", toObj))
		}
	}
	if force {
		for _, o := range objs {
			n.Permissions = append(n.Permissions, perm("applications", "override", o))
		}
	}
	return n, nil
}

func init() {
	register("ApplicationService", map[string]mapper{
		"CreateApplication": on(func(r *pb.CreateApplicationRequest, look Lookup) (Need, error) {
			a := r.GetApplication()
			return changeApp(look, a.GetName(), a.GetProject(), true, r.GetUpsert(), r.GetForce())
		}),
		"UpdateApplication": on(func(r *pb.UpdateApplicationRequest, look Lookup) (Need, error) {
			a := r.GetApplication()
			return changeApp(look, a.GetName(), a.GetProject(), false, false, r.GetForce())
		}),
		"DeleteApplication": on(func(r *pb.DeleteApplicationRequest, look Lookup) (Need, error) {
			p, err := appProject(look, r.GetName())
			if err != nil {
				return Need{}, err
			}
			o := ProjectObject(p, r.GetName())
			n := check(perm("applications", "delete", o))
			if r.GetForce() {
				n.Permissions = append(n.Permissions, perm("applications", "override", o))
			}
			return n, nil
		}),
		"ListApplications": on(func(*pb.ListApplicationsRequest, Lookup) (Need, error) { return list("applications"), nil }),
		"WatchApplications": on(func(r *pb.WatchApplicationsRequest, look Lookup) (Need, error) {
			if r.GetName() == "" {
				return list("applications"), nil
			}
			return onApp[*pb.WatchApplicationsRequest]("applications", "get")(r, look)
		}),
		"GetApplication":  onApp[*pb.GetApplicationRequest]("applications", "get"),
		"DiffApplication": onApp[*pb.DiffApplicationRequest]("applications", "get"),
		"GetPlan":         onApp[*pb.GetPlanRequest]("applications", "get"),
		"ListHistory":     onApp[*pb.ListHistoryRequest]("applications", "get"),
		// A sync to a revision of the caller's choosing deploys what Git's
		// target revision does not say: Argo CD's override.
		"SyncApplication": on(func(r *pb.SyncApplicationRequest, look Lookup) (Need, error) {
			n, err := onApp[*pb.SyncApplicationRequest]("applications", "sync")(r, look)
			if err == nil && r.GetRevision() != "" {
				n.Permissions = append(n.Permissions, perm("applications", "override", n.Permissions[0].Object))
			}
			return n, err
		}),
		"RollbackApplication": onApp[*pb.RollbackApplicationRequest]("applications", "sync"),
		"ApproveApplication":  onApp[*pb.ApproveApplicationRequest]("applications", "sync"),
		"TerminateOperation":  onApp[*pb.TerminateOperationRequest]("applications", "sync"),
	})
}
