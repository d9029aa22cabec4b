package server

import (
	"context"

	"github.com/flotilla-gitops/flotilla/hub/controller"
	"github.com/flotilla-gitops/flotilla/pkg/rbac"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// CreateApplication stores an application and reconciles it; one
// declared in Git is replaced only when forced.
func (s *Admin) CreateApplication(ctx context.Context, r *pb.CreateApplicationRequest) (*pb.CreateApplicationResponse, error) {
	a := r.GetApplication()
	if a == nil {
		return nil, invalid("application is required")
	}
	if err := s.Ctrl.Declarations().PutApp(a, r.GetUpsert(), r.GetForce()); err != nil {
		return nil, grpcErr(err)
	}
	return &pb.CreateApplicationResponse{Application: a}, nil
}

// reconcileLater queues a reconcile (coalesced per application, bounded
// in time and in how many run at once).
func (s *Admin) reconcileLater(app string) { s.Ctrl.ReconcileLater(app) }

// GetApplication returns an application and its targets.
func (s *Admin) GetApplication(ctx context.Context, r *pb.GetApplicationRequest) (*pb.GetApplicationResponse, error) {
	switch {
	case r.GetHardRefresh(): // renders again, ignoring kept renders; implies refresh
		if err := s.Ctrl.HardRefresh(ctx, r.GetName()); err != nil {
			return nil, grpcErr(err)
		}
	case r.GetRefresh():
		if err := s.Ctrl.Reconcile(ctx, r.GetName()); err != nil {
			return nil, grpcErr(err)
		}
	}
	return s.appView(r.GetName())
}

func (s *Admin) appView(name string) (*pb.GetApplicationResponse, error) {
	a, err := s.Core.Store.GetApplication(name)
	if err != nil {
		return nil, grpcErr(err)
	}
	ts, err := s.Core.Store.ListTargets(name)
	if err != nil {
		return nil, grpcErr(err)
	}
	conds, err := s.Ctrl.Conditions(name)
	if err != nil {
		return nil, grpcErr(err)
	}
	return &pb.GetApplicationResponse{Application: a, Targets: ts, Conditions: conds}, nil
}

// ListApplications lists applications matching a label selector/project.
func (s *Admin) ListApplications(ctx context.Context, r *pb.ListApplicationsRequest) (*pb.ListApplicationsResponse, error) {
	apps, err := s.Core.Store.ListApplications()
	if err != nil {
		return nil, grpcErr(err)
	}
	out := &pb.ListApplicationsResponse{}
	for _, a := range apps {
		if (r.GetProject() != "" && a.GetProject() != r.GetProject()) || !controller.Matches(r.GetSelector(), a.GetLabels()) ||
			!canGet(ctx, "applications", rbac.ProjectObject(a.GetProject(), a.GetName())) {
			continue
		}
		v, err := s.appView(a.GetName())
		if err != nil {
			return nil, err
		}
		out.Applications = append(out.Applications, v)
	}
	return out, nil
}

// UpdateApplication replaces an existing application (one declared in
// Git only when forced).
func (s *Admin) UpdateApplication(_ context.Context, r *pb.UpdateApplicationRequest) (*pb.UpdateApplicationResponse, error) {
	a := r.GetApplication()
	if a == nil {
		return nil, invalid("application is required")
	}
	if _, err := s.Core.Store.GetApplication(a.GetName()); err != nil {
		return nil, grpcErr(err)
	}
	if err := s.Ctrl.Declarations().PutApp(a, true, r.GetForce()); err != nil {
		return nil, grpcErr(err)
	}
	return &pb.UpdateApplicationResponse{Application: a}, nil
}

// DeleteApplication removes an application (one declared in Git only when
// forced) and the applications it declares; with cascade its spokes
// delete its objects.
func (s *Admin) DeleteApplication(_ context.Context, r *pb.DeleteApplicationRequest) (*pb.DeleteApplicationResponse, error) {
	return &pb.DeleteApplicationResponse{}, grpcErr(s.Ctrl.Declarations().DeleteApp(r.GetName(), r.GetCascade(), r.GetForce()))
}

// WatchApplications streams target changes, starting with the current state.
func (s *Admin) WatchApplications(r *pb.WatchApplicationsRequest, stream pb.ApplicationService_WatchApplicationsServer) error {
	w := s.Core.Events.subscribe(r.GetName())
	defer s.Core.Events.unsubscribe(w)
	ts, err := s.Core.Store.ListTargets(r.GetName())
	if err != nil {
		return grpcErr(err)
	}
	visible := s.visibleApps(stream.Context())
	send := func(ts []*pb.TargetStatus) error {
		for _, t := range ts {
			if !visible(t.GetApplication()) {
				continue
			}
			if err := stream.Send(&pb.WatchApplicationsResponse{Target: t}); err != nil {
				return err
			}
		}
		return nil
	}
	if err := send(ts); err != nil {
		return err
	}
	for {
		select {
		case <-stream.Context().Done():
			return nil
		case <-w.wake:
		}
		if err := send(w.take()); err != nil {
			return err
		}
	}
}

// visibleApps says which applications the caller of a stream may get,
// asked again for every event: an application that moved to a project
// the caller may not get is not shown any more.
func (s *Admin) visibleApps(ctx context.Context) func(app string) bool {
	return func(app string) bool {
		a, err := s.Core.Store.GetApplication(app)
		return err == nil && canGet(ctx, "applications", rbac.ProjectObject(a.GetProject(), a.GetName()))
	}
}
