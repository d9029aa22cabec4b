package render

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// overlayRepo writes a base and n overlays (namePrefix, image tag, replicas
// patch, configMapGenerator) to a temp repository.
func overlayRepo(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	write := func(p, s string) {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	write("base/kustomization.yaml", "resources: [deployment.yaml, service.yaml]\n")
	write("base/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers: [{name: api, image: example/api:1.0}]\n")
	write("base/service.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec:\n  selector: {app: api}\n  ports: [{port: 80}]\n")
	for i := range n {
		write(fmt.Sprintf("overlays/o%04d/kustomization.yaml", i), fmt.Sprintf(`namespace: team-%d
namePrefix: o%d-
resources: [../../base]
images: [{name: example/api, newTag: "1.%d"}]
configMapGenerator: [{name: cfg, literals: [INDEX=%d]}]
patches:
  - target: {kind: Deployment, name: api}
    patch: |
      - op: replace
        path: /spec/replicas
        value: %d
`, i, i, i, i, i%5+1))
	}
	return dir
}

// BenchmarkRenderKustomize1000Overlays renders 1,000 overlays of one base
// per operation (ns/op is for all 1,000).
func BenchmarkRenderKustomize1000Overlays(b *testing.B) {
	const n = 1000
	repo, closeFn, err := OpenRoot(overlayRepo(b, n))
	if err != nil {
		b.Fatal(err)
	}
	defer closeFn()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i := range n {
			res, err := Render(ctx, repo, Source{Path: fmt.Sprintf("overlays/o%04d", i)}, DefaultLimits())
			if err != nil {
				b.Fatal(err)
			}
			if len(res.Objects) != 3 {
				b.Fatalf("overlay %d: %d objects", i, len(res.Objects))
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/overlay")
}

func BenchmarkRenderHelmChart(b *testing.B) {
	repo, closeFn, err := OpenRoot("testdata/repo")
	if err != nil {
		b.Fatal(err)
	}
	defer closeFn()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(context.Background(), repo, Source{Path: "chart", Helm: HelmOptions{ValueFiles: []string{"values-prod.yaml"}}}, DefaultLimits()); err != nil {
			b.Fatal(err)
		}
	}
}
