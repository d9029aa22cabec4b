// Package controller turns applications into plans: it resolves each
// application's revision, renders once per distinct input (re-using the
// previous render when no path it read changed), computes one plan per
// target cluster and, for automated applications, assigns it.
package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
	"google.golang.org/protobuf/types/known/timestamppb"
	"k8s.io/client-go/util/workqueue"

	"github.com/flotilla-gitops/flotilla/hub/source"
	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/internal/keylock"
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

	mu      sync.Mutex
	appLock keylock.Locks        // one reconcile of an application at a time
	polled  map[string]time.Time // repo URL → last fetch
	// nextPoll is when a repository's poll may next be due; a new
	// application's repository is polled when it is created (Reconcile).
	nextPoll time.Time
	// refreshes and reconciles coalesce requests per repository and per
	// application (refreshq.go).
	refreshes, reconciles workqueue.TypedInterface[string]
	// work advances gates, rollouts and retries per application (work.go).
	work       workQueue
	deps       dependents
	scopes     sync.Map           // cluster → plan.ScopeFunc of its served kinds
	renders    sync.Map           // render key → *renderMemo: the last render in force, decoded
	memoSize   atomic.Int64       // keys in renders
	renderOnce singleflight.Group // one render per key and commit at a time

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
		now: time.Now, polled: map[string]time.Time{},
		refreshes: newQueue(), reconciles: newQueue(), work: newWorkQueue()}
}

func (c *Controller) lockApp(name string) func() { return c.appLock.Lock(name) }

// Run polls every repository at the poll interval and reconciles the
// applications that use it, and advances gates, rollouts and retries
// (work.go), until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c.runQueues(ctx) }()
	go func() { defer wg.Done(); c.runWork(ctx) }()
	defer wg.Wait()
	c.pokeAll()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		c.pollDue()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// pollDue queues a refresh of every repository whose poll interval passed.
// It reads the store only when one may be due.
func (c *Controller) pollDue() {
	c.mu.Lock()
	due := c.nextPoll.IsZero() || !c.now().Before(c.nextPoll)
	c.mu.Unlock()
	if !due {
		return
	}
	apps, err := c.store.ListApplications()
	if err != nil {
		c.log.Error("list applications", "err", err)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	next := c.now().Add(c.opts.PollInterval)
	for _, a := range apps {
		url := a.GetSource().GetRepoUrl()
		at := c.polled[url].Add(c.opts.PollInterval)
		if !c.now().Before(at) {
			c.polled[url] = c.now() // queued: not due again until the interval passed
			c.RefreshLater(url)
			at = c.now().Add(c.opts.PollInterval)
		}
		next = minTime(next, at)
	}
	c.nextPoll = next
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
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

// target is one cluster's computed state for an application.
type target struct {
	cluster   *pb.Cluster
	revision  string
	plan      *pb.Plan
	content   string // hash of what is desired, prunes aside
	inventory []store.InventoryItem
	err       error
	retry     int32 // the attempt, when this assignment retries a failed sync
}

func (c *Controller) reconcile(ctx context.Context, name string, fetchErr error) error {
	unlock := c.lockApp(name)
	defer unlock()
	a, err := c.store.GetApplication(name)
	if err != nil {
		return err
	}
	c.deps.note(a)
	defer c.work.Add(name) // gates and rollouts look at what changed
	targets, srcErr, err := c.targets(ctx, a, fetchErr, planMods{})
	c.recordConditions(a, conditionsOf(a, targets, srcErr, err, c.now()))
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
		if _, err := c.drive(name); err != nil {
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
	if derr != nil && !errors.Is(derr, store.ErrNotFound) && t.err == nil {
		// A store error is an error, never "changed": the last good plan stays.
		t.err = fmt.Errorf("%s on %s: desired state: %w", name, cl, derr)
	}
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
	auto := a.GetSyncPolicy().GetAutomated() && changed
	refused := ""
	if auto {
		refused = emptyRefusal(a, t.plan)
	}
	ts, err := c.store.Reconciled(name, cl, latest, func(ts *pb.TargetStatus) {
		ts.Error = refused
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
	case auto && refused != "":
		return false, nil
	case auto:
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
			Revision: t.revision, StartedAt: timestamppb.New(c.now()), TotalSteps: int32(len(t.plan.GetSteps())), Message: "waiting for the spoke",
			RetryCount: t.retry}
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
// srcErr is why the source cannot be read (repository unreachable,
// revision not found, repository not allowed), also when no cluster is
// selected.
func (c *Controller) targets(ctx context.Context, a *pb.Application, fetchErr error, mods planMods) (_ []target, srcErr, err error) {
	clusters, err := c.store.ListClusters()
	if err != nil {
		return nil, nil, err
	}
	proj, err := c.project(a)
	if err != nil {
		return nil, nil, err
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
		out[i].plan, out[i].content, out[i].inventory, out[i].err = c.planFor(ctx, a, proj, cl, repo, commit.String(), mods)
	}
	return out, rerr, nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
