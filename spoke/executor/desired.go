package executor

import (
	"context"
	"errors"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/pkg/plan"
	"github.com/flotilla-gitops/flotilla/pkg/policy"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/apply"
	"github.com/flotilla-gitops/flotilla/spoke/guard"
)

// Desired returns the objects the target's plan applies (not hooks, not
// the CreateNamespace namespace), as applied: namespace resolved, tracking
// annotation and managed label set. Objects the guardrails refuse are left
// out; their step fails when it runs.
func (e *Executor) Desired(ctx context.Context, t *Target) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, st := range t.Plan.Steps {
		for _, a := range st.Actions {
			if a.Action != plan.Apply || a.AutoCreated {
				continue
			}
			obj, err := e.resolve(ctx, t, a)
			if err != nil {
				continue
			}
			out = append(out, apply.Track(t.App, obj))
		}
	}
	return out
}

// Check returns an error naming every object of the plan (applied, hook or
// pruned) that the guardrails or the plan's project rules refuse: the
// spoke refuses such a plan as a whole, before running anything. Other
// problems (an unreachable API server) are left for the run to report.
func (e *Executor) Check(ctx context.Context, p *plan.Plan, msg *pb.Plan) error {
	t := &Target{Proto: &pb.Plan{Options: msg.GetOptions(), Rules: msg.GetRules()}, results: newResults()}
	var errs []error
	for _, st := range p.Steps {
		for _, a := range st.Actions {
			if a.Action != plan.Prune {
				if _, err := e.resolve(ctx, t, a); errors.Is(err, guard.ErrRefused) || errors.Is(err, policy.ErrDenied) {
					errs = append(errs, err)
				}
				continue
			}
			gvk := schema.FromAPIVersionAndKind(a.APIVersion, a.Kind)
			namespaced, known, err := e.Cluster.Namespaced(ctx, gvk)
			if err != nil {
				continue // not a guardrail question: the run reports it
			}
			if !known {
				namespaced = a.Namespace != ""
			}
			if err := e.checkGuard(gvk.GroupKind(), a.Namespace, a.Name, namespaced); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return joinErrors(errs)
}
