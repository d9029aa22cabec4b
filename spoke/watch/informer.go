package watch

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"

	"github.com/flotilla-gitops/flotilla/spoke/apply"
)

// kindInformer watches the managed objects of one resource.
type kindInformer struct {
	gvr      schema.GroupVersionResource
	informer cache.SharedIndexInformer
	cancel   context.CancelFunc
	refs     int // applications using it
}

func (k *kindInformer) stop() { k.cancel() }

// synced reports whether the informer's first list is in its cache.
func (k *kindInformer) synced() bool { return k.informer.HasSynced() }

// get returns the cached object, or nil.
func (k *kindInformer) get(key Key) *unstructured.Unstructured {
	id := key.Name
	if key.Namespace != "" {
		id = key.Namespace + "/" + key.Name
	}
	obj, ok, err := k.informer.GetStore().GetByKey(id)
	if err != nil || !ok {
		return nil
	}
	u, _ := obj.(*unstructured.Unstructured)
	return u
}

// startInformer starts watching gvr's objects labelled as managed; events
// go to w.observe. Called with w.mu held.
func (w *Watcher) startInformer(gvr schema.GroupVersionResource) *kindInformer {
	sel := apply.LabelManaged + "=true"
	ri := w.dyn.Resource(gvr)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.LabelSelector = sel
			return ri.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.LabelSelector = sel
			return ri.Watch(ctx, o)
		},
	}
	// A client that cannot stream lists (a fake) says so: the informer
	// then lists and watches instead.
	lws := cache.ToListWatcherWithWatchListSemantics(lw, w.dyn)
	inf := cache.NewSharedIndexInformerWithOptions(lws, &unstructured.Unstructured{}, cache.SharedIndexInformerOptions{
		ObjectDescription: gvr.String(),
	})
	if err := inf.SetTransform(dropLastApplied); err != nil {
		w.log.Warn("informer transform", "resource", gvr.String(), "err", err)
	}
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { w.observe(obj, false) },
		UpdateFunc: func(_, obj any) { w.observe(obj, false) },
		DeleteFunc: func(obj any) { w.observe(obj, true) },
	}
	if _, err := inf.AddEventHandler(handler); err != nil {
		w.log.Warn("informer handler", "resource", gvr.String(), "err", err)
	}
	ctx, cancel := context.WithCancel(w.ctx)
	k := &kindInformer{gvr: gvr, informer: inf, cancel: cancel}
	go inf.RunWithContext(ctx)
	go func() {
		if cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
			w.mu.Lock()
			w.resyncLocked(gvr)
			w.mu.Unlock()
		}
	}()
	w.log.Debug("informer started", "resource", gvr.String())
	return k
}

// dropLastApplied keeps kubectl's last-applied annotation out of the
// cache: it doubles the size of objects and is never compared.
func dropLastApplied(obj any) (any, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return obj, nil
	}
	ann := u.GetAnnotations()
	if _, ok := ann["kubectl.kubernetes.io/last-applied-configuration"]; ok {
		delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
		u.SetAnnotations(ann)
	}
	return u, nil
}

// objectOf unwraps an informer event's object.
func objectOf(obj any) (*unstructured.Unstructured, error) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return nil, fmt.Errorf("informer event: unexpected %T", obj)
	}
	return u, nil
}
