package server

import (
	"context"
	"errors"

	"google.golang.org/grpc/status"

	"github.com/flotilla-gitops/flotilla/hub/declare"
	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/internal/manifest"
	"github.com/flotilla-gitops/flotilla/pkg/rbac"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// authorizeApply keeps the documents the caller may apply and refuses the
// others by name, each with the permission it lacks: what a document
// needs depends on whether its object exists (create or update, on its
// old project too when it moves; override when forced).
func (s *Config) authorizeApply(ctx context.Context, objs []manifest.Object, force bool) ([]manifest.Object, []*pb.ApplyResult) {
	var keep []manifest.Object
	var refused []*pb.ApplyResult
	for _, o := range objs {
		err := s.mayApply(ctx, o, force)
		if err == nil {
			keep = append(keep, o)
			continue
		}
		refused = append(refused, &pb.ApplyResult{File: o.File, Index: int32(o.Index), Kind: o.Kind, Name: o.Name,
			Action: declare.Refused, Error: status.Convert(err).Message()})
	}
	return keep, refused
}

func (s *Config) mayApply(ctx context.Context, o manifest.Object, force bool) error {
	c := rbac.ApplyChange{Kind: o.Kind, Name: o.Name, Action: "created", Forced: force}
	var prev string
	var err error
	switch o.Kind {
	case "Application":
		c.Project = o.App.GetProject()
		var a *pb.Application
		if a, err = s.Core.Store.GetApplication(o.Name); err == nil {
			prev = a.GetProject()
		}
	case "ApplicationSet":
		c.Project = appSetProject(o.AppSet)
		var a *pb.ApplicationSet
		if a, err = s.Core.Store.GetApplicationSet(o.Name); err == nil {
			prev = appSetProject(a)
		}
	case "Project":
		_, err = s.Core.Store.GetProject(o.Name)
	case "Cluster":
		_, err = s.Core.Store.GetCluster(o.Name)
	}
	switch {
	case err == nil:
		c.Action, c.PreviousProject = "updated", prev
	case !errors.Is(err, store.ErrNotFound):
		return grpcErr(err)
	}
	perms, err := rbac.ApplyPermissions(c)
	if err != nil {
		return invalid("%v", err)
	}
	return mayAll(ctx, perms)
}

// mayPrune refuses a prune unless the caller may delete every object it
// would delete (what a dry run of it names).
func mayPrune(ctx context.Context, pruned []*pb.ApplyResult, s *Config) error {
	for _, r := range pruned {
		if r.GetAction() != declare.Deleted {
			continue
		}
		c := rbac.ApplyChange{Kind: r.GetKind(), Name: r.GetName(), Action: "deleted"}
		switch r.GetKind() {
		case "Application":
			if a, err := s.Core.Store.GetApplication(r.GetName()); err == nil {
				c.Project = a.GetProject()
			}
		case "ApplicationSet":
			c.Project = rbac.AnyProject
			if a, err := s.Core.Store.GetApplicationSet(r.GetName()); err == nil {
				c.Project = appSetProject(a)
			}
		}
		perms, err := rbac.ApplyPermissions(c)
		if err != nil {
			return invalid("prune: %v", err)
		}
		if err := mayAll(ctx, perms); err != nil {
			return err
		}
	}
	return nil
}
