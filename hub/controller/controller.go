// Package controller turns applications into plans: it resolves each
// application's revision, renders once per distinct input (re-using the
// previous render when no path it read changed), computes one plan per
// target cluster and, for automated applications, assigns it.
package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"golang.org/x/sync/singleflight"
	"google.golang.org/protobuf/types/known/timestamppb"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/util/workqueue"

	"github.com/flotilla-gitops/flotilla/hub/source"
	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/internal/keylock"
	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/object"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	"github.com/flotilla-gitops/flotilla/pkg/render"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Options configure a controller.
type Options struct {
	PollInterval  time.Duration // per repository; Argo CD's default is 3 minutes
	RenderWorkers int
	RenderTimeout time.Duration
	KubeVersion   string // Helm capabilities when a cluster reports none
	Renderer      Renderer
	FetchTimeout  time.Duration // one Git fetch; a hung server stalls only its repository
}

// DefaultOptions are the hub's defaults.
func DefaultOptions() Options {
	return Options{PollInterval: 3 * time.Minute, RenderWorkers: 4, RenderTimeout: 2 * time.Minute, KubeVersion: render.DefaultKubeVersion,
		FetchTimeout: 2 * time.Minute}
}

// Notifier is told when a cluster's desired state changed or an event
// happened; the stream layer implements it.
type Notifier interface {
	DesiredChanged(cluster, app string)
	TargetRemoved(cluster, app string, prune bool)
	TargetUpdated(t *pb.TargetStatus)
}

// Controller reconciles applications.
type Controller struct {
	opts   Options
	store  *store.Store
	git    *source.Cache
	notify Notifier
	log    *slog.Logger
	sem    chan struct{}
	now    func() time.Time

	kicks   chan struct{}
	mu      sync.Mutex
	appLock keylock.Locks        // one reconcile of an application at a time
	polled  map[string]time.Time // repo URL → last fetch
	// refreshes and reconciles coalesce requests per repository and per
	// application (refreshq.go).
	refreshes, reconciles workqueue.TypedInterface[string]
	// rediscovered are clusters whose served kinds changed: re-plan them.
	rediscovered map[string]bool
	scopes       sync.Map           // cluster → plan.ScopeFunc of its served kinds
	renders      sync.Map           // render key → *renderMemo: the last render in force, decoded
	memoSize     atomic.Int64       // keys in renders
	renderOnce   singleflight.Group // one render per key and commit at a time

	Stats Stats
}

// Stats count work done, for metrics and tests.
type Stats struct {
	mu      sync.Mutex
	Renders int // renders actually run (not re-used)
	Reuses  int
	Plans   int // plans assigned
}

func (s *Stats) add(renders, reuses, plans int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Renders += renders
	s.Reuses += reuses
	s.Plans += plans
}

// Snapshot returns the counters.
func (s *Stats) Snapshot() (renders, reuses, plans int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Renders, s.Reuses, s.Plans
}

// New creates a controller.
func New(st *store.Store, git *source.Cache, n Notifier, log *slog.Logger, opts Options) *Controller {
	if opts.RenderWorkers <= 0 {
		opts.RenderWorkers = 1
	}
	if opts.FetchTimeout <= 0 {
		opts.FetchTimeout = DefaultOptions().FetchTimeout
	}
	return &Controller{opts: opts, store: st, git: git, notify: n, log: log, sem: make(chan struct{}, opts.RenderWorkers),
		now: time.Now, polled: map[string]time.Time{}, kicks: make(chan struct{}, 1),
		refreshes: newQueue(), reconciles: newQueue()}
}

func (c *Controller) lockApp(name string) func() { return c.appLock.Lock(name) }

