package watch

import (
	"context"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/diff"
	"github.com/flotilla-gitops/flotilla/pkg/health"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// appState is one application's desired objects and their status.
type appState struct {
	spec    Spec
	order   []Key
	desired map[Key]*unstructured.Unstructured
	gvr     map[Key]schema.GroupVersionResource
	gvrs    map[schema.GroupVersionResource]bool
	// namespaced says which of gvrs are namespaced resources.
	namespaced map[schema.GroupVersionResource]bool
	status     map[Key]objStatus
	healed     bool // a heal happened since the last drift report
	// extra are the objects the plan keeps although Git no longer has
	// them, in the plan's order.
	extra      map[Key]*extraObj
	extraOrder []Key
}

type objStatus struct {
	known  bool // computed from a synced cache
	health health.Result
	sync   diff.Status
	diff   string
}

// addResource records a resource the application's objects use.
func (st *appState) addResource(m *meta.RESTMapping) {
	st.gvrs[m.Resource] = true
	st.namespaced[m.Resource] = m.Scope.Name() == meta.RESTScopeNameNamespace
}

// SetTarget sets what an application wants, starting informers for kinds
// it newly uses (its extraneous objects' too) and stopping those no
// application uses any more. Objects of kinds the cluster does not serve
// are reported Missing.
func (w *Watcher) SetTarget(ctx context.Context, app string, spec Spec) error {
	st := &appState{spec: spec, desired: map[Key]*unstructured.Unstructured{}, gvr: map[Key]schema.GroupVersionResource{},
		gvrs: map[schema.GroupVersionResource]bool{}, namespaced: map[schema.GroupVersionResource]bool{}, status: map[Key]objStatus{}, extra: map[Key]*extraObj{}}
	var errs []error
	for _, u := range spec.Objects {
		k := KeyOf(u)
		if _, dup := st.desired[k]; dup {
			continue
		}
		st.order = append(st.order, k)
		st.desired[k] = u
		m, err := w.cluster.Mapping(ctx, u.GroupVersionKind())
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k, err))
			st.status[k] = objStatus{known: true, health: health.Result{Status: health.Missing, Message: err.Error()}, sync: diff.OutOfSync}
			continue
		}
		st.gvr[k] = m.Resource
		st.addResource(m)
	}
	errs = append(errs, w.addExtraneous(ctx, st, spec.Extraneous)...)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctx == nil {
		return fmt.Errorf("watch %s: %w", app, ErrNotRunning)
	}
	w.dropLocked(app)
	for gvr := range st.gvrs {
		inf := w.informers[gvr]
		if inf == nil {
			inf = w.startInformer(gvr, st.namespaced[gvr])
			w.informers[gvr] = inf
		}
		inf.refs++
	}
	for _, k := range st.order {
		w.owners[k] = append(w.owners[k], app)
	}
	for _, k := range st.extraOrder {
		w.keepers[k] = append(w.keepers[k], app)
	}
	w.apps[app] = st
	for _, k := range st.order {
		w.recomputeLocked(app, st, k)
	}
	for _, k := range st.extraOrder {
		w.recomputeExtraLocked(app, st, k)
	}
	w.markDirty(app)
	if len(errs) > 0 {
		return fmt.Errorf("watch %s: %w", app, errs[0])
	}
	return nil
}

// RemoveTarget stops watching an application's objects.
func (w *Watcher) RemoveTarget(app string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.dropLocked(app)
	delete(w.dirty, app)
}

func (w *Watcher) dropLocked(app string) {
	old := w.apps[app]
	if old == nil {
		return
	}
	for _, k := range old.order {
		forget(w.owners, k, app)
	}
	for _, k := range old.extraOrder {
		forget(w.keepers, k, app)
	}
	for gvr := range old.gvrs {
		if inf := w.informers[gvr]; inf != nil {
			if inf.refs--; inf.refs <= 0 {
				inf.stop()
				delete(w.informers, gvr)
			}
		}
	}
	delete(w.apps, app)
}

// forget removes app from the applications of k.
func forget(apps map[Key][]string, k Key, app string) {
	if rest := slices.DeleteFunc(apps[k], func(a string) bool { return a == app }); len(rest) > 0 {
		apps[k] = rest
	} else {
		delete(apps, k)
	}
}

