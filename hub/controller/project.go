package controller

import (
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	"github.com/flotilla-gitops/flotilla/pkg/policy"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// project returns the application's project; nil for none or "default"
// (Argo CD's project that allows everything).
func (c *Controller) project(a *pb.Application) (*pb.Project, error) {
	pn := a.GetProject()
	if pn == "" || pn == "default" {
		return nil, nil
	}
	p, err := c.store.GetProject(pn)
	if err != nil {
		return nil, fmt.Errorf("application %s: %w", a.GetName(), err)
	}
	return p, nil
}

// checkSource enforces the project's allowed repositories (globs; none
// listed means none allowed, as Argo CD).
func checkSource(p *pb.Project, repo string) error {
	return wire.ProjectFromPB(p).CheckSource(repo)
}

// checkSources checks every source of a against the project.
func checkSources(p *pb.Project, a *pb.Application) error {
	for i, s := range wire.Sources(a) {
		if err := checkSource(p, s.GetRepoUrl()); err != nil {
			return sourceErr(a, i, err)
		}
	}
	return nil
}

// maxNamedRefusals bounds the objects one refusal names.
const maxNamedRefusals = 10

// checkPlan enforces the project's rules on every object the plan creates
// or changes: applies, hooks of every phase, the Namespace CreateNamespace
// adds, custom resources. scope is the cluster's (discovery, Kubernetes'
// own kinds, the plan's CRDs). Prunes remove what an earlier plan applied
// and are not checked here (the spoke's guardrails still are).
func checkPlan(rules *policy.Rules, p *plan.Plan, scope plan.ScopeFunc) error {
	if rules == nil {
		return nil
	}
	var errs []error
	for _, st := range p.Steps {
		for _, a := range st.Actions {
			if err := checkAction(rules, st, a, scope); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > maxNamedRefusals {
		errs = append(errs[:maxNamedRefusals], fmt.Errorf("and %d more objects", len(errs)-maxNamedRefusals))
	}
	return errors.Join(errs...)
}

func checkAction(rules *policy.Rules, st plan.Step, a plan.Action, scope plan.ScopeFunc) error {
	switch {
	case a.Action == plan.Prune:
		return nil
	case a.AutoCreated:
		return rules.CheckNamespace(a.Name)
	}
	gk := schema.FromAPIVersionAndKind(a.APIVersion, a.Kind).GroupKind()
	namespaced, known := scope(gk)
	if !known {
		namespaced = a.Namespace != ""
	}
	return rules.Check(policy.Object{GroupKind: gk, Namespaced: namespaced, Namespace: a.Namespace,
		Name: nameOrGenerate(a), What: describeAction(st, a)})
}

// describeAction names an action's object for a refusal: "PreSync hook
// ClusterRoleBinding admin" or "Deployment team-a/web".
func describeAction(st plan.Step, a plan.Action) string {
	name := nameOrGenerate(a)
	if a.Namespace != "" {
		name = a.Namespace + "/" + name
	}
	if a.Action == plan.Hook {
		return fmt.Sprintf("%s hook %s %s", st.Phase, a.Kind, name)
	}
	return a.Kind + " " + name
}

func nameOrGenerate(a plan.Action) string {
	if a.Name == "" {
		return a.GenerateName + "*"
	}
	return a.Name
}

// servedScope is the scope of kinds as the cluster's spoke reported them
// (nil before it did), decoded once per report.
func (c *Controller) servedScope(cluster string) (plan.ScopeFunc, error) {
	if f, ok := c.scopes.Load(cluster); ok {
		return f.(plan.ScopeFunc), nil
	}
	d, err := c.store.GetDiscovery(cluster)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	kinds := wire.KindsFromPB(d.GetKinds())
	f := plan.ScopeFunc(func(gk schema.GroupKind) (bool, bool) {
		ns, ok := kinds[gk]
		return ns, ok
	})
	c.scopes.Store(cluster, f)
	return f, nil
}