// Run polls every repository at the poll interval and reconciles the
// applications that use it, until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	refreshing := make(chan struct{})
	go func() { defer close(refreshing); c.runQueues(ctx) }()
	defer func() { <-refreshing }()
	for {
		apps, err := c.store.ListApplications()
		if err != nil {
			c.log.Error("list applications", "err", err)
		}
		due := map[string]bool{}
		c.mu.Lock()
		for _, a := range apps {
			url := a.GetSource().GetRepoUrl()
			if c.now().Sub(c.polled[url]) >= c.opts.PollInterval {
				due[url] = true
			}
		}
		c.mu.Unlock()
		for url := range due {
			c.mu.Lock()
			c.polled[url] = c.now() // queued: not due again until the interval passed
			c.mu.Unlock()
			c.RefreshLater(url)
		}
		c.replanRediscovered(ctx)
		c.releaseWaiting()
		c.driveRollouts()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-c.kicks:
		}
	}
}

// repo returns the cached repository for url with its stored credentials.
func (c *Controller) repo(url string) *source.Repo {
	var cr source.Credentials
	if r, err := c.store.GetRepository(url); err == nil {
		cr = source.Credentials{Username: r.GetUsername(), Password: r.GetPassword(), SSHKey: r.GetSshPrivateKey(), KnownHosts: r.GetKnownHosts()}
	} else if !errors.Is(err, store.ErrNotFound) {
		c.log.Warn("repository credentials", "repo", url, "err", err)
	}
	return c.git.Repo(url, cr)
}

// Kick asks the loop to re-check gates and rollouts now (a target's status
// changed); kicks coalesce and never block.
func (c *Controller) Kick() {
	select {
	case c.kicks <- struct{}{}:
	default:
	}
}

// Refresh fetches a repository now (webhook, refresh request) and
// reconciles every application using it.
func (c *Controller) Refresh(ctx context.Context, repoURL string) {
	c.mu.Lock()
	c.polled[repoURL] = c.now()
	c.mu.Unlock()
	fetchErr := c.fetch(ctx, repoURL)
	if fetchErr != nil {
		c.log.Warn("fetch failed", "repo", repoURL, "err", fetchErr)
	}
	apps, err := c.store.ListApplications()
	if err != nil {
		c.log.Error("list applications", "err", err)
		return
	}
	// Applications reconcile side by side (each has its own lock), so that
	// their store writes share commits.
	var wg sync.WaitGroup
	sem := make(chan struct{}, refreshParallelism)
	for _, a := range apps {
		if a.GetSource().GetRepoUrl() != repoURL {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := c.reconcile(ctx, a.GetName(), fetchErr); err != nil {
				c.log.Warn("reconcile", "app", a.GetName(), "err", err)
			}
		}()
	}
	wg.Wait()
}

// refreshParallelism bounds the applications a refresh reconciles at once.
const refreshParallelism = 16

// Reconcile fetches an application's repository and reconciles it.
func (c *Controller) Reconcile(ctx context.Context, app string) error {
	a, err := c.store.GetApplication(app)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.polled[a.GetSource().GetRepoUrl()] = c.now()
	c.mu.Unlock()
	return c.reconcile(ctx, app, c.fetch(ctx, a.GetSource().GetRepoUrl()))
}

// Sync assigns the current plan of an application's targets (all, or the
// named clusters) whatever its sync policy: a manual sync.
func (c *Controller) Sync(ctx context.Context, app string, clusters []string, by string) ([]*pb.TargetStatus, error) {
	if err := c.Reconcile(ctx, app); err != nil {
		return nil, err
	}
	unlock := c.lockApp(app)
	defer unlock()
	a, err := c.store.GetApplication(app)
	if err != nil {
		return nil, err
	}
	targets, err := c.targets(ctx, a, nil)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, n := range clusters {
		want[n] = true
	}
	var out []*pb.TargetStatus
	for _, t := range targets {
		if len(want) > 0 && !want[t.cluster.GetName()] {
			continue
		}
		if t.err != nil {
			return nil, fmt.Errorf("%s on %s: %w", app, t.cluster.GetName(), t.err)
		}
		if err := c.assign(a, t, by); err != nil {
			return nil, err
		}
		ts, err := c.store.GetTarget(app, t.cluster.GetName())
		if err != nil {
			return nil, err
		}
		out = append(out, ts)
	}
	if len(want) > 0 && len(out) != len(want) {
		return nil, fmt.Errorf("%s: some of the clusters %v are not targets of the application", app, clusters)
	}
	return out, nil
}

