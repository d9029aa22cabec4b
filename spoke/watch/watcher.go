// Package watch keeps the spoke's view of what it manages: informers only
// for the kinds its plans apply (and, through a label selector, only its
// own objects of those kinds), the health and drift of every desired
// object, and self-heal: a managed object edited or deleted by hand is
// applied again at once, with exponential backoff when something keeps
// changing it back (a fight with another controller). Objects a plan keeps
// although Git no longer has them are watched too, and reported requiring
// pruning (extraneous.go).
package watch

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/workqueue"

	"github.com/flotilla-gitops/flotilla/pkg/diff"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	"github.com/flotilla-gitops/flotilla/spoke/apply"
)

// Cluster is the subset of apply.Manager the watcher uses.
type Cluster interface {
	Mapping(ctx context.Context, gvk schema.GroupVersionKind) (*meta.RESTMapping, error)
	Apply(ctx context.Context, u *unstructured.Unstructured, opts apply.ApplyOptions) (*unstructured.Unstructured, error)
	Get(ctx context.Context, ref apply.Ref) (*unstructured.Unstructured, error)
}

// EventSink records what self-heal did, as Kubernetes Events.
type EventSink interface {
	SelfHealed(ctx context.Context, obj *unstructured.Unstructured, message string)
}

// Options tune the watcher.
type Options struct {
	// ReportInterval is the least time between two reports of one
	// application: changes in between are coalesced.
	ReportInterval time.Duration
	// FightHeals heals of one object in a row, each followed by drift
	// within FightWindow, make a fight: further drift is healed with
	// exponential backoff (FightBackoff up to MaxFightBackoff) instead of
	// at once, until the object stays quiet for FightWindow after a heal.
	FightHeals      int
	FightWindow     time.Duration
	FightBackoff    time.Duration
	MaxFightBackoff time.Duration
	// HealWorkers apply in parallel.
	HealWorkers int
	// Namespaces, when set, are the only namespaces whose objects of
	// namespaced kinds are watched, one watch each: a spoke whose role
	// is bound in these namespaces only may not list cluster-wide.
	Namespaces []string
}

// DefaultOptions: reports at most every 250ms per application; after 3
// heals of an object each undone within 30s, heals back off from 1s up to
// 5 minutes.
func DefaultOptions() Options {
	return Options{ReportInterval: 250 * time.Millisecond, FightHeals: 3, FightWindow: 30 * time.Second,
		FightBackoff: time.Second, MaxFightBackoff: 5 * time.Minute, HealWorkers: 4}
}

// Spec is what an application wants on the cluster.
type Spec struct {
	// Objects as applied: namespace resolved, tracking annotation and
	// managed label set.
	Objects []*unstructured.Unstructured
	// Extraneous are the objects the plan keeps although Git no longer
	// has them (Prune=false, Prune=confirm awaiting confirmation, pruning
	// off): each one that exists is reported requiring pruning and makes
	// the application OutOfSync, as in Argo CD. They are watched only:
	// never diffed, healed or applied.
	Extraneous []plan.Ref
	Ignore     []diff.IgnoreRule
	// Enforce: the plan ran successfully; with SelfHeal, drift is reverted.
	Enforce        bool
	SelfHeal       bool
	RespectIgnore  bool
	ForceConflicts bool
}

// Watcher watches managed objects for every application.
type Watcher struct {
	dyn     dynamic.Interface
	cluster Cluster
	events  EventSink
	log     *slog.Logger
	opts    Options
	// Changed is called (from the watcher's report loop, at most every
	// ReportInterval per application) when an application's health or
	// drift changed; fetch them with Reports.
	changed func(app string)

	ctx   context.Context
	ready chan struct{} // closed once Run set ctx
	queue workqueue.TypedRateLimitingInterface[Key]
	wake  chan struct{}

	mu        sync.Mutex
	informers map[schema.GroupVersionResource]*kindInformer
	apps      map[string]*appState
	owners    map[Key][]string // object → applications desiring it
	keepers   map[Key][]string // object → applications keeping it although Git no longer has it
	dirty     map[string]bool
	fights    map[Key]fight // heal history, for fight detection
}

// New returns a watcher; call Run to start its loops.
func New(dyn dynamic.Interface, cluster Cluster, events EventSink, log *slog.Logger, opts Options, changed func(app string)) *Watcher {
	q := workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedItemExponentialFailureRateLimiter[Key](opts.FightBackoff, opts.MaxFightBackoff))
	return &Watcher{dyn: dyn, cluster: cluster, events: events, log: log, opts: opts, changed: changed, queue: q,
		ready: make(chan struct{}), wake: make(chan struct{}, 1), informers: map[schema.GroupVersionResource]*kindInformer{},
		apps: map[string]*appState{}, owners: map[Key][]string{}, keepers: map[Key][]string{}, dirty: map[string]bool{}, fights: map[Key]fight{}}
}

// Run runs the report loop and the heal workers until ctx ends, then
// stops every informer.
func (w *Watcher) Run(ctx context.Context) {
	w.mu.Lock()
	w.ctx = ctx
	close(w.ready)
	w.mu.Unlock()
	var wg sync.WaitGroup
	for range max(w.opts.HealWorkers, 1) {
		wg.Go(func() { w.healWorker(ctx) })
	}
	wg.Go(func() { w.reportLoop(ctx) })
	<-ctx.Done()
	w.queue.ShutDown()
	wg.Wait()
	w.mu.Lock()
	for gvr, inf := range w.informers {
		inf.stop()
		delete(w.informers, gvr)
	}
	w.mu.Unlock()
}

// Ready is closed once Run accepts targets.
func (w *Watcher) Ready() <-chan struct{} { return w.ready }

// Key identifies an object (the version is not part of identity).
type Key struct{ Group, Kind, Namespace, Name string }

// KeyOf returns the key of u.
func KeyOf(u *unstructured.Unstructured) Key {
	gvk := u.GroupVersionKind()
	return Key{gvk.Group, gvk.Kind, u.GetNamespace(), u.GetName()}
}

func (w *Watcher) markDirty(app string) {
	w.dirty[app] = true
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// reportLoop tells about changed applications, each at most every
// ReportInterval.
func (w *Watcher) reportLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		}
		w.mu.Lock()
		var apps []string
		for app := range w.dirty {
			if st := w.apps[app]; st != nil && w.syncedLocked(st) {
				apps = append(apps, app)
				delete(w.dirty, app)
			}
		}
		w.mu.Unlock()
		for _, app := range apps {
			w.changed(app)
		}
		t := time.NewTimer(w.opts.ReportInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
