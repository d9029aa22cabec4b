package plan

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

// FuzzCompute plans arbitrary (decodable) manifests, as a hostile
// repository would hand them over: Compute never panics, is deterministic,
// and every object it applies or runs as a hook carries its content hash
// and a namespace that matches its scope.
func FuzzCompute(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"), "apps", true)
	f.Add([]byte("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  annotations: {argocd.argoproj.io/hook: 'PreSync,PostSync', argocd.argoproj.io/sync-wave: '-3'}\n"), "", false)
	f.Add([]byte("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: x}\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec: {group: example.com, scope: Cluster, names: {kind: Widget}}\n"), "ns", true)
	f.Add([]byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n---\napiVersion: v1\nkind: Secret\nmetadata: {generateName: s-, annotations: {helm.sh/hook: pre-install, helm.sh/hook-weight: '5', helm.sh/hook-delete-policy: before-hook-creation}}\n"), "n", true)
	f.Fuzz(func(t *testing.T, y []byte, ns string, createNS bool) {
		objs, err := object.Decode("fuzz.yaml", y, object.DefaultLimits())
		if err != nil {
			return
		}
		served := func(gk schema.GroupKind) (bool, bool) {
			return gk.Group != "cluster.example.com", gk.Group == "cluster.example.com"
		}
		opts := Options{Prune: true, CreateNamespace: createNS, Namespace: ns, Scope: served, RequireScope: len(y)%2 == 0}
		p1, err1 := Compute(objs, objs, opts)
		p2, err2 := Compute(objs, objs, opts)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("not deterministic: %v / %v", err1, err2)
		}
		if err1 != nil {
			return
		}
		if p1.Hash != p2.Hash {
			t.Fatalf("hash not deterministic: %s / %s", p1.Hash, p2.Hash)
		}
		scope := NewScope(objs, served)
		for _, a := range p1.Actions() {
			if a.Action == Prune {
				continue
			}
			if a.Hash == "" || a.Object == nil {
				t.Fatalf("%s %s/%s: no object or hash", a.Action, a.Kind, a.Name)
			}
			gk := a.Object.GroupVersionKind().GroupKind()
			if namespaced, known := scope(gk); known && !namespaced && a.Namespace != "" {
				t.Fatalf("cluster-scoped %s %s planned in namespace %q", gk, a.Name, a.Namespace)
			}
		}
	})
}
