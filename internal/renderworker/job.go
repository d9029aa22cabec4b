// Package renderworker renders in child processes with hard limits, so
// that hostile Git content (a YAML alias bomb read by Kustomize, a Helm
// template that doubles a string, an endless loop) costs one render, not
// the process that asked for it.
//
// A worker is the calling binary itself, re-executed with an environment
// variable set: its main (or a test's TestMain) calls RunIfWorker first.
// The worker limits its own address space and CPU time before it reads
// the job, runs with an empty PATH (no git: Kustomize cannot clone), a
// private TMPDIR and HOME removed afterwards, and no HTTP transport; the
// parent enforces the wall clock (it kills the process group) and the
// output size (it stops reading). The Pool keeps workers started ahead of
// time; each renders once and exits, so no state passes between renders.
package renderworker

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/pkg/object"
	"github.com/flotilla-gitops/flotilla/pkg/render"
)

// Job is one render: a commit of a bare Git clone (GitDir and Commit) or
// a directory on disk (Dir).
type Job struct {
	GitDir string        `json:"gitDir,omitempty"`
	Commit string        `json:"commit,omitempty"`
	Dir    string        `json:"dir,omitempty"`
	Source render.Source `json:"source"`
	Limits render.Limits `json:"limits"`
	// Name says what is rendered in errors (an application, a path).
	Name string `json:"name,omitempty"`
}

// Result is a finished render. Reads are the paths the render looked up
// and their Git hashes (Git jobs only), for re-use at later commits.
type Result struct {
	Kind    render.Kind
	Objects []*unstructured.Unstructured
	Reads   map[string]string
}

// Limits bound one worker process.
type Limits struct {
	Memory    int64         // bytes the render may map beyond the idle worker's footprint
	CPU       time.Duration // CPU time of the worker process, rounded up to seconds
	Wall      time.Duration // from the job's start to its answer
	MaxOutput int64         // bytes of JSON the worker may answer
}

// DefaultLimits fit large real applications on a small hub.
func DefaultLimits() Limits {
	return Limits{Memory: 1 << 30, CPU: 60 * time.Second, Wall: 2 * time.Minute, MaxOutput: 64 << 20}
}

// Validate refuses limits that would disable a bound or cannot work.
func (l Limits) Validate() error {
	switch {
	case l.Memory < 64<<20:
		return fmt.Errorf("--render-memory-limit %s: the memory limit must be at least 64MiB", FormatSize(l.Memory))
	case l.CPU < time.Second:
		return fmt.Errorf("--render-cpu-limit %s: the CPU time limit must be at least 1s", l.CPU)
	case l.Wall <= 0:
		return fmt.Errorf("--render-timeout %s: the render timeout must be positive", l.Wall)
	case l.MaxOutput < 1<<20:
		return fmt.Errorf("--render-max-output %s: the output limit must be at least 1MiB", FormatSize(l.MaxOutput))
	}
	return nil
}

// response is the worker's answer on its stdout.
type response struct {
	Kind     render.Kind       `json:"kind,omitempty"`
	Objects  []json.RawMessage `json:"objects,omitempty"`
	Reads    map[string]string `json:"reads,omitempty"`
	Error    string            `json:"error,omitempty"`
	Sentinel string            `json:"sentinel,omitempty"` // which sentinel the error wrapped
}

// sentinels cross the process boundary by name, so errors.Is still works.
var sentinels = []struct {
	name string
	err  error
}{
	{"escape", render.ErrEscape}, {"limit", render.ErrLimit}, {"remote-base", render.ErrRemoteBase},
	{"missing-base", render.ErrMissingBase}, {"kustomize-helm", render.ErrKustomizeHelm},
	{"unknown-source", render.ErrUnknownSource}, {"too-large", object.ErrTooLarge},
	{"alias-bomb", object.ErrAliasBomb}, {"too-deep", object.ErrTooDeep}, {"too-many-docs", object.ErrTooManyDocs},
}

func sentinelOf(err error) string {
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return s.name
		}
	}
	return ""
}

func sentinelNamed(name string) error {
	for _, s := range sentinels {
		if s.name == name {
			return s.err
		}
	}
	return nil
}

// workerError is a render error reported by a worker.
type workerError struct {
	msg string
	is  error
}

func (e *workerError) Error() string { return e.msg }
func (e *workerError) Unwrap() error { return e.is }
