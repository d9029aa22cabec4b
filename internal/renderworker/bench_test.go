package renderworker

import (
	"context"
	"testing"

	"github.com/flotilla-gitops/flotilla/pkg/render"
)

var benchSources = map[string]render.Source{
	"kustomize": {Path: "kustomize/overlays/prod"},
	"helm":      {Path: "chart", Helm: render.HelmOptions{IncludeCRDs: true}},
}

const benchRepo = "../../pkg/render/testdata/repo"

// BenchmarkInProcess and BenchmarkWorker compare a render in this process
// with one through a warm worker (start, limits, JSON both ways).
func BenchmarkInProcess(b *testing.B) {
	for name, src := range benchSources {
		b.Run(name, func(b *testing.B) {
			repo, closeFn, err := render.OpenRoot(benchRepo)
			if err != nil {
				b.Fatal(err)
			}
			defer closeFn()
			for b.Loop() {
				if _, err := render.Render(context.Background(), repo, src, render.DefaultLimits()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkWorker(b *testing.B) {
	for name, src := range benchSources {
		b.Run(name, func(b *testing.B) {
			p, err := New(Options{Workers: 2, Limits: DefaultLimits()})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			for b.Loop() {
				if _, err := p.Render(context.Background(), Job{Dir: benchRepo, Source: src, Limits: render.DefaultLimits()}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
