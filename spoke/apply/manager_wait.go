package apply

import (
	"context"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// Condition says whether a wait is over given the live object (nil when
// it does not exist). A non-nil error ends the wait with that error.
type Condition func(live *unstructured.Unstructured) (done bool, err error)

// Wait watches one object until cond is done, ctx ends or cond fails. It
// is driven by a watch (re-listed when the watch breaks), not by polling.
// It returns the last object seen (nil if none).
func (m *Manager) Wait(ctx context.Context, ref Ref, cond Condition) (*unstructured.Unstructured, error) {
	ri, err := m.resource(ctx, ref)
	if err != nil {
		return nil, err
	}
	sel := fields.OneTermEqualSelector("metadata.name", ref.Name).String()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = sel
			return ri.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = sel
			return ri.Watch(ctx, o)
		},
	}
	var last *unstructured.Unstructured
	pre := func(store cache.Store) (bool, error) {
		if len(store.List()) > 0 {
			return false, nil // the informer delivers it as Added
		}
		return cond(nil)
	}
	_, err = watchtools.UntilWithSync(ctx, lw, &unstructured.Unstructured{}, pre, func(ev watch.Event) (bool, error) {
		u, ok := ev.Object.(*unstructured.Unstructured)
		if !ok {
			return false, nil
		}
		if ev.Type == watch.Deleted {
			last = nil
			return cond(nil)
		}
		last = u
		return cond(u)
	})
	if errors.Is(err, watchtools.ErrWatchClosed) || ctx.Err() != nil {
		return last, fmt.Errorf("%s: wait: %w", ref, context.Cause(ctx))
	}
	if err != nil {
		return last, err
	}
	return last, nil
}