// target is one cluster's computed state for an application.
type target struct {
	cluster   *pb.Cluster
	revision  string
	plan      *pb.Plan
	content   string // hash of what is desired, prunes aside
	inventory []store.InventoryItem
	err       error
}

func (c *Controller) reconcile(ctx context.Context, name string, fetchErr error) error {
	unlock := c.lockApp(name)
	defer unlock()
	a, err := c.store.GetApplication(name)
	if err != nil {
		return err
	}
	targets, err := c.targets(ctx, a, fetchErr)
	if err != nil {
		return err
	}
	// Targets are independent: reconcile them concurrently, so that their
	// store writes share commits.
	var (
		mu       sync.Mutex
		rollout  []*pb.Cluster
		revision string
		errs     []error
		wg       sync.WaitGroup
		sem      = make(chan struct{}, 256)
	)
	for _, t := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func(t target) {
			defer func() { <-sem; wg.Done() }()
			offered, err := c.reconcileTarget(a, t)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if offered {
				rollout, revision = append(rollout, t.cluster), t.revision
			}
		}(t)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	sortClusters(rollout)
	if hasRollout(a) && len(rollout) > 0 {
		all := make([]*pb.Cluster, 0, len(targets))
		for _, t := range targets {
			if t.err == nil {
				all = append(all, t.cluster)
			}
		}
		if err := c.ensureRollout(a, revision, all); err != nil {
			return err
		}
		if err := c.drive(name); err != nil {
			return err
		}
	}
	return c.dropStaleTargets(a, targets)
}

// reconcileTarget updates one target's status and offers its new plan;
// it reports whether a plan was offered.
func (c *Controller) reconcileTarget(a *pb.Application, t target) (bool, error) {
	name := a.GetName()
	cl := t.cluster.GetName()
	d, derr := c.store.GetDesired(name, cl)
	changed := derr != nil || d.ContentHash != t.content
	if t.err != nil {
		// Keep the last good plan; show the error.
		ts, err := c.store.UpdateTarget(name, cl, func(ts *pb.TargetStatus) { ts.Error = t.err.Error() })
		if err != nil {
			return false, err
		}
		c.notify.TargetUpdated(ts)
		return false, nil
	}
	latest := "" // recorded only when it moved
	if derr == nil && d.Latest != t.content {
		latest = t.content
	}
	ts, err := c.store.Reconciled(name, cl, latest, func(ts *pb.TargetStatus) {
		ts.Error = ""
		if changed {
			ts.Sync = pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC
		}
		if ts.Revision == "" {
			ts.Revision = t.revision
		}
	})
	if err != nil {
		return false, err
	}
	c.notify.TargetUpdated(ts)
	switch {
	case a.GetSyncPolicy().GetAutomated() && changed:
		return true, c.offer(a, t)
	case !changed && ts.GetWaiting() != "":
		// Git went back to what runs: nothing waits any more.
		if err := c.store.DeletePending(name, cl); err != nil {
			return false, err
		}
		return false, c.setWaiting(name, cl, "", "")
	}
	return false, nil
}

// dropStaleTargets forgets targets whose cluster left the destination.
func (c *Controller) dropStaleTargets(a *pb.Application, targets []target) error {
	keep := map[string]bool{}
	for _, t := range targets {
		keep[t.cluster.GetName()] = true
	}
	existing, err := c.store.ListTargets(a.GetName())
	if err != nil {
		return err
	}
	for _, ts := range existing {
		if !keep[ts.GetCluster()] {
			if err := c.store.DeleteTarget(a.GetName(), ts.GetCluster()); err != nil {
				return err
			}
			c.notify.TargetRemoved(ts.GetCluster(), a.GetName(), false)
		}
	}
	return nil
}

