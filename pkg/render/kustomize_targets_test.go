package render

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Each field of a patch's target selects as kustomize selects: only the
// ConfigMap the selector names is patched.
func TestKustomizePatchTargets(t *testing.T) {
	files := map[string]string{
		"app/kustomization.yaml": "resources: [cms.yaml]\n",
		"app/cms.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: one\n  labels: {tier: web}\n  annotations: {owner: x}\ndata: {v: orig}\n" +
			"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: two\n  labels: {tier: db}\n  annotations: {owner: y}\ndata: {v: orig}\n",
	}
	patch := `[{"op": "replace", "path": "/data/v", "value": "patched"}]`
	for name, tc := range map[string]struct {
		target KustomizeSelector
		want   string // the ConfigMap patched
	}{
		"version":            {KustomizeSelector{Version: "v1", Kind: "ConfigMap", Name: "b"}, "b"},
		"namespace":          {KustomizeSelector{Kind: "ConfigMap", Namespace: "one"}, "a"},
		"labelSelector":      {KustomizeSelector{LabelSelector: "tier=db"}, "b"},
		"annotationSelector": {KustomizeSelector{AnnotationSelector: "owner=x"}, "a"},
	} {
		t.Run(name, func(t *testing.T) {
			target := tc.target
			res, err := renderAt(t, writeTree(t, files), Source{Path: "app", Kustomize: KustomizeOptions{Patches: []KustomizePatch{{Patch: patch, Target: &target}}}})
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range res.Objects {
				v, _, _ := unstructured.NestedString(u.Object, "data", "v")
				if want := u.GetName() == tc.want; (v == "patched") != want {
					t.Errorf("%s: data.v = %q, patched want %v", u.GetName(), v, want)
				}
			}
		})
	}
}