// observe handles an informer event.
func (w *Watcher) observe(obj any, _ bool) {
	u, err := objectOf(obj)
	if err != nil {
		w.log.Warn("watch", "err", err)
		return
	}
	k := KeyOf(u)
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, app := range w.owners[k] {
		w.recomputeLocked(app, w.apps[app], k)
	}
	for _, app := range w.keepers[k] {
		w.recomputeExtraLocked(app, w.apps[app], k)
	}
}

// resync recomputes every object of a resource once its cache synced, so
// that objects missing from the cluster are noticed too.
func (w *Watcher) resyncLocked(gvr schema.GroupVersionResource) {
	for app, st := range w.apps {
		if !st.gvrs[gvr] {
			continue
		}
		for _, k := range st.order {
			if st.gvr[k] == gvr {
				w.recomputeLocked(app, st, k)
			}
		}
		for _, k := range st.extraOrder {
			if st.extra[k].gvr == gvr {
				w.recomputeExtraLocked(app, st, k)
			}
		}
		w.markDirty(app)
	}
}

// recomputeLocked computes an object's health and drift from the cache
// and queues a heal when the application enforces self-heal.
func (w *Watcher) recomputeLocked(app string, st *appState, k Key) {
	inf := w.informers[st.gvr[k]]
	if inf == nil || !inf.synced() {
		return
	}
	live := inf.get(k)
	s := objStatus{known: true, health: healthOf(live)}
	var err error
	if live == nil && st.spec.Enforce && health.CollectedWhenFinished(st.desired[k]) {
		// The sync created it; the TTL controller removed it once it
		// finished: neither drift nor anything to heal.
		s.sync, s.health = diff.Synced, health.Collected
	} else {
		var r diff.Result
		if r, err = diff.Compare(w.ctx, st.desired[k], live, diff.Options{Ignore: st.spec.Ignore}); err != nil {
			s.sync, s.diff = diff.OutOfSync, err.Error()
		} else {
			s.sync, s.diff = r.Status, r.Diff
		}
	}
	if old := st.status[k]; old != s {
		st.status[k] = s
		w.markDirty(app)
	}
	if s.sync == diff.OutOfSync && st.spec.Enforce && st.spec.SelfHeal && err == nil {
		w.enqueueHealLocked(k)
	}
}

// synced says whether every informer of an application has synced.
func (w *Watcher) syncedLocked(st *appState) bool {
	for gvr := range st.gvrs {
		if inf := w.informers[gvr]; inf == nil || !inf.synced() {
			return false
		}
	}
	return true
}

func healthOf(live *unstructured.Unstructured) health.Result {
	h, err := health.Compute(live)
	if err != nil {
		return health.Result{Status: health.Unknown, Message: err.Error()}
	}
	return h
}

// Reports returns an application's health and drift reports; ok is false
// for an unknown application.
func (w *Watcher) Reports(app string) (hr *pb.HealthReport, dr *pb.DriftReport, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := w.apps[app]
	if st == nil {
		return nil, nil, false
	}
	hr = &pb.HealthReport{Application: app}
	dr = &pb.DriftReport{Application: app, Sync: pb.SyncStatus_SYNC_STATUS_SYNCED, SelfHealed: st.healed}
	st.healed = false
	var healths []health.Status
	for _, k := range st.order {
		d, s := st.desired[k], st.status[k]
		ref := &pb.ObjectRef{ApiVersion: d.GetAPIVersion(), Kind: k.Kind, Namespace: k.Namespace, Name: k.Name}
		rs := &pb.ResourceStatus{Ref: ref, Sync: pb.SyncStatus_SYNC_STATUS_UNKNOWN, Health: pb.Health_HEALTH_UNKNOWN}
		if s.known {
			rs.Health, rs.Message = wire.HealthToPB(s.health.Status), s.health.Message
			healths = append(healths, s.health.Status)
			rs.Sync = pb.SyncStatus_SYNC_STATUS_SYNCED
			if s.sync == diff.OutOfSync {
				rs.Sync, rs.Diff = pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC, s.diff
				dr.Resources = append(dr.Resources, &pb.DriftedResource{Ref: ref, Diff: s.diff})
			}
		} else {
			healths = append(healths, health.Unknown)
		}
		hr.Resources = append(hr.Resources, rs)
	}
	drifted := len(dr.Resources) > 0
	extraHealths, extraOutOfSync := extraReportsLocked(st, hr, dr)
	hr.Health = wire.HealthToPB(health.Worst(append(healths, extraHealths...)...))
	if drifted || extraOutOfSync {
		dr.Sync = pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC
	}
	return hr, dr, true
}
