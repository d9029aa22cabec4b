package server

import (
	"context"
	"slices"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// CreateProject stores a project (one declared in Git only when forced).
func (s *Admin) CreateProject(_ context.Context, r *pb.CreateProjectRequest) (*pb.CreateProjectResponse, error) {
	if err := s.Ctrl.Declarations().PutProject(r.GetProject(), r.GetUpsert(), r.GetForce()); err != nil {
		return nil, grpcErr(err)
	}
	return &pb.CreateProjectResponse{Project: r.GetProject()}, nil
}

// GetProject reads a project.
func (s *Admin) GetProject(_ context.Context, r *pb.GetProjectRequest) (*pb.GetProjectResponse, error) {
	p, err := s.Core.Store.GetProject(r.GetName())
	return &pb.GetProjectResponse{Project: p}, grpcErr(err)
}

// ListProjects lists projects.
func (s *Admin) ListProjects(ctx context.Context, _ *pb.ListProjectsRequest) (*pb.ListProjectsResponse, error) {
	ps, err := s.Core.Store.ListProjects()
	ps = slices.DeleteFunc(ps, func(p *pb.Project) bool { return !canGet(ctx, "projects", p.GetName()) })
	return &pb.ListProjectsResponse{Projects: ps}, grpcErr(err)
}

// DeleteProject deletes a project no application uses (one declared in
// Git only when forced).
func (s *Admin) DeleteProject(_ context.Context, r *pb.DeleteProjectRequest) (*pb.DeleteProjectResponse, error) {
	return &pb.DeleteProjectResponse{}, grpcErr(s.Ctrl.Declarations().DeleteProject(r.GetName(), r.GetForce()))
}
