package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"

	"github.com/flotilla-gitops/flotilla/hub/validate"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flotilla-gitops/flotilla/hub/controller"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

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
	if err := validate.Label("cluster", r.GetName()); err != nil {
		return nil, err
	}
	token, err := NewToken("flts_")
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	c := &pb.Cluster{Name: r.GetName(), Labels: r.GetLabels(), CreatedAt: timestamppb.Now(), State: pb.ConnectionState_CONNECTION_STATE_DISCONNECTED}
	if err := s.Core.Store.AddCluster(c, token); err != nil {
		return nil, grpcErr(err)
	}
	s.reconcileAll()
	return &pb.AddClusterResponse{Cluster: c, Token: token}, nil
}

// reconcileAll re-evaluates every application and ApplicationSet (the
// cluster set changed).
func (s *Admin) reconcileAll() { s.Ctrl.ClustersChanged() }

// GetCluster reads a cluster.
func (s *Admin) GetCluster(_ context.Context, r *pb.GetClusterRequest) (*pb.GetClusterResponse, error) {
	c, err := s.Core.Store.GetCluster(r.GetName())
	return &pb.GetClusterResponse{Cluster: c}, grpcErr(err)
}

// ListClusters lists clusters matching a label selector.
func (s *Admin) ListClusters(ctx context.Context, r *pb.ListClustersRequest) (*pb.ListClustersResponse, error) {
	cs, err := s.Core.Store.ListClusters()
	if err != nil {
		return nil, grpcErr(err)
	}
	out := &pb.ListClustersResponse{}
	for _, c := range cs {
		if controller.Matches(r.GetSelector(), c.GetLabels()) && canGet(ctx, "clusters", c.GetName()) {
			out.Clusters = append(out.Clusters, c)
		}
	}
	return out, nil
}

// RemoveCluster unregisters a cluster; its token stops working.
func (s *Admin) RemoveCluster(_ context.Context, r *pb.RemoveClusterRequest) (*pb.RemoveClusterResponse, error) {
	if err := s.Core.Store.RemoveCluster(r.GetName()); err != nil {
		return nil, grpcErr(err)
	}
	s.Core.Spokes.Disconnect(r.GetName(), status.Errorf(codes.Unauthenticated, "cluster %s was removed", r.GetName()))
	s.reconcileAll()
	return &pb.RemoveClusterResponse{}, nil
}

// RotateClusterToken issues a new spoke token; the old one stops working.
func (s *Admin) RotateClusterToken(_ context.Context, r *pb.RotateClusterTokenRequest) (*pb.RotateClusterTokenResponse, error) {
	token, err := NewToken("flts_")
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if err := s.Core.Store.RotateClusterToken(r.GetName(), token); err != nil {
		return nil, grpcErr(err)
	}
	s.Core.Spokes.Disconnect(r.GetName(), status.Errorf(codes.Unauthenticated, "the token of cluster %s was rotated", r.GetName()))
	return &pb.RotateClusterTokenResponse{Token: token}, nil
}
