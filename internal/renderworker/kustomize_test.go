package renderworker

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/flotilla-gitops/flotilla/pkg/render"
)

// The Kustomize overrides cross the process boundary with the job: the
// worker renders with every one of them.
func TestWorkerRendersKustomizeOverrides(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"k/kustomization.yaml": "resources: [cm.yaml]\n",
		"k/cm.yaml":            fmt.Sprintf(cm, "settings"),
		"k/patch.yaml":         fmt.Sprintf(cm, "settings") + "data: {from: file}\n",
	})
	o := render.KustomizeOptions{NamePrefix: "p-", NameSuffix: "-s", Namespace: "apps",
		CommonLabels: map[string]string{"team": "a"}, CommonAnnotations: map[string]string{"note": "n"},
		Patches: []render.KustomizePatch{{Path: "patch.yaml"},
			{Patch: `[{"op": "add", "path": "/data/inline", "value": "yes"}]`, Target: &render.KustomizeSelector{Kind: "ConfigMap"}}}}
	res, err := newPool(t, testLimits()).Render(testCtx(t), Job{Dir: dir, Source: render.Source{Path: "k", Kustomize: o}, Limits: render.DefaultLimits()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 1 {
		t.Fatalf("%d objects", len(res.Objects))
	}
	u := res.Objects[0]
	data, _ := json.Marshal(u.Object["data"])
	if u.GetName() != "p-settings-s" || u.GetNamespace() != "apps" || u.GetLabels()["team"] != "a" ||
		u.GetAnnotations()["note"] != "n" || string(data) != `{"from":"file","inline":"yes"}` {
		t.Errorf("the worker dropped overrides: %v", u.Object)
	}
}

// Every override survives the job's JSON, as the worker reads it.
func TestJobCarriesKustomizeOverrides(t *testing.T) {
	src := render.Source{Path: "k", Kustomize: render.KustomizeOptions{NamePrefix: "p-", NameSuffix: "-s", Images: []string{"nginx:2"},
		Replicas: []render.KustomizeReplica{{Name: "web", Count: 3}}, CommonLabels: map[string]string{"a": "b"},
		CommonAnnotations: map[string]string{"c": "d"}, Namespace: "ns",
		Patches: []render.KustomizePatch{{Path: "p.yaml", Target: &render.KustomizeSelector{Group: "apps", Version: "v1", Kind: "Deployment",
			Name: "web", Namespace: "ns", LabelSelector: "x=y", AnnotationSelector: "z=w"}}}}}
	b, err := json.Marshal(Job{Dir: "/x", Source: src})
	if err != nil {
		t.Fatal(err)
	}
	var got Job
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Source, src) {
		t.Errorf("job source after JSON:\n got %+v\nwant %+v", got.Source, src)
	}
}
