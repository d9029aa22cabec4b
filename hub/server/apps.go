package server

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flotilla-gitops/flotilla/hub/controller"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// CreateApplication stores an application and reconciles it.
func (s *Admin) CreateApplication(ctx context.Context, r *pb.CreateApplicationRequest) (*pb.CreateApplicationResponse, error) {
	a := r.GetApplication()
	if err := validateApp(a); err != nil {
		return nil, err
	}
	if p := a.GetProject(); p != "" && p != "default" {
		if _, err := s.Core.Store.GetProject(p); err != nil {
			return nil, grpcErr(err)
		}
	}
	if err := s.checkDeps(a); err != nil {
		return nil, err
	}
	a.CreatedAt = timestamppb.Now()
	if err := s.Core.Store.PutApplication(a, r.GetUpsert()); err != nil {
		return nil, grpcErr(err)
	}
	s.reconcileLater(a.GetName())
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
func (s *Admin) ListApplications(_ context.Context, r *pb.ListApplicationsRequest) (*pb.ListApplicationsResponse, error) {
	apps, err := s.Core.Store.ListApplications()
	if err != nil {
		return nil, grpcErr(err)
	}
	out := &pb.ListApplicationsResponse{}
	for _, a := range apps {
		if (r.GetProject() != "" && a.GetProject() != r.GetProject()) || !controller.Matches(r.GetSelector(), a.GetLabels()) {
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

// UpdateApplication replaces an existing application.
func (s *Admin) UpdateApplication(_ context.Context, r *pb.UpdateApplicationRequest) (*pb.UpdateApplicationResponse, error) {
	a := r.GetApplication()
	if err := validateApp(a); err != nil {
		return nil, err
	}
	old, err := s.Core.Store.GetApplication(a.GetName())
	if err != nil {
		return nil, grpcErr(err)
	}
	if err := s.checkDeps(a); err != nil {
		return nil, err
	}
	a.CreatedAt = old.GetCreatedAt()
	if err := s.Core.Store.PutApplication(a, true); err != nil {
		return nil, grpcErr(err)
	}
	s.reconcileLater(a.GetName())
	return &pb.UpdateApplicationResponse{Application: a}, nil
}

// DeleteApplication removes an application; with cascade its spokes delete
// its objects.
func (s *Admin) DeleteApplication(_ context.Context, r *pb.DeleteApplicationRequest) (*pb.DeleteApplicationResponse, error) {
	ts, err := s.Core.Store.ListTargets(r.GetName())
	if err != nil {
		return nil, grpcErr(err)
	}
	if err := s.Core.Store.DeleteApplication(r.GetName()); err != nil {
		return nil, grpcErr(err)
	}
	for _, t := range ts {
		s.Core.Spokes.TargetRemoved(t.GetCluster(), r.GetName(), r.GetCascade())
	}
	return &pb.DeleteApplicationResponse{}, nil
}

// WatchApplications streams target changes, starting with the current state.
func (s *Admin) WatchApplications(r *pb.WatchApplicationsRequest, stream pb.ApplicationService_WatchApplicationsServer) error {
	w := s.Core.Events.subscribe(r.GetName())
	defer s.Core.Events.unsubscribe(w)
	ts, err := s.Core.Store.ListTargets(r.GetName())
	if err != nil {
		return grpcErr(err)
	}
	for _, t := range ts {
		if err := stream.Send(&pb.WatchApplicationsResponse{Target: t}); err != nil {
			return err
		}
	}
	for {
		select {
		case <-stream.Context().Done():
			return nil
		case <-w.wake:
		}
		for _, t := range w.take() {
			if err := stream.Send(&pb.WatchApplicationsResponse{Target: t}); err != nil {
				return err
			}
		}
	}
}
