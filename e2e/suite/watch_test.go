package suite

import (
	"context"
	"strconv"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
)

// recorder watches a namespace and records, from the API server's own
// events, the resourceVersion (etcd's revision: one total order per
// cluster) at which each object first appeared and first became ready.
type recorder struct {
	mu    sync.Mutex
	added map[string]uint64 // "Kind/name" → revision of its creation
	ready map[string]uint64 // → revision at which it was first ready
	objs  map[string]*unstructured.Unstructured
}

var watchedKinds = map[string]schema.GroupVersionResource{
	"ConfigMap":  {Version: "v1", Resource: "configmaps"},
	"Job":        {Group: "batch", Version: "v1", Resource: "jobs"},
	"Deployment": {Group: "apps", Version: "v1", Resource: "deployments"},
}

// record starts watching ns in c until the test ends.
func record(t testing.TB, c *cluster, ns string) *recorder {
	t.Helper()
	r := &recorder{added: map[string]uint64{}, ready: map[string]uint64{}, objs: map[string]*unstructured.Unstructured{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	for kind, gvr := range watchedKinds {
		w, err := c.dyn.Resource(gvr).Namespace(ns).Watch(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatalf("%s: watch %s: %v", c.Name, gvr.Resource, err)
		}
		wg.Go(func() {
			defer w.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case ev, ok := <-w.ResultChan():
					if !ok {
						return
					}
					if u, isObj := ev.Object.(*unstructured.Unstructured); isObj && ev.Type != watch.Deleted {
						r.observe(kind, u)
					}
				}
			}
		})
	}
	return r
}

func (r *recorder) observe(kind string, u *unstructured.Unstructured) {
	rv, err := strconv.ParseUint(u.GetResourceVersion(), 10, 64)
	if err != nil {
		return
	}
	key := kind + "/" + u.GetName()
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.added[key]; !ok {
		r.added[key] = rv
	}
	if _, ok := r.ready[key]; !ok && isReady(kind, u) {
		r.ready[key] = rv
	}
	r.objs[key] = u
}

// isReady: a Job Complete, a Deployment Available at its generation with
// every replica updated, anything else once it exists.
func isReady(kind string, u *unstructured.Unstructured) bool {
	switch kind {
	case "Job":
		return condition(u, "Complete") == "True"
	case "Deployment":
		gen, obs := u.GetGeneration(), nested(u, "status", "observedGeneration")
		want := nested(u, "spec", "replicas")
		return obs >= gen && nested(u, "status", "updatedReplicas") == want && nested(u, "status", "availableReplicas") == want
	}
	return true
}

func nested(u *unstructured.Unstructured, path ...string) int64 {
	v, _, _ := unstructured.NestedInt64(u.Object, path...)
	return v
}

func condition(u *unstructured.Unstructured, typ string) string {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == typ {
			s, _ := m["status"].(string)
			return s
		}
	}
	return ""
}

// at returns the revisions of key: creation and readiness (0 if unseen).
func (r *recorder) at(key string) (added, ready uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.added[key], r.ready[key]
}

func (r *recorder) object(key string) *unstructured.Unstructured {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.objs[key]
}