func (c *Controller) assign(a *pb.Application, t target, by string) error {
	d, err := c.store.Assign(a.GetName(), t.cluster.GetName(), t.plan, t.content, t.revision, by, t.inventory, func() *pb.HistoryEntry {
		return &pb.HistoryEntry{StartedAt: timestamppb.New(c.now())}
	})
	if err != nil {
		return err
	}
	ts, err := c.store.UpdateTarget(a.GetName(), t.cluster.GetName(), func(ts *pb.TargetStatus) {
		ts.Revision = t.revision
		// Health is of the new plan from now on: nothing stale gates a rollout.
		ts.Health = pb.Health_HEALTH_PROGRESSING
		ts.Operation = &pb.Operation{Phase: pb.OperationPhase_OPERATION_PHASE_RUNNING, PlanHash: t.plan.GetHash(),
			Revision: t.revision, StartedAt: timestamppb.New(c.now()), TotalSteps: int32(len(t.plan.GetSteps())), Message: "waiting for the spoke"}
	})
	if err != nil {
		return err
	}
	c.Stats.add(0, 0, 1)
	c.log.Info("plan assigned", "app", a.GetName(), "cluster", t.cluster.GetName(), "revision", t.revision, "plan", short(t.plan.GetHash()), "generation", d.Generation)
	c.notify.TargetUpdated(ts)
	c.notify.DesiredChanged(t.cluster.GetName(), a.GetName())
	return nil
}

// targets computes the plan of every target cluster of a.
func (c *Controller) targets(ctx context.Context, a *pb.Application, fetchErr error) ([]target, error) {
	clusters, err := c.store.ListClusters()
	if err != nil {
		return nil, err
	}
	var proj *pb.Project
	if pn := a.GetProject(); pn != "" && pn != "default" {
		if proj, err = c.store.GetProject(pn); err != nil {
			return nil, fmt.Errorf("application %s: %w", a.GetName(), err)
		}
	}
	selected := selectClusters(a, clusters)
	out := make([]target, len(selected))
	url := a.GetSource().GetRepoUrl()
	repo := c.repo(url)
	commit, rerr := repo.Resolve(a.GetSource().GetTargetRevision())
	if rerr != nil && fetchErr != nil {
		rerr = fmt.Errorf("%w (last fetch: %v)", rerr, fetchErr)
	}
	if rerr == nil {
		rerr = checkSource(proj, url)
	}
	for i, cl := range selected {
		out[i] = target{cluster: cl, revision: commit.String(), err: rerr}
		if rerr != nil {
			continue
		}
		out[i].plan, out[i].content, out[i].inventory, out[i].err = c.planFor(ctx, a, proj, cl, repo, commit.String())
	}
	return out, nil
}

