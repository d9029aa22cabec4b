package watch

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/health"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/apply"
)

// AnnotationCompareOptions is Argo CD's compare options annotation; its
// IgnoreExtraneous keeps an object requiring pruning from making its
// application OutOfSync (the object itself still shows OutOfSync).
const AnnotationCompareOptions = "argocd.argoproj.io/compare-options"

// extraObj is an object the plan keeps although Git no longer has it
// (Argo CD's "requires pruning"): watched, never diffed, healed or applied.
type extraObj struct {
	ref     plan.Ref
	gvr     schema.GroupVersionResource
	known   bool // computed from a synced cache
	live    bool // exists and is tracked by the application
	health  health.Result
	ignored bool // IgnoreExtraneous
}

// addExtraneous adds the plan's extraneous objects to st, with the
// resources to watch them. An object of a kind the cluster no longer
// serves cannot exist: it is left out.
func (w *Watcher) addExtraneous(ctx context.Context, st *appState, refs []plan.Ref) []error {
	var errs []error
	for _, r := range refs {
		gvk := schema.FromAPIVersionAndKind(r.APIVersion, r.Kind)
		k := Key{gvk.Group, gvk.Kind, r.Namespace, r.Name}
		if _, dup := st.extra[k]; dup {
			continue
		}
		if _, desired := st.desired[k]; desired {
			continue
		}
		m, err := w.cluster.Mapping(ctx, gvk)
		if meta.IsNoMatchError(err) && gvk.Version != "" {
			// Served under another version only: any will do.
			m, err = w.cluster.Mapping(ctx, schema.GroupVersionKind{Group: gvk.Group, Kind: gvk.Kind})
		}
		if meta.IsNoMatchError(err) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s (requires pruning): %w", k, err))
			continue
		}
		st.extraOrder = append(st.extraOrder, k)
		st.extra[k] = &extraObj{ref: r, gvr: m.Resource}
		st.addResource(m)
	}
	return errs
}

// recomputeExtraLocked reads an extraneous object from the cache. Only an
// object that still says it belongs to app counts: one another
// application took over is that application's.
func (w *Watcher) recomputeExtraLocked(app string, st *appState, k Key) {
	x := st.extra[k]
	inf := w.informers[x.gvr]
	if inf == nil || !inf.synced() {
		return
	}
	old := *x
	live := inf.get(k)
	owner, ok := "", false
	if live != nil {
		owner, ok = apply.TrackedBy(live)
	}
	x.known, x.live = true, ok && owner == app
	x.health, x.ignored = health.Result{}, false
	if x.live {
		x.health, x.ignored = healthOf(live), hasCompareOption(live, "IgnoreExtraneous")
	}
	if old != *x {
		w.markDirty(app)
	}
}

// hasCompareOption says whether u's compare options annotation holds opt
// (a comma-separated list, as Argo CD reads it).
func hasCompareOption(u *unstructured.Unstructured, opt string) bool {
	for _, o := range strings.Split(u.GetAnnotations()[AnnotationCompareOptions], ",") {
		if strings.TrimSpace(o) == opt {
			return true
		}
	}
	return false
}

// extraReportsLocked adds the application's live extraneous objects to its
// reports: OutOfSync, requiring pruning, with their health (which counts in
// the application's, as in Argo CD). Each is listed as drifted (so the hub
// shows it OutOfSync); outOfSync says whether any makes the application
// OutOfSync: all but those marked IgnoreExtraneous.
func extraReportsLocked(st *appState, hr *pb.HealthReport, dr *pb.DriftReport) (healths []health.Status, outOfSync bool) {
	for _, k := range st.extraOrder {
		x := st.extra[k]
		if !x.known || !x.live {
			continue
		}
		ref := &pb.ObjectRef{ApiVersion: x.ref.APIVersion, Kind: k.Kind, Namespace: k.Namespace, Name: k.Name}
		msg := "requires pruning (" + x.ref.Reason + ")"
		if x.ignored {
			msg += "; ignored for the application's sync status (IgnoreExtraneous)"
		}
		if x.health.Message != "" {
			msg += ": " + x.health.Message
		}
		hr.Resources = append(hr.Resources, &pb.ResourceStatus{Ref: ref, Sync: pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC,
			Health: wire.HealthToPB(x.health.Status), Message: msg, RequiresPruning: true})
		dr.Resources = append(dr.Resources, &pb.DriftedResource{Ref: ref})
		healths = append(healths, x.health.Status)
		outOfSync = outOfSync || !x.ignored
	}
	return healths, outOfSync
}
