package executor

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/spoke/apply"
)

// checkShared refuses to apply over a live object that another
// application tracks, unless the plan takes shared objects over (sync
// option FailOnSharedResource=false). An untracked object is adopted, as
// Argo CD does.
func checkShared(t *Target, live *unstructured.Unstructured) error {
	if live == nil || t.Proto.GetOptions().GetTakeOverSharedResources() {
		return nil
	}
	owner, ok := apply.TrackedBy(live)
	if !ok || owner == t.App {
		return nil
	}
	return fmt.Errorf("%s: %w %q (%s); not applied (sync option FailOnSharedResource=false takes it over)",
		apply.RefOf(live), ErrSharedResource, owner, apply.AnnotationTracking)
}

// checkHookOwner refuses to delete (BeforeHookCreation) a live object this
// application did not create as its hook: a same-named object someone
// else owns is never deleted.
func checkHookOwner(t *Target, live *unstructured.Unstructured) error {
	owner, ok := apply.TrackedBy(live)
	if ok && owner == t.App {
		return nil
	}
	who := "no application"
	if ok {
		who = fmt.Sprintf("application %q", owner)
	}
	return fmt.Errorf("%s: %w: a hook of this name exists and was created by %s, not as this application's hook; not deleted (BeforeHookCreation)",
		apply.RefOf(live), ErrSharedResource, who)
}

// owned says whether the application's inventory holds ref (loaded with
// the dry-run): such objects were applied by it before.
func (t *Target) owned(ref apply.Ref) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.inventory[inventoryKey(ref.GVK.GroupKind(), ref.Namespace, ref.Name)]
}

func inventoryKey(gk schema.GroupKind, ns, name string) string {
	return gk.String() + "|" + ns + "|" + name
}

// checkAdopted reads an object the dry-run found existing that the
// application never applied, and refuses it when another application
// tracks it.
func (e *Executor) checkAdopted(ctx context.Context, t *Target, out *unstructured.Unstructured) error {
	ref := apply.RefOf(out)
	if out.GetResourceVersion() == "" || t.owned(ref) {
		return nil
	}
	live, err := e.Cluster.Get(ctx, ref)
	if err != nil {
		return err
	}
	return checkShared(t, live)
}
