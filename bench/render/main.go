// Command render measures the hub's rendering: 1,000 Kustomize overlays
// and 200 Helm releases rendered cold by a flotilla-hub process for one
// simulated spoke, then an unrelated commit (a README change: no render
// and no plan should follow). The peer, measured in the same run, is the
// same renders done directly with pkg/render from a checkout on disk, one
// at a time and with the hub's render parallelism, in a child process.
//
// Then, on a hub of their own, 200 applications of charts of a Helm
// repository served by this process (a handful of chart versions, values
// of their own): cold (every chart version pulled once), a refresh of the
// repository with its index unchanged (no pull, no render, no plan should
// follow), and a restart of the hub on its data dir; the peer is the same
// renders with pkg/render from the charts unpacked on disk.
// Progress goes to stderr; the last line of stdout is the JSON Result.
//
//	go build -o bin/flotilla-hub ./hub/cmd/flotilla-hub
//	go run ./bench/render -hub bin/flotilla-hub -kustomize 1000 -helm 200 -charts 200 -runs 3
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/flotilla-gitops/flotilla/internal/gitserver"
)

// hubRenderWorkers is flotilla-hub's default --render-workers
// (controller.DefaultOptions), not imported so that the library peer, this
// binary, carries pkg/render and little else.
const hubRenderWorkers = 4

func main() {
	var cfg config
	runs := flag.Int("runs", 3, "runs, each with a fresh hub")
	libDir := flag.String(libraryFlag, "", "internal: render the checkout DIR with pkg/render and exit")
	flag.StringVar(&cfg.hubBin, "hub", "bin/flotilla-hub", "flotilla-hub binary")
	flag.IntVar(&cfg.kustomize, "kustomize", 1000, "Kustomize applications (overlays of one base)")
	flag.IntVar(&cfg.helm, "helm", 200, "Helm applications (releases of one chart, a values file each)")
	flag.IntVar(&cfg.charts, "charts", 200, "chart applications (a Helm repository's charts, inline values each), on a hub of their own; 0: none")
	chartDir := flag.String(libraryChartsFlag, "", "internal: with -"+libraryFlag+", the unpacked charts")
	flag.IntVar(&cfg.workers, "workers", hubRenderWorkers, "the hub's --render-workers, and the library peer's parallelism")
	flag.IntVar(&cfg.creators, "creators", 8, "CreateApplication calls in flight")
	flag.StringVar(&cfg.cpuProfile, "cpuprofile", "", "save CPU profiles of the hub's first run to PREFIX-cold.pprof (30 s), PREFIX-unrelated.pprof (10 s) and PREFIX-charts-cold.pprof (10 s, the hub process without its render workers)")
	flag.DurationVar(&cfg.timeout, "timeout", 10*time.Minute, "give up after this, per run")
	flag.Parse()
	if *libDir != "" {
		if err := runLibrary(*libDir, *chartDir, cfg.kustomize, cfg.helm, cfg.charts, cfg.workers); err != nil {
			fmt.Fprintln(os.Stderr, "render library peer:", err)
			os.Exit(1)
		}
		return
	}
	r, err := bench(cfg, *runs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		os.Exit(1)
	}
}

// bench builds the repository once and measures runs times.
func bench(cfg config, runs int) (*Result, error) {
	dir, err := os.MkdirTemp("", "flotilla-render")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	files := repoFiles(cfg.kustomize, cfg.helm)
	checkout := filepath.Join(dir, "checkout")
	if err := writeTree(checkout, files); err != nil {
		return nil, err
	}
	gs, err := gitserver.New(filepath.Join(dir, "git"))
	if err != nil {
		return nil, err
	}
	git := &counted{h: gs}
	srv := httptest.NewServer(git)
	defer srv.Close()
	if err := gs.Create("apps"); err != nil {
		return nil, err
	}
	if _, err := gs.Commit("apps", "main", "apps", files); err != nil {
		return nil, err
	}
	charts, err := serveCharts(filepath.Join(dir, "charts"))
	if err != nil {
		return nil, err
	}
	defer charts.srv.Close()
	e := &env{dir: dir, checkout: checkout, repo: srv.URL + "/apps.git", gs: gs, git: git, charts: charts}
	var all []*Run
	for i := 1; i <= runs; i++ {
		r, err := measureRun(cfg, e, i)
		if err != nil {
			return nil, fmt.Errorf("run %d: %w", i, err)
		}
		all = append(all, r)
	}
	return summarise(cfg, all), nil
}

// measureRun measures one run: the Git applications, then the chart
// applications on a hub of their own.
func measureRun(cfg config, e *env, run int) (*Run, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()
	r, err := measure(ctx, cfg, e, run)
	if err != nil || cfg.charts == 0 {
		return r, err
	}
	if r.Charts, err = measureCharts(ctx, cfg, e, run); err != nil {
		return nil, fmt.Errorf("charts: %w", err)
	}
	return r, nil
}
