package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/internal/manifest"
	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/object"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// planFor returns the target's plan, the hash of its desired content
// (everything but prunes, which depend on what ran before) and the
// inventory it leaves behind.
func (c *Controller) planFor(ctx context.Context, a *pb.Application, proj *pb.Project, cl *pb.Cluster, commit string, mods planMods) (*pb.Plan, string, []store.InventoryItem, error) {
	objs, _, err := c.renderSplit(ctx, a, cl, commit)
	if err != nil {
		return nil, "", nil, err
	}
	return c.planObjects(a, proj, cl, objs, commit, mods)
}

// renderSplit renders a target's source and splits what it renders into
// the objects to deploy and the applications, projects and sets it
// declares (app of apps), which never go to a cluster.
func (c *Controller) renderSplit(ctx context.Context, a *pb.Application, cl *pb.Cluster, revision string) (objs, children []*unstructured.Unstructured, err error) {
	revs, err := wire.SplitRevision(a, revision)
	if err != nil {
		return nil, nil, err
	}
	refs := refsOf(a, revs)
	var all []*unstructured.Unstructured
	for i, s := range wire.Sources(a) {
		if !wire.Renders(a, s) {
			continue
		}
		var out []*unstructured.Unstructured
		if isChart(s) {
			out, err = c.renderChart(ctx, a, s, cl, revs[i], refs)
		} else {
			out, err = c.renderGit(ctx, a, s, cl, revs[i], refs)
		}
		if err != nil {
			return nil, nil, sourceErr(a, i, err)
		}
		all = append(all, out...)
	}
	objs = all[:0]
	for _, u := range all {
		if manifest.IsConfigKind(u.GetAPIVersion(), u.GetKind()) {
			children = append(children, u)
		} else {
			objs = append(objs, u)
		}
	}
	return objs, children, nil
}

// planObjects plans a target's rendered objects.
func (c *Controller) planObjects(a *pb.Application, proj *pb.Project, cl *pb.Cluster, objs []*unstructured.Unstructured, commit string, mods planMods) (*pb.Plan, string, []store.InventoryItem, error) {
	pol := a.GetSyncPolicy()
	opts := plan.Options{Prune: pol.GetPrune(), Namespace: expand(a.GetDestination().GetNamespace(), cl), RequireScope: true}
	for k, v := range pol.GetOptions() {
		if err := opts.SetSyncOption(k + "=" + v); err != nil {
			return nil, "", nil, err
		}
	}
	opts.Only, opts.PruneConfirmed = mods.only, mods.confirmPrune
	live, err := c.previousInventory(a.GetName(), cl.GetName())
	if err != nil {
		return nil, "", nil, err
	}
	served, err := c.servedScope(cl.GetName())
	if err != nil {
		return nil, "", nil, err
	}
	opts.Scope = plan.NewScope(objs, served)
	p, err := plan.Compute(objs, live, opts)
	if errors.Is(err, plan.ErrUnknownScope) && served == nil {
		err = fmt.Errorf("%w (cluster %s's spoke has not reported the kinds it serves yet)", err, cl.GetName())
	}
	if err != nil {
		return nil, "", nil, err
	}
	rules := wire.ProjectFromPB(proj).ForCluster(cl.GetName())
	if err := checkPlan(rules, p, opts.Scope); err != nil {
		return nil, "", nil, err
	}
	var inventory []store.InventoryItem
	for _, act := range p.Actions() {
		if act.Action == plan.Apply && !act.AutoCreated {
			inventory = append(inventory, inventoryItem(act.Object))
		}
	}
	kept := map[object.ID]bool{}
	for _, r := range p.Extraneous {
		kept[object.IDFor(r.APIVersion, r.Kind, r.Namespace, r.Name)] = true
	}
	for _, u := range live { // kept objects stay in the inventory, annotations and all
		if kept[object.IDOf(u)] || !plan.Selected(mods.only, object.IDOf(u)) {
			inventory = append(inventory, inventoryItem(u))
		}
	}
	msg, err := wire.PlanToProto(p)
	if err != nil {
		return nil, "", nil, err
	}
	msg.Application, msg.Cluster, msg.Revision = a.GetName(), cl.GetName(), commit
	msg.Options = planOptions(a, opts)
	msg.Ignore = a.GetIgnoreDifferences()
	msg.Rules = wire.RulesToPB(rules)
	// The hash covers what the spoke does, options and rules included, and
	// whom for: plans are stored by hash, so two targets never share one.
	msg.Hash = planHash(p.Hash+"|"+a.GetName()+"|"+cl.GetName()+"|"+commit, msg)
	return msg, contentHash(p, msg), inventory, nil
}

