package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/flotilla-gitops/flotilla/pkg/render"
)

// libraryFlag runs this program as the library peer: it renders every
// application from a checkout on disk with pkg/render and prints a
// libraryReport as JSON.
const libraryFlag = "library-mode"

// libraryChartsFlag names, in library mode, the directory of the unpacked
// charts.
const libraryChartsFlag = "library-charts"

type libraryReport struct {
	Sec     float64 // the renders only, process start-up aside
	Objects int
}

// libraryRun is one library peer process, measured from outside.
type libraryRun struct {
	libraryReport
	CPUSec     float64
	PeakRSSMiB float64
}

// libraryJob is one render of the library peer.
type libraryJob struct {
	name string
	root fs.FS
	src  render.Source
}

// runLibrary renders the Git applications from a checkout (dir) and the
// chart applications from the charts unpacked under chartDir, workers at
// once.
func runLibrary(dir, chartDir string, nKustomize, nHelm, nCharts, workers int) error {
	var jobs []libraryJob
	if nKustomize+nHelm > 0 {
		repo, closeRoot, err := render.OpenRoot(dir)
		if err != nil {
			return err
		}
		defer closeRoot()
		for _, a := range apps(nKustomize, nHelm) {
			jobs = append(jobs, libraryJob{a.name, repo, a.src})
		}
	}
	roots := map[string]fs.FS{} // one per chart version, as the hub's cache
	for _, a := range chartApps(nCharts) {
		root, ok := roots[a.chart.dir()]
		if !ok {
			r, closeRoot, err := render.OpenRoot(filepath.Join(chartDir, a.chart.dir()))
			if err != nil {
				return err
			}
			defer closeRoot()
			root, roots[a.chart.dir()] = r, r
		}
		jobs = append(jobs, libraryJob{a.name, root, a.source()})
	}
	ctx := context.Background()
	var (
		next, objects atomic.Int64
		wg            sync.WaitGroup
		mu            sync.Mutex
		firstErr      error
	)
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(jobs); i = int(next.Add(1) - 1) {
				res, err := render.Render(ctx, jobs[i].root, jobs[i].src, render.DefaultLimits())
				if err != nil {
					mu.Lock()
					firstErr = fmt.Errorf("%s: %w", jobs[i].name, err)
					mu.Unlock()
					return
				}
				objects.Add(int64(len(res.Objects)))
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return json.NewEncoder(os.Stdout).Encode(libraryReport{Sec: time.Since(start).Seconds(), Objects: int(objects.Load())})
}

// library runs the library peer as a child process, so that its CPU and
// peak RSS (from wait4's rusage) are its own.
// The Git applications come from the checkout dir, the chart applications
// from the charts unpacked under chartDir.
func library(ctx context.Context, dir, chartDir string, nKustomize, nHelm, nCharts, workers int) (*libraryRun, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, "-"+libraryFlag, dir, "-kustomize", fmt.Sprint(nKustomize), "-helm", fmt.Sprint(nHelm),
		"-"+libraryChartsFlag, chartDir, "-charts", fmt.Sprint(nCharts), "-workers", fmt.Sprint(workers))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("library peer: %w", err)
	}
	r := &libraryRun{}
	if err := json.Unmarshal(out, &r.libraryReport); err != nil {
		return nil, fmt.Errorf("library peer: %w", err)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return nil, fmt.Errorf("library peer: no rusage")
	}
	r.CPUSec = float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
	r.PeakRSSMiB = float64(ru.Maxrss) / 1024 // KiB on Linux
	return r, nil
}
