package watch

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/pkg/diff"
	"github.com/flotilla-gitops/flotilla/spoke/apply"
)

// enqueueHealLocked queues a heal: at once, unless the object keeps
// drifting right after being healed. Drift within FightWindow of the last
// heal, FightHeals times in a row, is a fight (another writer changing it
// back): heals then back off exponentially until the object stays quiet
// for FightWindow after a heal.
func (w *Watcher) enqueueHealLocked(k Key) {
	f := w.fights[k]
	if f.queued {
		return // one heal pending is enough (and counts once for backoff)
	}
	f.queued = true
	if !f.lastHeal.IsZero() && time.Since(f.lastHeal) < w.opts.FightWindow {
		if !f.counted {
			f.quick++
			f.counted = true
		}
	} else {
		f.quick = 0
		w.queue.Forget(k)
	}
	w.fights[k] = f
	if f.quick >= w.opts.FightHeals {
		w.queue.AddRateLimited(k)
		return
	}
	w.queue.Add(k)
}

// fight is an object's recent heal history.
type fight struct {
	lastHeal time.Time
	quick    int  // heals in a row followed by drift within FightWindow
	counted  bool // this heal's re-drift is counted
	queued   bool // a heal is queued (maybe waiting out its backoff)
}

func (w *Watcher) healWorker(ctx context.Context) {
	for {
		k, shutdown := w.queue.Get()
		if shutdown {
			return
		}
		err := w.heal(ctx, k)
		w.queue.Done(k)
		if err != nil && ctx.Err() == nil {
			w.log.Warn("self-heal failed", "object", k.String(), "err", err)
			w.mu.Lock()
			f := w.fights[k]
			f.queued = true
			w.fights[k] = f
			w.mu.Unlock()
			w.queue.AddRateLimited(k)
		}
	}
}

// heal applies an object again if it is still out of sync and its
// application enforces self-heal.
func (w *Watcher) heal(ctx context.Context, k Key) error {
	w.mu.Lock()
	if f, ok := w.fights[k]; ok {
		f.queued = false
		w.fights[k] = f
	}
	var app string
	var st *appState
	for _, a := range w.owners[k] {
		if s := w.apps[a]; s != nil && s.spec.Enforce && s.spec.SelfHeal {
			app, st = a, s
			break
		}
	}
	if st == nil {
		w.mu.Unlock()
		return nil
	}
	inf := w.informers[st.gvr[k]]
	if inf == nil || !inf.synced() {
		w.mu.Unlock()
		return nil
	}
	live := inf.get(k)
	desired, spec := st.desired[k], st.spec
	if r, err := diff.Compare(ctx, desired, live, diff.Options{Ignore: spec.Ignore}); err != nil || r.Status == diff.Synced {
		w.mu.Unlock()
		return err
	}
	w.fights[k] = fight{lastHeal: time.Now(), quick: w.fights[k].quick}
	w.mu.Unlock()

	// The cache may lag the API server (the object was deleted, or already
	// put back, since), and gone from the cache may mean only that the
	// managed label was removed (the informer selects on it): decide on,
	// and name the writer from, the object as the API server has it now.
	live, err := w.cluster.Get(ctx, apply.RefOf(desired))
	if err != nil {
		return fmt.Errorf("%s: self-heal: %w", k, err)
	}
	if r, err := diff.Compare(ctx, desired, live, diff.Options{Ignore: spec.Ignore}); err != nil || r.Status == diff.Synced {
		return err
	}

	obj := desired
	if spec.RespectIgnore && live != nil {
		if obj, err = diff.Strip(ctx, desired, live, spec.Ignore); err != nil {
			return fmt.Errorf("%s: self-heal: ignoreDifferences: %w", k, err)
		}
	}
	// Reverting another writer is what self-heal is for: take the fields
	// back (the fight backoff keeps this from becoming a tug of war).
	out, err := w.cluster.Apply(ctx, obj, apply.ApplyOptions{Force: true})
	if err != nil {
		return fmt.Errorf("%s: self-heal: %w", k, err)
	}
	who := changedBy(live)
	w.log.Info("self-healed", "app", app, "object", k.String(), "reverted", who)
	if w.events != nil {
		w.events.SelfHealed(ctx, out, "self-heal reverted "+who)
	}
	w.mu.Lock()
	if s := w.apps[app]; s != nil {
		s.healed = true
		w.markDirty(app)
	}
	w.mu.Unlock()
	return nil
}

// changedBy names the last writer of a live object other than the spoke,
// from its managedFields.
func changedBy(live *unstructured.Unstructured) string {
	if live == nil {
		return "a deletion"
	}
	var who string
	var at time.Time
	for _, mf := range live.GetManagedFields() {
		if mf.Manager == apply.FieldManager || mf.Time == nil || mf.Subresource != "" {
			continue
		}
		if t := mf.Time.Time; who == "" || t.After(at) || t.Equal(at) {
			who, at = mf.Manager+" ("+string(mf.Operation)+")", t
		}
	}
	if who == "" {
		return "a change"
	}
	return "a change by " + who + " at " + at.UTC().Format(time.RFC3339)
}

// String renders "Kind namespace/name" (group omitted).
func (k Key) String() string {
	if k.Namespace == "" {
		return k.Kind + " " + k.Name
	}
	return k.Kind + " " + k.Namespace + "/" + k.Name
}