// previousInventory returns the objects the target's current plan applies:
// none before its first plan. Any other store error fails the planning
// (the last good plan stays): a plan made without the inventory would
// prune nothing and forget what runs.
func (c *Controller) previousInventory(app, cluster string) ([]*unstructured.Unstructured, error) {
	d, err := c.store.GetDesired(app, cluster)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("%s on %s: previous inventory: %w", app, cluster, err)
	}
	return inventoryObjects(d.Inventory), nil
}

// contentHash hashes the plan's non-prune actions with its options: it
// changes when Git or the application changes, not when the inventory does.
func contentHash(p *plan.Plan, msg *pb.Plan) string {
	var b strings.Builder
	for _, a := range p.Actions() {
		if a.Action != plan.Prune {
			fmt.Fprintf(&b, "%s|%s|%s|%s|%s|%v;", a.Action, a.Kind, a.Namespace, a.Name, a.Hash, a.DeletePolicies)
		}
	}
	return planHash(object.HashBytes([]byte(b.String())), msg)
}

func planOptions(a *pb.Application, o plan.Options) *pb.PlanOptions {
	opt := a.GetSyncPolicy().GetOptions()
	is := func(k string, want bool) bool { // options were validated: true|false
		b, err := strconv.ParseBool(opt[k])
		return err == nil && b == want
	}
	return &pb.PlanOptions{Prune: o.Prune, SelfHeal: a.GetSyncPolicy().GetSelfHeal(), PruneLast: o.PruneLast,
		// Objects another application tracks are refused unless asked for.
		TakeOverSharedResources:     is("FailOnSharedResource", false),
		SkipDryRunOnMissingResource: o.SkipMissingResource,
		Replace:                     is("Replace", true), Force: is("Force", true),
		// Validate=false and ClientSideApplyMigration=false for every object.
		DisableValidation:               is("Validate", false),
		DisableClientSideApplyMigration: is("ClientSideApplyMigration", false),
		CreateNamespace:                 o.CreateNamespace, ApplyOutOfSyncOnly: is("ApplyOutOfSyncOnly", true),
		RespectIgnoreDifferences: is("RespectIgnoreDifferences", true),
		// A sync takes Git's fields back from other managers, as Argo CD's
		// server-side apply does (--force-conflicts); ForceConflicts=false opts out.
		ForceConflicts:         !is("ForceConflicts", false),
		PrunePropagationPolicy: strings.ToLower(opt["PrunePropagationPolicy"]), DefaultNamespace: o.Namespace,
		WaveTimeoutSeconds: a.GetSyncPolicy().GetWaveTimeoutSeconds()}
}

// planHash hashes the engine's plan hash with what the hub adds: options,
// ignore rules and project rules.
func planHash(engine string, msg *pb.Plan) string {
	b, err := json.Marshal(struct {
		Engine string
		Opts   *pb.PlanOptions
		Ignore []*pb.IgnoreDifference
		Rules  *pb.ProjectRules `json:",omitempty"`
	}{engine, msg.GetOptions(), msg.GetIgnore(), msg.GetRules()})
	if err != nil {
		return engine
	}
	return object.HashBytes(b)
}

// pruneAnnotations are the annotations that decide how an object is
// pruned; the inventory keeps them so the next plan honours them.
var pruneAnnotations = []string{plan.AnnotationSyncWave, plan.AnnotationHelmWeight, plan.AnnotationSyncOptions,
	plan.AnnotationHook, plan.AnnotationHelmHook}

func inventoryItem(u *unstructured.Unstructured) store.InventoryItem {
	it := store.InventoryItem{APIVersion: u.GetAPIVersion(), Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName()}
	for _, k := range pruneAnnotations {
		if v, ok := u.GetAnnotations()[k]; ok {
			if it.Annotations == nil {
				it.Annotations = map[string]string{}
			}
			it.Annotations[k] = v
		}
	}
	return it
}

func inventoryObjects(items []store.InventoryItem) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, 0, len(items))
	for _, it := range items {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(it.APIVersion)
		u.SetKind(it.Kind)
		u.SetNamespace(it.Namespace)
		u.SetName(it.Name)
		if len(it.Annotations) > 0 {
			u.SetAnnotations(it.Annotations)
		}
		out = append(out, u)
	}
	return out
}
