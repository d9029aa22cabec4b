package watch

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"

	"github.com/flotilla-gitops/flotilla/spoke/apply"
)

// kindInformer watches the managed objects of one resource: with one
// informer cluster-wide, or one per namespace when the watcher is limited
// to some namespaces (a spoke whose role reaches no further).
type kindInformer struct {
	gvr    schema.GroupVersionResource
	parts  map[string]cache.SharedIndexInformer // by namespace; "" is every namespace
	cancel context.CancelFunc
	refs   int // applications using it
}

func (k *kindInformer) stop() { k.cancel() }

// synced reports whether the informers' first lists are in their caches.
func (k *kindInformer) synced() bool {
	for _, inf := range k.parts {
		if !inf.HasSynced() {
			return false
		}
	}
	return true
}

// get returns the cached object, or nil (also when its namespace is not
// watched).
func (k *kindInformer) get(key Key) *unstructured.Unstructured {
	inf, ok := k.parts[""]
	if !ok {
		inf = k.parts[key.Namespace]
	}
	if inf == nil {
		return nil
	}
	id := key.Name
	if key.Namespace != "" {
		id = key.Namespace + "/" + key.Name
	}
	obj, ok, err := inf.GetStore().GetByKey(id)
	if err != nil || !ok {
		return nil
	}
	u, _ := obj.(*unstructured.Unstructured)
	return u
}

// startInformer starts watching gvr's objects labelled as managed, in each
// of Options.Namespaces when it is namespaced and they are set; events go
// to w.observe. Called with w.mu held.
func (w *Watcher) startInformer(gvr schema.GroupVersionResource, namespaced bool) *kindInformer {
	ctx, cancel := context.WithCancel(w.ctx)
	k := &kindInformer{gvr: gvr, parts: map[string]cache.SharedIndexInformer{}, cancel: cancel}
	namespaces := []string{""}
	if namespaced && len(w.opts.Namespaces) > 0 {
		namespaces = w.opts.Namespaces
	}
	for _, ns := range namespaces {
		k.parts[ns] = w.runInformer(ctx, gvr, ns)
	}
	go func() {
		if cache.WaitForCacheSync(ctx.Done(), k.synced) {
			w.mu.Lock()
			w.resyncLocked(gvr)
			w.mu.Unlock()
		}
	}()
	w.log.Debug("informer started", "resource", gvr.String(), "namespaces", namespaces)
	return k
}

// runInformer runs one informer of gvr's managed objects in namespace
// ("": all) until ctx ends.
func (w *Watcher) runInformer(ctx context.Context, gvr schema.GroupVersionResource, namespace string) cache.SharedIndexInformer {
	sel := apply.LabelManaged + "=true"
	var ri dynamic.ResourceInterface = w.dyn.Resource(gvr)
	if namespace != "" {
		ri = w.dyn.Resource(gvr).Namespace(namespace)
	}
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
	go inf.RunWithContext(ctx)
	return inf
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
