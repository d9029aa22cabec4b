package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"regexp"
	"sort"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flotilla-gitops/flotilla/hub/controller"
	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Admin serves the admin API.
type Admin struct {
	pb.UnimplementedApplicationServiceServer
	pb.UnimplementedProjectServiceServer
	pb.UnimplementedClusterServiceServer
	Hub  *Hub
	Ctrl *controller.Controller
}

var dnsName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

func grpcErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, store.ErrExists):
		return status.Error(codes.AlreadyExists, err.Error())
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codes.FailedPrecondition, err.Error())
}

func invalid(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, format, args...)
}

func validateApp(a *pb.Application) error {
	switch {
	case a == nil:
		return invalid("application is required")
	case !dnsName.MatchString(a.GetName()) || len(a.GetName()) > 63:
		return invalid("application name %q: want a DNS label (a-z, 0-9, '-', at most 63)", a.GetName())
	case a.GetSource().GetRepoUrl() == "":
		return invalid("application %s: source.repoUrl is required", a.GetName())
	case len(a.GetDestination().GetClusters()) == 0 && len(a.GetDestination().GetClusterSelector()) == 0:
		return invalid("application %s: destination needs clusters or a clusterSelector", a.GetName())
	}
	if err := validateHistoryLimit(a); err != nil {
		return err
	}
	if err := validateSyncPolicy(a); err != nil {
		return err
	}
	if f := unsupportedApp(a); f != "" {
		return invalid("application %s: %s is not supported yet", a.GetName(), f)
	}
	if err := validateKustomize(a); err != nil {
		return err
	}
	var opts plan.Options
	for k, v := range a.GetSyncPolicy().GetOptions() {
		if err := opts.SetSyncOption(k + "=" + v); err != nil {
			return invalid("application %s: syncPolicy.options: %v", a.GetName(), err)
		}
	}
	return nil
}

