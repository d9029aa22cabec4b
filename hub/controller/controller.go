// Package controller turns applications into plans: it resolves each
// application's revision, renders once per distinct input (re-using the
// previous render when no path it read changed), computes one plan per
// target cluster and, for automated applications, assigns it.
package controller

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
	"k8s.io/client-go/util/workqueue"

	"github.com/flotilla-gitops/flotilla/hub/declare"
	"github.com/flotilla-gitops/flotilla/hub/helmrepo"
	"github.com/flotilla-gitops/flotilla/hub/source"
	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/internal/keylock"
	"github.com/flotilla-gitops/flotilla/internal/wire"
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
	// Charts caches Helm repositories' indexes and charts (nil: a
	// temporary directory).
	Charts *helmrepo.Cache
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
	// decl declares what Git declares (children, sets, the configuration
	// repository) and what the API applies; parents: app → whether it
	// declares applications (children.go).
	decl        *declare.Engine
	parents     sync.Map
	objectsOnly sync.Map // app → its render for no cluster had objects to deploy
	// sets regenerates ApplicationSets (appsets.go).
	sets       appSets
	chartsOnce sync.Once
	chartDeps  chartDeps // what charts' dependencies the renders fetched
	parses     parses    // what the hub read of sources' trees before their renders

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
	c := &Controller{opts: opts, store: st, git: git, notify: n, log: log, sem: make(chan struct{}, opts.RenderWorkers),
		now: time.Now, polled: map[string]time.Time{},
		refreshes: newQueue(), reconciles: newQueue(), work: newWorkQueue(), sets: newAppSets()}
	c.decl = declare.New(st, declare.Hooks{Declared: c.deps.note, Reconcile: c.ReconcileLater, Deleted: c.forget, Removed: n.TargetRemoved,
		ClustersChanged: c.ClustersChanged, AppSetChanged: c.GenerateLater})
	return c
}

// forget drops what memory holds of a deleted application.
func (c *Controller) forget(app string) {
	c.deps.forget(app)
	c.parents.Delete(app)
	c.objectsOnly.Delete(app)
}

// Declarations is the engine through which the API and Git declare
// applications, projects and sets.
func (c *Controller) Declarations() *declare.Engine { return c.decl }

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
	c.generateAll()
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
	urls := make([]string, 0, len(apps))
	for _, a := range apps {
		urls = append(urls, c.appURLs(a)...)
	}
	for _, url := range append(urls, c.setRepos()...) {
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

// Repositories returns every repository the hub reads: applications'
// sources, the repositories their charts' dependencies and remote bases
// came from, and ApplicationSets' Git generators'.
func (c *Controller) Repositories() ([]string, error) {
	apps, err := c.store.ListApplications()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range apps {
		out = append(out, c.appURLs(a)...)
	}
	return append(out, c.setRepos()...), nil
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
		cr = source.Credentials{Username: r.GetUsername(), Password: r.GetPassword(), SSHKey: r.GetSshPrivateKey(), KnownHosts: r.GetKnownHosts(), CABundle: r.GetCaCert()}
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
	apps, err := c.store.ListApplications()
	if err != nil {
		c.log.Error("list applications", "err", err)
		return
	}
	fetchErr := c.fetchURL(ctx, repoURL, apps)
	if fetchErr != nil {
		c.log.Warn("fetch failed", "repo", repoURL, "err", fetchErr)
	}
	// Applications reconcile side by side (each has its own lock), so that
	// their store writes share commits.
	var wg sync.WaitGroup
	sem := make(chan struct{}, refreshParallelism)
	for _, a := range apps {
		if !c.readsURL(a, repoURL) {
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
	for _, s := range c.setsReading(repoURL) {
		c.GenerateLater(s)
	}
}

// refreshParallelism bounds the applications a refresh reconciles at once.
const refreshParallelism = 16

// Reconcile fetches an application's sources and reconciles it: a
// refresh asked for, so Helm indexes are read again however recently
// they were.
func (c *Controller) Reconcile(ctx context.Context, app string) error {
	return c.reconcileFetched(ctx, app, 0)
}

// reconcileFetched reconciles app after fetching its sources; a Helm
// index read less than maxAge ago is not read again (applications
// reconciled together read it once).
func (c *Controller) reconcileFetched(ctx context.Context, app string, maxAge time.Duration) error {
	a, err := c.store.GetApplication(app)
	if err != nil {
		return err
	}
	c.mu.Lock()
	for _, u := range c.appURLs(a) {
		c.polled[u] = c.now()
	}
	c.mu.Unlock()
	return c.reconcile(ctx, app, c.fetchSource(ctx, a, maxAge))
}

// shortRevision shortens each source's revision of an application's
// revision (joined by wire.RevisionSep when it has several sources).
func shortRevision(rev string) string {
	parts := strings.Split(rev, wire.RevisionSep)
	for i, p := range parts {
		parts[i] = short(p)
	}
	return strings.Join(parts, wire.RevisionSep)
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
