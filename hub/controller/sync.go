package controller

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// SyncRequest is a manual sync with Argo CD's overrides (argocd app sync
// --revision, --prune, --dry-run, --sync-option, --resource).
type SyncRequest struct {
	App, By      string
	Clusters     []string // all targets when empty
	Revision     string   // another revision than the application's (manual sync policy only)
	Prune        bool     // prune for this sync even if the policy does not
	DryRun       bool     // compute the plans, assign nothing
	Options      map[string]string
	Only         []plan.Selector // selective sync
	ConfirmPrune bool            // run the prunes Prune=confirm holds
}

// Planned is one target's plan of a sync.
type Planned struct {
	Cluster string
	Plan    *pb.Plan
}

// planMods change how a target's plan is computed for one sync.
type planMods struct {
	only         []plan.Selector
	confirmPrune bool
}

// effective returns the application as this sync sees it (overrides
// applied) and the plan changes the overrides make.
func (r SyncRequest) effective(a *pb.Application) (*pb.Application, planMods, error) {
	if r.Revision != "" && a.GetSyncPolicy().GetAutomated() {
		return nil, planMods{}, fmt.Errorf("application %s: cannot sync to revision %s: automated sync is enabled and would return it to %q (disable it first)",
			a.GetName(), r.Revision, wire.TargetRevision(a))
	}
	eff := proto.Clone(a).(*pb.Application)
	if eff.Source == nil {
		eff.Source = &pb.ApplicationSource{}
	}
	if eff.SyncPolicy == nil {
		eff.SyncPolicy = &pb.SyncPolicy{}
	}
	if r.Revision != "" {
		revs, err := wire.SplitRevision(eff, r.Revision)
		if err != nil {
			return nil, planMods{}, err
		}
		for i, s := range wire.Sources(eff) {
			s.TargetRevision = revs[i]
		}
	}
	if r.Prune {
		eff.SyncPolicy.Prune = true
	}
	for k, v := range r.Options { // checked by the API (and again when planned)
		if eff.SyncPolicy.Options == nil {
			eff.SyncPolicy.Options = map[string]string{}
		}
		eff.SyncPolicy.Options[k] = v
	}
	return eff, planMods{only: r.Only, confirmPrune: r.ConfirmPrune}, nil
}

// changesContent says whether the overrides change what is deployed (as
// opposed to how): a target synced at another revision or in part stays
// OutOfSync with Git.
func (r SyncRequest) changesContent() bool { return r.Revision != "" || len(r.Only) > 0 }

// Sync assigns the plan of an application's targets (all, or the named
// clusters) whatever its sync policy: a manual sync. A dry run returns the
// plans without assigning them.
func (c *Controller) Sync(ctx context.Context, r SyncRequest) ([]Planned, error) {
	if r.DryRun {
		// Only the newest Git: a dry run assigns nothing, not even what
		// automated sync would on a reconcile.
		if err := c.fetchFor(ctx, r.App); err != nil {
			return nil, err
		}
	} else if err := c.Reconcile(ctx, r.App); err != nil {
		return nil, err
	}
	unlock := c.lockApp(r.App)
	defer unlock()
	a, err := c.store.GetApplication(r.App)
	if err != nil {
		return nil, err
	}
	eff, mods, err := r.effective(a)
	if err != nil {
		return nil, err
	}
	targets, _, err := c.targets(ctx, eff, nil, mods)
	if err != nil {
		return nil, err
	}
	if !r.DryRun && !a.GetSyncPolicy().GetAutomated() {
		// Syncing a parent declares its children (app of apps).
		c.recordConditions(a, c.declareChildren(ctx, eff, targets, nil, conditionsOf(eff, targets, nil, nil, c.now()), true))
	}
	chosen, err := c.manualTargets(a, targets, r.Clusters, !r.DryRun)
	if err != nil {
		return nil, err
	}
	out := make([]Planned, 0, len(chosen))
	for _, t := range chosen {
		out = append(out, Planned{Cluster: t.cluster.GetName(), Plan: t.plan})
	}
	if r.DryRun {
		return out, nil
	}
	if !r.changesContent() {
		// The same objects as Git's, synced another way: Synced with Git.
		normal, _, err := c.targets(ctx, a, nil, planMods{})
		if err != nil {
			return nil, err
		}
		contentOf := map[string]string{}
		for _, t := range normal {
			contentOf[t.cluster.GetName()] = t.content
		}
		for i := range chosen {
			if ct := contentOf[chosen[i].cluster.GetName()]; ct != "" {
				chosen[i].content = ct
			}
		}
	}
	for _, t := range chosen {
		if err := c.assign(a, t, r.By); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// manualTargets picks the targets a manual sync names (all when none) and
// checks, before any is assigned, that each has a plan and (windows) that
// no sync window holds it.
func (c *Controller) manualTargets(a *pb.Application, targets []target, clusters []string, windows bool) ([]target, error) {
	want := map[string]bool{}
	for _, n := range clusters {
		want[n] = true
	}
	var out []target
	for _, t := range targets {
		if len(want) > 0 && !want[t.cluster.GetName()] {
			continue
		}
		if t.err != nil {
			return nil, fmt.Errorf("%s on %s: %w", a.GetName(), t.cluster.GetName(), t.err)
		}
		if windows {
			if err := c.checkManualWindow(a, t.cluster.GetName()); err != nil {
				return nil, err
			}
		}
		out = append(out, t)
	}
	if len(want) > 0 && len(out) != len(want) {
		return nil, fmt.Errorf("%s: some of the clusters %v are not targets of the application", a.GetName(), clusters)
	}
	return out, nil
}

// fetchFor brings an application's repository up to date without
// reconciling it.
func (c *Controller) fetchFor(ctx context.Context, app string) error {
	a, err := c.store.GetApplication(app)
	if err != nil {
		return err
	}
	if err := c.fetchSource(ctx, a, 0); err != nil {
		c.log.Warn("fetch failed", "app", app, "err", err)
	}
	return nil
}