// CreateApplication stores an application and reconciles it.
func (s *Admin) CreateApplication(ctx context.Context, r *pb.CreateApplicationRequest) (*pb.CreateApplicationResponse, error) {
	a := r.GetApplication()
	if err := validateApp(a); err != nil {
		return nil, err
	}
	if p := a.GetProject(); p != "" && p != "default" {
		if _, err := s.Hub.Store.GetProject(p); err != nil {
			return nil, grpcErr(err)
		}
	}
	if err := s.checkDeps(a); err != nil {
		return nil, err
	}
	a.CreatedAt = timestamppb.Now()
	if err := s.Hub.Store.PutApplication(a, r.GetUpsert()); err != nil {
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
	if r.GetRefresh() {
		if err := s.Ctrl.Reconcile(ctx, r.GetName()); err != nil {
			return nil, grpcErr(err)
		}
	}
	return s.appView(r.GetName())
}

func (s *Admin) appView(name string) (*pb.GetApplicationResponse, error) {
	a, err := s.Hub.Store.GetApplication(name)
	if err != nil {
		return nil, grpcErr(err)
	}
	ts, err := s.Hub.Store.ListTargets(name)
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
	apps, err := s.Hub.Store.ListApplications()
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
	old, err := s.Hub.Store.GetApplication(a.GetName())
	if err != nil {
		return nil, grpcErr(err)
	}
	if err := s.checkDeps(a); err != nil {
		return nil, err
	}
	a.CreatedAt = old.GetCreatedAt()
	if err := s.Hub.Store.PutApplication(a, true); err != nil {
		return nil, grpcErr(err)
	}
	s.reconcileLater(a.GetName())
	return &pb.UpdateApplicationResponse{Application: a}, nil
}

// DeleteApplication removes an application; with cascade its spokes delete
// its objects.
func (s *Admin) DeleteApplication(_ context.Context, r *pb.DeleteApplicationRequest) (*pb.DeleteApplicationResponse, error) {
	ts, err := s.Hub.Store.ListTargets(r.GetName())
	if err != nil {
		return nil, grpcErr(err)
	}
	if err := s.Hub.Store.DeleteApplication(r.GetName()); err != nil {
		return nil, grpcErr(err)
	}
	for _, t := range ts {
		s.Hub.Spokes.TargetRemoved(t.GetCluster(), r.GetName(), r.GetCascade())
	}
	return &pb.DeleteApplicationResponse{}, nil
}

// DiffApplication returns the drift the spokes reported.
func (s *Admin) DiffApplication(_ context.Context, r *pb.DiffApplicationRequest) (*pb.DiffApplicationResponse, error) {
	v, err := s.appView(r.GetName())
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, c := range r.GetClusters() {
		want[c] = true
	}
	out := &pb.DiffApplicationResponse{}
	for _, t := range v.GetTargets() {
		if len(want) > 0 && !want[t.GetCluster()] {
			continue
		}
		for _, rs := range t.GetResources() {
			out.Diffs = append(out.Diffs, &pb.ObjectDiff{Cluster: t.GetCluster(), Ref: rs.GetRef(), Sync: rs.GetSync(), Diff: rs.GetDiff()})
		}
	}
	return out, nil
}

// GetPlan computes the plan of one target at a revision, without assigning.
func (s *Admin) GetPlan(ctx context.Context, r *pb.GetPlanRequest) (*pb.GetPlanResponse, error) {
	p, err := s.Ctrl.PlanAt(ctx, r.GetName(), r.GetCluster(), r.GetRevision())
	if err != nil {
		return nil, grpcErr(err)
	}
	diffs, cur, err := s.planDiffs(ctx, r.GetName(), r.GetCluster(), p)
	if err != nil {
		return nil, grpcErr(err)
	}
	out := &pb.GetPlanResponse{Plan: p, Diffs: diffs, CurrentPlanHash: cur}
	// The cluster's spoke compares the plan with the live objects; without
	// an answer, the diff from the current plan stands, with the reason.
	lctx, cancel := context.WithTimeout(ctx, liveDiffTimeout)
	defer cancel()
	live, err := s.Hub.Spokes.LiveDiff(lctx, r.GetCluster(), p)
	if err != nil {
		out.LiveError = err.Error()
		return out, nil
	}
	out.Live, out.Diffs = true, nil
	for _, d := range live {
		out.Diffs = append(out.Diffs, &pb.ObjectDiff{Cluster: r.GetCluster(), Ref: d.GetRef(), Sync: pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC, Diff: d.GetDiff()})
	}
	return out, nil
}

// liveDiffTimeout bounds the wait for a spoke's live comparison.
const liveDiffTimeout = 30 * time.Second

// ListHistory lists sync history.
func (s *Admin) ListHistory(_ context.Context, r *pb.ListHistoryRequest) (*pb.ListHistoryResponse, error) {
	if _, err := s.Hub.Store.GetApplication(r.GetName()); err != nil {
		return nil, grpcErr(err)
	}
	h, err := s.Hub.Store.ListHistory(r.GetName(), r.GetCluster())
	if err != nil {
		return nil, grpcErr(err)
	}
	sort.SliceStable(h, func(i, j int) bool { return h[i].GetStartedAt().AsTime().Before(h[j].GetStartedAt().AsTime()) })
	return &pb.ListHistoryResponse{Entries: h}, nil
}

// RollbackApplication re-assigns the plan of a history entry.
func (s *Admin) RollbackApplication(ctx context.Context, r *pb.RollbackApplicationRequest) (*pb.RollbackApplicationResponse, error) {
	if err := s.Ctrl.Rollback(ctx, r.GetName(), r.GetHistoryId(), r.GetClusters(), who(ctx)); err != nil {
		return nil, grpcErr(err)
	}
	v, err := s.appView(r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.RollbackApplicationResponse{Targets: v.GetTargets()}, nil
}

// WatchApplications streams target changes, starting with the current state.
func (s *Admin) WatchApplications(r *pb.WatchApplicationsRequest, stream pb.ApplicationService_WatchApplicationsServer) error {
	w := s.Hub.Events.subscribe(r.GetName())
	defer s.Hub.Events.unsubscribe(w)
	ts, err := s.Hub.Store.ListTargets(r.GetName())
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

// CreateProject stores a project.
func (s *Admin) CreateProject(_ context.Context, r *pb.CreateProjectRequest) (*pb.CreateProjectResponse, error) {
	p := r.GetProject()
	if p == nil || !dnsName.MatchString(p.GetName()) {
		return nil, invalid("project name %q: want a DNS label", p.GetName())
	}
	if err := validateProject(p); err != nil {
		return nil, err
	}
	if err := s.Hub.Store.PutProject(p, r.GetUpsert()); err != nil {
		return nil, grpcErr(err)
	}
	return &pb.CreateProjectResponse{Project: p}, nil
}

// GetProject reads a project.
func (s *Admin) GetProject(_ context.Context, r *pb.GetProjectRequest) (*pb.GetProjectResponse, error) {
	p, err := s.Hub.Store.GetProject(r.GetName())
	return &pb.GetProjectResponse{Project: p}, grpcErr(err)
}

// ListProjects lists projects.
func (s *Admin) ListProjects(context.Context, *pb.ListProjectsRequest) (*pb.ListProjectsResponse, error) {
	ps, err := s.Hub.Store.ListProjects()
	return &pb.ListProjectsResponse{Projects: ps}, grpcErr(err)
}

// DeleteProject deletes a project no application uses.
func (s *Admin) DeleteProject(_ context.Context, r *pb.DeleteProjectRequest) (*pb.DeleteProjectResponse, error) {
	apps, err := s.Hub.Store.ListApplications()
	if err != nil {
		return nil, grpcErr(err)
	}
	for _, a := range apps {
		if a.GetProject() == r.GetName() {
			return nil, status.Errorf(codes.FailedPrecondition, "project %s is used by application %s", r.GetName(), a.GetName())
		}
	}
	return &pb.DeleteProjectResponse{}, grpcErr(s.Hub.Store.DeleteProject(r.GetName()))
}

// NewToken returns a random token with a prefix naming its kind.
func NewToken(prefix string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// AddCluster registers a cluster and returns its spoke token (once).
func (s *Admin) AddCluster(_ context.Context, r *pb.AddClusterRequest) (*pb.AddClusterResponse, error) {
	if !dnsName.MatchString(r.GetName()) {
		return nil, invalid("cluster name %q: want a DNS label", r.GetName())
	}
	token, err := NewToken("flts_")
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	c := &pb.Cluster{Name: r.GetName(), Labels: r.GetLabels(), CreatedAt: timestamppb.Now(), State: pb.ConnectionState_CONNECTION_STATE_DISCONNECTED}
	if err := s.Hub.Store.AddCluster(c, token); err != nil {
		return nil, grpcErr(err)
	}
	s.reconcileAll()
	return &pb.AddClusterResponse{Cluster: c, Token: token}, nil
}

// reconcileAll re-evaluates every application (cluster set changed).
func (s *Admin) reconcileAll() {
	apps, err := s.Hub.Store.ListApplications()
	if err != nil {
		s.Hub.log.Warn("list applications", "err", err)
		return
	}
	for _, a := range apps {
		s.reconcileLater(a.GetName())
	}
}

// GetCluster reads a cluster.
func (s *Admin) GetCluster(_ context.Context, r *pb.GetClusterRequest) (*pb.GetClusterResponse, error) {
	c, err := s.Hub.Store.GetCluster(r.GetName())
	return &pb.GetClusterResponse{Cluster: c}, grpcErr(err)
}

// ListClusters lists clusters matching a label selector.
func (s *Admin) ListClusters(_ context.Context, r *pb.ListClustersRequest) (*pb.ListClustersResponse, error) {
	cs, err := s.Hub.Store.ListClusters()
	if err != nil {
		return nil, grpcErr(err)
	}
	out := &pb.ListClustersResponse{}
	for _, c := range cs {
		if controller.Matches(r.GetSelector(), c.GetLabels()) {
			out.Clusters = append(out.Clusters, c)
		}
	}
	return out, nil
}

// RemoveCluster unregisters a cluster; its token stops working.
func (s *Admin) RemoveCluster(_ context.Context, r *pb.RemoveClusterRequest) (*pb.RemoveClusterResponse, error) {
	if err := s.Hub.Store.RemoveCluster(r.GetName()); err != nil {
		return nil, grpcErr(err)
	}
	s.Hub.Spokes.Disconnect(r.GetName(), status.Errorf(codes.Unauthenticated, "cluster %s was removed", r.GetName()))
	s.reconcileAll()
	return &pb.RemoveClusterResponse{}, nil
}

// RotateClusterToken issues a new spoke token; the old one stops working.
func (s *Admin) RotateClusterToken(_ context.Context, r *pb.RotateClusterTokenRequest) (*pb.RotateClusterTokenResponse, error) {
	token, err := NewToken("flts_")
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if err := s.Hub.Store.RotateClusterToken(r.GetName(), token); err != nil {
		return nil, grpcErr(err)
	}
	s.Hub.Spokes.Disconnect(r.GetName(), status.Errorf(codes.Unauthenticated, "the token of cluster %s was rotated", r.GetName()))
	return &pb.RotateClusterTokenResponse{Token: token}, nil
}