// planFor returns the target's plan, the hash of its desired content
// (everything but prunes, which depend on what ran before) and the
// inventory it leaves behind.
func (c *Controller) planFor(ctx context.Context, a *pb.Application, proj *pb.Project, cl *pb.Cluster, repo *source.Repo, commit string) (*pb.Plan, string, []store.InventoryItem, error) {
	kube := cl.GetKubeVersion()
	if kube == "" {
		kube = c.opts.KubeVersion
	}
	src := renderSource(a, cl, kube)
	objs, err := c.render(ctx, repo, commit, src, a.GetSource().GetRepoUrl())
	if err != nil {
		return nil, "", nil, err
	}
	pol := a.GetSyncPolicy()
	opts := plan.Options{Prune: pol.GetPrune(), Namespace: expand(a.GetDestination().GetNamespace(), cl), RequireScope: true}
	for k, v := range pol.GetOptions() {
		if err := opts.SetSyncOption(k + "=" + v); err != nil {
			return nil, "", nil, err
		}
	}
	var live []*unstructured.Unstructured
	if d, err := c.store.GetDesired(a.GetName(), cl.GetName()); err == nil {
		live = inventoryObjects(d.Inventory)
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
	kept := map[string]bool{}
	for _, r := range p.Extraneous {
		kept[r.APIVersion+"|"+r.Kind+"|"+r.Namespace+"|"+r.Name] = true
	}
	for _, u := range live { // kept objects stay in the inventory, annotations and all
		if kept[u.GetAPIVersion()+"|"+u.GetKind()+"|"+u.GetNamespace()+"|"+u.GetName()] {
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
		CreateNamespace: o.CreateNamespace, ApplyOutOfSyncOnly: is("ApplyOutOfSyncOnly", true),
		RespectIgnoreDifferences: is("RespectIgnoreDifferences", true),
		// A sync takes Git's fields back from other managers, as Argo CD's
		// server-side apply does (--force-conflicts); ForceConflicts=false opts out.
		ForceConflicts:         !is("ForceConflicts", false),
		PrunePropagationPolicy: strings.ToLower(opt["PrunePropagationPolicy"]), DefaultNamespace: o.Namespace}
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

func hashOf(commit string) plumbing.Hash { return plumbing.NewHash(commit) }

// render renders src at commit, re-using the last render with the same
// inputs when none of the paths it read changed.
func (c *Controller) render(ctx context.Context, repo *source.Repo, commit string, src render.Source, url string) ([]*unstructured.Unstructured, error) {
	key := renderKey(url, src)
	// The targets of an application on one commit share its render: the
	// first one finds (or makes) it, the others copy it from memory.
	if m, ok := c.renders.Load(key); ok && m.(*renderMemo).commit == commit {
		c.Stats.add(0, 1, 0)
		return m.(*renderMemo).copy(), nil
	}
	v, err, _ := c.renderOnce.Do(key+"@"+commit, func() (any, error) {
		objs, err := c.renderOrReuse(ctx, repo, commit, src, key)
		if err != nil {
			return nil, err
		}
		m := &renderMemo{commit: commit, objs: objs}
		if _, loaded := c.renders.Swap(key, m); !loaded && c.memoSize.Add(1) > maxRenderMemo {
			c.renders.Clear() // bounded: applications come and go
			c.memoSize.Store(0)
		}
		return m, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*renderMemo).copy(), nil
}

// maxRenderMemo bounds the renders kept decoded in memory.
const maxRenderMemo = 4096

// renderMemo is one render key's objects at a commit. They are never
// modified: every user gets a copy.
type renderMemo struct {
	commit string
	objs   []*unstructured.Unstructured
}

func (m *renderMemo) copy() []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, len(m.objs))
	for i, u := range m.objs {
		out[i] = u.DeepCopy()
	}
	return out
}

// renderOrReuse returns the stored render when the commit is the same or
// changed none of the paths it read, else renders and stores the result.
func (c *Controller) renderOrReuse(ctx context.Context, repo *source.Repo, commit string, src render.Source, key string) ([]*unstructured.Unstructured, error) {
	tree, err := repo.Tree(hashOf(commit))
	if err != nil {
		return nil, err
	}
	if rec, err := c.store.GetRender(key); err == nil && (rec.Commit == commit || tree.Unchanged(rec.Reads)) {
		objs, derr := decodeObjects(rec.Objects)
		if derr == nil {
			c.Stats.add(0, 1, 0)
			return objs, nil
		}
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.sem }()
	rctx, cancel := context.WithTimeout(ctx, c.opts.RenderTimeout)
	defer cancel()
	start := c.now()
	res, err := c.renderTree(rctx, repo, tree, commit, src)
	renderDuration.Observe(c.now().Sub(start).Seconds())
	if err != nil {
		renderTotal.WithLabelValues("error").Inc()
		return nil, err
	}
	renderTotal.WithLabelValues("ok").Inc()
	c.Stats.add(1, 0, 0)
	rec := &store.RenderRecord{Commit: commit, Reads: res.Reads}
	for _, u := range res.Objects {
		b, err := json.Marshal(u.Object)
		if err != nil {
			return nil, err
		}
		rec.Objects = append(rec.Objects, b)
	}
	if err := c.store.PutRender(key, rec); err != nil {
		return nil, err
	}
	return res.Objects, nil
}

func decodeObjects(raw []json.RawMessage) ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, 0, len(raw))
	for _, b := range raw {
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(b); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
