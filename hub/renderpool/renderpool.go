// Package renderpool runs the hub's renders in worker processes
// (internal/renderworker) that read the hub's Git clones themselves.
//
// Importing it makes the binary a render worker when started as one: its
// init runs the worker and exits before main, so the hub binary, and any
// test binary that starts a hub in-process, needs no hook of its own.
package renderpool

import (
	"fmt"
	"io/fs"

	"github.com/flotilla-gitops/flotilla/hub/source"
	"github.com/flotilla-gitops/flotilla/internal/renderworker"
)

// kind tells the hub's workers from other render workers in one binary.
const kind = "hub-git"

func init() { renderworker.RunIfWorker(kind, openGit) }

func openGit(dir, commit string) (fs.FS, error) { return source.OpenTree(dir, commit) }

// Start starts the given number of warm workers with the given limits.
func Start(workers int, lim renderworker.Limits) (*renderworker.Pool, error) {
	p, err := renderworker.New(renderworker.Options{Kind: kind, Workers: workers, Limits: lim})
	if err != nil {
		return nil, fmt.Errorf("render workers: %w", err)
	}
	return p, nil
}
