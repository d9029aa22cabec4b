package server

import (
	"context"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// UpdateCluster sets and removes a cluster's labels (kubectl label),
// then re-plans every application: one selecting clusters by label may
// gain or lose this cluster as a target.
func (s *Admin) UpdateCluster(_ context.Context, r *pb.UpdateClusterRequest) (*pb.UpdateClusterResponse, error) {
	if err := validateLabelChange(r); err != nil {
		return nil, err
	}
	var out *pb.Cluster
	err := s.Core.Store.UpdateCluster(r.GetName(), func(c *pb.Cluster) {
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		for _, k := range r.GetRemoveLabels() {
			delete(c.Labels, k)
		}
		for k, v := range r.GetSetLabels() {
			c.Labels[k] = v
		}
		out = c
	})
	if err != nil {
		return nil, grpcErr(err)
	}
	s.reconcileAll()
	return &pb.UpdateClusterResponse{Cluster: out}, nil
}

// validateLabelChange refuses, naming it, a label that is not Kubernetes
// label syntax, and a key both set and removed.
func validateLabelChange(r *pb.UpdateClusterRequest) error {
	if r.GetName() == "" {
		return invalid("name: required")
	}
	if len(r.GetSetLabels()) == 0 && len(r.GetRemoveLabels()) == 0 {
		return invalid("cluster %s: no label to set or remove", r.GetName())
	}
	keys := make([]string, 0, len(r.GetSetLabels()))
	for k := range r.GetSetLabels() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return invalid("cluster %s: setLabels key %q: %s", r.GetName(), k, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(r.GetSetLabels()[k]); len(errs) > 0 {
			return invalid("cluster %s: setLabels %s value %q: %s", r.GetName(), k, r.GetSetLabels()[k], strings.Join(errs, "; "))
		}
	}
	for _, k := range r.GetRemoveLabels() {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return invalid("cluster %s: removeLabels key %q: %s", r.GetName(), k, strings.Join(errs, "; "))
		}
		if _, ok := r.GetSetLabels()[k]; ok {
			return invalid("cluster %s: label %s both set and removed", r.GetName(), k)
		}
	}
	return nil
}
