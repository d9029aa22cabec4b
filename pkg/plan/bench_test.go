package plan

import (
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

var benchKinds = []struct{ apiVersion, kind string }{
	{"v1", "ConfigMap"}, {"v1", "Secret"}, {"v1", "Service"}, {"apps/v1", "Deployment"},
	{"apps/v1", "StatefulSet"}, {"batch/v1", "Job"}, {"networking.k8s.io/v1", "Ingress"}, {"example.com/v1", "Widget"},
}

func benchObjects(n int, prefix string) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, 0, n)
	for i := range n {
		k := benchKinds[i%len(benchKinds)]
		md := map[string]any{"name": fmt.Sprintf("%s-%05d", prefix, i), "namespace": fmt.Sprintf("ns-%d", i%50)}
		ann := map[string]any{}
		if i%7 == 0 {
			ann[AnnotationSyncWave] = fmt.Sprint(i%11 - 5)
		}
		if i%97 == 0 {
			ann[AnnotationHook] = "PreSync,PostSync"
		}
		if len(ann) > 0 {
			md["annotations"] = ann
		}
		out = append(out, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": k.apiVersion, "kind": k.kind, "metadata": md,
			"data": map[string]any{"index": fmt.Sprint(i), "payload": "some configuration value of moderate length"},
		}})
	}
	for i := range 50 {
		out = append(out, &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": fmt.Sprintf("ns-%d", i)}}})
	}
	return out
}

// BenchmarkCompute10000 plans 10,000 objects (8 kinds, 50 namespaces,
// waves, hooks) against an inventory holding 1,000 objects to prune.
func BenchmarkCompute10000(b *testing.B) {
	desired := benchObjects(10000, "obj")
	live := append(benchObjects(9000, "obj")[:9000], benchObjects(1000, "old")[:1000]...)
	b.ReportAllocs()
	for b.Loop() {
		p, err := Compute(desired, live, Options{Prune: true})
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Steps) == 0 {
			b.Fatal("empty plan")
		}
	}
}
