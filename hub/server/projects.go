package server

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// CreateProject stores a project.
func (s *Admin) CreateProject(_ context.Context, r *pb.CreateProjectRequest) (*pb.CreateProjectResponse, error) {
	p := r.GetProject()
	if p == nil || !dnsName.MatchString(p.GetName()) {
		return nil, invalid("project name %q: want a DNS label", p.GetName())
	}
	if err := validateProject(p); err != nil {
		return nil, err
	}
	if err := s.Core.Store.PutProject(p, r.GetUpsert()); err != nil {
		return nil, grpcErr(err)
	}
	return &pb.CreateProjectResponse{Project: p}, nil
}

// GetProject reads a project.
func (s *Admin) GetProject(_ context.Context, r *pb.GetProjectRequest) (*pb.GetProjectResponse, error) {
	p, err := s.Core.Store.GetProject(r.GetName())
	return &pb.GetProjectResponse{Project: p}, grpcErr(err)
}

// ListProjects lists projects.
func (s *Admin) ListProjects(context.Context, *pb.ListProjectsRequest) (*pb.ListProjectsResponse, error) {
	ps, err := s.Core.Store.ListProjects()
	return &pb.ListProjectsResponse{Projects: ps}, grpcErr(err)
}

// DeleteProject deletes a project no application uses.
func (s *Admin) DeleteProject(_ context.Context, r *pb.DeleteProjectRequest) (*pb.DeleteProjectResponse, error) {
	apps, err := s.Core.Store.ListApplications()
	if err != nil {
		return nil, grpcErr(err)
	}
	for _, a := range apps {
		if a.GetProject() == r.GetName() {
			return nil, status.Errorf(codes.FailedPrecondition, "project %s is used by application %s", r.GetName(), a.GetName())
		}
	}
	return &pb.DeleteProjectResponse{}, grpcErr(s.Core.Store.DeleteProject(r.GetName()))
}
