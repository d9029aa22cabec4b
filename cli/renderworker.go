package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/flotilla-gitops/flotilla/internal/renderworker"
	"github.com/flotilla-gitops/flotilla/pkg/render"
)

// The flotilla binary renders in a child process of itself (this kind),
// so a hostile file fails cleanly instead of eating the machine.
const workerKind = "cli-dir"

func init() { renderworker.RunIfWorker(workerKind, nil) }

// workerFlags are the render worker's limits; --timeout is its wall clock.
type workerFlags struct {
	memory renderworker.Size
	cpu    time.Duration
	output renderworker.Size
}

func (w *workerFlags) register(cmd *cobra.Command) {
	def := renderworker.DefaultLimits()
	w.memory, w.cpu, w.output = renderworker.Size(def.Memory), def.CPU, renderworker.Size(def.MaxOutput)
	fl := cmd.Flags()
	fl.Var(&w.memory, "render-memory-limit", "memory the render may use (e.g. 1GiB, 512MiB)")
	fl.DurationVar(&w.cpu, "render-cpu-limit", w.cpu, "CPU time the render may use")
	fl.Var(&w.output, "render-max-output", "largest render output (e.g. 64MiB)")
}

// renderInWorker renders src from the directory root in a child process
// bounded by the flags.
func (f *renderFlags) renderInWorker(ctx context.Context, root string, src render.Source) (*renderworker.Result, error) {
	if f.timeout <= 0 {
		return nil, fmt.Errorf("--timeout %s: the render time limit must be positive", f.timeout)
	}
	lim := renderworker.Limits{Memory: int64(f.worker.memory), CPU: f.worker.cpu, Wall: f.timeout, MaxOutput: int64(f.worker.output)}
	opts := renderworker.Options{Kind: workerKind, Limits: lim}
	return renderworker.Once(ctx, opts, renderworker.Job{Dir: root, Source: src, Limits: render.DefaultLimits(), Name: displayPath(src.Path)})
}

func displayPath(p string) string {
	if p == "" || p == "." {
		return "./"
	}
	return p
}
