package server

import (
	"context"
	"errors"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/diff"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// planDiffs compares a plan's objects with those of the plan the target
// runs now: what syncing it would change, object by object.
func (s *Admin) planDiffs(ctx context.Context, app, cluster string, next *pb.Plan) ([]*pb.ObjectDiff, string, error) {
	var cur []*unstructured.Unstructured
	curHash := ""
	d, err := s.Core.Store.GetDesired(app, cluster)
	switch {
	case err == nil:
		p, err := s.Core.Store.GetPlan(d.PlanHash)
		if err != nil {
			return nil, "", err
		}
		if cur, err = appliedObjects(p); err != nil {
			return nil, "", err
		}
		curHash = d.PlanHash
	case !errors.Is(err, store.ErrNotFound):
		return nil, "", err
	}
	nextObjs, err := appliedObjects(next)
	if err != nil {
		return nil, "", err
	}
	results, err := diff.CompareAll(ctx, nextObjs, cur, diff.Options{Ignore: wire.IgnoreFromPB(next.GetIgnore())})
	if err != nil {
		return nil, "", err
	}
	var out []*pb.ObjectDiff
	for _, r := range results {
		if r.Status == diff.Synced {
			continue
		}
		out = append(out, &pb.ObjectDiff{Cluster: cluster, Ref: &pb.ObjectRef{ApiVersion: r.APIVersion, Kind: r.ID.Kind, Namespace: r.ID.Namespace, Name: r.ID.Name},
			Sync: pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC, Diff: r.Diff})
	}
	return out, curHash, nil
}

// appliedObjects are the objects a plan applies (hooks run, they do not stay).
func appliedObjects(p *pb.Plan) ([]*unstructured.Unstructured, error) {
	pl, err := wire.PlanFromProto(p)
	if err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	for _, a := range pl.Actions() {
		if a.Action == plan.Apply && !a.AutoCreated {
			out = append(out, a.Object)
		}
	}
	return out, nil
}
