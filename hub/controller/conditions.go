package controller

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/pkg/policy"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Condition types, Argo CD's names.
const (
	// CondInvalidSpec: the application cannot work as written (no cluster
	// matches its destination, its project is missing or refuses it).
	CondInvalidSpec = "InvalidSpecError"
	// CondComparison: the desired state cannot be computed (repository
	// unreachable, revision or path not found, render failed).
	CondComparison = "ComparisonError"
)

// conditionsOf derives an application's conditions from one reconcile:
// fatal is the error that stopped it, srcErr why its source cannot be
// read. A target error every target shares is the application's.
func conditionsOf(a *pb.Application, targets []target, srcErr, fatal error, now time.Time) []store.Condition {
	cond := func(err error, cluster string) store.Condition {
		typ := CondComparison
		if errors.Is(err, policy.ErrDenied) || errors.Is(err, store.ErrNotFound) {
			typ = CondInvalidSpec
		}
		return store.Condition{Type: typ, Message: err.Error(), Cluster: cluster, Since: now}
	}
	if fatal != nil {
		return []store.Condition{cond(fatal, "")}
	}
	var out []store.Condition
	if len(targets) == 0 {
		out = append(out, store.Condition{Type: CondInvalidSpec, Message: noClusterMessage(a), Since: now})
		if srcErr != nil {
			out = append(out, cond(srcErr, ""))
		}
		return out
	}
	if srcErr != nil { // the same for every target
		return []store.Condition{cond(srcErr, "")}
	}
	for _, t := range targets {
		if t.err != nil {
			out = append(out, cond(t.err, t.cluster.GetName()))
		}
	}
	return out
}

func noClusterMessage(a *pb.Application) string {
	d := a.GetDestination()
	var parts []string
	if len(d.GetClusters()) > 0 {
		parts = append(parts, "clusters "+strings.Join(d.GetClusters(), ", "))
	}
	if sel := d.GetClusterSelector(); len(sel) > 0 {
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(sel)) {
			kv = append(kv, k+"="+sel[k])
		}
		parts = append(parts, "clusterSelector "+strings.Join(kv, ","))
	}
	return fmt.Sprintf("no registered cluster matches the destination (%s): register it with `flotilla cluster add` or fix destination", strings.Join(parts, "; "))
}

// recordConditions stores an application's conditions and logs the new
// ones: a user who sees nothing in `app get` finds the reason in the log.
func (c *Controller) recordConditions(a *pb.Application, conds []store.Condition) {
	added, err := c.store.SetConditions(a.GetName(), conds)
	if err != nil {
		c.log.Warn("store conditions", "app", a.GetName(), "err", err)
		return
	}
	for _, cd := range added {
		c.log.Warn("application condition", "app", a.GetName(), "type", cd.Type, "cluster", cd.Cluster, "message", cd.Message)
	}
}

// Conditions returns an application's conditions for the API.
func (c *Controller) Conditions(app string) ([]*pb.ApplicationCondition, error) {
	conds, err := c.store.GetConditions(app)
	if err != nil {
		return nil, err
	}
	out := make([]*pb.ApplicationCondition, 0, len(conds))
	for _, cd := range conds {
		out = append(out, &pb.ApplicationCondition{Type: cd.Type, Message: cd.Message, Cluster: cd.Cluster, LastTransitionTime: timestamppb.New(cd.Since)})
	}
	return out, nil
}
